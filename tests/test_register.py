"""The account register: its config keys, its history in the archive, and `somed accounts`."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import subprocess
import sys
from contextlib import closing
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import TOKEN, TOKEN_ENV

from somed.config import ConfigError, load_config
from somed.daemon import prepare_archive
from storage.db import connect
from storage.register import account_history, close_account, register_rows

ROOT = Path(__file__).resolve().parent.parent

ACCOUNT = """
[storage]
dir = "archive"
[[accounts]]
key = "mora-fb"
platform = "facebook"
id = "100200300"
url = "https://www.facebook.com/morakommun"
token_env = "SOMED_TEST_FB_TOKEN"
owner = "Kommunledningskontoret"
editor = "Anna Andersson"
substitute = "Erik Eriksson"
purpose = "Nyheter och störningar"
audience = "Kommunens invånare"
start_date = 2019-03-01
"""


def config_file(tmp_path: Path, extra: str = "", head: str = "") -> Path:
    path = tmp_path / "somed.toml"
    path.write_text(head + ACCOUNT + extra, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("extra", "head", "expected"),
    [
        (
            'status = "open"\n',
            "",
            "accounts[0].status: 'open' is not allowed (use 'active', 'closing' or 'closed')",
        ),
        ("", "", None),
        (
            'plan = { chanel_choice = "Facebook" }\n',
            "",
            "accounts[0].plan.chanel_choice: unknown key (did you mean 'channel_choice'?)",
        ),
        ('plan = { comparison = "  " }\n', "", "accounts[0].plan.comparison: must not be empty"),
        ('sender_link = "mora.se"\n', "", "accounts[0].sender_link: not an http(s) URL"),
        ("inactive_months = 0\n", "", "accounts[0].inactive_months: 0 is out of range"),
        ("", '[monitors]\nsender_text = ""\n', "monitors.sender_text: must not be empty"),
        (
            "",
            "[monitors]\ninactive_months = 1.5\n",
            "monitors.inactive_months: expected an integer",
        ),
    ],
)
def test_register_keys_are_validated_in_one_line_naming_the_key(tmp_path, extra, head, expected):
    path = config_file(tmp_path, extra, head)
    if expected is None:
        config = load_config(path)
        assert config.accounts[0].start_date.isoformat() == "2019-03-01"
        assert config.accounts[0].status == "active" and config.monitors.inactive_months == 6
        return
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    line = str(caught.value)
    assert expected in line and "\n" not in line, line


def test_a_start_date_in_quotes_is_refused_with_the_fix(tmp_path):
    path = config_file(tmp_path)
    path.write_text(path.read_text().replace("2019-03-01", '"2019-03-01"'), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"accounts\[0\]\.start_date: expected a date, got a "
                       r"string \(write a TOML date without quotes, e.g. 2019-03-01\)"):  # fmt: skip
        load_config(path)


def test_every_change_of_a_register_field_is_kept_with_its_history(tmp_path, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    plan = 'plan = { channel_choice = "Där invånarna finns", reply_practice = "Inom en dag" }\n'
    path = config_file(tmp_path, plan)
    prepare_archive(load_config(path))
    path.write_text(path.read_text().replace("Anna Andersson", "Bo Berg")
                    + 'status = "closing"\n', encoding="utf-8")  # fmt: skip
    prepare_archive(load_config(path))
    prepare_archive(load_config(path))  # nothing changed: nothing recorded
    config = load_config(path)
    with closing(connect(config.db_path)) as db:
        history = account_history(db, "mora-fb")
        stored = register_rows(db)["mora-fb"]
        added = {h["field"]: h["new_value"] for h in history[:-2]}
        assert added["editor"] == "Anna Andersson" and added["start_date"] == "2019-03-01"
        assert json.loads(added["plan"])["reply_practice"] == "Inom en dag"
        assert [(h["field"], h["old_value"], h["new_value"], h["source"]) for h in history[-2:]] \
            == [("editor", "Anna Andersson", "Bo Berg", "config"),
                ("status", "active", "closing", "config")]  # fmt: skip
        assert stored["status"] == "closing" and stored["plan"]["channel_choice"]
        # closing is final: the config cannot reopen the account
        close_account(db, "mora-fb", now="2026-12-01T10:00:00Z", actor="anna", reason="nedlagt",
                      details={})  # fmt: skip
    path.write_text(path.read_text().replace('status = "closing"', 'status = "active"'))
    prepare_archive(load_config(path))
    with closing(connect(config.db_path)) as db:
        assert register_rows(db)["mora-fb"]["status"] == "closed"
        last = account_history(db, "mora-fb")[-1]
        assert (last["field"], last["new_value"], last["changed_by"], last["source"]) == (
            "status",
            "closed",
            "anna",
            "close",
        )
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute("UPDATE account_history SET new_value = 'active'")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute("DELETE FROM account_history")


def contrast(first: str, second: str) -> float:
    """The WCAG 2.1 contrast ratio of two #rrggbb colours."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


