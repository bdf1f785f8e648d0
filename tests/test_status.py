"""Reasons in plain words: errors carry codes, notes are rendered from them in Swedish and English."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import PAGE_ID, TOKEN, TOKEN_ENV

from connectors.base import (
    AuthError,
    ConnectorError,
    FatalError,
    PermissionDenied,
    RateLimited,
    TransientError,
)
from connectors.facebook.client import classify, failure_from_envelope
from connectors.facebook.emulator import TokenInfo
from connectors.facebook.emulator.data import ALL_PERMISSIONS
from connectors.facebook.emulator.errors import GraphError, expired_message
from connectors.facebook.emulator.faults import THROTTLE_MESSAGES
from somed.daemon import prepare_archive
from somed.display import LOCAL_TZ, local_time, render_table, token_place
from somed.i18n import Translator
from somed.reasons import render
from somed.runner import Runner, RunOutcome
from somed.status import account_status, health_note
from somed.summary import outcome_note

ROOT = Path(__file__).resolve().parent.parent
SV, EN = Translator("sv"), Translator("en")
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
# English connector wording that must never reach a Swedish note
ENGLISH = re.compile(
    r"\b(the token|token lacks|lacks a|Requires|requires|permission\b|rejected|renew|expired|"
    r"does not exist|throttling|passing fault|gave up|attempts|asked to wait|code \d|Error)",
)


def graph_error(error: GraphError, *, stream: str = "") -> ConnectorError:
    """The typed error the connector's own `classify()` makes of a Graph error envelope."""
    return classify(failure_from_envelope(error.envelope("trace"), error.status), stream=stream)


MESSAGING = GraphError(403, "(#200) Requires pages_messaging permission to manage the object", 200)
ENGAGEMENT = GraphError(
    403,
    "(#10) This endpoint requires the 'pages_read_engagement' permission or the "
    "'Page Public Content Access' feature.",
    10,
)
# Graph error -> (typed error class, reason code, params)
GRAPH_ERRORS: dict[str, tuple[GraphError, type[ConnectorError], str, dict[str, Any]]] = {
    "expired": (
        GraphError(400, expired_message(NOW), 190, subcode=463),
        AuthError,
        "auth.token_expired",
        {"code": 190, "subcode": 463},
    ),
    "password": (
        GraphError(400, "Error validating access token: password", 190, subcode=460),
        AuthError,
        "auth.password_changed",
        {"code": 190, "subcode": 460},
    ),
    "invalid": (
        GraphError(400, "Invalid OAuth access token.", 190),
        AuthError,
        "auth.invalid",
        {"code": 190},
    ),
    "messaging": (
        MESSAGING,
        PermissionDenied,
        "permission.missing",
        {"code": 200, "permission": "pages_messaging"},
    ),
    "engagement": (
        ENGAGEMENT,
        PermissionDenied,
        "permission.missing",
        {"code": 10, "permission": "pages_read_engagement"},
    ),
    "unnamed permission": (
        GraphError(403, "(#200) Permissions error", 200),
        PermissionDenied,
        "permission.denied",
        {"code": 200},
    ),
    "throttled": (
        GraphError(400, THROTTLE_MESSAGES[4], 4, transient=True),
        RateLimited,
        "rate.limited",
        {"code": 4},
    ),
    "server": (
        GraphError(503, "An unexpected error has occurred. Please retry your request later.", 2),
        TransientError,
        "transient.platform",
        {"code": 2, "status": 503},
    ),
    "api version": (
        GraphError(400, "(#2635) You are calling a deprecated version", 2635),
        FatalError,
        "facebook.api_version",
        {"code": 2635},
    ),
}


@pytest.mark.parametrize("case", sorted(GRAPH_ERRORS))
def test_classify_gives_each_graph_error_a_reason_code_and_params(case):
    error, kind, code, params = GRAPH_ERRORS[case]
    exc = graph_error(error, stream="messages")
    assert isinstance(exc, kind)
    assert (exc.reason, exc.params) == (code, params)


