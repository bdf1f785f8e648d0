"""The gettext catalogues: compiled as written, both languages complete, real plurals, every reason."""

from __future__ import annotations

import re
import string
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from connectors.facebook.client import TOKEN_SUBCODES
from connectors.registry import available, connector_class
from somed.i18n import LANGUAGES, Translator, catalogue_dirs
from somed.reasons import GENERIC, PARTIAL, render
from storage.runlog import CRASHED

ROOT = Path(__file__).resolve().parent.parent
SV, EN = Translator("sv"), Translator("en")
PO_FILES = sorted(po for _, folder in catalogue_dirs() for po in folder.glob("*/LC_MESSAGES/*.po"))


def messages(catalog) -> dict[str, str | tuple[str, ...]]:
    """Id -> text (a tuple of forms for a plural) of a Babel catalog, header left out."""
    found = {}
    for message in catalog:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple | list) else message.id
        text = message.string
        found[key] = tuple(text) if isinstance(text, tuple | list) else text
    return found


def read(po: Path):
    with po.open("rb") as handle:
        return read_po(handle, locale=po.parent.parent.name)


def test_catalogues_exist_for_somed_and_each_connector_in_both_languages():
    domains = {domain for domain, _ in catalogue_dirs()}
    assert {"somed", "facebook"} <= domains
    for domain, folder in catalogue_dirs():
        for language in LANGUAGES:
            assert (folder / language / "LC_MESSAGES" / f"{domain}.po").is_file()


