"""The response and cadence monitors on a real archive (emulator, real runs, injected clock).

The questions, answers and posts carry fixed publication times around 1 May 2026 (a Swedish
public holiday, a Friday), so business hours across the holiday and the weekend are counted.
"""

from __future__ import annotations

from contextlib import closing
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from conftest import PAGE_ID

from connectors.facebook.emulator import generate_page
from somed.config import load_config
from somed.daemon import prepare_archive
from somed.monitors import run_monitors
from somed.runner import Runner
from storage.db import connect
from storage.flags import flag_history

TZ = ZoneInfo("Europe/Stockholm")
PAGE = (PAGE_ID, "Testkommun")
EVA, OLLE, SARA = ("900", "Eva Olsson"), ("901", "Olle Berg"), ("902", "Sara Lind")


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=TZ)  # type: ignore[misc]


def archive_at(config, moment):
    prepare_archive(config)
    outcomes = Runner(config, clock=lambda: moment).run_accounts([a.key for a in config.accounts])
    assert [o.status for o in outcomes] == ["ok"], outcomes


def monitors_at(config, moment):
    with closing(connect(config.db_path)) as db:
        report = run_monitors(db, config, moment)
        flags = [
            f for f in flag_history(db, "test-fb") if f["flag"] in ("unanswered", "low_cadence")
        ]
    return report, flags


def spring_page():
    """A page whose only generated post is old; the test adds the spring thread itself."""
    return generate_page(PAGE_ID, "Testkommun", "testkommun", posts=1, newest=at(2026, 3, 1, 12))


def test_questions_are_judged_in_business_hours_and_resolved_by_the_answer(fb_setup):
    setup = fb_setup([spring_page()])
    emu = setup.emulator
    post = emu.add_post(
        PAGE_ID, "Badhuset stänger för renovering.", created_time=at(2026, 4, 28, 9)
    )
    # asked Wednesday 10:00, answered Tuesday 13:00 after 1 May and the weekend: 30 hours, late
    late = emu.add_comment(post, "När öppnar badhuset igen?", author=EVA,
                           created_time=at(2026, 4, 29, 10))  # fmt: skip
    emu.add_comment(late, "Hej! Om två veckor. /Anna", author=PAGE, created_time=at(2026, 5, 5, 13))
    # answered the same afternoon: in time, never flagged
    prompt = emu.add_comment(post, "Finns det parkering i närheten?", author=OLLE,
                             created_time=at(2026, 4, 29, 11))  # fmt: skip
    emu.add_comment(prompt, "Ja, vid entrén. /Erik", author=PAGE, created_time=at(2026, 4, 29, 15))
    # asked Thursday 09:00 and never answered: due Tuesday 5 May 15:00 (8 + 9 + 7 hours)
    open_q = emu.add_comment(post, "Vem kan jag kontakta om det här?", author=SARA,
                             created_time=at(2026, 4, 30, 9))  # fmt: skip
    # a remark asks nothing; a message answered in its conversation needs nothing more
    emu.add_comment(post, "Tack för informationen!", author=OLLE, created_time=at(2026, 4, 29, 12))
    emu.add_message(PAGE_ID, EVA, "Hur ansöker jag om bygglov?", created_time=at(2026, 4, 29, 10))
    emu.add_message(PAGE_ID, EVA, "Via e-tjänsten. /Anna", from_page=True,
                    created_time=at(2026, 4, 29, 10, 30))  # fmt: skip
    config = setup.config
    archive_at(config, at(2026, 5, 6, 11))

    # Monday 4 May 17:00: the open question is not yet due (24 business hours end Tuesday 15:00)
    report, flags = monitors_at(config, at(2026, 5, 4, 17))
    late_flags = [f for f in flags if f["item_id"] == late]
    assert [(f["reason"], f["resolved_at"] is not None) for f in late_flags] == [
        ("monitor.answered_late", True)
    ]
    assert late_flags[0]["params"]["business_hours"] == 30.0
    assert late_flags[0]["params"]["deadline"] == "2026-05-04T14:00:00Z"  # Monday 16:00 CEST
    assert [f for f in flags if f["item_id"] == open_q] == []

    # Wednesday: the open question is past its deadline; nothing else is flagged
    report, flags = monitors_at(config, at(2026, 5, 6, 12))
    opened = [f for f in flags if f["resolved_at"] is None]
    assert [(f["platform"], f["item_id"], f["reason"]) for f in opened] == [
        ("facebook", open_q, "monitor.unanswered")
    ]
    params = opened[0]["params"]
    assert params["deadline"] == "2026-05-05T13:00:00Z" and params["due"] == "2026-05-05 15:00"
    assert params["author"] == "Sara Lind" and params["limit_hours"] == 24
    assert {f["item_id"] for f in flags} == {late, open_q}
    assert report.opened == [("test-fb", "unanswered")]

    # looking again changes nothing: the late answer's flag is not reopened
    report, again = monitors_at(config, at(2026, 5, 6, 13))
    assert report.opened == [] and report.resolved == [] and again == flags

    # the account answers: the next read brings the answer and the flag is resolved
    emu.add_comment(open_q, "Hej! Ring kontaktcenter. /Anna", author=PAGE,
                    created_time=at(2026, 5, 6, 14))  # fmt: skip
    archive_at(config, at(2026, 5, 6, 15))
    report, flags = monitors_at(config, at(2026, 5, 6, 15))
    assert report.resolved == [("test-fb", "unanswered")]
    answered = [f for f in flags if f["item_id"] == open_q]
    assert len(answered) == 1 and answered[0]["resolved_at"] == "2026-05-06T13:00:00Z"
    assert answered[0]["params"]["business_hours"] == 32.0  # Thu 8 + Mon 9 + Tue 9 + Wed 6