class Page(HTMLParser):
    """What an accessibility check of the page needs: tags, attributes, texts per element."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []
        self.text: dict[str, list[str]] = {}

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self.stack.append(tag)

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop() != tag:
            pass

    def handle_data(self, data):
        if data.strip() and self.stack:
            self.text.setdefault(self.stack[-1], []).append(data.strip())

    def all(self, tag):
        return [attrs for name, attrs in self.tags if name == tag]


@pytest.fixture(scope="module")
def register_setup(tmp_path_factory):
    """A config with two accounts (one without a URL) and an archive that knows them."""
    tmp_path = tmp_path_factory.mktemp("register")
    second = ('\n[[accounts]]\nkey = "mora-ung"\nplatform = "facebook"\nid = "5"\n'
              'token_env = "SOMED_TEST_FB_TOKEN"\nowner = "Fritid & kultur <ung>"\n'
              'status = "closing"\n')  # fmt: skip
    path = config_file(tmp_path, 'plan = { password_holders = "Anna, Erik" }\n' + second)
    prepare_archive(load_config(path, {TOKEN_ENV: TOKEN}))
    return {"path": path, "env": {"PATH": "/usr/bin:/bin", "SOMED_CONFIG": str(path)}}


def accounts(setup, *args, lang=None):
    env = dict(setup["env"], **({"SOMED_LANG": lang} if lang else {}))
    return subprocess.run([sys.executable, "-m", "somed", "accounts", *args], env=env,
                          capture_output=True, text=True, cwd=ROOT, timeout=60)  # fmt: skip


def test_accounts_json_and_csv_hold_the_public_fields_only(register_setup):
    listed = accounts(register_setup, "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [r["key"] for r in rows] == ["mora-fb", "mora-ung"]
    first = rows[0]
    assert first["owner"] == "Kommunledningskontoret" and first["start_date"] == "2019-03-01"
    assert first["platform_name"] == "Facebook" and first["status"] == "active"
    assert not {"editor", "substitute", "plan", "token_env"} & set(first)
    assert "Anna" not in listed.stdout and "Erik" not in listed.stdout
    internal = json.loads(accounts(register_setup, "--json", "--internal").stdout)
    assert internal[0]["editor"] == "Anna Andersson"
    assert internal[0]["plan"] == {"password_holders": "Anna, Erik"}

    table = list(csv.reader(io.StringIO(accounts(register_setup, "--csv").stdout)))
    assert table[0] == ["Konto", "Plattform", "Adress", "Ansvarig förvaltning/enhet", "Syfte",
                        "Målgrupp", "Startdatum", "Status"]  # fmt: skip
    assert table[1][2] == "https://www.facebook.com/morakommun" and table[1][7] == "Aktivt"
    assert table[2][7] == "Avslutas" and len(table) == 3
    english = list(csv.reader(io.StringIO(accounts(register_setup, "--csv", lang="en").stdout)))
    assert english[0][3] == "Responsible department/unit" and english[2][7] == "Closing"
    both = accounts(register_setup, "--csv", "--json")
    assert both.returncode == 2 and both.stderr.count("\n") == 1


def test_accounts_html_is_an_accessible_page(register_setup):
    result = accounts(register_setup, "--html")
    assert result.returncode == 0, result.stderr
    page = Page()
    page.feed(result.stdout)
    assert result.stdout.startswith("<!DOCTYPE html>")
    assert page.all("html") == [{"lang": "sv"}]
    assert page.text["title"] == ["Sociala medier"] and page.text["h1"] == ["Sociala medier"]
    for landmark in ("header", "main", "footer"):
        assert len(page.all(landmark)) == 1, landmark
    assert len(page.all("table")) == 1 and page.text["caption"] == ["2 konton i sociala medier"]
    heads = page.all("th")
    assert [h["scope"] for h in heads] == ["col"] * 7 + ["row"] * 2
    assert page.all("a") == [{"href": "https://www.facebook.com/morakommun"}]
    assert "Fritid &amp; kultur &lt;ung&gt;" in result.stdout  # autoescaped
    assert "Anna" not in result.stdout and page.all("meta")[0] == {"charset": "utf-8"}
    assert page.all("time")[0]["datetime"].endswith("Z")
    # every colour the style sheet sets on text has at least 4.5:1 contrast on the white page
    style = "".join(page.text["style"])
    assert "background: #fff" in style
    colours = re.findall(r"(?<![-\w])color:\s*(#[0-9a-f]{6})", style)
    assert colours and all(contrast(c, "#ffffff") >= 4.5 for c in colours), colours
    english = accounts(register_setup, "--html", lang="en").stdout
    assert '<html lang="en">' in english and "2 social media accounts" in english
