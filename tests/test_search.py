"""`somed search`: Swedish words (å, ä, ö kept), prefixes, filters, and no query breaks it."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils

from storage.db import connect
from storage.migrations import MIGRATIONS
from storage.search import search
from storage.writer import ArchiveWriter
from tests.conftest import write_config
from tests.test_storage import comment, post

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TEXTS = {
    "1": "Skolan på Storgatan stänger i sommar",
    "2": "När öppnar skolans matsal igen?",
    "3": "Budgeten för år 2027 är klar",
    "4": "Tomten är tio ar stor",
    "5": "Vi skolar om personalen",
}


def records(account: str = "mora-fb") -> list:
    own = [post("1", TEXTS["1"], account=account), post("3", TEXTS["3"], account=account)]
    incoming = [comment(i, "1", TEXTS[i], account=account) for i in ("2", "4", "5")]
    return own + incoming


@pytest.fixture
def db(tmp_path: Path):
    database = connect(tmp_path / "archive" / "somed.db")
    ArchiveWriter(database, lambda: T0).write_batch("mora-fb", records())
    yield database
    database.close()


def ids(hits: list[dict]) -> list[str]:
    return sorted(h["item_id"] for h in hits)


def test_prefix_queries_find_inflected_words(db) -> None:
    assert ids(search(db, "skol*")) == ["1", "2", "5"]
    assert ids(search(db, "skolan")) == ["1"]
    assert ids(search(db, "SKOLANS matsal")) == ["2"]  # every word, any case
    assert ids(search(db, '"skolans matsal"')) == ["2"]
    assert ids(search(db, '"matsal skolans"')) == []


def test_a_o_and_å_ä_ö_are_different_letters(db) -> None:
    assert ids(search(db, "år")) == ["3"]
    assert ids(search(db, "ar")) == ["4"]
    assert ids(search(db, "När")) == ["2"] and ids(search(db, "nar")) == []
    (hit,) = search(db, "stänger")
    assert hit["snippet"].count("[stänger]") == 1 and hit["account"] == "mora-fb"


def test_the_index_follows_edits_and_removed_text(db) -> None:
    writer = ArchiveWriter(db, lambda: T0 + timedelta(hours=1))
    writer.write_batch("mora-fb", [post("3", "Budgeten för nästa år är klar")])
    assert ids(search(db, "2027")) == [] and ids(search(db, "nästa")) == ["3"]
    db.execute("UPDATE items SET text = NULL WHERE id = '1'")  # as a disposal clears content
    db.execute("UPDATE items SET last_seen_at = 'x' WHERE id = '2'")  # not the text: untouched
    db.conn.commit()
    assert ids(search(db, "skol*")) == ["2", "5"]
    db.execute("INSERT INTO items_fts (items_fts, rank) VALUES ('integrity-check', 1)")


def test_an_archive_indexed_before_the_swedish_index_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "somed.db"
    old = sqlite_utils.Database(path)
    MIGRATIONS.apply(old, stop_before="m022_search_swedish")
    ArchiveWriter(old, lambda: T0).write_batch("mora-fb", records())
    assert len(list(old.query("SELECT rowid FROM items_fts WHERE items_fts MATCH 'ar'"))) == 2
    old.close()
    db = connect(path)
    assert ids(search(db, "ar")) == ["4"] and ids(search(db, "skol*")) == ["1", "2", "5"]
    db.close()


@pytest.fixture
def config_path(tmp_path: Path, db) -> Path:
    accounts = [{"key": "mora-fb", "id": "1", "token_env": "SOMED_TEST_UNUSED"},
                {"key": "falun-fb", "id": "2", "token_env": "SOMED_TEST_UNUSED"}]  # fmt: skip
    ArchiveWriter(db, lambda: T0).write_batch("falun-fb", [
        post("f1", "Skolan i Falun har öppet hus", account="falun-fb",
             created_at=datetime(2025, 6, 1, tzinfo=UTC)),
    ])  # fmt: skip
    return write_config(tmp_path, "http://127.0.0.1:9", accounts=accounts)


def somed(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"SOMED_CONFIG": str(config), "SOMED_LANG": "en", "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "somed", *args], env=env, capture_output=True,
                          text=True, cwd=ROOT, timeout=120)  # fmt: skip


def test_search_from_the_command_line_with_filters(config_path: Path) -> None:
    found = somed(config_path, "search", "skol*", "--json")
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)
    assert [h["item"] for h in hits][0] == "facebook:f1"  # newest first
    assert {h["item"] for h in hits} == {"facebook:1", "facebook:2", "facebook:5", "facebook:f1"}
    assert all({"item", "account", "created_at", "snippet", "url"} <= set(h) for h in hits)

    def found_ids(*args: str) -> set[str]:
        done = somed(config_path, "search", "skol*", "--json", *args)
        assert done.returncode == 0, done.stderr
        return {h["item_id"] for h in json.loads(done.stdout)}

    assert found_ids("--account", "falun-fb") == {"f1"}
    assert found_ids("--direction", "incoming") == {"2", "5"}
    assert found_ids("--kind", "post") == {"1", "f1"}
    assert found_ids("--since", "2025-01-01", "--until", "2025-12-31") == {"f1"}
    table = somed(config_path, "--lang", "sv", "search", "skolan")
    assert "facebook:1" in table.stdout and "[Skolan]" in table.stdout, table.stdout


@pytest.mark.parametrize("query", ['"', "*", "()", '""*', "   "])
def test_a_query_without_words_is_one_line_and_exit_2(config_path: Path, query: str) -> None:
    done = somed(config_path, "search", query)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


@pytest.mark.parametrize("query", ["NEAR(", "skol* OR", 'a"b', "NOT", "^år", "x:y", "{a b}"])
def test_fts_syntax_in_a_query_is_just_words(config_path: Path, query: str) -> None:
    done = somed(config_path, "search", query, "--json")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    json.loads(done.stdout)


def test_newest_first_by_chunk_is_the_same_as_sorting_every_match(tmp_path: Path) -> None:
    # 30,000 items over four chunks of rowids, their times in no order (as a first archive
    # reads newest first and the polls then add newer ones); the chunked reading must give
    # exactly what sorting every match gives, filters included
    import random

    from storage.db import insert_rows, transaction

    db = connect(tmp_path / "somed.db")
    rng = random.Random(5)
    words = ["skolan", "vattnet", "år", "bygglov", "tack", "storgatan"]
    rows = []
    for n in range(30_000):
        moment = T0 - timedelta(minutes=rng.randint(0, 500_000))
        stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        text = " ".join(rng.sample(words, 2)) + f" ord{n % 97}"
        rows.append(("facebook", str(n), f"konto-{n % 3}", "comment" if n % 4 else "post",
                     "incoming" if n % 4 else "own", text, stamp, stamp, stamp, f"{n:064x}"))  # fmt: skip
    columns = ("platform", "id", "account", "kind", "direction", "text", "created_at",
               "first_seen_at", "last_seen_at", "sha256")  # fmt: skip
    with transaction(db):
        insert_rows(db, "items", columns, rows)
    assert db.execute("SELECT count(*) FROM search_chunks").fetchone()[0] == 4
    cases = [("skolan", {}), ("skol* tack", {}), ("ord5", {}), ("år", {"accounts": ["konto-1"]}),
             ("vattnet", {"direction": "own", "since": T0 - timedelta(days=200)}),
             ("bygglov", {"kinds": ["post"], "until": T0 - timedelta(days=100)})]  # fmt: skip
    for query, filters in cases:
        for limit in (1, 50, 400):
            chunked = search(db, query, limit=limit, sort_all_up_to=10, **filters)
            whole = search(db, query, limit=limit, sort_all_up_to=10**9, **filters)
            assert chunked == whole and whole, (query, filters, limit)
    db.close()
