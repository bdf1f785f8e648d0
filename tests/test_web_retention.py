"""The retention and holds pages: the plan per rule with what it removes (paginated), holds
placed and released through the web (the CLI's checks), the plan leaving held items out and
naming the holds, and applying: admins only, with the plan id and a confirmation step, a stale
plan id refused as `somed retention apply` refuses it."""

from __future__ import annotations

import re
from contextlib import closing

import pytest

from somed.retention.plan import plan_from_archive
from storage.db import connect_readonly
from tests.public_pages_support import NOW
from tests.web_registrar_support import browser, own_archive, post_form, rows

pytestmark = pytest.mark.xdist_group("web-retention")  # its own archive: a worker of its own

RULES = """page_size = 10

[retention]
not_current_after = "1y"

[[retention.rules]]
name = "egna"
decision = "KS 2026/12 §3"
direction = "own"
keep = true

[[retention.rules]]
name = "kommentarer"
decision = "KS 2026/12 §4"
direction = "incoming"
kind = ["comment", "reply"]
dispose_after = "30d"
"""


def clock():
    return NOW


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    with own_archive(tmp_path_factory.mktemp("web-retention"), RULES) as (config, _):
        yield config


def plan_now(config):
    with closing(connect_readonly(config.db_path)) as db:
        return plan_from_archive(db, config.retention, NOW)


def plan_id_on(html: str) -> str:
    match = re.search(r'name="plan" value="([0-9a-f]+)"', html)
    assert match, "no plan id on the page"
    return match.group(1)


def test_the_plan_page_shows_each_rule_and_what_it_would_remove(config) -> None:
    plan = plan_now(config)
    assert len(plan.disposals) > 10  # more than one page
    registrar = browser(config, "registrar", clock)
    page = registrar.get("/retention")
    assert page.status_code == 200
    assert f"Plan {plan.id}: {len(plan.disposals)} poster gallras" in page.text
    assert "KS 2026/12 §4" in page.text and "egna" in page.text
    assert page.text.count("<code>") == 10 and 'rel="next"' in page.text
    second = registrar.get("/retention?rule=kommentarer&page=2")
    assert second.status_code == 200 and 'rel="prev"' in second.text
    first_page = {d for d in re.findall(r"<code>([^<]+)</code>", page.text)}
    assert first_page.isdisjoint(re.findall(r"<code>([^<]+)</code>", second.text))
    assert "/retention/apply" not in page.text  # only an admin applies
    assert browser(config, "editor", clock).get("/retention").status_code == 403


def test_a_hold_placed_on_the_web_keeps_its_items_out_of_the_plan(config) -> None:
    before = plan_now(config)
    assert any(d.account == "mora-fb" for d in before.disposals)
    registrar = browser(config, "registrar", clock)
    done = post_form(registrar, "/holds", "/holds",
                     {"reason": "Tvist om bygglov", "account": "mora-fb"})  # fmt: skip
    assert done.status_code == 303
    assert "Spärr 1 lagd." in registrar.get("/holds").text
    after = plan_now(config)
    assert not any(d.account == "mora-fb" for d in after.disposals)
    assert after.held > 0 and after.id != before.id
    page = registrar.get("/retention").text
    assert f"Plan {after.id}" in page and "Tvist om bygglov" in page and "Spärr 1" in page
    assert f"{after.held} spärrade av bevarandebeslut" in page
    assert rows(config, "SELECT actor, action, reason FROM audit_log WHERE target = 'hold:1'") == [
        ("web:registrar", "hold_added", "Tvist om bygglov")
    ]


@pytest.mark.parametrize(
    ("form", "words"),
    [
        ({"reason": " "}, "Skriv en motivering"),
        ({"reason": "x", "from": "2026-05-02", "to": "2026-05-01"}, "ligger efter"),
        ({"reason": "x", "from": "2026-13-01"}, "är inget datum"),
        ({"reason": "x", "query": '"*( )'}, "går inte att söka efter"),
        ({"reason": "x", "account": "finns-inte"}, "finns inte i konfigurationen"),
    ],
)
def test_holds_are_refused_as_the_cli_refuses_them(config, form, words) -> None:
    registrar = browser(config, "registrar", clock)
    count = rows(config, "SELECT count(*) FROM holds")
    assert post_form(registrar, "/holds", "/holds", form).status_code == 303
    assert words in registrar.get("/holds").text
    assert rows(config, "SELECT count(*) FROM holds") == count


