"""Status notes in plain words: stored English failure messages explained in Swedish and English."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import PAGE_ID, TOKEN, TOKEN_ENV

from connectors.base import ConnectorError
from connectors.facebook.client import classify, failure_from_envelope
from connectors.facebook.emulator import TokenInfo
from connectors.facebook.emulator_data import ALL_PERMISSIONS
from connectors.facebook.emulator_errors import GraphError, expired_message
from connectors.facebook.emulator_faults import THROTTLE_MESSAGES
from somed.cli import outcome_note
from somed.daemon import prepare_archive
from somed.display import LOCAL_TZ, local_time, render_table, token_place
from somed.i18n import Translator
from somed.reasons import explain, rejected_token
from somed.runner import Runner, RunOutcome
from somed.status import account_status, health_note

SV, EN = Translator("sv"), Translator("en")
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
# English connector wording that must never reach a Swedish note
ENGLISH = re.compile(
    r"\b(the token|token lacks|lacks a|Requires|requires|permission\b|rejected|renew|expired|"
    r"does not exist|throttling|passing fault|gave up|attempts|code \d)",
)


def graph_message(error: GraphError, *, stream: str = "", http_status: int | None = None) -> str:
    """The message somed stores for a Graph error, made by the connector's own `classify()`."""
    body = error.envelope("trace")
    failure = failure_from_envelope(body, http_status or error.status)
    exc: ConnectorError = classify(failure, stream=stream)
    return str(exc)


EXPIRED = graph_message(GraphError(400, expired_message(NOW), 190, subcode=463))
PASSWORD = graph_message(GraphError(400, "Error validating access token: password", 190, subcode=460))
UNUSED = graph_message(GraphError(400, "Error validating access token: unused", 190, subcode=493))
INVALID = graph_message(GraphError(400, "Invalid OAuth access token.", 190))
MESSAGING = graph_message(
    GraphError(403, "(#200) Requires pages_messaging permission to manage the object", 200),
    stream="messages",
)
ENGAGEMENT = graph_message(
    GraphError(
        403,
        "(#10) This endpoint requires the 'pages_read_engagement' permission or the "
        "'Page Public Content Access' feature.",
        10,
    ),
    stream="posts",
)
PERMISSION_PLAIN = graph_message(GraphError(403, "(#200) Permissions error", 200), stream="posts")
THROTTLED = graph_message(GraphError(400, THROTTLE_MESSAGES[4], 4, transient=True))
SERVER = graph_message(
    GraphError(503, "An unexpected error has occurred. Please retry your request later.", 2)
)
VERSION = graph_message(GraphError(400, "(#2635) You are calling a deprecated version", 2635))


def test_the_messages_under_test_are_the_connectors_real_shapes():
    assert EXPIRED.startswith("Facebook rejected the access token: the token has expired")
    assert "(code 190/463)" in EXPIRED
    assert MESSAGING.startswith("the token lacks a permission (code 200): (#200) Requires")
    assert THROTTLED.startswith("Facebook throttling (code 4)")
    assert SERVER.startswith("Facebook had a passing fault")


