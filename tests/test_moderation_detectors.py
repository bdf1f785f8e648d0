"""The moderation detectors on texts: every category, åäö, obfuscations, innocent look-alikes."""

from __future__ import annotations

import pytest

from somed.moderation.detectors import Detectors
from somed.moderation.precision import evaluate, load_labelled


@pytest.fixture(scope="module")
def detectors() -> Detectors:
    return Detectors.from_lists()


def categories(detectors: Detectors, text: str) -> set[str]:
    return set(detectors.detect(text))


# --- personal data --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Mitt personnummer är 811228-9874, kolla min ansökan", "personnummer"),
        ("pnr 19811228-9874", "personnummer"),
        ("pnr 8112289874 tack", "personnummer"),
        ("Hans samordningsnummer är 701063-2391.", "samordningsnummer"),
        ("Samordningsnummer 19701063-2391", "samordningsnummer"),
    ],
)
def test_valid_identity_and_coordination_numbers_are_flagged(detectors, text, kind):
    found = detectors.detect(text)["personal_data"]
    assert found.terms == [kind]
    start, end = found.spans[0]
    assert text[start:end].replace("-", "").endswith("9874" if "98" in text else "2391")


@pytest.mark.parametrize(
    "text",
    [
        "Mitt ärende har nummer 811228-9875",  # the check digit is wrong
        "Samordningsnummer 701063-2392",  # the check digit is wrong
        "Ärende 811332-9874",  # no such date
        "Mötet är 2026-03-14 kl 18.00, diarienummer KS 2026/123",
        "Priset är 1 500 kr, vi är 120 personer",
    ],
)
def test_wrong_check_digits_dates_and_prices_are_not_personal_data(detectors, text):
    assert "personal_data" not in categories(detectors, text)


def test_phone_numbers_and_email_addresses_are_personal_data(detectors):
    text = "Ring mig på 070-123 45 67 eller +46 70 123 45 67, mejl anna.öberg@example.se"
    found = detectors.detect(text)["personal_data"]
    assert set(found.terms) == {"phone", "email"}
    assert [text[a:b] for a, b in sorted(found.spans)] == [
        "070-123 45 67", "+46 70 123 45 67", "anna.öberg@example.se"
    ]  # fmt: skip


def test_params_hold_where_and_why_never_the_number(detectors):
    found = detectors.detect("personnummer 811228-9874")["personal_data"]
    params = found.params("abc")
    assert params == {"spans": [[13, 24]], "terms": ["personnummer"], "detector": "personnummer",
                      "sha256": "abc"}  # fmt: skip
    assert "9874" not in str(params)


# --- word lists: åäö, inflections, obfuscations -----------------------------------------------


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Jävla skit, vägen är inte plogad", "profanity"),
        ("Era jävlar har stängt badhuset", "profanity"),  # an inflection with ä
        ("Vad i helvetet håller ni på med", "profanity"),
        ("Ni är en samling fittor", "profanity"),  # plural of fitta
        ("Håll käften", "hate"),
        ("Vilka idioter ni är på förvaltningen", "hate"),
        ("Åk hem till ditt land", "hate"),
        ("Ditt efterblivna kommunråd", "hate"),
        ("Jag ska döda dig om beslutet står", "threat"),
        ("Någon borde bränna ner kommunhuset", "threat"),
        ("Vi vet var du bor", "threat"),
        ("Köp nu! Rabattkod MORA20 i vår webbshop", "commercial"),
        ("Tjäna pengar hemifrån, klicka här: http://snabb.example.xyz", "commercial"),
        ("Se mina bilder på onlyfans.com/lisa", "commercial"),
    ],
)
def test_each_category_is_found_in_swedish(detectors, text, category):
    assert category in categories(detectors, text)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("fiiiitta", "profanity"),  # repeated letters
        ("Jääävla skämt", "profanity"),
        ("f.i.t.t.a", "profanity"),  # inserted dots
        ("f i t t a", "profanity"),  # inserted spaces
        ("J.ä.v.l.a politiker", "profanity"),
        ("din h0ra", "profanity"),  # leetspeak
        ("F.u.c.k the council", "profanity"),
        ("fuuuuck this", "profanity"),
        ("Id.iot", "hate"),
        ("Du är en 1d10t", "hate"),
        ("Jag ska dööööda dig", "threat"),
    ],
)
def test_obfuscated_forms_are_found(detectors, text, category):
    assert category in categories(detectors, text)


