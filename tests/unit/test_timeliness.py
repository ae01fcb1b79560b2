"""The timeliness report's arithmetic: plain rows in, figures out, no AWS."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest

from chalicelib.domain.timeliness import (
    MAX_DAYS,
    EnquiryTimes,
    InvalidRange,
    NoticeState,
    RagRow,
    ReferralTimes,
    ReportRange,
    TimelinessReport,
    build_report,
    london_bounds,
    median,
    percentile,
    round_1,
    to_csv,
)

UTC = dt.UTC
# Wednesday 2026-11-25, 10:00 London (GMT): received; screened at once, decision due 4 hours on.
RECEIVED = dt.datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
DUE = RECEIVED + dt.timedelta(hours=4)
NOVEMBER = ReportRange.of(dt.date(2026, 11, 1), dt.date(2026, 11, 30))
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def referral(**changes: Any) -> ReferralTimes:
    base: dict[str, Any] = {
        "received_at": RECEIVED,
        "status": "screened",
        "rag": "red",
        "screened_at": RECEIVED,
        "due_at": DUE,
        "working_together_due_at": RECEIVED + dt.timedelta(days=1),
    }
    return ReferralTimes(**{**base, **changes})


def decided(at: dt.datetime, **changes: Any) -> ReferralTimes:
    return referral(status="decided", decided_at=at, **changes)


def unscreened(**changes: Any) -> ReferralTimes:
    return referral(**{"rag": None, "screened_at": None, "due_at": RECEIVED + dt.timedelta(days=1), **changes})


def row(report: TimelinessReport, group: str) -> RagRow:
    return next(r for r in report.by_rag if r.group == group)


def counts(r: RagRow) -> tuple[int, int, int, int, int, int]:
    return (r.received, r.decided_in_time, r.decided_late, r.open_past_deadline, r.open_within_deadline,
            r.timeliness_unknown)  # fmt: skip


# --- referrals per RAG --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decided_at", "in_time", "late"),
    [
        pytest.param(DUE - dt.timedelta(minutes=1), 1, 0, id="a minute early"),
        pytest.param(DUE, 1, 0, id="exactly at the deadline is in time"),
        pytest.param(DUE + dt.timedelta(seconds=1), 0, 1, id="a second late"),
    ],
)
def test_a_decision_at_the_deadline_is_in_time_and_a_second_after_is_late(
    decided_at: dt.datetime, in_time: int, late: int
) -> None:
    report = build_report([decided(decided_at)], NOVEMBER, NOW)
    red = row(report, "red")
    assert (red.received, red.decided, red.decided_in_time, red.decided_late) == (1, 1, in_time, late)
    assert red.in_time_percent == 100.0 * in_time


def test_each_referral_counts_under_its_rating_and_in_the_total() -> None:
    rows = [
        decided(DUE),
        decided(DUE, rag="amber"),
        referral(rag="amber", due_at=NOW + dt.timedelta(hours=1)),  # open, not yet due
        referral(rag="green"),  # open, past due
        unscreened(),
    ]
    report = build_report(rows, NOVEMBER, NOW)
    assert [r.group for r in report.by_rag] == ["red", "amber", "green", "not_screened"]
    assert counts(row(report, "red")) == (1, 1, 0, 0, 0, 0)
    assert counts(row(report, "amber")) == (2, 1, 0, 0, 1, 0)
    assert counts(row(report, "green")) == (1, 0, 0, 1, 0, 0)
    assert counts(report.total) == (5, 2, 0, 2, 1, 0)
    # In time over the settled ones (in time, late, or open past the deadline): 2 of 4.
    assert report.total.in_time_percent == 50.0
    # Amber: one in time, one not yet due: 1 of 1 settled.
    assert row(report, "amber").in_time_percent == 100.0


@pytest.mark.parametrize(
    ("now", "past", "within"),
    [
        pytest.param(RECEIVED + dt.timedelta(hours=23), 0, 1, id="within the working day"),
        pytest.param(RECEIVED + dt.timedelta(days=1), 0, 1, id="exactly at the deadline: not yet past"),
        pytest.param(RECEIVED + dt.timedelta(days=1, seconds=1), 1, 0, id="past it"),
    ],
)
def test_an_unscreened_referral_is_held_to_working_togethers_one_working_day(
    now: dt.datetime, past: int, within: int
) -> None:
    report = build_report([unscreened()], NOVEMBER, now)
    not_screened = row(report, "not_screened")
    assert (not_screened.received, not_screened.open_past_deadline, not_screened.open_within_deadline) == (
        1,
        past,
        within,
    )
    assert not_screened.decided == 0
    assert not_screened.median_hours_to_decision is None


def test_an_unscreened_referral_uses_working_together_even_if_due_at_says_otherwise() -> None:
    wt = RECEIVED + dt.timedelta(hours=30)
    report = build_report([unscreened(working_together_due_at=wt, due_at=None)], NOVEMBER, wt)
    assert row(report, "not_screened").open_within_deadline == 1


def test_a_decision_awaiting_approval_is_not_yet_a_decision() -> None:
    proposed = referral(status="decision_proposed", decided_at=DUE - dt.timedelta(hours=1), needs_approval=True)
    report = build_report([proposed], NOVEMBER, NOW)
    assert counts(row(report, "red")) == (1, 0, 0, 1, 0, 0)
    assert row(report, "red").median_hours_to_decision is None


def test_an_approved_decision_stands_when_the_manager_approves_it() -> None:
    approved = decided(RECEIVED + dt.timedelta(hours=1), needs_approval=True, approved_at=DUE + dt.timedelta(hours=1))
    red = row(build_report([approved], NOVEMBER, NOW), "red")
    assert (red.decided_in_time, red.decided_late) == (0, 1)
    assert red.median_hours_to_decision == 5.0  # receipt to approval, not to the proposal


def test_a_returned_decision_then_made_again_counts_from_the_new_decision() -> None:
    # Returned: back to screened, the old proposal still on the item, never approved.
    returned = referral(status="screened", decided_at=RECEIVED + dt.timedelta(hours=1), needs_approval=True)
    # Made again (a non-statutory outcome this time): the new decision's time.
    redecided = decided(RECEIVED + dt.timedelta(hours=3, minutes=30), needs_approval=False)
    red_returned = row(build_report([returned], NOVEMBER, RECEIVED + dt.timedelta(hours=2)), "red")
    assert counts(red_returned) == (1, 0, 0, 0, 1, 0)
    red = row(build_report([redecided], NOVEMBER, NOW), "red")
    assert counts(red) == (1, 1, 0, 0, 0, 0)
    assert red.median_hours_to_decision == 3.5


def test_a_closed_referral_counts_as_decided() -> None:
    closed = referral(status="closed", decided_at=DUE)
    assert counts(row(build_report([closed], NOVEMBER, NOW), "red")) == (1, 1, 0, 0, 0, 0)


def test_times_not_in_clear_are_counted_as_unknown_not_guessed() -> None:
    rows = [
        referral(status="decided", decided_at=None),  # decision time missing
        referral(status="decided", decided_at=DUE, needs_approval=True, approved_at=None),
        # Screened and closed before the rating was kept on closing: rating and deadline unknown.
        referral(status="closed", rag=None, due_at=None, decided_at=DUE),
    ]
    report = build_report(rows, NOVEMBER, NOW)
    assert counts(row(report, "red")) == (2, 0, 0, 0, 0, 2)
    unknown = row(report, "rating_unknown")
    assert counts(unknown) == (1, 0, 0, 0, 0, 1)
    assert unknown.median_hours_to_decision == 4.0  # its decision time is known
    assert report.total.in_time_percent is None


def test_the_rating_unknown_row_appears_only_when_there_is_one() -> None:
    assert [r.group for r in build_report([decided(DUE)], NOVEMBER, NOW).by_rag] == [
        "red",
        "amber",
        "green",
        "not_screened",
    ]


def test_an_empty_range_gives_zeros_and_no_figures() -> None:
    report = build_report([], NOVEMBER, NOW)
    for r in (*report.by_rag, report.total):
        assert counts(r) == (0, 0, 0, 0, 0, 0)
        assert (r.in_time_percent, r.median_hours_to_decision, r.p90_hours_to_decision) == (None, None, None)
    assert all(a.sent == 0 and a.in_time_percent is None for a in report.by_agency)
    assert all(n.total == 0 for n in report.notices)


def test_rows_outside_the_range_are_left_out() -> None:
    report = build_report([decided(DUE), decided(DUE, received_at=RECEIVED - dt.timedelta(days=60))], NOVEMBER, NOW)
    assert report.total.received == 1


# --- median and 90th percentile -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "expected_median", "expected_p90"),
    [
        pytest.param([3.0], 3.0, 3.0, id="one value"),
        pytest.param([1.0, 4.0], 2.5, 4.0, id="two values: mean of both, the larger"),
        pytest.param([float(h) for h in range(1, 11)], 5.5, 9.0, id="ten values: the ninth"),
        pytest.param([10.0, 1.0, 7.0, 2.0, 9.0, 3.0, 8.0, 4.0, 6.0, 5.0], 5.5, 9.0, id="ten, in any order"),
        pytest.param([1.0] * 9 + [100.0], 1.0, 1.0, id="one slow decision in ten is beyond the p90"),
        pytest.param([1.0] * 8 + [100.0] * 2, 1.0, 100.0, id="two slow decisions in ten are not"),
    ],
)
def test_median_and_p90_of_hours_to_decision(hours: list[float], expected_median: float, expected_p90: float) -> None:
    rows = [decided(RECEIVED + dt.timedelta(hours=h), due_at=RECEIVED + dt.timedelta(days=9)) for h in hours]
    red = row(build_report(rows, NOVEMBER, NOW), "red")
    assert (red.median_hours_to_decision, red.p90_hours_to_decision) == (expected_median, expected_p90)
    assert (median(hours), percentile(hours, 0.9)) == (expected_median, expected_p90)


@pytest.mark.parametrize(("value", "rounded"), [(0.25, 0.3), (0.35, 0.4), (2.449, 2.4), (1 / 3, 0.3), (0.0, 0.0)])
def test_figures_round_half_up_to_one_decimal(value: float, rounded: float) -> None:
    assert round_1(value) == rounded


def test_hours_are_elapsed_clock_hours_with_one_decimal() -> None:
    red = row(build_report([decided(RECEIVED + dt.timedelta(minutes=100))], NOVEMBER, NOW), "red")
    assert red.median_hours_to_decision == 1.7  # 1.666… hours


# --- the range: London dates, both included ------------------------------------------------------


def test_a_range_is_london_midnight_to_london_midnight_across_the_clock_changes() -> None:
    # 29 March 2026: clocks go forward (a 23-hour day); 25 October 2026: back (25 hours).
    start, end = london_bounds(dt.date(2026, 3, 29), dt.date(2026, 3, 29))
    assert (start, end - start) == (dt.datetime(2026, 3, 29, 0, 0, tzinfo=UTC), dt.timedelta(hours=23))
    start, end = london_bounds(dt.date(2026, 10, 25), dt.date(2026, 10, 25))
    assert (start, end - start) == (dt.datetime(2026, 10, 24, 23, 0, tzinfo=UTC), dt.timedelta(hours=25))
    start, end = london_bounds(dt.date(2026, 7, 1), dt.date(2026, 7, 31))
    assert (start, end) == (dt.datetime(2026, 6, 30, 23, 0, tzinfo=UTC), dt.datetime(2026, 7, 31, 23, 0, tzinfo=UTC))


@pytest.mark.parametrize(
    ("received_at", "day"),
    [
        # 23:30 UTC on 29 March is 00:30 BST on the 30th; 23:30 UTC on the 28th is still the 28th (GMT).
        pytest.param(dt.datetime(2026, 3, 29, 23, 30, tzinfo=UTC), dt.date(2026, 3, 30), id="after spring forward"),
        pytest.param(dt.datetime(2026, 3, 28, 23, 30, tzinfo=UTC), dt.date(2026, 3, 28), id="before spring forward"),
        # 23:30 UTC on 24 October is 00:30 BST on the 25th; 23:30 UTC on the 25th is 23:30 GMT the 25th.
        pytest.param(dt.datetime(2026, 10, 24, 23, 30, tzinfo=UTC), dt.date(2026, 10, 25), id="early on fall back day"),
        pytest.param(dt.datetime(2026, 10, 25, 23, 30, tzinfo=UTC), dt.date(2026, 10, 25), id="late on fall back day"),
        pytest.param(dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC), dt.date(2026, 10, 25), id="the repeated hour"),
    ],
)
def test_a_referral_counts_on_its_london_date(received_at: dt.datetime, day: dt.date) -> None:
    rows = [unscreened(received_at=received_at, due_at=received_at + dt.timedelta(days=1))]
    for offset, expected in ((-1, 0), (0, 1), (1, 0)):
        on = day + dt.timedelta(days=offset)
        assert build_report(rows, ReportRange.of(on, on), NOW).total.received == expected, on


@pytest.mark.parametrize(
    ("date_from", "date_to", "code", "message"),
    [
        (None, "2026-01-31", "range_required", "Give from: the range is ?from=YYYY-MM-DD&to=YYYY-MM-DD"),
        ("2026-01-01", "", "range_required", "Give to:"),
        (None, None, "range_required", "Give from and to:"),
        ("2026-02-30", "2026-03-01", "invalid_from", "from must be a date as YYYY-MM-DD"),
        ("2026-1-1", "2026-03-01", "invalid_from", "from must be a date as YYYY-MM-DD"),
        ("2026-01-01", "20260301", "invalid_to", "to must be a date as YYYY-MM-DD"),
        ("2026-01-01", "9999-12-31", "invalid_to", "to must be a date from 2000 to 2999"),
        ("2026-03-31", "2026-03-01", "invalid_range", "from (2026-03-31) is after to (2026-03-01): swap them"),
        ("2026-01-01", "2027-01-02", "invalid_range", "at most 366 days; this range is 367 days"),
    ],
)
def test_a_bad_range_says_what_to_fix(date_from: str | None, date_to: str | None, code: str, message: str) -> None:
    with pytest.raises(InvalidRange) as refused:
        ReportRange.parse(date_from, date_to)
    assert refused.value.code == code
    assert message in str(refused.value)


def test_a_range_of_one_day_and_of_366_days_is_fine() -> None:
    assert ReportRange.parse("2026-03-01", "2026-03-01").days == 1
    assert ReportRange.parse("2027-01-01", "2028-01-01").days == MAX_DAYS  # 2027 + 1 Jan 2028


# --- agencies -------------------------------------------------------------------------------------

OPENED = RECEIVED + dt.timedelta(minutes=30)
ENQUIRY_DUE = OPENED + dt.timedelta(hours=2)


def enquiry(agency: str, answered_after: dt.timedelta | None) -> EnquiryTimes:
    return EnquiryTimes(agency, OPENED, ENQUIRY_DUE, OPENED + answered_after if answered_after is not None else None)


def test_agency_answers_in_time_late_and_missing() -> None:
    rows = [
        referral(
            enquiries=(
                enquiry("police", dt.timedelta(hours=2)),  # exactly at due: in time
                enquiry("health", dt.timedelta(hours=2, seconds=1)),  # late
                enquiry("education", None),  # unanswered, past due by NOW
            )
        ),
        referral(enquiries=(enquiry("police", dt.timedelta(hours=1)), enquiry("health", dt.timedelta(minutes=30)))),
        referral(enquiries=(EnquiryTimes("police", NOW - dt.timedelta(minutes=5), NOW + dt.timedelta(hours=1)),)),
    ]
    agencies = {a.agency: a for a in build_report(rows, NOVEMBER, NOW).by_agency}
    assert list(agencies)[:3] == ["police", "health", "education"]  # the directory's order, every agency
    assert len(agencies) == 8
    police, health, education = agencies["police"], agencies["health"], agencies["education"]
    assert (police.sent, police.answered, police.answered_in_time, police.answered_late) == (3, 2, 2, 0)
    assert (police.unanswered, police.unanswered_past_due, police.in_time_percent) == (1, 0, 100.0)
    assert police.median_response_hours == 1.5
    assert (health.answered_in_time, health.answered_late, health.in_time_percent) == (1, 1, 50.0)
    assert health.median_response_hours == 1.3  # (2h0m1s + 0h30m) / 2 = 1.25… → 1.3
    assert (education.sent, education.unanswered, education.unanswered_past_due) == (1, 1, 1)
    assert (education.in_time_percent, education.median_response_hours) == (0.0, None)
    assert agencies["probation"].sent == 0
    assert police.label == "Police" and agencies["youth_offending"].label == "Youth Offending Service"


# --- notices ---------------------------------------------------------------------------------------


def test_outcome_notices_delivered_failed_and_pending() -> None:
    notices = (
        NoticeState("outcome", "delivered"),
        NoticeState("outcome", "bounced"),
        NoticeState("outcome", "complained"),
        NoticeState("outcome", "sent"),
        NoticeState("referrer_feedback", "delivered"),
        NoticeState("referrer_feedback", "pending"),
        NoticeState("referrer_feedback", "rejected"),
        NoticeState("parents_told", "failed"),
        NoticeState("parents_told", "delayed"),
        NoticeState("acknowledgement", "bounced"),  # not an outcome notice
        NoticeState("agency_request", "delivered"),
    )
    report = build_report([decided(DUE, notices=notices)], NOVEMBER, NOW)
    found = {n.kind: (n.total, n.delivered, n.failed, n.pending) for n in report.notices}
    assert found == {"outcome": (4, 1, 2, 1), "referrer_feedback": (3, 1, 1, 1), "parents_told": (2, 0, 1, 1)}


# --- CSV -------------------------------------------------------------------------------------------


def test_the_csv_holds_every_figure_of_the_json() -> None:
    rows = [
        decided(DUE, notices=(NoticeState("outcome", "delivered"),), enquiries=(enquiry("police", None),)),
        unscreened(),
        referral(status="closed", rag=None, due_at=None, decided_at=DUE),
    ]
    report = build_report(rows, NOVEMBER, NOW)
    lines = list(csv.DictReader(io.StringIO(to_csv(report))))
    data = report.as_json()
    meta = {line["measure"]: line["value"] for line in lines if line["section"] == "report"}
    assert meta == {"from": data["from"], "to": data["to"], "timezone": data["timezone"],
                    "generated_at": data["generated_at"]}  # fmt: skip
    sections = {
        "referrals": [*data["referrals"]["by_rag"], data["referrals"]["total"]],
        "agencies": data["agencies"],
        "notices": data["notices"],
    }
    checked = 0
    for section, json_rows in sections.items():
        for json_row in json_rows:
            key, label, *measures = json_row
            for measure in measures:
                (line,) = [
                    line
                    for line in lines
                    if (line["section"], line["key"], line["measure"]) == (section, json_row[key], measure)
                ]
                assert line["label"] == json_row[label]
                value = json_row[measure]
                assert line["value"] == ("" if value is None else str(value)), (section, json_row[key], measure)
                checked += 1
    assert checked == len(lines) - len(meta)
    assert row(report, "rating_unknown").received == 1


def test_a_csv_label_never_starts_like_a_formula() -> None:
    from chalicelib.domain.timeliness import _cell

    assert _cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert _cell("Red") == "Red"
