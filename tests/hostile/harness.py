"""The connector-neutral side of the hardening tests: one harness per platform, same interface.

A hardening test asks the `hostile` fixture (parametrised over `HARNESSES`) for a harness and
never names a platform, so a new connector runs every such test by adding its harness here.
A harness serves one account of its platform from a hostile loopback server and offers:

- `platform`, `account`: the platform name and the account key in the config it writes;
- `start()` / `stop()`: serve, and stop serving;
- `config_lines(**platform_options)`: the `[platforms.X]` and `[[accounts]]` lines pointing
  somed at the server (options such as `page_size = 5` go into the platform section);
- `env`: the environment variables holding the account's (fake) token;
- `plant_good(posts=5)`: posts with comments and private message threads; `good_ids()` are the
  ids of every item planted so far that must end up in the archive; `text_field` names the
  key of a planted post's text in `graph.posts`;
- `DAMAGES` and `plant_malformed(damage)`: replace one planted item by a damaged copy and
  return a `Damage` saying which item it is, whether the archive must quarantine it
  ("quarantined") or store it repaired ("repaired"), and what the raw item looks like;
- `repeat_forever(stream)`: that stream's listing hands out a fresh cursor on every page but
  always the same items; `break_paging(stream)`: its paging is malformed in a way no code
  expects (a bug trigger for containment tests);
- `unlisted_ids(stream)`: the good ids such a hostile listing keeps out of reach;
- `requests_to(stream)`: how many requests the server got for a stream's listing;
- `streams`: the account's streams, `listings` those with a paged listing the tests can turn
  hostile; `overshoot(page_size)`: requests a walk may make past the run's request budget;
  `with_text(raw, text)`: a copy of a raw post carrying `text` (of the right type);
  `lengthen_texts(tail)`: every planted post's text gets `tail` added;
- `plant_malformed` returns None for a damage that does not apply to the platform (a private
  message where it has none).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from connectors.registry import connector_class
from tests.hostile.graph import PAGE_ID, TOKEN, TOKEN_ENV, VERSION, HostileGraph, comment, post
from tests.hostile.server import json_response

DAMAGES: tuple[str, ...] = (
    "time_in_words",  # created_time "yesterday"
    "time_as_number",  # created_time 1764590400
    "time_without_zone",  # created_time "2026-10-31T09:00:00"
    "id_object",  # id {"value": "..."}
    "text_object",  # message {"text": "..."}
    "attachments_text",  # attachments "photo.jpg"
    "lone_surrogate",  # message with "\ud800" (a JSON escape no UTF-8 database can store)
    "comment_text_object",  # a comment whose message is an object
    "message_id_object",  # a private message whose id is an object
)


@dataclass
class Damage:
    """What `plant_malformed` did: the damaged item, and what the archive must do with it."""

    item_id: str | None  # the platform id as the archive knows it (None: not readable)
    expect: str  # "quarantined" or "repaired"
    stream: str  # the stream the item comes in
    raw: Any  # the damaged raw item as the archive must keep it in quarantine
    held: frozenset[str] = frozenset()  # good ids kept only inside the quarantined raw


class FacebookHarness:
    """The harness for Facebook pages, on `tests.hostile.graph.HostileGraph`."""

    platform = "facebook"
    account = "hostile-fb"
    env = {TOKEN_ENV: TOKEN}
    text_field = "message"  # the key of a planted post's text
    listings = ("posts", "messages")  # the streams with a paged listing the tests turn hostile

    @property
    def streams(self) -> tuple[str, ...]:
        """The streams the platform's connector offers, in the order a run reads them."""
        return connector_class(self.platform).stream_names()

    def __init__(self) -> None:
        self.graph = HostileGraph()
        self.endpoint = ""

    def start(self) -> None:
        """Serve on loopback."""
        self.endpoint = self.graph.start()

    def stop(self) -> None:
        """Stop serving."""
        self.graph.stop()

    def config_lines(self, **platform_options: Any) -> list[str]:
        """The platform and account sections for the hostile page."""
        lines = self.graph.config_lines(self.endpoint)
        at = lines.index("[[accounts]]")
        extra = [f"{key} = {value!r}" for key, value in platform_options.items()]
        return [*lines[:at], *extra, *lines[at:]]

    # --- planting ----------------------------------------------------------------------------

    def plant_good(self, posts: int = 5, comments: int = 2, threads: int = 2) -> None:
        """Posts newest first, each with comments, and Messenger threads with messages."""
        for n in range(1, posts + 1):
            raw = post(n)
            raw["comments"] = {"data": [comment(raw["id"], c) for c in range(comments)]}
            self.graph.posts.append(raw)
        start = datetime(2026, 11, 2, 8, tzinfo=UTC)
        for t in range(threads):
            when = start - timedelta(hours=t)
            stamp = when.strftime("%Y-%m-%dT%H:%M:%S+0000")
            self.graph.conversations.append(
                {
                    "id": f"t_{100 + t}",
                    "updated_time": stamp,
                    "link": f"/{PAGE_ID}/inbox/{100 + t}",
                    "messages": {
                        "data": [
                            {
                                "id": f"m_{100 + t}_{m}",
                                "message": f"Fråga {m} i tråd {t}",
                                "created_time": stamp,
                                "from": {"id": f"77{t}", "name": f"Invånare {t}"},
                            }
                            for m in range(3)
                        ]
                    },
                }
            )

    def good_ids(self) -> set[str]:
        """Every planted id (posts, comments, messages) the archive must hold."""
        ids: set[str] = set()
        for raw in self.graph.posts:
            if isinstance(raw.get("id"), str):
                ids.add(raw["id"])
            for c in (raw.get("comments") or {}).get("data") or []:
                if isinstance(c.get("id"), str):
                    ids.add(c["id"])
        for conversation in self.graph.conversations:
            for m in conversation["messages"]["data"]:
                if isinstance(m.get("id"), str):
                    ids.add(m["id"])
        return ids

    def plant_malformed(self, damage: str) -> Damage:
        """Damage the second post (or one of its comments, or a message) in the named way."""
        target = self.graph.posts[1]
        body = {k: v for k, v in target.items() if k != "comments"}
        post_id = target["id"]
        if damage == "time_in_words":
            target["created_time"] = "yesterday"
        elif damage == "time_as_number":
            target["created_time"] = 1764590400
        elif damage == "time_without_zone":
            target["created_time"] = "2026-10-31T09:00:00"
        elif damage == "id_object":  # its comments cannot be attached: they stay in its raw
            target["id"] = {"value": post_id}
            held = frozenset(c["id"] for c in target["comments"]["data"])
            return Damage(None, "quarantined", "posts", dict(target), held)
        elif damage == "text_object":
            target["message"] = {"text": "Inlägg som objekt"}
        elif damage == "attachments_text":
            target["attachments"] = "photo.jpg"
        elif damage == "lone_surrogate":
            target["message"] = "Trasig text \ud800 här"
            body = {k: v for k, v in target.items() if k != "comments"}
            return Damage(post_id, "repaired", "posts", body)
        elif damage == "comment_text_object":
            bad = target["comments"]["data"][0]
            bad["message"] = {"text": "Kommentar som objekt"}
            return Damage(bad["id"], "quarantined", "posts", bad)
        elif damage == "message_id_object":
            bad = self.graph.conversations[0]["messages"]["data"][1]
            bad["id"] = {"value": bad["id"]}
            return Damage(None, "quarantined", "messages", bad)
        else:
            raise ValueError(f"unknown damage {damage!r}")
        body = {k: v for k, v in target.items() if k != "comments"}
        return Damage(post_id, "quarantined", "posts", body)

    # --- hostile paging ----------------------------------------------------------------------

    def _edge(self, stream: str) -> str:
        edge = {"posts": "published_posts", "messages": "conversations"}[stream]
        return rf"/{VERSION}/{PAGE_ID}/{edge}"

    def repeat_forever(self, stream: str) -> None:
        """Every page of `stream` brings the same items under a fresh `after` cursor."""
        items = self.graph.posts if stream == "posts" else self.graph.conversations

        def endless(request: Request, match: Any) -> Response:
            after = int(request.args.get("after") or 0) + 1
            query = {**request.args.to_dict(), "after": str(after), "access_token": TOKEN}
            return json_response(
                {
                    "data": items[:2],
                    "paging": {
                        "cursors": {"after": str(after)},
                        "next": f"https://graph.facebook.com{request.path}?{urlencode(query)}",
                    },
                }
            )

        self.graph.server.override(self._edge(stream), endless)

    def break_paging(self, stream: str) -> None:
        """`stream`'s listing says where its next page is with an object instead of a URL."""
        items = self.graph.posts if stream == "posts" else self.graph.conversations

        def broken(request: Request, match: Any) -> Response:
            return json_response({"data": items, "paging": {"next": {"url": 1}}})

        self.graph.server.override(self._edge(stream), broken)

    def unlisted_ids(self, stream: str) -> set[str]:
        """Good ids a hostile `repeat_forever`/`break_paging` of `stream` keeps from the walk."""
        if stream == "posts":  # the endless listing repeats the first two posts only
            listed = self.graph.posts[:2]
            ids = {p["id"] for p in self.graph.posts[2:]}
            ids |= {c["id"] for p in self.graph.posts[2:] for c in p["comments"]["data"]}
            return ids - {p["id"] for p in listed}
        return {m["id"] for c in self.graph.conversations for m in c["messages"]["data"]}

    def overshoot(self, page_size: int) -> int:
        """Requests a walk may make past the run's budget: the pages read ahead while earlier
        ones are stored (one waiting in the prefetch queue, one being read by its thread)."""
        return 2

    def lengthen_texts(self, tail: str) -> None:
        """Add `tail` to the text of every planted post."""
        for raw in self.graph.posts:
            raw[self.text_field] = raw[self.text_field] + tail

    def with_text(self, raw: dict[str, Any], text: str) -> dict[str, Any]:
        """A copy of a raw post whose text is `text` (and of the right type)."""
        return {**raw, self.text_field: text}

    def requests_to(self, stream: str) -> int:
        """Requests the server got for `stream`'s listing."""
        return len(self.graph.server.requests_to(self._edge(stream) + "$"))


