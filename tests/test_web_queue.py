"""The queue page: registering with a registry number (one item and many), dismissing a flag
with a reason, marking an individual case; an editor works only their own accounts' flags and
sees no private messages; readers cannot reach it; every change is audited in the web user's
name, as the CLI's verbs audit theirs; a POST without its CSRF token changes nothing."""

from __future__ import annotations

import pytest

from somed.item_ref import format_item
from storage.flags import open_flag, resolve_flag
from tests.public_pages_support import NOW
from tests.web_registrar_support import browser, own_archive, post_form, rows, write

pytestmark = pytest.mark.xdist_group("web-queue")  # its own archive: a worker of its own


def comments(config, account: str, count: int) -> list[tuple[str, str]]:
    """(platform, id) of some incoming comments of `account`, oldest first."""
    return [(p, i) for p, i in rows(config, "SELECT platform, id FROM items WHERE account = ?"
                                    " AND kind = 'comment' AND direction = 'incoming'"
                                    " ORDER BY created_at, id LIMIT ?", [account, count])]  # fmt: skip


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The demo archive with moderation flags on two accounts' comments and an account flag."""
    with own_archive(tmp_path_factory.mktemp("web-queue")) as (config, _):
        mine = comments(config, "mora-fb", 4)  # the editor's account
        theirs = comments(config, "fritidsgarden-fb", 1)  # not the editor's

        def flag(db):
            ids = {}
            for n, item in enumerate(mine + theirs):
                account = "fritidsgarden-fb" if item in theirs else "mora-fb"
                ids[item] = open_flag(db, account, "hate" if n % 2 else "threat",
                                      reason="moderation.hate", item=item, now=NOW)  # fmt: skip
            ids["inactive"] = open_flag(db, "fritidsgarden-fb", "inactive",
                                        reason="monitor.inactive", now=NOW)  # fmt: skip
            return ids

        flags = write(config, flag)
        yield {"config": config, "mine": mine, "theirs": theirs[0], "flags": flags}


def audit_of(config, action: str, target: str) -> list[tuple]:
    return rows(config, "SELECT actor, reason, details FROM audit_log WHERE action = ?"
                        " AND target = ?", [action, target])  # fmt: skip


def test_registrar_registers_a_flagged_item_with_a_registry_number(site) -> None:
    config, item = site["config"], format_item(*site["mine"][0])
    registrar = browser(config, "registrar")
    page = registrar.get("/queue")
    assert page.status_code == 200 and item in page.text
    done = post_form(registrar, "/queue", "/queue/register",
                     {"item": item, "number": " KS 2026/77 "})  # fmt: skip
    assert done.status_code == 303 and done.headers["location"] == "/queue"
    after = registrar.get("/queue")
    assert f"{item} registrerad med diarienummer KS 2026/77" in after.text
    assert f'value="{item}"' not in after.text  # it left the queue
    assert rows(config, "SELECT number, registered_by FROM registrations WHERE item_id = ?",
                [site["mine"][0][1]]) == [("KS 2026/77", "web:registrar")]  # fmt: skip
    [(actor, _, details)] = audit_of(config, "registered", item)
    assert actor == "web:registrar" and "KS 2026/77" in details
    again = registrar.get("/queue").text
    assert "registrerad med" not in again  # the notice is shown once
    recent = again[again.index("Senast registrerade") :]
    assert item in recent and "KS 2026/77" in recent and "web:registrar" in recent


def test_bulk_register_gives_each_chosen_item_the_number(site) -> None:
    config = site["config"]
    message = rows(config, "SELECT platform, id FROM items WHERE kind = 'message'"
                           " AND direction = 'incoming' ORDER BY id LIMIT 1")[0]  # fmt: skip
    chosen = [format_item(*site["mine"][1]), format_item(*message)]
    registrar = browser(config, "registrar")
    assert chosen[1] in registrar.get("/queue").text  # registrars see the private messages
    post_form(registrar, "/queue", "/queue/register", {"item": chosen, "number": "KS 2026/80"})
    after = registrar.get("/queue").text
    for item in chosen:
        assert f"{item} registrerad med diarienummer KS 2026/80" in after
        assert audit_of(config, "registered", item)[0][0] == "web:registrar"
    blank = post_form(registrar, "/queue", "/queue/register",
                      {"item": format_item(*site["mine"][2]), "number": "  "})  # fmt: skip
    assert blank.status_code == 303
    assert "Skriv diarienumret" in registrar.get("/queue").text
    assert not audit_of(config, "registered", format_item(*site["mine"][2]))


