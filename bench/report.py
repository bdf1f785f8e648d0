"""The benchmark's results as a plain-text table for a terminal."""

from __future__ import annotations

from typing import Any


def _f(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def _photos(every: int) -> str:
    return "no photos" if every <= 0 else f"photos on every {every}th post"


def _spread(entry: dict[str, Any]) -> str:
    walls = entry.get("rounds_wall_s") or []
    return "" if len(walls) < 2 else f"{min(walls):.2f}-{max(walls):.2f}"


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i])
                               for i, c in enumerate(row)))  # fmt: skip
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines


def render(results: dict[str, Any]) -> str:
    """Render the results of `archive_throughput.benchmark` as text."""
    first, fetch, norm = results["first_archive"], results["fetch"], results["normalise"]
    insert, serial, ratio = results["insert"], results["serial"], results["ratio"]
    idle, quiet = results["idle_poll"], results["sweep_nothing_deleted"]
    idle90 = results["idle_poll_default_window"]
    swept, page, size = results["sweep_after_deletions"], results["page"], results["database"]

    def rated(name: str, entry: dict[str, Any], requests: str = "") -> tuple[str, ...]:
        return (name, _f(entry["items"]), _f(entry["wall_s"], 2), _f(entry["items_per_s"]),
                requests, _spread(entry))  # fmt: skip

    rows = [
        ("measurement", "items", "wall s", "items/s", "HTTP req", "rounds s"),
        rated("1. first full archive (somed)", first,
              f"{first['http_requests']} ({first['api_requests']} API)"),
        rated("1b. the same without visitors' posts", results["first_archive_own"],
              f"{results['first_archive_own']['http_requests']} "
              f"({results['first_archive_own']['api_requests']} API)"),
        rated("2. plain fetch", fetch, _f(fetch["http_requests"])),
        rated("3. normalise (records + rows)", norm),
        rated("4. same-schema insert", insert),
        rated("5. serial sum 2 + 3 + 4", serial),
        ("6. idle poll (window 0)", "0", _f(idle["wall_s"], 3), "-", _f(idle["http_requests"]), ""),
        (f"6. idle poll (window {idle90['window_days']} days, {idle90['window_posts']} posts)",
         "0", _f(idle90["wall_s"], 3), "-", _f(idle90["http_requests"]), ""),
        (f"7. sweep, {quiet['window_posts']} posts, nothing deleted",
         _f(quiet["window_posts"] + quiet["window_comments"]), _f(quiet["wall_s"], 3), "-",
         _f(quiet["http_requests"]), ""),
        (f"7. sweep after deleting {swept['deleted_posts']} posts + "
         f"{swept['deleted_comments']} comments", "", _f(swept["wall_s"], 3), "-",
         _f(swept["http_requests"]), ""),
    ]  # fmt: skip
    machine = results["machine"]
    lines = [
        f"somed archive throughput, {results['date']}: {page['posts']:,} posts x "
        f"{page['comments_per_post']} comments (+{page['replies_per_comment']} replies each), "
        f"{_photos(page['images_every'])}; {machine['nproc']} CPUs, Python {machine['python']}, "
        f"SQLite {machine['sqlite']}; load {machine['load_before']:.1f} before, "
        f"{machine['load_after']:.1f} after",
        "",
        *_table(rows),
        "",
        f"ratio archive / min(plain fetch, same-schema insert) = {ratio['value']:.2f} "
        f"(target >= {ratio['target']}) {'PASS' if ratio['pass'] else 'MISS'}"
        + (f"; per round {', '.join(f'{r:.2f}' for r in ratio['rounds'])}"
           if len(ratio["rounds"]) > 1 else ""),
        f"without visitors' posts (1b): ratio {ratio['own']:.2f}",
        f"archive / serial sum = {ratio['of_serial']:.2f} (above 1: fetching overlaps storing); "
        f"the archive used {first['cpu_s']:.2f} s of CPU in {first['wall_s']:.2f} s",
        f"normalise: records {norm['records_s']:.2f} s, rows (hash, JSON) {norm['rows_s']:.2f} s",
        f"database: {size['bytes'] / 1e6:,.1f} MB for {size['items']:,} items = "
        f"{size['bytes_per_1000_items'] / 1e3:,.0f} kB per 1,000 items (raw JSON, stored once: "
        f"{size['raw_per_1000_items'] / 1e3:,.0f} kB)",
        f"idle poll: {idle['http_requests']} HTTP requests (target <= {idle['target']}) "
        f"{'PASS' if idle['pass'] else 'MISS'}, {idle['wall_s'] * 1000:.0f} ms",
        f"idle poll, default window: {idle90['http_requests']} HTTP requests carrying "
        f"{idle90['batch_reads']} batch reads (target <= {idle90['target']} requests, no batch "
        f"reads when nothing changed) {'PASS' if idle90['pass'] else 'MISS'}, "
        f"{idle90['wall_s'] * 1000:.0f} ms",
        f"sweep share (run minus idle poll): nothing deleted {quiet['sweep_http_requests']} "
        f"requests / {quiet['sweep_s'] * 1000:.0f} ms ({quiet['batches']} batches, "
        f"{quiet['batch_reads']} reads); after deletions {swept['sweep_http_requests']} requests"
        f" / {swept['sweep_s'] * 1000:.0f} ms ({swept['batches']} batches, "
        f"{swept['batch_reads']} reads); tombstones {swept['tombstones']} (expected "
        f"{swept['expected_tombstones']})",
    ]  # fmt: skip
    over = results.get("overheads")
    if over:
        added = ", ".join(f"{name} {over['added_cpu_s'][name]:+.2f} s"
                          for name in over["safeguards"])  # fmt: skip
        lines.append(
            f"safeguards: CPU they add over plain code: {added} = {over['added_share']:+.1%} of "
            f"a plain run's {over['best_cpu_s']['off']:.2f} s CPU (target <= "
            f"{over['target']:.0%}) {'PASS' if over['pass'] else 'MISS'}; whole runs with / "
            f"without: {over['best_wall_s']['on']:.2f} / {over['best_wall_s']['off']:.2f} s "
            f"wall, {over['best_cpu_s']['on']:.2f} / {over['best_cpu_s']['off']:.2f} s CPU"
        )
    deep = results.get("deep_sweep")
    if deep:
        lines.append(
            f"deep sweep: a whole pass over {deep['posts']:,} posts older than the window took "
            f"{deep['runs']} runs, {deep['requests']:,} requests beyond their idle polls "
            f"({deep['batch_reads']:,} batch reads), {deep['seconds']:.2f} s = "
            f"{deep['requests_per_1000_posts']:.1f} requests and "
            f"{deep['seconds_per_1000_posts']:.2f} s per 1,000 archived posts; tombstones "
            f"{deep['tombstones']} (expected {deep['expected_tombstones']})"
            + ("" if deep["complete"] else " INCOMPLETE")
        )
    if first["media_downloads"] > 2:
        lines.append(
            f"photos: the archive stored {first['media_files_stored']:,} files from "
            f"{first['media_downloads']:,} downloads; a plain fetch of each file once took "
            f"{results['media_fetch']['wall_s']:.2f} s ({results['media_fetch']['media_files']:,}"
            " files)"
        )
    return "\n".join(lines)