HARNESSES = {"facebook": FacebookHarness}


def write_config(
    directory: Any,
    harness: Any,
    *,
    runner: str = "",
    attempts: int = 3,
    logging: bool = False,
    **platform: Any,
) -> Any:
    """A somed config for `harness` (or a contract adapter) under `directory`: fast backoff,
    `attempts` tries per request, storage in `directory`; `logging`: JSON at debug level."""
    from pathlib import Path

    path = Path(directory) / "somed.toml"
    lines = [
        "[storage]", f'dir = "{Path(directory) / "archive"}"',
        *(["[logging]", 'format = "json"', 'level = "debug"'] if logging else []),
        "[runner]", "backoff_base_seconds = 0.01", "backoff_max_seconds = 0.05",
        f"max_attempts = {attempts}", runner,
        *harness.config_lines(**platform),
    ]  # fmt: skip
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def somed_cli(path: Any, harness: Any, *args: str) -> Any:
    """Run `somed --config PATH ARGS...` in a subprocess with the harness's token (English)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, **harness.env, "SOMED_LANG": "en"}
    return subprocess.run(
        [sys.executable, "-m", "somed", "--config", str(path), *args],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip


def run(config: Any, key: str) -> Any:
    """Archive one account once, as the daemon would (archive prepared, then the runner)."""
    from somed.daemon import prepare_archive
    from somed.runner import Runner

    prepare_archive(config)
    return Runner(config).run_account(key)


def archived(config: Any) -> dict[str, dict[str, Any]]:
    """The archive's items by id, as `somed export` gives them."""
    from storage import queries
    from storage.db import connect

    db = connect(config.db_path)
    try:
        return {item["id"]: item for item in queries.export_items(db)}
    finally:
        db.close()