@pytest.mark.parametrize("po", PO_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_each_mo_file_matches_its_po(po: Path):
    mo = po.with_suffix(".mo")
    assert mo.is_file(), f"{mo} is missing: run `make catalogues`"
    with mo.open("rb") as handle:
        compiled = read_mo(handle)
    assert messages(compiled) == messages(read(po)), f"{mo} is stale: run `make catalogues`"
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in po.read_text(encoding="utf-8")


def fields(text: str | tuple[str, ...]) -> set[str]:
    forms = text if isinstance(text, tuple) else (text,)
    return {name for form in forms for _, name, _, _ in string.Formatter().parse(form) if name}


@pytest.mark.parametrize("domain_folder", catalogue_dirs(), ids=lambda d: d[0])
def test_swedish_and_english_hold_the_same_ids_placeholders_and_plurals(domain_folder):
    domain, folder = domain_folder
    swedish = messages(read(folder / "sv" / "LC_MESSAGES" / f"{domain}.po"))
    english = messages(read(folder / "en" / "LC_MESSAGES" / f"{domain}.po"))
    assert set(swedish) == set(english)
    for key, text in swedish.items():
        assert text and all(text), f"{domain} sv {key} is empty"
        assert all(english[key]), f"{domain} en {key} is empty"
        assert fields(text) == fields(english[key]), key
        assert isinstance(text, tuple) == isinstance(english[key], tuple), key


def test_no_platform_wording_in_somed_catalogues():
    names = set()
    for platform in available():
        cls = connector_class(platform)
        names |= {platform, cls.display_name} - {""}
    names |= {"Messenger", "Graph"}
    for po in (ROOT / "somed" / "locale").glob("*/LC_MESSAGES/*.po"):
        for key, text in messages(read(po)).items():
            for form in text if isinstance(text, tuple) else (text,):
                for name in names:  # as a word: the platform "x" is in every "next"
                    found = re.search(rf"\b{re.escape(name)}\b", form, re.IGNORECASE)
                    assert not found, f"{po}: {key} names {name}"


@pytest.mark.parametrize(
    ("key", "count", "swedish", "english"),
    [
        ("time.days_ago", 0, "för 0 dagar sedan", "0 days ago"),
        ("time.days_ago", 1, "för 1 dag sedan", "1 day ago"),
        ("time.days_ago", 2, "för 2 dagar sedan", "2 days ago"),
        ("time.days_ago", 5, "för 5 dagar sedan", "5 days ago"),
        ("count.accounts", 0, "0 konton", "0 accounts"),
        ("count.accounts", 1, "1 konto", "1 account"),
        ("count.accounts", 2, "2 konton", "2 accounts"),
        ("count.accounts", 5, "5 konton", "5 accounts"),
        ("summary.ok", 1, "Kontot arkiverat.", "The account was archived."),
        ("summary.ok", 5, "Alla 5 konton arkiverade.", "All 5 accounts archived."),
    ],
)
def test_plurals_follow_the_count(key, count, swedish, english):
    assert SV.n(key, count) == swedish
    assert EN.n(key, count) == english


def test_a_missing_text_falls_back_to_english_then_to_the_id_and_missing_values_show():
    assert Translator("de").language == "sv"
    assert SV("no.such.id") == "no.such.id" and not SV.has("no.such.id")
    assert SV("note.failing") == "Senaste körningen misslyckades: {reason}."
    assert SV("note.failing", other=1) == "Senaste körningen misslyckades: ?."


# --- every reason code the code base can produce ------------------------------------------

CODE = r"([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)"
PATTERNS = [
    re.compile(rf"""\breason\s*=\s*["']{CODE}["']"""),  # raise X(..., reason="a.b")
    re.compile(r"""\bdefault_reason\b[^=\n]*=\s*["']([a-z][a-z0-9_.]*)["']"""),  # class default
    re.compile(rf"""\(\s*["']{CODE}["'],\s*\{{"""),  # ("a.b", {...}) reason tuples
    re.compile(rf"""["']reason["']:\s*["']{CODE}["']"""),  # {"reason": "a.b"} parts
]


# last labels of host names ("facebook.com" in a host list is no reason code)
HOSTS = frozenset({"com", "net", "org", "se", "nu", "eu", "io", "info"})


def families() -> set[str]:
    """The reason families with a text of their own (`reason.auth`, `reason.net`, ...)."""
    found = set()
    for domain, folder in catalogue_dirs():
        for key in messages(read(folder / "sv" / "LC_MESSAGES" / f"{domain}.po")):
            if key.startswith("reason.") and key.count(".") == 1:
                found.add(key.removeprefix("reason."))
    return found


def produced_codes() -> set[str]:
    """Reason codes found in the source of connectors/, somed/ and storage/, plus the tables.

    Besides the keyword forms, any string literal `family.code` of a known family counts (codes
    passed positionally to a helper, or chosen in a conditional expression).
    """
    names = "|".join(sorted(families()))
    literal = re.compile(rf"""["']((?:{names})\.[a-z0-9_]+(?:\.[a-z0-9_]+)*)["']""")
    codes: set[str] = set()
    for folder in ("connectors", "somed", "storage"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            for pattern in (*PATTERNS, literal):
                codes |= set(pattern.findall(text))
    codes |= set(TOKEN_SUBCODES.values()) | {CRASHED, "run.internal"}
    modules = ("somed.", "connectors.", "storage.")
    return {c for c in codes if not c.startswith(modules) and c.rsplit(".", 1)[-1] not in HOSTS}


def test_the_scan_finds_the_codes_of_connectors_runner_and_storage():
    codes = produced_codes()
    expected = {"auth.token_expired", "permission.missing", "rate.limited", "run.gave_up",
                "run.interrupted", "run.crashed", "run.busy", "facebook.api_version",
                "facebook.page_missing", "transient", "error"}  # fmt: skip
    assert expected <= codes, expected - codes


@pytest.mark.parametrize("code", sorted(produced_codes() - {PARTIAL}))
def test_every_reason_code_has_its_own_text_in_swedish_and_english(code):
    key = f"reason.{code}"
    assert SV.has(key) and EN.has(key), f"no text for {code}: add {key} to the catalogues"
    swedish = render(SV, code, {}, platform="facebook")
    english = render(EN, code, {}, platform="facebook")
    assert swedish != english, f"{key}: the Swedish text is the English one"
    for text in (swedish, english):
        assert text and code not in text
        if code != GENERIC:  # the generic text is for codes without their own
            assert not text.startswith(("oväntat fel", "unexpected")), text


def test_the_swedish_catalogue_itself_holds_every_reason():
    swedish_ids = set()
    for domain, folder in catalogue_dirs():
        swedish_ids |= set(messages(read(folder / "sv" / "LC_MESSAGES" / f"{domain}.po")))
    missing = {c for c in produced_codes() - {PARTIAL} if f"reason.{c}" not in swedish_ids}
    assert not missing


# --- one-line usage errors -----------------------------------------------------------------


def somed(*args: str, lang: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "SOMED_CONFIG": "/nonexistent/somed.toml",
           "SOMED_I18N_TOKEN": "EMU-i18n-token"}  # fmt: skip
    if lang:
        env["SOMED_LANG"] = lang
    return subprocess.run([sys.executable, "-m", "somed", *args], env=env, capture_output=True,
                          text=True, timeout=60, cwd=ROOT)  # fmt: skip


USAGE_ERRORS = {
    "unknown option": (["archive", "--bogus"], "okänd flagga --bogus", "no such option --bogus"),
    "near miss": (["archive", "--acount", "x"], "menade du --account?", "did you mean --account?"),
    "unknown verb": (["frobnicate"], "okänt kommando 'frobnicate'", "no such command 'frobnicate'"),
    "bad choice": (["--lang", "de", "status"], "välj ett av sv, en", "choose one of sv, en"),
    "bad number": (["archive", "--wait", "x"], "'--wait': ange ett tal", "'--wait': give a number"),
    "missing value": (["export", "--since"], "flaggan --since behöver ett värde",
                      "option --since needs a value"),
    "extra argument": (["status", "now"], "tar inte argumentet now",
                       "does not take the argument now"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(USAGE_ERRORS))
def test_a_usage_error_is_one_line_in_the_chosen_language_with_exit_2(case):
    args, swedish, english = USAGE_ERRORS[case]
    for lang, words in (("sv", swedish), ("en", english)):
        result = somed(*args, lang=lang)
        assert result.returncode == 2, result.stderr
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("somed: error: "), result.stderr
        assert words in lines[0], lines[0]
        assert result.stdout == "" and "Usage:" not in result.stderr


def test_lang_on_the_command_line_wins_and_swedish_is_the_default():
    assert "okänd flagga" in somed("archive", "--bogus").stderr
    english = somed("--lang", "en", "archive", "--bogus", lang="sv").stderr
    assert english.startswith("somed: error: no such option --bogus")
    assert "see 'somed archive --help'" in english
    assert somed("--help").returncode == 0 and somed("--version").returncode == 0


def test_every_text_id_the_code_asks_for_exists_in_both_languages():
    from storage.runlog import HEALTH_STATUSES, RUN_STATUSES

    asked = {f"status.{s}" for s in (*RUN_STATUSES, "busy")} | {
        f"health.{s}" for s in (*HEALTH_STATUSES, "unknown")
    }
    call = re.compile(r"""\bt(?:\.n)?\(\s*["']([a-z_]+(?:\.[a-z0-9_]+)+)["']""")
    for path in (ROOT / "somed").rglob("*.py"):
        asked |= set(call.findall(path.read_text(encoding="utf-8")))
    for platform in available():
        asked |= {f"stream.{name}" for name in connector_class(platform).stream_names()}
    missing = {key for key in asked if not (SV.has(key) and EN.has(key))}
    assert not missing, f"add these ids to the catalogues: {sorted(missing)}"


def test_somed_own_usage_errors_are_one_line_in_the_chosen_language(tmp_path):
    config = tmp_path / "somed.toml"
    config.write_text(
        f'[storage]\ndir = "{tmp_path / "archive"}"\n[[accounts]]\nkey = "mora-fb"\n'
        'platform = "facebook"\nid = "1"\ntoken_env = "SOMED_I18N_TOKEN"\n',
        encoding="utf-8",
    )
    cases = {
        ("export", "--account", "nope"): (
            "--account 'nope': kontot finns inte i",
            "--account 'nope': no such account in",
        ),
        ("export", "--since", "igår"): ("--since 'igår': inte ett datum", "not a date"),
        ("export", "--since", "2026-02-01", "--until", "2026-01-01"): (
            "ligger inte före --until 2026-01-01",
            "is not before --until 2026-01-01",
        ),
    }
    for args, (swedish, english) in cases.items():
        for lang, words in (("sv", swedish), ("en", english)):
            result = somed("--config", str(config), "--lang", lang, *args)
            assert result.returncode == 2, result.stderr
            lines = result.stderr.splitlines()
            assert len(lines) == 1 and lines[0].startswith("somed: error: "), result.stderr
            assert words in lines[0], lines[0]