def test_editor_dismisses_a_flag_of_their_account_with_a_reason(site) -> None:
    config = site["config"]
    flag_id = site["flags"][site["mine"][3]]
    editor = browser(config, "editor")
    post_form(editor, "/queue", "/queue/dismiss", {"flag": str(flag_id), "reason": ""})
    assert "Skriv en motivering" in editor.get("/queue").text
    assert rows(config, "SELECT resolution FROM flags WHERE id = ?", [flag_id]) == [(None,)]
    post_form(editor, "/queue", "/queue/dismiss", {"flag": str(flag_id), "reason": "Ironi"})
    assert f"Flagga {flag_id} markerad som fel" in editor.get("/queue").text
    assert rows(config, "SELECT resolution, dismissed_by, resolution_reason FROM flags"
                        " WHERE id = ?", [flag_id]) == [("dismissed", "web:editor", "Ironi")]  # fmt: skip
    [(actor, reason, _)] = audit_of(config, "flag_dismissed", format_item(*site["mine"][3]))
    assert (actor, reason) == ("web:editor", "Ironi")
    post_form(editor, "/queue", "/queue/dismiss", {"flag": str(flag_id), "reason": "igen"})
    assert "redan markerad som fel" in editor.get("/queue").text


def test_editor_is_limited_to_the_accounts_they_are_editor_or_substitute_of(site) -> None:
    config = site["config"]
    theirs, flag_id = site["theirs"], site["flags"][site["theirs"]]
    editor = browser(config, "editor")
    page = editor.get("/queue").text
    assert format_item(*theirs) not in page and "fritidsgarden-fb" not in page
    assert format_item(*site["mine"][2]) in page
    assert "/queue/register" not in page
    assert "privat meddelande" not in page  # no private message is listed for an editor
    assert "privat meddelande" in browser(config, "registrar").get("/queue").text
    refused = post_form(editor, "/queue", "/queue/dismiss", {"flag": str(flag_id), "reason": "x"})
    assert refused.status_code == 403
    inactive = post_form(editor, "/queue", "/queue/dismiss",
                         {"flag": str(site["flags"]["inactive"]), "reason": "x"})  # fmt: skip
    assert inactive.status_code == 403
    case = post_form(editor, "/queue", "/queue/case", {"ref": format_item(*theirs), "reason": "x"})
    assert case.status_code == 403
    register = post_form(editor, "/queue", "/queue/register",
                         {"item": format_item(*site["mine"][2]), "number": "KS 1"})  # fmt: skip
    assert register.status_code == 403  # registering is the registrar's
    assert rows(config, "SELECT resolution FROM flags WHERE id = ?", [flag_id]) == [(None,)]
    assert not rows(config, "SELECT 1 FROM audit_log WHERE actor = 'web:editor'"
                            " AND target LIKE '%' || ? || '%'", [theirs[1]])  # fmt: skip
    # a registrar may work every account
    registrar = browser(config, "registrar")
    assert format_item(*theirs) in registrar.get("/queue").text
    post_form(registrar, "/queue", "/queue/dismiss", {"flag": str(flag_id), "reason": "Fel"})
    assert rows(config, "SELECT dismissed_by FROM flags WHERE id = ?", [flag_id]) == [
        ("web:registrar",)
    ]


def test_marking_an_individual_case_puts_the_item_in_the_queue(site) -> None:
    config = site["config"]
    post = rows(config, "SELECT platform, id FROM items WHERE account = 'mora-fb'"
                        " AND kind = 'post' ORDER BY id LIMIT 1")[0]  # fmt: skip
    item = format_item(*post)
    editor = browser(config, "editor")
    assert f'value="{item}"' not in editor.get("/queue").text
    post_form(editor, "/queue", "/queue/case", {"ref": item, "reason": "Bygglov Storgatan 4"})
    page = editor.get("/queue").text
    assert "markerad som enskilt ärende" in page and f'value="{item}"' in page
    [(actor, reason, _)] = audit_of(config, "individual_case_marked", item)
    assert (actor, reason) == ("web:editor", "Bygglov Storgatan 4")
    post_form(editor, "/queue", "/queue/case", {"ref": "inte-en-referens", "reason": "x"})
    assert "PLATTFORM:ID" in editor.get("/queue").text
    post_form(editor, "/queue", "/queue/case", {"ref": "facebook:finns-inte", "reason": "x"})
    assert "facebook:finns-inte finns inte i arkivet" in editor.get("/queue").text


def test_an_item_stays_in_the_queue_when_its_flag_is_resolved(site) -> None:
    config = site["config"]
    item = site["mine"][2]
    write(
        config, lambda db: resolve_flag(db, "mora-fb", "threat", item=item, now=NOW)
    )  # e.g. removed on the platform: still to register
    assert rows(config, "SELECT resolution FROM flags WHERE item_id = ?", [item[1]]) == [
        ("resolved",)
    ]
    assert f'value="{format_item(*item)}"' in browser(config, "registrar").get("/queue").text


def test_readers_cannot_reach_the_queue_and_a_post_needs_its_csrf_token(site) -> None:
    config = site["config"]
    reader = browser(config, "reader")
    assert reader.get("/queue").status_code == 403
    assert "/queue" not in reader.get("/").text  # not in the menu either
    registrar = browser(config, "registrar")
    item = format_item(*site["mine"][2])
    forged = registrar.post("/queue/register", data={"item": item, "number": "KS 9"})
    assert forged.status_code == 403
    assert not audit_of(config, "registered", item)