CASES: dict[str, tuple[str, str, str]] = {
    # name: (stored English message, Swedish reason, English reason)
    "expired": (
        EXPIRED,
        "Facebook avvisade åtkomsttoken: den har gått ut (kod 190/463)",
        "Facebook rejected the access token: it has expired (code 190/463)",
    ),
    "password changed": (
        PASSWORD,
        "Facebook avvisade åtkomsttoken: den blev ogiltig när lösenordet byttes (kod 190/460)",
        "Facebook rejected the access token: it was invalidated when the password changed "
        "(code 190/460)",
    ),
    "unused 90 days": (
        UNUSED,
        "Facebook avvisade åtkomsttoken: den har inte använts på 90 dagar (kod 190/493)",
        "Facebook rejected the access token: it was not used for 90 days (code 190/493)",
    ),
    "invalid": (
        INVALID,
        "Facebook avvisade åtkomsttoken: den är inte giltig (kod 190)",
        "Facebook rejected the access token: it is not valid (code 190)",
    ),
    "messenger permission": (
        MESSAGING,
        "token saknar behörigheten pages_messaging",
        "the token lacks the pages_messaging permission",
    ),
    "named permission, other wording": (
        ENGAGEMENT,
        "token saknar behörigheten pages_read_engagement",
        "the token lacks the pages_read_engagement permission",
    ),
    "permission by code": (
        PERMISSION_PLAIN,
        "token saknar en behörighet som krävs (kod 200)",
        "the token lacks a required permission (code 200)",
    ),
    "throttled, run ended": (
        f"{THROTTLED} (asked to wait 3600 s)",
        "Facebook begränsar anropen just nu; nästa körning fortsätter",
        "Facebook is limiting requests right now; the next run continues",
    ),
    "throttled, out of attempts": (
        f"{THROTTLED} (12 attempts)",
        "Facebook begränsar anropen just nu; nästa körning fortsätter",
        "Facebook is limiting requests right now; the next run continues",
    ),
    "page missing": (
        "page 999 does not exist or this token cannot see it (check the account's id, and that "
        "the token belongs to that page)",
        "sidan 999 finns inte eller syns inte med denna token (kontrollera kontots id och att "
        "token hör till den sidan)",
        "page 999 does not exist or this token cannot see it (check the account's id, and that "
        "the token belongs to that page)",
    ),
    "server errors": (
        f"{SERVER} (gave up after 12 attempts)",
        "Facebook svarade med tillfälliga fel även efter upprepade försök; nästa körning "
        "försöker igen",
        "Facebook kept answering with passing faults after repeated tries; the next run tries "
        "again",
    ),
    "api version": (
        VERSION,
        "Facebook godtar inte den inställda API-versionen (ändra api_version i konfigurationen)",
        "Facebook does not accept the configured API version (change api_version in the config)",
    ),
    "daemon stopping": (
        "the daemon was stopping",
        "körningen avbröts när demonen stoppades; nästa körning fortsätter där den slutade",
        "the run was cut short when the daemon stopped; the next run continues where it stopped",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_explain_gives_a_self_contained_reason_in_both_languages(case):
    message, swedish, english = CASES[case]
    assert explain(message, SV) == swedish
    assert explain(message, EN) == english
    assert not ENGLISH.search(swedish), swedish


def test_explain_splits_a_partial_runs_problems_by_stream():
    message = (
        f"messages: {MESSAGING}; re-read: Facebook answered HTTP 503 (gave up after 12 attempts)"
    )
    swedish = explain(message, SV)
    assert swedish == (
        "meddelanden (Messenger): token saknar behörigheten pages_messaging. "
        "Omläsning av senaste inläggen: Facebook svarade med tillfälliga fel även efter "
        "upprepade försök; nästa körning försöker igen"
    )
    assert not ENGLISH.search(swedish)
    assert explain(message, EN).startswith(
        "messages (Messenger): the token lacks the pages_messaging permission. Re-reading"
    )


def test_an_unknown_message_is_a_generic_sentence_with_the_english_detail():
    message = "paging loop on 1/published_posts: the cursor did not advance"
    assert explain(message, SV) == f"oväntat fel (på engelska: {message})"
    assert explain(message, EN) == f"unexpected problem ({message})"
    assert explain("internal error: KeyError: 'x'", SV) == (
        "internt fel i somed, se loggen (på engelska: KeyError: 'x')"
    )


def test_no_message_means_no_reason():
    assert explain(None, SV) == explain("", EN) == explain("  ", SV) == ""
    assert rejected_token(None, SV) == "Facebook avvisade åtkomsttoken: den är inte giltig"


def row(health: str | None, message: str | None, streams: list[dict[str, Any]] | None = None):
    return {
        "key": "mora-fb",
        "health": {"status": health, "message": message, "since": None},
        "streams": streams or [],
        "token_source": "$SOMED_MORA_TOKEN",
    }


def test_health_note_for_an_expired_token_is_swedish_through_and_through():
    swedish = health_note(SV, row("auth_failed", EXPIRED))
    assert swedish == (
        "Facebook avvisade åtkomsttoken: den har gått ut (kod 190/463). Förnya token och lägg in "
        "den i $SOMED_MORA_TOKEN; nästa körning fortsätter där arkivet slutade."
    )
    assert not ENGLISH.search(swedish)
    english = health_note(EN, row("auth_failed", EXPIRED))
    assert english.startswith("Facebook rejected the access token: it has expired (code 190/463).")
    assert "Renew the token and put it in $SOMED_MORA_TOKEN" in english


def test_health_note_for_a_denied_stream_and_a_failing_run():
    denied = [{"stream": "messages", "status": "permission_denied", "message": MESSAGING}]
    swedish = health_note(SV, row("ok", None, denied))
    assert swedish == (
        "Behörighet saknas för meddelanden (Messenger): token saknar behörigheten pages_messaging."
    )
    assert health_note(EN, row("ok", None, denied)) == (
        "No permission for messages (Messenger): the token lacks the pages_messaging permission."
    )
    failing = health_note(SV, row("failing", f"{THROTTLED} (asked to wait 3600 s)"))
    assert failing == (
        "Senaste körningen misslyckades: Facebook begränsar anropen just nu; nästa körning "
        "fortsätter."
    )
    assert health_note(SV, row("ok", None)) == ""
    assert health_note(SV, row(None, None)) == "Inte arkiverat ännu."


def test_display_helpers_are_the_one_place_for_local_time_and_token_place():
    assert str(LOCAL_TZ) == "Europe/Stockholm"
    assert local_time("2024-07-01T10:00:00Z") == "2024-07-01 12:00"  # summer time
    assert local_time("2024-01-15T10:00:00+0000") == "2024-01-15 11:00"  # Graph's offset form
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
    assert "999000999 does not exist" in (outcomes["gone-fb"].message or "")
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


def outcome(status: str, message: str | None, streams: dict[str, str] | None = None) -> RunOutcome:
    return RunOutcome("mora-fb", "facebook", status, message=message, streams=streams or {})


def test_the_archive_tables_note_is_in_the_readers_language():
    config: Any = OneAccountConfig()
    swedish = outcome_note(config, SV, outcome("auth_failed", EXPIRED))
    assert swedish.startswith("Facebook avvisade åtkomsttoken: den har gått ut (kod 190/463).")
    assert "$SOMED_MORA_TOKEN" in swedish and not ENGLISH.search(swedish)
    english = outcome_note(config, EN, outcome("auth_failed", EXPIRED))
    assert "Renew the token and put it in $SOMED_MORA_TOKEN" in english

    skipped = outcome("ok", None, {"profile": "ok", "posts": "ok", "messages": "permission_denied"})
    assert outcome_note(config, SV, skipped) == "Behörighet saknas för meddelanden (Messenger)"
    denied_posts = outcome(
        "partial", f"posts: {ENGAGEMENT}", {"profile": "ok", "posts": "permission_denied"}
    )
    assert outcome_note(config, SV, denied_posts) == (
        "inlägg och kommentarer: token saknar behörigheten pages_read_engagement"
    )  # named once, with its reason
    throttled = outcome_note(config, SV, outcome("rate_limited", f"{THROTTLED} (12 attempts)"))
    assert throttled == "Facebook begränsar anropen just nu; nästa körning fortsätter"
    assert outcome_note(config, SV, outcome("busy", "another process is archiving")) == SV("note.busy")