def test_a_hold_is_released_with_a_reason(config) -> None:
    registrar = browser(config, "registrar", clock)
    post_form(registrar, "/holds", "/holds", {"reason": "Begäran från JO", "query": "bygglov"})
    hold_id = rows(config, "SELECT max(id) FROM holds")[0][0]
    post_form(registrar, "/holds", f"/holds/{hold_id}/release", {"reason": ""})
    assert "Skriv en motivering" in registrar.get("/holds").text
    post_form(registrar, "/holds", f"/holds/{hold_id}/release", {"reason": "Ärendet avslutat"})
    assert f"Spärr {hold_id} hävd." in registrar.get("/holds").text
    assert rows(config, "SELECT released_by, release_reason FROM holds WHERE id = ?",
                [hold_id]) == [("web:registrar", "Ärendet avslutat")]  # fmt: skip
    post_form(registrar, "/holds", f"/holds/{hold_id}/release", {"reason": "igen"})
    assert "redan hävd" in registrar.get("/holds").text


def test_a_stale_plan_id_is_refused(config) -> None:
    admin = browser(config, "admin", clock)
    registrar = browser(config, "registrar", clock)
    old = plan_now(config)
    post_form(registrar, "/holds", "/holds", {"reason": "Ny tvist", "account": "fritidsgarden-fb"})
    current = plan_now(config)  # the holds changed: so did the plan
    assert current.id != old.id
    stale = admin.get(f"/retention/apply?plan={old.id}")
    assert stale.status_code == 409 and "gäller inte längre" in stale.text
    refused = post_form(admin, "/retention", "/retention/apply", {"plan": old.id, "confirm": "1"})
    assert refused.status_code == 303
    page = admin.get("/retention").text
    assert f"Plan {old.id} gäller inte längre" in page and current.id in page
    assert rows(config, "SELECT count(*) FROM items WHERE disposed_at IS NOT NULL") == [(0,)]
    hold_id = rows(config, "SELECT max(id) FROM holds")[0][0]
    post_form(registrar, "/holds", f"/holds/{hold_id}/release", {"reason": "Fel konto"})
    assert plan_now(config).id == old.id


def test_apply_needs_an_admin_the_plan_id_and_a_confirmation(config) -> None:
    registrar = browser(config, "registrar", clock)
    assert registrar.get("/retention/apply?plan=x").status_code == 403
    refused = post_form(registrar, "/retention", "/retention/apply",
                        {"plan": plan_now(config).id, "confirm": "1"})  # fmt: skip
    assert refused.status_code == 403
    admin = browser(config, "admin", clock)
    plan = plan_now(config)
    page = admin.get("/retention").text
    assert plan_id_on(page) == plan.id
    confirm = admin.get(f"/retention/apply?plan={plan.id}")
    assert confirm.status_code == 200
    assert plan.id in confirm.text and f"Ja, gallra {len(plan.disposals)} poster" in confirm.text
    unconfirmed = post_form(admin, "/retention", "/retention/apply", {"plan": plan.id})
    assert unconfirmed.status_code == 303
    assert unconfirmed.headers["location"] == f"/retention/apply?plan={plan.id}"
    assert rows(config, "SELECT count(*) FROM items WHERE disposed_at IS NOT NULL") == [(0,)]
    done = post_form(admin, f"/retention/apply?plan={plan.id}", "/retention/apply",
                     {"plan": plan.id, "confirm": "1"})  # fmt: skip
    assert done.status_code == 303
    assert (
        f"Gallrade {len(plan.disposals)} poster enligt plan {plan.id}"
        in admin.get("/retention").text
    )
    assert rows(config, "SELECT count(*) FROM items WHERE disposed_at IS NOT NULL") == [
        (len(plan.disposals),)
    ]
    assert rows(config, "SELECT count(*) FROM items WHERE disposed_at IS NOT NULL"
                        " AND account = 'mora-fb'") == [(0,)]  # the hold kept them  # fmt: skip
    assert rows(config, "SELECT actor, target FROM audit_log WHERE action = 'disposal_applied'"
                ) == [("web:admin", f"plan:{plan.id}")]  # fmt: skip
