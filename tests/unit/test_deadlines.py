"""Deadlines in MASH working time: weekends, bank holidays, closing times, clock changes.

Moments are written as London wall-clock time with the day name ("Thu 2026-06-11 17:14"), and
the helper checks the day name against the date, so a wrong calendar guess fails loudly instead of
testing the wrong thing. Expected values are London wall-clock time too; the functions return UTC.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.domain import deadlines
from chalicelib.domain.deadlines import (
    LONDON,
    UTC,
    DeadlinePolicy,
    Rag,
    add_working_days,
    bank_holidays_known_until,
    decision_deadline,
    is_bank_holiday,
    is_working_time,
    next_working_start,
    standard_bank_holidays,
    working_together_deadline,
)

REPO = Path(__file__).resolve().parents[2]


def at(text: str) -> dt.datetime:
    """'Thu 2026-06-11 17:14' as an aware London datetime; the day name must match the date."""
    day_name, stamp = text.split(" ", 1)
    moment = dt.datetime.strptime(stamp, "%Y-%m-%d %H:%M").replace(tzinfo=LONDON)
    assert moment.strftime("%a") == day_name, f"{stamp} is a {moment:%a}, not a {day_name}"
    return moment


def utc(text: str) -> dt.datetime:
    """'2026-03-29 01:00' as an aware UTC datetime (for the clock-change cases)."""
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


def london(moment: dt.datetime) -> str:
    return moment.astimezone(LONDON).strftime("%a %Y-%m-%d %H:%M")


# --- the working clock -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "working"),
    [
        pytest.param("Thu 2026-06-11 09:00", True, id="opening_minute_is_working_time"),
        pytest.param("Thu 2026-06-11 08:59", False, id="before_opening"),
        pytest.param("Thu 2026-06-11 17:14", True, id="thursday_last_minute"),
        pytest.param("Thu 2026-06-11 17:15", False, id="thursday_closing_time_is_out_of_hours"),
        pytest.param("Fri 2026-06-12 16:59", True, id="friday_last_minute"),
        pytest.param("Fri 2026-06-12 17:00", False, id="friday_closes_at_17_00"),
        pytest.param("Fri 2026-06-12 17:10", False, id="friday_17_10_is_out_of_hours"),
        pytest.param("Sat 2026-06-13 12:00", False, id="saturday"),
        pytest.param("Sun 2026-06-14 12:00", False, id="sunday"),
        pytest.param("Mon 2026-05-25 12:00", False, id="spring_bank_holiday_2026"),
        pytest.param("Mon 2026-08-31 12:00", False, id="summer_bank_holiday_england"),
        pytest.param("Mon 2026-08-03 12:00", True, id="scotlands_summer_bank_holiday_is_a_working_day"),
        pytest.param("Fri 2027-03-26 12:00", False, id="good_friday_2027"),
        pytest.param("Mon 2027-03-29 12:00", False, id="easter_monday_2027"),
        pytest.param("Fri 2026-12-25 12:00", False, id="christmas_day_2026"),
        pytest.param("Mon 2026-12-28 12:00", False, id="boxing_day_substitute_2026"),
        pytest.param("Thu 2026-12-24 12:00", True, id="christmas_eve_is_a_working_day"),
    ],
)
def test_is_working_time(moment: str, working: bool) -> None:
    assert is_working_time(at(moment)) is working


@pytest.mark.parametrize(
    ("arrives", "clock_starts"),
    [
        pytest.param("Wed 2026-06-10 11:30", "Wed 2026-06-10 11:30", id="in_hours_starts_at_once"),
        pytest.param("Wed 2026-06-10 07:45", "Wed 2026-06-10 09:00", id="early_morning_starts_at_opening"),
        pytest.param("Wed 2026-06-10 17:15", "Thu 2026-06-11 09:00", id="at_closing_starts_next_morning"),
        pytest.param("Fri 2026-06-12 17:00", "Mon 2026-06-15 09:00", id="friday_evening_starts_monday"),
        pytest.param("Sun 2026-06-14 23:59", "Mon 2026-06-15 09:00", id="sunday_night_starts_monday"),
        pytest.param(
            "Thu 2026-12-24 18:00", "Tue 2026-12-29 09:00", id="christmas_eve_evening_starts_after_boxing_day"
        ),
        pytest.param("Thu 2027-03-25 20:00", "Tue 2027-03-30 09:00", id="maundy_thursday_evening_starts_after_easter"),
        pytest.param("Fri 2027-12-31 17:30", "Tue 2028-01-04 09:00", id="new_years_eve_starts_after_substitute_day"),
    ],
)
def test_next_working_start(arrives: str, clock_starts: str) -> None:
    start = next_working_start(at(arrives))
    assert london(start) == clock_starts
    assert start.tzinfo is UTC


# --- one working day: Amber and Working Together -----------------------------------------------


def test_thursday_17_14_is_due_at_fridays_close_but_17_16_is_due_monday_opening() -> None:
    # 17:14 is inside Thursday's hours: due at 17:14 on Friday, brought forward to Friday's 17:00
    # close. 17:16 is after Thursday's close: it counts as in at 09:00 Friday, so it gets the
    # whole of Friday and is due at 09:00 Monday.
    just_before_close = working_together_deadline(at("Thu 2026-06-11 17:14"))
    just_after_close = working_together_deadline(at("Thu 2026-06-11 17:16"))
    assert london(just_before_close) == "Fri 2026-06-12 17:00"
    assert london(just_after_close) == "Mon 2026-06-15 09:00"
    assert decision_deadline(at("Thu 2026-06-11 17:14"), Rag.AMBER) == just_before_close
    assert decision_deadline(at("Thu 2026-06-11 17:16"), Rag.AMBER) == just_after_close


@pytest.mark.parametrize(
    ("screened", "due"),
    [
        pytest.param("Mon 2026-06-08 10:30", "Tue 2026-06-09 10:30", id="same_time_next_working_day"),
        pytest.param("Thu 2026-06-11 16:59", "Fri 2026-06-12 16:59", id="thursday_before_fridays_close"),
        pytest.param("Thu 2026-06-11 17:05", "Fri 2026-06-12 17:00", id="brought_forward_to_fridays_earlier_close"),
        pytest.param("Fri 2026-06-12 16:00", "Mon 2026-06-15 16:00", id="friday_afternoon_is_due_monday_afternoon"),
        pytest.param("Fri 2026-06-12 18:00", "Tue 2026-06-16 09:00", id="friday_evening_is_due_tuesday_opening"),
        pytest.param("Sat 2026-06-13 23:00", "Tue 2026-06-16 09:00", id="saturday_night_is_due_tuesday_opening"),
        pytest.param("Fri 2026-05-22 12:00", "Tue 2026-05-26 12:00", id="over_late_may_bank_holiday_2026"),
        pytest.param("Fri 2027-05-28 12:00", "Tue 2027-06-01 12:00", id="over_late_may_bank_holiday_2027"),
        pytest.param("Fri 2026-05-01 15:00", "Tue 2026-05-05 15:00", id="over_early_may_bank_holiday"),
        pytest.param("Fri 2026-08-28 11:00", "Tue 2026-09-01 11:00", id="over_august_bank_holiday"),
        pytest.param(
            "Thu 2026-12-24 11:00", "Tue 2026-12-29 11:00", id="over_christmas_and_boxing_day_substitute_2026"
        ),
        pytest.param("Fri 2027-12-24 10:00", "Wed 2027-12-29 10:00", id="over_two_substitute_days_christmas_2027"),
        pytest.param("Fri 2027-12-31 10:00", "Tue 2028-01-04 10:00", id="over_new_year_substitute_2028"),
        pytest.param("Thu 2027-03-25 14:00", "Tue 2027-03-30 14:00", id="over_easter_2027_and_its_clock_change"),
        pytest.param("Wed 2026-12-23 17:10", "Thu 2026-12-24 17:10", id="christmas_eve_keeps_normal_hours"),
    ],
)
def test_amber_is_due_one_working_day_later(screened: str, due: str) -> None:
    assert london(decision_deadline(at(screened), Rag.AMBER)) == due


def test_amber_received_on_friday_evening_is_due_on_tuesday_opening_after_all_of_monday() -> None:
    deadline = decision_deadline(at("Fri 2026-06-12 19:30"), Rag.AMBER)
    assert london(deadline) == "Tue 2026-06-16 09:00"


def test_working_together_runs_from_receipt_whatever_the_rating() -> None:
    received = at("Tue 2026-06-09 14:20")
    assert london(working_together_deadline(received)) == "Wed 2026-06-10 14:20"


# --- several working days: Green -----------------------------------------------------------


@pytest.mark.parametrize(
    ("screened", "due"),
    [
        pytest.param("Thu 2026-06-11 10:00", "Tue 2026-06-16 10:00", id="three_working_days_over_a_weekend"),
        pytest.param(
            "Tue 2026-06-09 17:10", "Fri 2026-06-12 17:00", id="landing_on_friday_is_brought_forward_to_close"
        ),
        pytest.param("Thu 2026-06-11 17:14", "Tue 2026-06-16 17:14", id="landing_on_tuesday_keeps_17_14"),
        pytest.param("Thu 2026-06-11 17:16", "Wed 2026-06-17 09:00", id="after_close_starts_next_morning"),
        pytest.param("Wed 2026-12-23 10:00", "Wed 2026-12-30 10:00", id="over_christmas_2026"),
        pytest.param("Wed 2027-03-24 09:30", "Wed 2027-03-31 09:30", id="over_easter_2027"),
    ],
)
def test_green_is_due_three_working_days_later(screened: str, due: str) -> None:
    assert london(decision_deadline(at(screened), Rag.GREEN)) == due


# --- Red: clock hours --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("screened", "due"),
    [
        pytest.param("Wed 2026-06-10 10:00", "Wed 2026-06-10 14:00", id="in_hours"),
        pytest.param("Thu 2026-06-11 16:00", "Thu 2026-06-11 20:00", id="runs_past_closing_time"),
        pytest.param("Sat 2026-06-13 23:00", "Sun 2026-06-14 03:00", id="saturday_night_is_still_four_hours"),
        pytest.param("Fri 2026-12-25 10:00", "Fri 2026-12-25 14:00", id="christmas_day_is_still_four_hours"),
    ],
)
def test_red_is_four_clock_hours_day_or_night(screened: str, due: str) -> None:
    assert london(decision_deadline(at(screened), Rag.RED)) == due


@pytest.mark.parametrize(
    ("screened_utc", "due_utc", "wall_clock_hours"),
    [
        # Clocks go forward at 01:00 UTC on the last Sunday of March: 4 real hours show as 5.
        pytest.param("2026-03-29 00:00", "2026-03-29 04:00", 5, id="spring_forward_2026"),
        pytest.param("2027-03-28 00:30", "2027-03-28 04:30", 5, id="spring_forward_2027"),
        # Clocks go back at 01:00 UTC on the last Sunday of October: 4 real hours show as 3.
        pytest.param("2026-10-25 00:00", "2026-10-25 04:00", 3, id="fall_back_2026"),
        pytest.param("2027-10-31 00:30", "2027-10-31 04:30", 3, id="fall_back_2027"),
    ],
)
def test_red_across_a_clock_change_is_four_real_hours(screened_utc: str, due_utc: str, wall_clock_hours: int) -> None:
    screened = utc(screened_utc)
    due = decision_deadline(screened, Rag.RED)
    assert due == utc(due_utc)
    shown = due.astimezone(LONDON).replace(tzinfo=None) - screened.astimezone(LONDON).replace(tzinfo=None)
    assert shown == dt.timedelta(hours=wall_clock_hours)


# --- working days across a clock change keep 09:00 wall-clock ------------------------------


@pytest.mark.parametrize(
    ("screened", "due", "due_utc"),
    [
        pytest.param("Fri 2026-03-27 10:00", "Mon 2026-03-30 10:00", "2026-03-30 09:00", id="into_summer_time_2026"),
        pytest.param("Sun 2026-03-29 03:00", "Tue 2026-03-31 09:00", "2026-03-31 08:00", id="on_spring_forward_sunday"),
        pytest.param("Fri 2026-10-23 10:00", "Mon 2026-10-26 10:00", "2026-10-26 10:00", id="into_winter_time_2026"),
        pytest.param("Sun 2026-10-25 01:30", "Tue 2026-10-27 09:00", "2026-10-27 09:00", id="in_the_repeated_hour"),
        pytest.param("Fri 2027-10-29 16:30", "Mon 2027-11-01 16:30", "2027-11-01 16:30", id="into_winter_time_2027"),
    ],
)
def test_working_days_across_a_clock_change_keep_local_wall_clock(screened: str, due: str, due_utc: str) -> None:
    deadline = decision_deadline(at(screened), Rag.AMBER)
    assert london(deadline) == due
    assert deadline == utc(due_utc)


def test_monday_opening_after_the_clocks_go_forward_is_08_00_utc() -> None:
    assert next_working_start(utc("2026-03-29 12:00")) == utc("2026-03-30 08:00")


# --- policy and inputs -------------------------------------------------------------------------


def test_policy_is_configurable() -> None:
    policy = DeadlinePolicy(red=dt.timedelta(hours=2), amber_working_days=2, green_working_days=5)
    screened = at("Thu 2026-06-11 10:00")
    assert london(decision_deadline(screened, Rag.RED, policy)) == "Thu 2026-06-11 12:00"
    assert london(decision_deadline(screened, Rag.AMBER, policy)) == "Mon 2026-06-15 10:00"
    assert london(decision_deadline(screened, Rag.GREEN, policy)) == "Thu 2026-06-18 10:00"


def test_default_policy_is_red_4_hours_amber_1_green_3() -> None:
    assert DeadlinePolicy() == DeadlinePolicy(red=dt.timedelta(hours=4), amber_working_days=1, green_working_days=3)


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"red": dt.timedelta(0)}, id="red_zero"),
        pytest.param({"red": dt.timedelta(hours=-1)}, id="red_negative"),
        pytest.param({"amber_working_days": 0}, id="amber_zero"),
        pytest.param({"green_working_days": -2}, id="green_negative"),
    ],
)
def test_policy_refuses_deadlines_that_give_no_time(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="must"):
        DeadlinePolicy(**kwargs)  # type: ignore[arg-type]


def test_rating_may_be_given_as_its_stored_string() -> None:
    screened = at("Mon 2026-06-08 10:30")
    assert decision_deadline(screened, "amber") == decision_deadline(screened, Rag.AMBER)


def test_unknown_rating_is_refused() -> None:
    with pytest.raises(ValueError, match="purple"):
        decision_deadline(at("Mon 2026-06-08 10:30"), "purple")


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda moment: decision_deadline(moment, Rag.RED), id="decision_deadline_red"),
        pytest.param(lambda moment: decision_deadline(moment, Rag.GREEN), id="decision_deadline_green"),
        pytest.param(working_together_deadline, id="working_together_deadline"),
        pytest.param(is_working_time, id="is_working_time"),
        pytest.param(next_working_start, id="next_working_start"),
        pytest.param(lambda moment: add_working_days(moment, 2), id="add_working_days"),
    ],
)
def test_naive_datetimes_are_refused(call) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        call(dt.datetime(2026, 6, 10, 10, 0))


def test_any_aware_timezone_is_accepted_and_utc_comes_back() -> None:
    in_new_york = dt.datetime(2026, 6, 10, 5, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))  # 11:00 London
    deadline = decision_deadline(in_new_york, Rag.AMBER)
    assert deadline.tzinfo is UTC
    assert london(deadline) == "Thu 2026-06-11 11:00"


def test_zero_working_days_is_the_clock_start_and_negative_is_refused() -> None:
    assert london(add_working_days(at("Sat 2026-06-13 10:00"), 0)) == "Mon 2026-06-15 09:00"
    with pytest.raises(ValueError, match="negative"):
        add_working_days(at("Mon 2026-06-08 10:00"), -1)


def _sweep(first: dt.datetime, last: dt.datetime, step: dt.timedelta) -> list[dt.datetime]:
    moments, moment = [], first
    while moment <= last:
        moments.append(moment)
        moment += step
    return moments


# Every quarter of an hour across the 2026/27 Christmas, Easter 2027 and both 2027 clock changes.
SWEEP = [
    *_sweep(utc("2026-12-18 00:00"), utc("2027-01-08 00:00"), dt.timedelta(minutes=15)),
    *_sweep(utc("2027-03-20 00:00"), utc("2027-04-06 00:00"), dt.timedelta(minutes=15)),
    *_sweep(utc("2027-10-27 00:00"), utc("2027-11-03 00:00"), dt.timedelta(minutes=15)),
]


@pytest.mark.parametrize("days", [1, 3])
def test_a_later_arrival_is_never_due_earlier(days: int) -> None:
    due = [add_working_days(moment, days) for moment in SWEEP]
    assert all(a <= b for a, b in itertools.pairwise(due))


@pytest.mark.parametrize("days", [1, 3])
def test_every_deadline_lands_within_a_working_days_hours(days: int) -> None:
    for moment in SWEEP:
        local = add_working_days(moment, days).astimezone(LONDON)
        assert deadlines.is_working_day(local.date()), london(local)
        closing = dt.time(17, 0) if local.weekday() == 4 else dt.time(17, 15)
        assert dt.time(9, 0) <= local.time().replace(tzinfo=None) <= closing, london(local)
        assert local > moment


# --- bank holidays -----------------------------------------------------------------------------


def test_bundled_bank_holidays_cover_at_least_2027() -> None:
    assert bank_holidays_known_until() >= dt.date(2027, 12, 31)


# Years in which GOV.UK's list departs from the standing rules by a one-off proclamation.
ONE_OFF_YEARS = {
    2012: "Diamond Jubilee: spring holiday moved to 4 June, extra day 5 June",
    2020: "VE Day: early May holiday moved to Friday 8 May",
    2022: "Platinum Jubilee and the Queen's state funeral",
    2023: "Coronation of King Charles III",
}


def test_standard_rules_match_govuk_for_every_bundled_year_without_a_one_off() -> None:
    calendar = deadlines._bank_holiday_calendar()
    differing = {
        year
        for year in calendar.covered_years
        if standard_bank_holidays(year) != {day for day in calendar.dates if day.year == year}
    }
    assert differing <= set(ONE_OFF_YEARS), sorted(differing - set(ONE_OFF_YEARS))
    assert len(calendar.covered_years - set(ONE_OFF_YEARS)) >= 10  # the rules were really checked


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        pytest.param(
            2021,
            ["01-01", "04-02", "04-05", "05-03", "05-31", "08-30", "12-27", "12-28"],
            id="2021_christmas_on_saturday",
        ),
        pytest.param(
            2033,
            ["01-03", "04-15", "04-18", "05-02", "05-30", "08-29", "12-26", "12-27"],
            id="2033_new_year_and_christmas_on_sunday",
        ),
        pytest.param(
            2038, ["01-01", "04-23", "04-26", "05-03", "05-31", "08-30", "12-27", "12-28"], id="2038_latest_easter"
        ),
    ],
)
def test_standard_rules(year: int, expected: list[str]) -> None:
    assert sorted(standard_bank_holidays(year)) == [dt.date.fromisoformat(f"{year}-{md}") for md in expected]


def test_easter_matches_an_independent_computation() -> None:
    from dateutil.easter import easter  # a test-only oracle (boto3 brings it), not a runtime dependency

    assert all(deadlines._easter_sunday(year) == easter(year) for year in range(1900, 2300))


def test_past_the_bundled_list_the_standard_rules_apply(monkeypatch: pytest.MonkeyPatch) -> None:
    # As if the package only knew 2026: 2027's Easter must still be skipped, by rule.
    only_2026 = deadlines._BankHolidayCalendar.from_dates(standard_bank_holidays(2026))
    monkeypatch.setattr(deadlines, "_bank_holiday_calendar", lambda: only_2026)
    assert bank_holidays_known_until() == dt.date(2026, 12, 31)
    assert is_bank_holiday(dt.date(2027, 3, 29))
    assert london(working_together_deadline(at("Thu 2027-03-25 14:00"))) == "Tue 2027-03-30 14:00"


def test_a_year_the_list_has_not_reached_christmas_of_falls_back_to_the_rules() -> None:
    half_published = deadlines._BankHolidayCalendar.from_dates([dt.date(2029, 1, 1), dt.date(2029, 3, 30)])
    assert 2029 not in half_published.covered_years


def test_a_decision_in_2030_is_still_computed() -> None:
    # Good Friday 19 April and Easter Monday 22 April 2030, whether bundled or by rule.
    assert london(decision_deadline(at("Thu 2030-04-18 10:00"), Rag.AMBER)) == "Tue 2030-04-23 10:00"


def test_bank_holidays_load_without_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the deadline calculator tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    deadlines._bank_holiday_calendar.cache_clear()
    try:
        assert is_bank_holiday(dt.date(2026, 12, 28))
    finally:
        deadlines._bank_holiday_calendar.cache_clear()


def test_works_without_system_time_zone_files() -> None:
    # Lambda's image may have no /usr/share/zoneinfo: PYTHONTZPATH="" hides the system files, so
    # Europe/London must come from the pinned tzdata package.
    code = (
        "import datetime as dt, zoneinfo\n"
        "assert zoneinfo.TZPATH == (), zoneinfo.TZPATH\n"
        "from chalicelib.domain.deadlines import working_together_deadline\n"
        "print(working_together_deadline(dt.datetime(2026, 10, 23, 9, 0, tzinfo=dt.UTC)).isoformat())\n"
    )
    env = {**os.environ, "PYTHONTZPATH": ""}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    # Friday 10:00 BST → Monday 10:00 GMT, after the clocks went back.
    assert result.stdout.strip() == "2026-10-26T10:00:00+00:00"
