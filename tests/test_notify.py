"""The daily digest: built from a real archive, sent to a real local SMTP server (aiosmtpd) with
STARTTLS and a login, remembered in the database so the daemon sends it once a day."""

from __future__ import annotations

import subprocess
import sys
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import NOW, PAGE_ID, TOKEN_ENV, small_page
from smtp_server import PASSWORD, USER, SmtpServer

from somed.config import load_config
from somed.daemon import prepare_archive
from somed.duties.notify import NotifyDuty
from somed.monitors import run_monitors
from somed.notify.send import send_digests
from somed.runner import Runner
from storage import digests
from storage.db import connect

ROOT = Path(__file__).resolve().parent.parent
TZ = ZoneInfo("Europe/Stockholm")
OWNER, EDITOR = "kommunledning@testkommun.se", "anna.andersson@testkommun.se"
PASSWORD_ENV = "SOMED_TEST_SMTP_PASSWORD"


def notify_table(server: SmtpServer, *, tls: bool = True, digest_at: str = "07:00") -> str:
    lines = ["[notify]", 'smtp_host = "127.0.0.1"', f"smtp_port = {server.port}",
             'from = "somed@testkommun.se"', f'digest_at = "{digest_at}"']  # fmt: skip
    if tls:
        lines += [f'ca_file = "{server.ca_file}"', f'username = "{USER}"',
                  f'password_env = "{PASSWORD_ENV}"']  # fmt: skip
    else:
        lines.append("starttls = false")
    return "\n".join(lines) + "\n"


def account(**extra: object) -> list[dict[str, object]]:
    return [{"key": "test-fb", "id": PAGE_ID, "token_env": TOKEN_ENV, "owner_email": OWNER,
             "editor_email": EDITOR, **extra}]  # fmt: skip


def archived_with_questions(setup):
    """One real run, then the monitors: the generated page's questions are unanswered."""
    prepare_archive(setup.config)
    outcome = Runner(setup.config, clock=lambda: NOW).run_accounts(["test-fb"])[0]
    assert outcome.status == "ok"
    with closing(connect(setup.config.db_path)) as db:
        run_monitors(db, setup.config, NOW)
        count = db.execute("SELECT count(*) FROM flags WHERE flag = 'unanswered'"
                           " AND resolved_at IS NULL").fetchone()[0]  # fmt: skip
    assert count > 0
    return count


def somed(setup, *args):
    """The CLI in a subprocess, in the config's language (no SOMED_LANG), the password set."""
    env = {k: v for k, v in setup.env.items() if k != "SOMED_LANG"}
    return subprocess.run([sys.executable, "-m", "somed", *args], env={**env, PASSWORD_ENV: PASSWORD},
                          capture_output=True, text=True, cwd=ROOT, timeout=120)  # fmt: skip


@pytest.fixture
def smtp(tmp_path):
    with SmtpServer(tmp_path) as server:
        yield server


def test_dry_run_prints_the_digests_and_sends_nothing(fb_setup, smtp):
    setup = fb_setup([small_page(posts=6)], accounts=account(), extra=notify_table(smtp))
    count = archived_with_questions(setup)
    done = somed(setup, "--lang", "sv", "notify", "--dry-run")
    assert done.returncode == 0, done.stderr
    assert f"Till: {EDITOR}" in done.stdout and f"Till: {OWNER}" in done.stdout
    assert "Ämne: somed: daglig sammanfattning" in done.stdout
    assert f"Obesvarade frågor ({count}):" in done.stdout or count == 1
    assert "https://www.facebook.com/" in done.stdout  # each question's permalink
    assert smtp.received == []
    with closing(connect(setup.config.db_path)) as db:
        assert digests.history(db) == []  # nothing recorded: the daemon still sends today's
    english = somed(setup, "--lang", "en", "notify", "--dry-run")
    assert (
        "Subject: somed: daily digest" in english.stdout and "Unanswered question" in english.stdout
    )


