"""The audit log page: filters (actor, action, target, dates), pages, the CSV export (formulas
neutralised) and the chain check's result on top, broken when an entry is removed."""

from __future__ import annotations

import csv
import io
import sqlite3
from contextlib import closing
from datetime import date, timedelta

import pytest

from somed.display import LOCAL_TZ
from tests.web_registrar_support import browser, own_archive, post_form, rows

pytestmark = pytest.mark.xdist_group("web-audit")  # its own archive: a worker of its own
HOSTILE = '=HYPERLINK("https://evil.example","klicka")'


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    """The demo archive, with a few changes made on the web (holds, so entries by web users)."""
    with own_archive(tmp_path_factory.mktemp("web-audit"), "page_size = 10\n") as (config, _):
        registrar = browser(config, "registrar")
        for n in range(12):
            reason = HOSTILE if n == 0 else f"Tvist {n}"
            post_form(registrar, "/holds", "/holds", {"reason": reason, "account": "mora-x"})
        yield config


def test_the_chain_check_is_shown_and_the_log_is_paginated(config) -> None:
    registrar = browser(config, "registrar")
    page = registrar.get("/audit")
    assert page.status_code == 200
    total = rows(config, "SELECT count(*) FROM audit_log")[0][0]
    assert f"Granskningsloggen är hel: {total} poster kontrollerade." in page.text
    assert f"{total} poster" in page.text and 'rel="next"' in page.text
    assert "Tvist 11" in page.text and "Tvist 1<" not in page.text  # newest first
    second = registrar.get("/audit?page=2")
    assert "Tvist 1<" in second.text
    assert browser(config, "editor").get("/audit").status_code == 403
    assert browser(config, "editor").get("/audit.csv").status_code == 403


def test_filters_by_actor_action_target_and_dates(config) -> None:
    registrar = browser(config, "registrar")
    by_test = registrar.get("/audit?actor=test").text
    assert "user:admin" in by_test and "hold:" not in by_test
    holds = registrar.get("/audit?action=hold_added&target=hold:12").text
    assert "Tvist 11" in holds and "Tvist 10" not in holds and "1 post" in holds
    day = rows(config, "SELECT max(at) FROM audit_log")[0][0][:10]
    tomorrow = (date.fromisoformat(day) + timedelta(days=2)).isoformat()
    assert "Inga poster." in registrar.get(f"/audit?from={tomorrow}").text
    assert "Tvist 11" in registrar.get(f"/audit?to={tomorrow}&actor=web:registrar").text
    assert "Inga poster." in registrar.get("/audit?target=100%25").text  # % is no wildcard


def test_the_csv_export_keeps_the_filters_and_defuses_formulas(config) -> None:
    registrar = browser(config, "registrar")
    response = registrar.get("/audit.csv?actor=web:registrar&action=hold_added")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    table = list(csv.reader(io.StringIO(response.text)))
    assert table[0] == ["Nr", "Tid", "Vem", "Händelse", "Gäller", "Motivering", "Detaljer"]
    assert len(table) == 13 and {r[2] for r in table[1:]} == {"web:registrar"}
    hostile = next(r for r in table[1:] if "HYPERLINK" in r[5])
    assert not hostile[5].startswith("=")  # a spreadsheet shows it as text
    assert table[1][1].endswith(("CET", "CEST")) and LOCAL_TZ.key == "Europe/Stockholm"
    [(actor, details)] = rows(config, "SELECT actor, details FROM audit_log"
                                      " WHERE action = 'audit_exported'")  # fmt: skip
    assert actor == "web:registrar" and '"rows":12' in details.replace(" ", "")


def test_a_removed_entry_breaks_the_chain_on_the_page(config) -> None:
    victim = rows(config, "SELECT min(id) FROM audit_log WHERE action = 'hold_added'")[0][0]
    with closing(sqlite3.connect(config.db_path)) as raw:  # as an attacker would
        raw.execute("DROP TRIGGER audit_log_no_delete")
        raw.execute("DELETE FROM audit_log WHERE id = ?", [victim])
        raw.commit()
    page = browser(config, "registrar").get("/audit").text
    assert "kedja är bruten" in page and f"bruten vid post {victim + 1}" in page
