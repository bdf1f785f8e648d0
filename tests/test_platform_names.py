"""Nothing platform-specific outside `connectors/`: somed/ and storage/ name no platform.

API versions, hosts, error codes, reason texts and intervals are declared by each connector;
the core learns them through the connector contract. This test greps the core's code (every
file under somed/ and storage/ but the gettext catalogues) for platform names, their hosts and
their client libraries, for "x" as a string of its own, and for comparisons with a platform.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = ("somed", "storage")
NAMES = re.compile(
    r"facebook|instagram|youtube|twitter|tweepy|instaloader|fbcdn|cdninstagram|googleapis"
    r"|graph\.facebook|api\.x\.com|\bx\.com\b",
    re.IGNORECASE,
)
COMPARISON = re.compile(r"\bplatform\s*(==|!=|\bin\b)\s*[\"'(\[{]")
# Names that cannot change: a migration's name is recorded in every existing database.
ALLOWED = {("storage/migrations.py", "m007_facebook_item_markers"),
           ("storage/migrations.py", "m015_youtube")}  # the name issue 6 assigned  # fmt: skip


def core_files() -> list[Path]:
    """Every file of the core but the compiled and source catalogues."""
    return sorted(
        path
        for package in CORE
        for path in (ROOT / package).rglob("*")
        if path.is_file() and "locale" not in path.parts and "__pycache__" not in path.parts
    )


def findings(path: Path) -> list[str]:
    """Platform names, "x" strings and platform comparisons in one file, as `file:line: text`."""
    text = path.read_text(encoding="utf-8")
    name = path.relative_to(ROOT).as_posix()
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        for match in NAMES.finditer(line):
            if not any(f == name and match.group(0) in word and word in line
                       for f, word in ALLOWED):  # fmt: skip
                found.append(f"{name}:{number}: {line.strip()}")
        if COMPARISON.search(line):
            found.append(f"{name}:{number}: {line.strip()}")
    if path.suffix == ".py":
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.STRING and token.string.strip("rbuf").strip("'\"") == "x":
                found.append(f"{name}:{token.start[0]}: {token.line.strip()}")
    return found


def test_the_core_names_no_platform():
    files = core_files()
    assert len(files) > 20  # the walk found the code
    found = [line for path in files for line in findings(path)]
    assert not found, "platform-specific code outside connectors/:\n" + "\n".join(found)


def test_the_grep_would_see_a_platform_name(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text(
        'HOST = "graph.facebook.com"\nif platform == "x":\n    pass\nkind = "x"\n', "utf-8"
    )
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        assert len(findings(planted)) == 4
    finally:
        ROOT = saved
