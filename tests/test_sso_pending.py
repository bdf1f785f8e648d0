"""`storage.sso_pending`: sign-ins under way taken once, bound to a browser, lapsing, bounded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage import sso_pending
from storage.db import connect

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
LIFETIME = timedelta(minutes=10)


@pytest.fixture
def db(tmp_path):
    made = connect(tmp_path / "somed.db")
    yield made
    made.close()


def put(db, key: str, bind: str = "b1", now: datetime = NOW, limit: int = 100) -> None:
    sso_pending.put(db, "saml", key, bind, {"next": f"/{key}"}, now=now, lifetime=LIFETIME,
                    limit=limit)  # fmt: skip


def test_taken_once_by_its_own_browser_only(db) -> None:
    put(db, "id-1")
    assert sso_pending.take(db, "saml", "id-1", "another browser", now=NOW) is None
    assert sso_pending.take(db, "oidc", "id-1", "b1", now=NOW) is None  # the other provider's
    assert sso_pending.of_browser(db, "saml", "b1", now=NOW) == {"id-1": {"next": "/id-1"}}
    assert sso_pending.take(db, "saml", "id-1", "b1", now=NOW) == {"next": "/id-1"}
    assert sso_pending.take(db, "saml", "id-1", "b1", now=NOW) is None
    assert sso_pending.of_browser(db, "saml", "b1", now=NOW) == {}


def test_only_the_binding_value_s_digest_is_stored(db) -> None:
    put(db, "id-1", bind="the-cookie-value")
    (stored,) = db.execute("SELECT bind_sha256 FROM sso_pending").fetchone()
    assert stored == sso_pending.bind_digest("the-cookie-value") != "the-cookie-value"


def test_a_sign_in_lapses_after_its_lifetime(db) -> None:
    put(db, "id-1")
    later = NOW + LIFETIME + timedelta(seconds=1)
    assert sso_pending.of_browser(db, "saml", "b1", now=later) == {}
    assert sso_pending.take(db, "saml", "id-1", "b1", now=later) is None
    put(db, "id-2", now=later)  # every write removes what lapsed
    keys = [r[0] for r in db.execute("SELECT key FROM sso_pending")]
    assert keys == ["id-2"]


def test_the_table_keeps_at_most_limit_per_provider_the_newest(db) -> None:
    for n in range(8):
        put(db, f"id-{n}", now=NOW + timedelta(seconds=n), limit=5)
    sso_pending.put(db, "oidc", "state", "b1", {}, now=NOW, lifetime=LIFETIME, limit=5)
    keys = sorted(r[0] for r in db.execute("SELECT key FROM sso_pending WHERE provider = 'saml'"))
    assert keys == ["id-3", "id-4", "id-5", "id-6", "id-7"]
    assert db.execute("SELECT count(*) FROM sso_pending WHERE provider = 'oidc'").fetchone() == (1,)
