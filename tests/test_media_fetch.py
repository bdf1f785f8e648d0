"""The run's media fetcher shared by streams walked beside each other: each stream's batches
get only the downloads that stream asked for (a file handed to another stream's batch before
this stream's items are stored would be linked to nothing, and lost), and the run's last drain
takes every download, whoever asked."""

from __future__ import annotations

import shutil
import threading
import time

from connectors.model import MediaRef
from somed.media_fetch import MediaFetcher
from storage.media import MediaStore
from tests.contract.conftest import connector_for

CDN = "https://scontent.xx.fbcdn.net/media"


def refs(names: list[str]) -> list[MediaRef]:
    return [MediaRef(f"fb:{name}", f"{CDN}/{name}.png?oh=00_x&oe=FFFFFFFF") for name in names]


def fetched(fetcher: MediaFetcher, want: set[str], timeout: float = 30) -> dict[str, object]:
    """The calling thread's downloads, taken with `ready()` until `want` are all in."""
    taken: dict[str, object] = {}
    deadline = time.monotonic() + timeout
    while not want <= set(taken):
        assert time.monotonic() < deadline, f"not downloaded: {want - set(taken)}"
        taken.update(fetcher.ready())
        time.sleep(0.01)
    return taken


def test_each_stream_takes_only_the_downloads_it_asked_for(fb_setup, tmp_path) -> None:
    setup = fb_setup()
    connector = connector_for(setup.config, "test-fb")
    fetcher = MediaFetcher(connector, MediaStore(tmp_path / "store"), account="test-fb",
                           sleep=time.sleep, backoff=lambda attempt: 0.0)  # fmt: skip
    try:
        fetcher.submit(refs(["main-1", "main-2"]))
        beside: dict[str, object] = {}
        asked = threading.Event()

        def stream_beside() -> None:
            fetcher.submit(refs(["beside-1"]))
            asked.set()
            beside.update(fetched(fetcher, {"fb:beside-1"}))
            time.sleep(0.5)  # the main thread's downloads are done by now: still not taken here
            beside.update(fetcher.ready())

        thread = threading.Thread(target=stream_beside)
        thread.start()
        asked.wait(10)
        fetcher.submit(refs(["beside-1"]))  # asked for by the other stream first: not again
        main = fetched(fetcher, {"fb:main-1", "fb:main-2"})
        thread.join(30)
        assert set(beside) == {"fb:beside-1"}
        assert set(main) == {"fb:main-1", "fb:main-2"}
        fetcher.submit(refs(["late"]))  # a download this thread will not take with ready():
        assert set(fetched_elsewhere(fetcher)) == set()  # another thread's ready() skips it,
        assert set(fetcher.drain()) == {"fb:late"}  # the run's last drain takes it
    finally:
        fetcher.close()


def fetched_elsewhere(fetcher: MediaFetcher) -> dict[str, object]:
    """What `ready()` gives a thread that asked for nothing, once the downloads are done."""
    time.sleep(0.5)
    got: dict[str, object] = {}
    thread = threading.Thread(target=lambda: got.update(fetcher.ready()))
    thread.start()
    thread.join(10)
    return got


def test_the_media_store_makes_its_folders_again_when_they_were_removed(tmp_path):
    store = MediaStore(tmp_path)
    first = store.put(b"\x89PNG\r\n\x1a\n first", "image/png")
    shutil.rmtree(tmp_path / "media")  # by hand, while the daemon runs
    second = store.put(b"\x89PNG\r\n\x1a\n second", "image/png")
    assert not (tmp_path / first.path).exists()
    assert (tmp_path / second.path).read_bytes().endswith(b"second")