# (code, params) -> (Swedish, English)
REASONS: dict[str, tuple[str, dict[str, Any], str, str]] = {
    "expired": (
        "auth.token_expired",
        {"code": 190, "subcode": 463},
        "Facebook avvisade åtkomsttoken: den har gått ut",
        "Facebook rejected the access token: it has expired",
    ),
    "permission": (
        "permission.missing",
        {"permission": "pages_messaging"},
        "token saknar behörigheten pages_messaging",
        "the token lacks the pages_messaging permission",
    ),
    "page missing": (
        "facebook.page_missing",
        {"page": "999"},
        "sidan 999 finns inte eller syns inte med denna token (kontrollera kontots id och att "
        "token hör till den sidan)",
        "page 999 does not exist or this token cannot see it (check the account's id, and that "
        "the token belongs to that page)",
    ),
    "gave up": (
        "run.gave_up",
        {"count": 12, "cause": "transient.platform", "cause_params": {"status": 503}},
        "Facebook svarade med ett tillfälligt fel, även efter 12 försök; nästa körning försöker "
        "igen",
        "Facebook answered with a passing fault, even after 12 tries; the next run tries again",
    ),
    "long wait": (
        "run.rate_limited_wait",
        {"seconds": 3600, "cause": "rate.limited"},
        "Facebook bad om en paus på 3600 s, längre än en körning får vänta; nästa körning "
        "fortsätter",
        "Facebook asked for a pause of 3600 s, longer than a run may wait; the next run continues",
    ),
    "interrupted": (
        "run.interrupted",
        {},
        "körningen avbröts när demonen stoppades; nästa körning fortsätter där den slutade",
        "the run was cut short when the daemon stopped; the next run continues where it stopped",
    ),
}


@pytest.mark.parametrize("case", sorted(REASONS))
def test_a_reason_reads_as_a_sentence_in_both_languages(case):
    code, params, swedish, english = REASONS[case]
    assert render(SV, code, params, platform="facebook") == swedish
    assert render(EN, code, params, platform="facebook") == english
    assert not ENGLISH.search(swedish)


def test_a_partial_run_names_each_stream_with_its_reason():
    params = {
        "parts": [
            {"stream": "messages", "reason": "permission.missing",
             "params": {"permission": "pages_messaging"}},
            {"stream": "sweep", "reason": "run.gave_up",
             "params": {"count": 1, "cause": "net.timeout"}},
        ]
    }  # fmt: skip
    assert render(SV, "run.partial", params, platform="facebook") == (
        "meddelanden: token saknar behörigheten pages_messaging. Omläsning av senaste inläggen: "
        "Facebook svarade inte i tid, även efter 1 försök; nästa körning försöker igen"
    )
    assert render(EN, "run.partial", params, platform="facebook").endswith(
        "Facebook did not answer in time, even after 1 try; the next run tries again"
    )


def test_an_unknown_code_falls_back_to_its_family_then_to_the_english_detail():
    assert render(SV, "auth.some_new_subcode", {}, platform="facebook") == (
        "Facebook avvisade åtkomsttoken"
    )
    assert render(SV, "nosuchfamily.unheard_of", {}, detail="Boom (code 7)") == (
        "oväntat fel (på engelska: Boom (code 7))"
    )
    assert render(EN, None, None) == render(SV, "", {}, detail="  ") == ""


def row(health: str | None, reason: str | None = None, params: dict[str, Any] | None = None,
        streams: list[dict[str, Any]] | None = None) -> dict[str, Any]:  # fmt: skip
    return {
        "key": "mora-fb",
        "platform": "facebook",
        "health": {"status": health, "message": "English detail", "since": None,
                   "reason": reason, "reason_params": params or {}},
        "streams": streams or [],
        "token_source": "$SOMED_MORA_TOKEN",
    }  # fmt: skip


def test_health_note_for_an_expired_token_is_swedish_through_and_through():
    swedish = health_note(SV, row("auth_failed", "auth.token_expired"))
    assert swedish == (
        "Facebook avvisade åtkomsttoken: den har gått ut. Förnya token och lägg in den i "
        "$SOMED_MORA_TOKEN, kör sedan 'systemctl restart somed' (tjänsten läser token bara när "
        "den startar); nästa körning fortsätter där arkivet slutade."
    )
    assert not ENGLISH.search(swedish)
    english = health_note(EN, row("auth_failed", "auth.token_expired"))
    assert english.startswith("Facebook rejected the access token: it has expired.")
    assert "Renew the token and put it in $SOMED_MORA_TOKEN" in english
    assert health_note(SV, row("auth_failed")).startswith(  # nothing stored: still a sentence
        "Facebook avvisade åtkomsttoken: den är inte giltig."
    )
    assert "systemctl restart somed" in english  # LoadCredential copies tokens only at start


