"""The admin's pages: users added and disabled through the web (audited in the admin's name,
a disabled user cannot sign in), the configuration shown without secrets, and no token or key
from the environment on any of the registrar's and admin's pages."""

from __future__ import annotations

import re

import pytest

from tests.web_registrar_support import browser, own_archive, post_form, rows
from tests.web_support import PASSWORD, SESSION_KEY, sign_in

pytestmark = pytest.mark.xdist_group("web-users")  # its own archive: a worker of its own
NEW_PASSWORD = "korrekt häst batteri 2026"  # noqa: S105 - a test password
PAGES = ("/queue", "/retention", "/holds", "/audit", "/audit.csv", "/users", "/settings")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with own_archive(tmp_path_factory.mktemp("web-users")) as (config, demos):
        yield config, demos


def test_an_admin_adds_a_local_user_who_can_then_sign_in(site) -> None:
    config, _ = site
    admin = browser(config, "admin")
    done = post_form(admin, "/users", "/users", {
        "name": "kerstin", "role": "registrar", "full_name": "Kerstin Kvist",
        "password": NEW_PASSWORD, "password2": NEW_PASSWORD})  # fmt: skip
    assert done.status_code == 303
    page = admin.get("/users").text
    assert "Användaren kerstin lades till som registrator." in page and "Kerstin Kvist" in page
    assert rows(config, "SELECT actor, details FROM audit_log WHERE action = 'user.add'"
                        " AND target = 'user:kerstin'")[0][0] == "web:admin"  # fmt: skip
    assert sign_in(browser(config, None), "kerstin", NEW_PASSWORD).status_code == 303


@pytest.mark.parametrize(
    ("form", "words"),
    [
        (
            {"name": "olle", "password": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"},
            "Lösenorden är inte lika",
        ),
        ({"name": "olle", "password": "kort", "password2": "kort"}, "för kort"),
        (
            {"name": "olle olsson", "password": NEW_PASSWORD, "password2": NEW_PASSWORD},
            "användarnamnet olle olsson går inte",
        ),
        ({"name": "reader", "password": NEW_PASSWORD, "password2": NEW_PASSWORD}, "finns redan"),
        (
            {
                "name": "olle",
                "role": "superuser",
                "password": NEW_PASSWORD,
                "password2": NEW_PASSWORD,
            },
            "rollen superuser finns inte",
        ),
    ],
)
def test_a_user_is_refused_as_the_cli_refuses_one(site, form, words) -> None:
    config, _ = site
    admin = browser(config, "admin")
    count = rows(config, "SELECT count(*) FROM users")
    post_form(admin, "/users", "/users", {"role": "reader", "full_name": "", **form})
    assert words in admin.get("/users").text
    assert rows(config, "SELECT count(*) FROM users") == count


def test_an_admin_disables_a_user_with_a_reason_and_they_cannot_sign_in(site) -> None:
    config, _ = site
    admin = browser(config, "admin")
    editor = browser(config, "editor")
    assert editor.get("/queue").status_code == 200
    post_form(admin, "/users", "/users/editor/disable", {"reason": ""})
    assert "Skriv varför editor stängs av" in admin.get("/users").text
    post_form(admin, "/users", "/users/editor/disable", {"reason": "Slutat på kommunen"})
    assert "Användaren editor är avstängd" in admin.get("/users").text
    assert rows(config, "SELECT actor, reason FROM audit_log WHERE action = 'user.disable'"
                        " AND target = 'user:editor'") == [("web:admin", "Slutat på kommunen")]  # fmt: skip
    assert editor.get("/queue").status_code == 303  # the open session ends
    assert sign_in(browser(config, None), "editor", PASSWORD).status_code == 401
    post_form(admin, "/users", "/users/admin/disable", {"reason": "test"})
    assert "Du kan inte stänga av dig själv." in admin.get("/users").text
    post_form(admin, "/users", "/users/nobody/disable", {"reason": "test"})
    assert "användaren nobody finns inte" in admin.get("/users").text


def test_users_and_settings_are_for_admins_only(site) -> None:
    config, _ = site
    registrar = browser(config, "registrar")
    for path in ("/users", "/settings"):
        assert registrar.get(path).status_code == 403
    forged = post_form(
        registrar,
        "/queue",
        "/users",
        {"name": "mallory", "role": "admin", "password": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert forged.status_code == 403
    assert rows(config, "SELECT count(*) FROM users WHERE name = 'mallory'") == [(0,)]
    assert "/settings" not in registrar.get("/").text


def test_settings_show_the_accounts_and_where_tokens_are_read_from(site) -> None:
    config, _ = site
    page = browser(config, "admin").get("/settings").text
    for account in config.accounts:
        assert account.key in page and f"${account.token_env}" in page
    assert "Anna Andersson" in page and "Erik Eriksson" in page
    assert "$SOMED_TEST_SESSION_KEY" in page and str(config.storage_dir) in page


def test_no_token_or_key_from_the_environment_is_on_any_page(site) -> None:
    config, demos = site
    secrets = {value for demo in demos for value in demo.tokens.values()} | {SESSION_KEY}
    assert len(secrets) > 3
    admin = browser(config, "admin")
    for language in ("sv", "en"):
        post_form(admin, "/", "/language", {"lang": language, "next": "/"})
        for path in PAGES:
            response = admin.get(path)
            assert response.status_code == 200, path
            for secret in secrets:
                assert secret not in response.text, f"{path} shows a secret"
            untranslated = re.findall(
                r"\b(?:web|flag|hold|registrar|retention)\.[a-z_.]+",
                response.text.replace("app.css", "").replace("app.js", ""),
            )
            assert not untranslated, f"{path} ({language}): {untranslated[:5]}"
    assert "Queue" in admin.get("/queue").text  # English now