def test_the_digest_arrives_over_starttls_and_the_password_never_shows(fb_setup, smtp, tmp_path):
    setup = fb_setup([small_page(posts=6)], accounts=account(), extra=notify_table(smtp))
    archived_with_questions(setup)
    sent = somed(setup, "notify")
    assert sent.returncode == 0, sent.stderr
    assert sorted(r for m in smtp.received for r in m.rcpt_tos) == sorted([OWNER, EDITOR])
    assert [(m.tls, m.login) for m in smtp.received] == [(True, USER)] * 2  # STARTTLS, login
    mail = smtp.received[0].message
    assert mail["Subject"].startswith("somed: daglig sammanfattning")  # Swedish by default
    assert mail["From"] == "somed@testkommun.se" and mail["Auto-Submitted"] == "auto-generated"
    text = mail.get_content()
    assert "test-fb (Facebook)" in text and "Obesvarad" in text and "frågade" in text
    assert "Det här är den första sammanfattningen." in text

    # the password is in no output, log line or byte of the archive
    assert PASSWORD not in sent.stdout + sent.stderr
    for path in Path(setup.config.storage_dir).rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path
    with closing(connect(setup.config.db_path)) as db:
        rows = digests.history(db)
    assert sorted((r["recipient"], r["status"]) for r in rows) == sorted(
        [(OWNER, "sent"), (EDITOR, "sent")]
    )
    # `somed notify` sent today's: the daemon does not send it again today
    assert NotifyDuty(setup.config, clock=lambda: NOW).due(NOW) == []


def test_the_daemon_sends_once_a_day_at_digest_at_and_catches_up_once(fb_setup, smtp):
    setup = fb_setup([small_page(posts=6)], accounts=account(), extra=notify_table(smtp))
    archived_with_questions(setup)
    config = load_config(setup.config_path, {**setup.env, PASSWORD_ENV: PASSWORD})
    day = NOW.astimezone(TZ).replace(hour=0, minute=0, second=0) + timedelta(days=1)
    duty = NotifyDuty(config, clock=lambda: day)
    assert duty.due(day.replace(hour=6, minute=59)) == []  # before digest_at
    # the server was down at 07:00: back at 10:30, the day's digest goes once
    late = day.replace(hour=10, minute=30)
    duty.clock = lambda: late
    assert len(duty.due(late)) == 1
    duty.run(duty.due(late)[0])
    assert len(smtp.received) == 2
    assert duty.due(late + timedelta(minutes=5)) == [] and duty.due(day.replace(hour=23)) == []
    # the next morning the next digest starts where this one ended: the questions are still
    # unanswered (listed), no flag is new
    following = day + timedelta(days=1, hours=7)
    with closing(connect(config.db_path)) as db:
        assert digests.last_through(db, OWNER) == late
        report = send_digests(db, config, following, due_only=True)
    assert sorted(report.sent) == sorted([OWNER, EDITOR]) and len(smtp.received) == 4
    text = smtp.received[-1].message.get_content()
    assert "Nytt sedan förra sammanfattningen" in text and "Ny flagga" not in text


def test_a_server_without_starttls_gets_nothing_and_the_failure_is_recorded(fb_setup, tmp_path):
    with SmtpServer(tmp_path, tls=False) as plain:
        table = notify_table(plain, tls=False).replace("starttls = false\n", "")  # stays on
        setup = fb_setup([small_page(posts=6)], accounts=account(), extra=table)
        archived_with_questions(setup)
        failed = somed(setup, "notify")
        assert failed.returncode == 1
        assert "STARTTLS" in failed.stderr and plain.received == []
        with closing(connect(setup.config.db_path)) as db:
            rows = digests.history(db)
        assert {r["status"] for r in rows} == {"failed"}
        assert rows[0]["error"] == "mail to 127.0.0.1 failed: SMTPNotSupportedError"
        # without STARTTLS on purpose (a relay on the same host) it goes through
        relay = setup.config_path.read_text(encoding="utf-8").replace(
            "[notify]\n", "[notify]\nstarttls = false\n")  # fmt: skip
        setup.config_path.write_text(relay, encoding="utf-8")
        sent = somed(setup, "notify")
        assert sent.returncode == 0, sent.stderr
        assert len(plain.received) == 2 and not plain.received[0].tls


def test_notify_without_smtp_host_is_a_config_error(fb_setup):
    setup = fb_setup([small_page(posts=2)], accounts=account())
    done = somed(setup, "notify")
    assert done.returncode == 2 and "smtp_host" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    prepare_archive(setup.config)
    dry = somed(setup, "notify", "--dry-run")  # printing needs no SMTP server
    assert dry.returncode == 0 and f"Till: {OWNER}" in dry.stdout, dry.stderr