def test_a_longer_limit_and_other_business_hours_per_account(fb_setup):
    setup = fb_setup([spring_page()])
    emu = setup.emulator
    post = emu.add_post(PAGE_ID, "Nytt schema för simskolan.", created_time=at(2026, 4, 28, 9))
    question = emu.add_comment(post, "Hur anmäler man sig?", author=EVA,
                               created_time=at(2026, 4, 29, 10))  # fmt: skip
    text = setup.config_path.read_text(encoding="utf-8")
    text += 'response_limit_hours = 40\nbusiness_hours = { start = "08:00", end = "12:00" }\n'
    setup.config_path.write_text(text, encoding="utf-8")
    config = load_config(setup.config_path)
    archive_at(config, at(2026, 5, 6, 11))
    # 40 hours of 08-12: Wed 2, Thu 4, Mon 4, Tue 4, ... due Friday 15 May (14 Ascension Day)
    _, flags = monitors_at(config, at(2026, 5, 13, 12))
    assert flags == []
    _, flags = monitors_at(config, at(2026, 5, 15, 12))
    assert [(f["item_id"], f["params"]["due"]) for f in flags] == [(question, "2026-05-15 10:00")]


def test_low_cadence_counts_own_posts_per_week_over_eight_weeks(fb_setup):
    setup = fb_setup([spring_page()])
    # one own post a week for eight weeks before 6 May; a visitor's post does not count
    for week in range(8):
        setup.emulator.add_post(PAGE_ID, f"Veckobrev {week}", created_time=at(2026, 3, 12, 9)
                                + timedelta(weeks=week))  # fmt: skip
    text = setup.config_path.read_text(encoding="utf-8") + "min_posts_per_week = 3\n"
    setup.config_path.write_text(text, encoding="utf-8")
    config = load_config(setup.config_path)
    archive_at(config, at(2026, 5, 6, 11))
    _, flags = monitors_at(config, at(2026, 5, 6, 12))
    assert [(f["flag"], f["reason"]) for f in flags] == [("low_cadence", "monitor.low_cadence")]
    params = flags[0]["params"]
    assert params["weeks"] == [1] * 8 and params["average"] == 1 and params["minimum"] == 3
    assert flags[0]["item_id"] is None  # an account-level flag

    # Falköping's minimum, one a week on average: resolved
    relaxed = text.replace("min_posts_per_week = 3", "min_posts_per_week = 1")
    setup.config_path.write_text(relaxed, encoding="utf-8")
    report, flags = monitors_at(load_config(setup.config_path), at(2026, 5, 6, 13))
    assert report.resolved == [("test-fb", "low_cadence")]
    assert all(f["resolved_at"] for f in flags)
