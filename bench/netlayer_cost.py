"""What the network layer's own work costs beside the request it guards (scrubbing, routing).

Fetches every page of a generated page's posts (100 per page, comments expanded) from the
bundled emulator twice, interleaved: through a plain `requests.Session` and through somed's
`NetSession` (routing, deadline loop, scrubbing), and times the scrubber alone on the same
bodies. Prints seconds per 1,000 posts and the share of the fetch time.

    .venv/bin/python bench/netlayer_cost.py [--posts N] [--rounds R]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connectors.facebook.emulator import FacebookEmulator, TokenInfo, generate_page  # noqa: E402
from connectors.http import NetPolicy, SessionFactory  # noqa: E402
from connectors.scrub import Scrubber  # noqa: E402

TOKEN = "EAABenchTok3n+/=value"
PAGE = "100200300"


def walk(session: requests.Session, base: str) -> list[bytes]:
    """Every page body of the posts edge."""
    bodies: list[bytes] = []
    params: dict[str, object] = {"access_token": TOKEN, "limit": 100,
                                 "fields": "id,message,created_time,comments.limit(25)"
                                           "{id,message,created_time,from}"}  # fmt: skip
    url: str | None = f"{base}/v21.0/{PAGE}/published_posts"
    while url:
        response = session.get(url, params=params)
        bodies.append(response.content)
        after = ((response.json().get("paging") or {}).get("cursors") or {}).get("after")
        nxt = (response.json().get("paging") or {}).get("next")
        url = url if nxt and after else None
        params = {**params, "after": after}
    return bodies


def main() -> None:
    """Run the comparison and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    newest = datetime.now(UTC) - timedelta(hours=1)
    page = generate_page(PAGE, "Benchkommun", "benchkommun", posts=args.posts, newest=newest,
                         comments_per_post=5, replies_per_comment=1, conversations=0,
                         spacing=timedelta(hours=2))  # fmt: skip
    emulator = FacebookEmulator([page], tokens={TOKEN: TokenInfo(page_ids=(PAGE,))})
    base = emulator.start()
    plain_times, net_times, scrub_times = [], [], []
    try:
        for _ in range(args.rounds):
            plain = requests.Session()
            start = time.perf_counter()
            bodies = walk(plain, base)
            plain_times.append(time.perf_counter() - start)
            factory = SessionFactory(NetPolicy(endpoint=base), [TOKEN])
            start = time.perf_counter()
            walk(factory.new(), base)
            net_times.append(time.perf_counter() - start)
            scrubber = Scrubber([TOKEN])
            start = time.perf_counter()
            for body in bodies:
                scrubber.data(body)
            scrub_times.append(time.perf_counter() - start)
    finally:
        emulator.stop()
    per = 1000 / args.posts
    size = sum(len(b) for b in bodies) / 1e6
    print(f"posts {args.posts}, pages {len(bodies)}, {size:.1f} MB of JSON, best of {args.rounds}")
    print(f"plain requests.Session : {min(plain_times) * per:.3f} s per 1,000 posts")
    print(f"somed NetSession       : {min(net_times) * per:.3f} s per 1,000 posts")
    print(f"scrubber alone         : {min(scrub_times) * per:.3f} s per 1,000 posts "
          f"({min(scrub_times) / size * 1000:.1f} ms/MB, "
          f"{100 * min(scrub_times) / min(plain_times):.1f}% of the plain fetch)")  # fmt: skip


if __name__ == "__main__":
    main()
