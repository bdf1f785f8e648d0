"""Numbered, named, append-only schema migrations, recorded in `_sqlite_migrations`.

Never edit or reorder a migration that has shipped: add `m002_...` and onwards instead.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

MIGRATIONS = Migrations("somed")


def _append_only(table: str) -> str:
    """Return triggers that make `table` reject UPDATE and DELETE (history is never rewritten)."""
    return f"""
        CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
        BEGIN SELECT RAISE(ABORT, '{table} is append-only: rows cannot be updated'); END;
        CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
        BEGIN SELECT RAISE(ABORT, '{table} is append-only: rows cannot be deleted'); END;
    """


@MIGRATIONS()
def m001_initial(db: Database) -> None:
    """Create items with versions, media, cursors, runs, health, flags, audit log and accounts."""
    db.executescript(
        """
        CREATE TABLE items (
            platform TEXT NOT NULL,
            id TEXT NOT NULL,
            account TEXT NOT NULL,
            kind TEXT NOT NULL,
            parent_id TEXT,
            thread_id TEXT,
            direction TEXT NOT NULL,
            author_id TEXT,
            author_name TEXT,
            text TEXT,
            created_at TEXT,
            edited_at TEXT,
            url TEXT,
            first_seen_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            deleted_at TEXT,
            sha256 TEXT NOT NULL,
            version_count INTEGER NOT NULL DEFAULT 1,
            extra TEXT,
            raw TEXT,
            PRIMARY KEY (platform, id)
        );
        CREATE INDEX idx_items_account_created_at ON items (account, created_at);
        CREATE INDEX idx_items_thread_id ON items (thread_id);
        CREATE INDEX idx_items_platform_kind_deleted_at ON items (platform, kind, deleted_at);

        CREATE TABLE item_versions (
            platform TEXT NOT NULL,
            item_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            seen_at TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            text TEXT,
            edited_at TEXT,
            media TEXT NOT NULL DEFAULT '[]',
            extra TEXT,
            raw TEXT,
            PRIMARY KEY (platform, item_id, version),
            FOREIGN KEY (platform, item_id) REFERENCES items (platform, id)
        );

        CREATE TABLE media (
            sha256 TEXT PRIMARY KEY,
            mime_type TEXT,
            size INTEGER NOT NULL,
            path TEXT NOT NULL,
            first_seen_at TEXT NOT NULL
        );

        CREATE TABLE item_media (
            platform TEXT NOT NULL,
            item_id TEXT NOT NULL,
            media_key TEXT NOT NULL,
            source_url TEXT,
            kind TEXT,
            sha256 TEXT REFERENCES media (sha256),
            position INTEGER,
            last_error TEXT,
            PRIMARY KEY (platform, item_id, media_key),
            FOREIGN KEY (platform, item_id) REFERENCES items (platform, id)
        );
        CREATE INDEX idx_item_media_media_key ON item_media (media_key);
        CREATE INDEX idx_item_media_sha256 ON item_media (sha256);

        CREATE TABLE cursors (
            account TEXT NOT NULL,
            stream TEXT NOT NULL,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (account, stream)
        );

        CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            account TEXT NOT NULL,
            platform TEXT NOT NULL,
            trigger TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,
            new INTEGER NOT NULL DEFAULT 0,
            changed INTEGER NOT NULL DEFAULT 0,
            deleted INTEGER NOT NULL DEFAULT 0,
            requests INTEGER NOT NULL DEFAULT 0,
            duration_seconds REAL,
            message TEXT,
            pid INTEGER
        );
        CREATE INDEX idx_runs_account_id ON runs (account, id);
        CREATE INDEX idx_runs_status ON runs (status);

        CREATE TABLE stream_state (
            account TEXT NOT NULL,
            stream TEXT NOT NULL,
            status TEXT NOT NULL,
            message TEXT,
            updated_at TEXT NOT NULL,
            last_ok_at TEXT,
            PRIMARY KEY (account, stream)
        );

        CREATE TABLE account_health (
            account TEXT PRIMARY KEY,
            status TEXT NOT NULL,
            since TEXT NOT NULL,
            message TEXT,
            last_ok_at TEXT,
            last_run_id INTEGER REFERENCES runs (id)
        );

        CREATE TABLE flags (
            id INTEGER PRIMARY KEY,
            platform TEXT,
            item_id TEXT,
            account TEXT NOT NULL,
            flag TEXT NOT NULL,
            reason TEXT,
            details TEXT,
            created_at TEXT NOT NULL,
            created_by TEXT,
            resolved_at TEXT,
            resolved_by TEXT
        );
        CREATE INDEX idx_flags_item ON flags (platform, item_id);
        CREATE INDEX idx_flags_account_flag ON flags (account, flag);

        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT,
            reason TEXT,
            details TEXT
        );
        CREATE INDEX idx_audit_log_target ON audit_log (target);

        CREATE TABLE accounts (
            key TEXT PRIMARY KEY,
            platform TEXT NOT NULL,
            platform_id TEXT,
            url TEXT,
            owner TEXT,
            editor TEXT,
            substitute TEXT,
            config TEXT,
            added_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        """
        + _append_only("item_versions")
        + _append_only("audit_log")
    )
    db["items"].enable_fts(["text"], fts_version="FTS5", create_triggers=True)
    # Re-index only when the text itself changes: the default trigger fires on every UPDATE,
    # and most updates only move last_seen_at or deleted_at.
    db.executescript(
        """
        DROP TRIGGER items_au;
        CREATE TRIGGER items_au AFTER UPDATE OF text ON items BEGIN
          INSERT INTO items_fts (items_fts, rowid, text) VALUES('delete', old.rowid, old.text);
          INSERT INTO items_fts (rowid, text) VALUES (new.rowid, new.text);
        END;
        """
    )


@MIGRATIONS()
def m007_facebook_item_markers(db: Database) -> None:
    """Add `items.marker`: a connector's opaque change signal, compared on the next re-read."""
    db.execute("ALTER TABLE items ADD COLUMN marker TEXT")


@MIGRATIONS()
def m003_reasons(db: Database) -> None:
    """Store a reason code and its JSON params beside each run, stream state and health message."""
    for table in ("runs", "stream_state", "account_health"):
        db.execute(f"ALTER TABLE {table} ADD COLUMN reason TEXT")
        db.execute(f"ALTER TABLE {table} ADD COLUMN reason_params TEXT")


# --- bench (issue 5): raw platform JSON stored once --------------------------------------------


@MIGRATIONS()
def m008_storage_raw_once(db: Database) -> None:
    """Keep raw platform JSON only in `item_versions`: drop the copy in `items.raw`.

    The writer always stored an item's raw JSON twice, in `items.raw` and in the row of its
    newest version, about a fifth of the database. Should an `items.raw` ever differ from its
    newest version's raw (no writer produced that, but nothing archived may be lost), it is kept
    in the append-only `item_raw_legacy` before the column goes.
    """
    # one statement at a time: executescript would commit the migration's transaction first
    statements = [
        """CREATE TABLE item_raw_legacy (
            platform TEXT NOT NULL,
            item_id TEXT NOT NULL,
            raw TEXT NOT NULL,
            moved_at TEXT NOT NULL,
            PRIMARY KEY (platform, item_id),
            FOREIGN KEY (platform, item_id) REFERENCES items (platform, id)
        )""",
        """INSERT INTO item_raw_legacy (platform, item_id, raw, moved_at)
        SELECT i.platform, i.id, i.raw, strftime('%Y-%m-%dT%H:%M:%SZ', 'now') FROM items AS i
        WHERE i.raw IS NOT NULL AND i.raw IS NOT (
            SELECT v.raw FROM item_versions AS v WHERE v.platform = i.platform
            AND v.item_id = i.id ORDER BY v.version DESC LIMIT 1
        )""",
        "ALTER TABLE items DROP COLUMN raw",
        *(f"{t}END" for t in _append_only("item_raw_legacy").split("END;") if t.strip()),
    ]
    for statement in statements:
        db.execute(statement)


@MIGRATIONS()
def m005_token_checks(db: Database) -> None:
    """Add token_checks (what each credential check found) and a retries count to runs."""
    db.execute(  # statement by statement: executescript would commit the migration's transaction
        """
        CREATE TABLE token_checks (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            account TEXT NOT NULL,
            checked_at TEXT NOT NULL,
            status TEXT NOT NULL,
            identity TEXT,
            allowed_streams TEXT NOT NULL DEFAULT '[]',
            denied TEXT NOT NULL DEFAULT '{}',
            missing_permissions TEXT NOT NULL DEFAULT '[]',
            expires_at TEXT,
            data_access_expires_at TEXT,
            reason TEXT,
            reason_params TEXT,
            message TEXT
        )
        """
    )
    db.execute("CREATE INDEX idx_token_checks_account_id ON token_checks (account, id)")
    db.execute("ALTER TABLE runs ADD COLUMN retries INTEGER NOT NULL DEFAULT 0")


# --- net (issue 5): failed media downloads tried again while their URL lives -------------------


@MIGRATIONS()
def m010_net_media_retry(db: Database) -> None:
    """Mark which failed downloads are worth trying again, and count the tries.

    A passing failure (an HTML error page instead of the photo, a timeout) is tried again by the
    next runs from the stored URL until it works, the URL dies (403/404/410) or the tries run
    out; a refusal (over the size cap) is not.
    """
    db.execute("ALTER TABLE item_media ADD COLUMN retry INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE item_media ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0")


# --- quarantine (issue 5) -----------------------------------------------------------------------


@MIGRATIONS()
def m002_quarantine(db: Database) -> None:
    """Add the quarantine of items that could not be normalised or stored, and runs.quarantined."""
    # one statement at a time: executescript would commit the migration's transaction first
    statements = [
        """CREATE TABLE quarantine (
            id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL,
            account TEXT NOT NULL,
            stream TEXT NOT NULL,
            kind TEXT,
            item_id TEXT,
            key TEXT NOT NULL,
            raw TEXT NOT NULL,
            context TEXT NOT NULL DEFAULT '{}',
            error TEXT NOT NULL,
            reason TEXT NOT NULL,
            first_seen_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            seen_count INTEGER NOT NULL DEFAULT 1,
            retried_at TEXT,
            resolved_at TEXT,
            resolution TEXT,
            UNIQUE (platform, account, stream, key)
        )""",
        "CREATE INDEX idx_quarantine_account_resolved_at ON quarantine (account, resolved_at)",
        "CREATE INDEX idx_quarantine_platform_item_id ON quarantine (platform, item_id)",
        "ALTER TABLE runs ADD COLUMN quarantined INTEGER NOT NULL DEFAULT 0",
    ]
    for statement in statements:
        db.execute(statement)


# --- ops (issue 5): the run-request queue the daemon serves -------------------------------------


@MIGRATIONS()
def m004_run_requests(db: Database) -> None:
    """Create the queue of run requests the running daemon serves (`somed archive`, web UI)."""
    # one statement at a time: executescript would commit the migration's transaction first
    db.execute(
        """CREATE TABLE run_requests (
            id INTEGER PRIMARY KEY,
            account TEXT NOT NULL,
            requested_by TEXT NOT NULL,
            requested_at TEXT NOT NULL,
            wait_seconds REAL NOT NULL DEFAULT 0,
            state TEXT NOT NULL
                CHECK (state IN ('queued', 'running', 'done', 'cancelled')),
            started_at TEXT,
            finished_at TEXT,
            run_id INTEGER REFERENCES runs (id),
            outcome TEXT
        )"""
    )
    db.execute("CREATE INDEX idx_run_requests_state ON run_requests (state, id)")


# --- issue 6: quota units a run cost, for platforms that charge by units -------------------------


@MIGRATIONS()
def m015_youtube(db: Database) -> None:
    """Add `runs.cost_units`: the platform's quota units a run cost (null: none are counted)."""
    db.execute("ALTER TABLE runs ADD COLUMN cost_units INTEGER")


# --- issue 7: snapshots (captures of an account's public page or a post permalink) -------------


@MIGRATIONS()
def m016_captures(db: Database) -> None:
    """Create `captures`: one row per capture attempt, its verdict and its files' hashes."""
    # one statement at a time: executescript would commit the migration's transaction first
    db.execute(
        """CREATE TABLE captures (
            id INTEGER PRIMARY KEY,
            account TEXT NOT NULL,
            platform TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('account', 'post')),
            url_asked TEXT,
            url_fetched TEXT,
            final_url TEXT,
            trigger TEXT NOT NULL,
            request_id INTEGER,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            verdict TEXT NOT NULL CHECK (verdict IN ('valid', 'invalid', 'failed')),
            reason TEXT,
            params TEXT NOT NULL DEFAULT '{}',
            identity TEXT,
            viewport TEXT,
            page_height INTEGER,
            tiles INTEGER,
            browser_version TEXT,
            png_sha256 TEXT,
            pdf_sha256 TEXT,
            wacz_sha256 TEXT,
            manifest_sha256 TEXT
        )"""
    )
    db.execute("CREATE INDEX idx_captures_account_started_at ON captures (account, started_at)")
    db.execute(
        "CREATE INDEX idx_captures_account_verdict_started_at"
        " ON captures (account, verdict, started_at)"
    )
    for trigger in _append_only("captures").split("END;"):
        if trigger.strip():
            db.execute(f"{trigger}END")  # captures are evidence: never updated, never deleted


# --- issue 7: `somed capture` through the daemon's request queue --------------------------------


@MIGRATIONS()
def m017_capture_requests(db: Database) -> None:
    """Add `run_requests.kind` ('archive' | 'capture') and `url` (a post to capture, or null)."""
    db.execute(
        "ALTER TABLE run_requests ADD COLUMN kind TEXT NOT NULL DEFAULT 'archive'"
        " CHECK (kind IN ('archive', 'capture'))"
    )
    db.execute("ALTER TABLE run_requests ADD COLUMN url TEXT")


# --- register (issue 7): the account register's fields and their history ------------------------


@MIGRATIONS()
def m018_account_register(db: Database) -> None:
    """Add the register fields to `accounts` and the append-only `account_history`.

    `status` is active, closing or closed; `plan` holds the communication plan's answers (JSON).
    Every change of a register field, from the config or from `somed close`, adds a history row
    with the old and the new value, when, by whom and from where.
    """
    statements = [  # one at a time: executescript would commit the migration's transaction
        "ALTER TABLE accounts ADD COLUMN purpose TEXT",
        "ALTER TABLE accounts ADD COLUMN audience TEXT",
        "ALTER TABLE accounts ADD COLUMN start_date TEXT",
        "ALTER TABLE accounts ADD COLUMN status TEXT NOT NULL DEFAULT 'active'",
        "ALTER TABLE accounts ADD COLUMN status_since TEXT",
        "ALTER TABLE accounts ADD COLUMN plan TEXT",
        """CREATE TABLE account_history (
            id INTEGER PRIMARY KEY,
            account TEXT NOT NULL,
            field TEXT NOT NULL,
            old_value TEXT,
            new_value TEXT,
            changed_at TEXT NOT NULL,
            changed_by TEXT NOT NULL,
            source TEXT NOT NULL
        )""",
        "CREATE INDEX idx_account_history_account ON account_history (account, id)",
        "CREATE INDEX idx_flags_open ON flags (account, flag, resolved_at)",
        *(f"{t}END" for t in _append_only("account_history").split("END;") if t.strip()),
    ]
    for statement in statements:
        db.execute(statement)


@MIGRATIONS()
def m019_audit_chain(db: Database) -> None:
    """Chain the audit log: `prev_sha256` and `sha256` on every entry (see storage/audit.py).

    Entries written before this migration are chained here, in id order, once; the triggers
    that refuse UPDATE and DELETE are lifted for that only and put back at once.
    """
    from storage.audit import entry_hash

    db.execute("DROP TRIGGER audit_log_no_update")
    db.execute("ALTER TABLE audit_log ADD COLUMN prev_sha256 TEXT")
    db.execute("ALTER TABLE audit_log ADD COLUMN sha256 TEXT")
    prev = ""
    rows = list(db.query("SELECT * FROM audit_log ORDER BY id"))
    for row in rows:
        row["prev_sha256"] = prev
        prev = entry_hash(row)
        db.execute(
            "UPDATE audit_log SET prev_sha256 = ?, sha256 = ? WHERE id = ?",
            [row["prev_sha256"], prev, row["id"]],
        )
    update_trigger = _append_only("audit_log").split("END;")[0] + "END"
    db.execute(update_trigger)


@MIGRATIONS()
def m021_registrations(db: Database) -> None:
    """Flag dismissals (`flags.resolution`, why, who, when) and the append-only `registrations`.

    `resolution` is NULL while a flag is open, `resolved` once its cause is gone and `dismissed`
    when an editor marked it wrong (kept, with `dismissed_by`, `dismissed_at` and the
    `resolution_reason`). Flags resolved before this migration become `resolved`.
    """
    statements = [
        "ALTER TABLE flags ADD COLUMN resolution TEXT",
        "ALTER TABLE flags ADD COLUMN resolution_reason TEXT",
        "ALTER TABLE flags ADD COLUMN dismissed_at TEXT",
        "ALTER TABLE flags ADD COLUMN dismissed_by TEXT",
        "UPDATE flags SET resolution = 'resolved' WHERE resolved_at IS NOT NULL",
        """CREATE TABLE registrations (
            platform TEXT NOT NULL,
            item_id TEXT NOT NULL,
            number TEXT NOT NULL,
            registered_at TEXT NOT NULL,
            registered_by TEXT NOT NULL,
            PRIMARY KEY (platform, item_id, number)
        )""",
        "CREATE INDEX idx_flags_flag_item ON flags (flag, platform, item_id)",
        *(f"{t}END" for t in _append_only("registrations").split("END;") if t.strip()),
    ]
    for statement in statements:
        db.execute(statement)


@MIGRATIONS()
def m022_search_swedish(db: Database) -> None:
    """Rebuild `items_fts` for Swedish: å, ä and ö kept apart from a and o, a prefix index.

    The tokenizer is `unicode61 remove_diacritics 0` (so "år" is not "ar"), with prefix indexes
    of 3 to 6 characters for queries such as `skol*`. The triggers keep their behaviour: index on
    insert, remove on delete, and re-index only when the text really changes. `search_chunks`
    lets a search read the newest hits first (storage/search.py).
    """
    delete = (
        "INSERT INTO items_fts (items_fts, rowid, text) VALUES ('delete', old.rowid, old.text);"
    )
    insert = "INSERT INTO items_fts (rowid, text) VALUES (new.rowid, new.text);"
    chunk = (
        "INSERT INTO search_chunks (chunk, newest) VALUES (new.rowid >> 13,"
        " coalesce(new.created_at, '')) ON CONFLICT (chunk) DO UPDATE"
        " SET newest = max(newest, excluded.newest);"
    )
    statements = [  # one at a time: executescript would commit the migration's transaction
        "DROP TRIGGER IF EXISTS items_ai",
        "DROP TRIGGER IF EXISTS items_ad",
        "DROP TRIGGER IF EXISTS items_au",
        "DROP TABLE IF EXISTS items_fts",
        "CREATE VIRTUAL TABLE items_fts USING fts5 (text, content=[items],"
        " tokenize = 'unicode61 remove_diacritics 0', prefix = '3 4 5 6')",
        "INSERT INTO items_fts (items_fts) VALUES ('rebuild')",
        f"CREATE TRIGGER items_ai AFTER INSERT ON items BEGIN {insert} END",
        f"CREATE TRIGGER items_ad AFTER DELETE ON items BEGIN {delete} END",
        "CREATE TRIGGER items_au AFTER UPDATE OF text ON items WHEN old.text IS NOT new.text"
        f" BEGIN {delete} {insert} END",
        # the newest created_at of each run of 8,192 rowids: newest-first search reads the
        # chunks that can hold the newest hits and no others (storage/search.py)
        "CREATE TABLE search_chunks (chunk INTEGER PRIMARY KEY, newest TEXT NOT NULL)",
        "INSERT INTO search_chunks (chunk, newest) SELECT rowid >> 13,"
        " max(coalesce(created_at, '')) FROM items GROUP BY rowid >> 13",
        "CREATE INDEX idx_search_chunks_newest ON search_chunks (newest)",
        f"CREATE TRIGGER items_chunk_ai AFTER INSERT ON items BEGIN {chunk} END",
        f"CREATE TRIGGER items_chunk_au AFTER UPDATE OF created_at ON items BEGIN {chunk} END",
    ]
    for statement in statements:
        db.execute(statement)


# --- retention (issue 8): legal holds, disposal tombstones, the one logged path of deletion ----


@MIGRATIONS()
def m020_holds_and_disposals(db: Database) -> None:
    """Add `holds`, the append-only `disposals` (tombstones) and `items.disposed_at`.

    A disposed item keeps its row (so a later poll does not archive it again) with its content
    cleared. Its `item_versions` and `item_raw_legacy` rows may be deleted only once its
    tombstone is in `disposals`: the delete triggers of those append-only tables now let that
    one logged path through and still refuse every other delete.
    """
    refuse_unless_disposed = (
        "CREATE TRIGGER {t}_no_delete BEFORE DELETE ON {t} WHEN NOT EXISTS (SELECT 1 FROM"
        " disposals AS d WHERE d.platform = old.platform AND d.item_id = old.item_id) BEGIN"
        " SELECT RAISE(ABORT, '{t} is append-only: rows cannot be deleted'); END"
    )
    statements = [  # one at a time: executescript would commit the migration's transaction
        """CREATE TABLE holds (
            id INTEGER PRIMARY KEY,
            reason TEXT NOT NULL,
            account TEXT,
            from_date TEXT,
            to_date TEXT,
            query TEXT,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            released_at TEXT,
            released_by TEXT,
            release_reason TEXT
        )""",
        """CREATE TABLE disposals (
            platform TEXT NOT NULL,
            item_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            account TEXT NOT NULL,
            rule TEXT NOT NULL,
            decision TEXT NOT NULL,
            plan_id TEXT NOT NULL,
            disposed_at TEXT NOT NULL,
            disposed_by TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            PRIMARY KEY (platform, item_id)
        ) WITHOUT ROWID""",
        *(f"{t}END" for t in _append_only("disposals").split("END;") if t.strip()),
        "ALTER TABLE items ADD COLUMN disposed_at TEXT",
        "DROP TRIGGER item_versions_no_delete",
        refuse_unless_disposed.format(t="item_versions"),
        "DROP TRIGGER item_raw_legacy_no_delete",
        refuse_unless_disposed.format(t="item_raw_legacy"),
        # a disposed item never gets text again, whoever writes (the writer skips it already)
        "CREATE TRIGGER items_disposed_no_text BEFORE UPDATE OF text ON items"
        " WHEN old.disposed_at IS NOT NULL AND new.text IS NOT NULL BEGIN"
        " SELECT RAISE(ABORT, 'items: a disposed item cannot get content again'); END",
    ]
    for statement in statements:
        db.execute(statement)


# --- issue 8: moderation (which item versions were checked, and their evidence copies) ---------


@MIGRATIONS()
def m023_moderation(db: Database) -> None:
    """Add `moderated` (an item checked at one sha256) and `moderation_evidence` (its copies).

    `moderated` says which content of an item the detectors have seen, so an unchanged item is
    never checked twice and a dismissed flag does not come back; `text_key` groups identical
    texts (the repeated-spam test). `moderation_evidence` notes where the evidence copy of a
    flagged item (record and thread as JSON) lies in the content-addressed store.
    """
    statements = [
        """CREATE TABLE moderated (
            platform TEXT NOT NULL,
            item_id TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            account TEXT NOT NULL,
            checked_at TEXT NOT NULL,
            text_key TEXT,
            categories TEXT NOT NULL DEFAULT '[]',
            PRIMARY KEY (platform, item_id, sha256)
        )""",
        "CREATE INDEX idx_moderated_text_key ON moderated (text_key)",
        """CREATE TABLE moderation_evidence (
            id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL,
            item_id TEXT NOT NULL,
            item_sha256 TEXT NOT NULL,
            categories TEXT NOT NULL,
            evidence_sha256 TEXT NOT NULL,
            path TEXT NOT NULL,
            size INTEGER NOT NULL,
            capture_request_id INTEGER,
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX idx_moderation_evidence_item ON moderation_evidence (platform, item_id)",
    ]
    for statement in statements:
        db.execute(statement)


@MIGRATIONS()
def m024_notify(db: Database) -> None:
    """Create `digests`: each daily digest tried, per recipient and day (see storage/digests.py)."""
    db.execute(
        """CREATE TABLE digests (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            day TEXT NOT NULL,
            recipient TEXT NOT NULL,
            status TEXT NOT NULL,
            through TEXT NOT NULL,
            attempted_at TEXT NOT NULL,
            accounts TEXT NOT NULL DEFAULT '[]',
            error TEXT
        )"""
    )
    db.execute("CREATE INDEX idx_digests_recipient ON digests (recipient, day)")


@MIGRATIONS()
def m025_web_users(db: Database) -> None:
    """Create `users` (the web UI's people, roles, password hashes) and `login_failures`."""
    db.execute(
        """CREATE TABLE users (
            name TEXT PRIMARY KEY,
            role TEXT NOT NULL,
            full_name TEXT,
            source TEXT NOT NULL DEFAULT 'local',
            password_hash TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            disabled_at TEXT,
            last_login_at TEXT
        )"""
    )
    db.execute(
        """CREATE TABLE login_failures (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            at TEXT NOT NULL,
            remote TEXT
        )"""
    )
    db.execute("CREATE INDEX idx_login_failures_name ON login_failures (name, at)")


# --- web UI: bundle jobs (issue 10, the bundles page) ------------------------------------------
@MIGRATIONS()
def m026_bundle_jobs(db: Database) -> None:
    """Create `bundle_jobs`: bundles asked for in the web UI, built in the background, verified."""
    db.execute(
        """CREATE TABLE bundle_jobs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            accounts TEXT NOT NULL DEFAULT '[]',
            since TEXT,
            until TEXT,
            format TEXT NOT NULL,
            requested_by TEXT NOT NULL,
            requested_at TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'queued',
            worker_pid INTEGER,
            started_at TEXT,
            finished_at TEXT,
            progress TEXT,
            package_id TEXT,
            sha256 TEXT,
            size INTEGER,
            path TEXT,
            verify_ok INTEGER,
            verify TEXT,
            error TEXT
        )"""
    )
    db.execute("CREATE INDEX idx_bundle_jobs_state ON bundle_jobs (state)")


@MIGRATIONS()
def m027_items_account_kind(db: Database) -> None:
    """Index items by (account, kind, deleted_at): the overview's per-account counts, covered."""
    db.execute(
        "CREATE INDEX IF NOT EXISTS idx_items_account_kind_deleted_at"
        " ON items (account, kind, deleted_at)"
    )


# --- web UI: single sign-ins under way, shared by every web worker process (issue 10) ----------
@MIGRATIONS()
def m028_sso_pending(db: Database) -> None:
    """Create `sso_pending`: SAML requests and OIDC states awaiting the identity provider."""
    db.execute(
        """CREATE TABLE sso_pending (
            provider TEXT NOT NULL,
            key TEXT NOT NULL,
            bind_sha256 TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (provider, key)
        )"""
    )
    db.execute("CREATE INDEX idx_sso_pending_bind ON sso_pending (provider, bind_sha256)")
    db.execute("CREATE INDEX idx_sso_pending_expires_at ON sso_pending (expires_at)")