def test_health_note_for_a_denied_stream_and_a_throttled_run():
    denied = [{"stream": "messages", "status": "permission_denied", "message": "x",
               "reason": "permission.missing", "reason_params": {"permission": "pages_messaging"}}]  # fmt: skip
    assert health_note(SV, row("ok", streams=denied)) == (
        "Behörighet saknas för meddelanden: token saknar behörigheten pages_messaging."
    )
    assert health_note(EN, row("ok", streams=denied)) == (
        "No permission for messages: the token lacks the pages_messaging permission."
    )
    failing = health_note(SV, row("failing", "run.rate_limited_wait", {"seconds": 3600}))
    assert failing == (
        "Senaste körningen misslyckades: Facebook bad om en paus på 3600 s, längre än en körning "
        "får vänta; nästa körning fortsätter."
    )
    assert health_note(SV, row("ok")) == ""
    assert health_note(SV, row(None)) == "Inte arkiverat ännu."


def test_display_helpers_are_the_one_place_for_local_time_and_token_place():
    assert str(LOCAL_TZ) == "Europe/Stockholm"
    assert local_time("2024-07-01T10:00:00Z") == "2024-07-01 12:00 CEST"  # summer time
    assert local_time("2024-01-15T10:00:00+0000") == "2024-01-15 11:00 CET"  # Graph's offset form
    assert local_time(None) == local_time("") == "-"

    class Account:
        def __init__(self, env: str | None, file: Path | None) -> None:
            self.token_env, self.token_file = env, file

    assert token_place(Account("SOMED_X", None)) == "$SOMED_X"
    assert token_place(Account(None, Path("/run/credentials/somed.service/x"))) == (
        "/run/credentials/somed.service/x"
    )
    table = render_table(["A", "Note"], [["long-key", "x"], ["k", None]]).splitlines()
    assert table[0] == "A         Note" and table[2] == "long-key  x" and table[3] == "k"


def test_status_explains_a_missing_page_and_a_missing_messenger_permission(fb_setup):
    tokens = {
        TOKEN: TokenInfo(page_ids=(PAGE_ID,), permissions=ALL_PERMISSIONS - {"pages_messaging"})
    }
    setup = fb_setup(
        accounts=[
            {"key": "test-fb", "id": PAGE_ID, "token_env": TOKEN_ENV},
            {"key": "gone-fb", "id": "999000999", "token_env": TOKEN_ENV},
        ],
        tokens=tokens,
    )
    prepare_archive(setup.config)
    outcomes = {o.account: o for o in Runner(setup.config).run_accounts(["test-fb", "gone-fb"])}
    assert outcomes["gone-fb"].status == "failed"
    assert outcomes["gone-fb"].reason == "facebook.page_missing"
    rows = {r["key"]: r for r in json.loads(json.dumps(account_status(setup.config), default=str))}
    swedish = health_note(SV, rows["gone-fb"])
    assert swedish.startswith(
        "Senaste körningen misslyckades: sidan 999000999 finns inte eller syns inte med denna token"
    )
    assert not ENGLISH.search(swedish), swedish
    messenger = health_note(SV, rows["test-fb"])
    assert "token saknar behörigheten pages_messaging" in messenger
    assert not ENGLISH.search(messenger), messenger


class OneAccountConfig:
    """Just what `outcome_note` asks of a config: the account, for where its token is read."""

    class Account:
        token_env, token_file = "SOMED_MORA_TOKEN", None

    def account(self, key: str) -> Account:
        return self.Account()


def outcome(status: str, reason: str | None, params: dict[str, Any] | None = None,
            streams: dict[str, str] | None = None) -> RunOutcome:  # fmt: skip
    return RunOutcome("mora-fb", "facebook", status, message="English detail" if reason else None,
                      streams=streams or {}, reason=reason, reason_params=params or {})  # fmt: skip