@pytest.mark.parametrize(
    "text",
    [
        "Min son går i Fittjaskolan",  # Fittja (a place) begins like fitta
        "Det fanns ingen kassa öppen",  # fanns and kassa: fan, kass
        "Kassan på simhallen tar bara kort",
        "Ska ni skjuta upp mötet?",  # skjuta, but no threat
        "Horisonten över Siljan är otrolig",
        "Skitbra jobbat med julbelysningen",  # a compliment
        "Slutet på året blir spännande",  # slut is Swedish for end
        "I'm a big fan of the library",
        "The cocktail bar at the square",
        "Scunthorpe and Dickens",
        "Vi har råttor i källaren",
        "Gratis entré på museet, se www.mora.se",  # one sales word and a link to the town
        "Tack för informationen! Jättebra.",
    ],
)
def test_innocent_words_are_not_flagged(detectors, text):
    assert categories(detectors, text) == set()


def test_spans_point_at_the_words_in_the_original_text(detectors):
    text = "Åh, din JÄVLA idiot!"
    found = detectors.detect(text)
    assert [text[a:b] for a, b in found["profanity"].spans] == ["JÄVLA"]
    assert [text[a:b] for a, b in found["hate"].spans] == ["idiot"]
    assert found["hate"].terms == ["idiot"]


def test_config_words_extend_the_lists_and_allow_words_silence_them():
    extended = Detectors.from_lists(
        extra_words={"profanity": ["tjockskalle"], "allow": ["=satan"]},
        commercial_domains=["blocket-fynd.example"],
    )
    assert "profanity" in categories(extended, "Din tjockskalle")
    assert "profanity" in categories(extended, "Era tjockskallar")
    assert "profanity" not in categories(extended, "Satan!")
    assert "commercial" in categories(extended, "Fynd på https://blocket-fynd.example/x")


def test_word_files_from_config_are_read(tmp_path):
    words = tmp_path / "egna.txt"
    words.write_text("# egna ord\nbyråkratsvin\n", encoding="utf-8")
    extended = Detectors.from_lists(word_files={"hate": [words]})
    assert "hate" in categories(extended, "Era byråkratsvinen")


def test_precision_on_the_labelled_sample_stays_high(detectors):
    report = evaluate(detectors, load_labelled())
    assert report["items"] >= 300
    for category, counts in report["categories"].items():
        assert counts["precision"] >= 0.9, (category, counts)
        assert counts["recall"] >= 0.85, (category, counts)


def test_an_unknown_word_list_category_is_a_config_error(tmp_path):
    from somed.config import load_config
    from somed.config_errors import ConfigError

    path = tmp_path / "somed.toml"
    path.write_text('[storage]\ndir = "a"\n[moderation]\nextra_words = {swearing = ["x"]}\n',
                    encoding="utf-8")  # fmt: skip
    with pytest.raises(ConfigError) as info:
        load_config(path, {})
    assert "moderation.extra_words" in str(info.value) and "profanity" in str(info.value)


def test_the_flags_bench_reports_detectors_beside_the_regex_and_precision():
    import json
    import subprocess
    import sys
    from pathlib import Path

    bench = Path(__file__).resolve().parents[1] / "bench" / "flags.py"
    done = subprocess.run([sys.executable, str(bench), "--items", "300", "--repeat", "1", "--json"],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(done.stdout)
    throughput = results["throughput"]
    assert throughput["detectors"]["items"] == throughput["regex"]["items"] == 300
    assert throughput["target"] == 0.5 and throughput["ratio"] > 0
    assert set(results["precision"]["categories"]) == {
        "personal_data", "profanity", "hate", "threat", "commercial"
    }  # fmt: skip