def test_the_archive_tables_note_is_in_the_readers_language():
    config: Any = OneAccountConfig()
    swedish = outcome_note(config, SV, outcome("auth_failed", "auth.token_expired"))
    assert swedish.startswith("Facebook avvisade åtkomsttoken: den har gått ut.")
    assert "$SOMED_MORA_TOKEN" in swedish and not ENGLISH.search(swedish)
    english = outcome_note(config, EN, outcome("auth_failed", "auth.token_expired"))
    assert "Renew the token and put it in $SOMED_MORA_TOKEN" in english

    skipped = outcome(
        "ok", None, streams={"profile": "ok", "posts": "ok", "messages": "permission_denied"}
    )
    assert outcome_note(config, SV, skipped) == "Behörighet saknas för meddelanden"
    parts = [{"stream": "posts", "reason": "permission.missing",
              "params": {"permission": "pages_read_engagement"}}]  # fmt: skip
    denied_posts = outcome(
        "partial", "run.partial", {"parts": parts}, {"profile": "ok", "posts": "permission_denied"}
    )
    assert outcome_note(config, SV, denied_posts) == (
        "inlägg och kommentarer: token saknar behörigheten pages_read_engagement"
    )  # named once, with its reason
    throttled = outcome_note(
        config, SV, outcome("rate_limited", "run.rate_limited_attempts", {"count": 12})
    )
    assert throttled == "Facebook begränsade anropen även efter 12 försök; nästa körning fortsätter"
    assert outcome_note(config, SV, outcome("busy", "run.busy")) == SV("note.busy")


def somed(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "somed", *args], env=env, capture_output=True,
                          text=True, timeout=120, cwd=ROOT)  # fmt: skip


def note_of(output: str) -> str:
    """The note lines of a table or status output (every line naming the account)."""
    return "\n".join(line for line in output.splitlines() if "test-fb" in line)


def test_archive_and_status_tell_a_missing_permission_a_throttled_run_and_an_expired_token_in_swedish(
    fb_setup,
):
    tokens = {
        TOKEN: TokenInfo(page_ids=(PAGE_ID,), permissions=ALL_PERMISSIONS - {"pages_messaging"})
    }
    setup = fb_setup(tokens=tokens, runner="max_wait_seconds = 60")
    env = {**setup.env, "SOMED_LANG": "sv"}
    expected = {
        "permission": ("Behörighet saknas för meddelanden", "token saknar behörigheten "
                       "pages_messaging"),
        "throttled": ("strypt av plattformen", "Facebook bad om en paus på 300 s, längre än en "
                      "körning får vänta"),
        "expired": ("token avvisad", "Facebook avvisade åtkomsttoken: den har gått ut"),
    }  # fmt: skip
    for case, (archive_words, reason) in expected.items():
        if case == "throttled":
            setup.emulator.fail_next(1, "throttle", code=80001, regain=5)  # 5 minutes
        if case == "expired":
            setup.emulator.expire_token(TOKEN)
        archived = somed("archive", env=env)
        assert archived.returncode == (0 if case == "permission" else 1), archived.stderr
        assert archive_words in archived.stdout and reason in archived.stdout, archived.stdout
        status = somed("status", env=env)
        assert reason in note_of(status.stdout), status.stdout
        for output in (archived.stdout, status.stdout):
            assert not ENGLISH.search(output), (case, output)


@pytest.mark.parametrize("case", sorted(GRAPH_ERRORS))
def test_reason_params_never_carry_the_platforms_message_where_a_token_may_hide(case):
    error, _, _, _ = GRAPH_ERRORS[case]
    echoed = GraphError(error.status, f"{error.message} (token {TOKEN} given)", error.code,
                        subcode=error.subcode, transient=error.transient)  # fmt: skip
    exc = graph_error(echoed, stream="posts")
    assert TOKEN not in json.dumps(exc.params)
    for t in (SV, EN):
        assert TOKEN not in render(t, exc.reason, exc.params, platform="facebook")


def test_status_says_whether_the_service_is_running(fb_setup):
    from somed.run_requests import DaemonLock

    setup = fb_setup()
    env = {**setup.env, "SOMED_LANG": "sv"}
    assert "Tjänsten körs inte" in somed("status", env=env).stdout
    lock = DaemonLock(setup.config.storage_dir)  # what `somed run` holds while it serves
    assert lock.acquire()
    try:
        shown = somed("status", env=env).stdout
        assert "Tjänsten körs (somed run)" in shown, shown
    finally:
        lock.release()
