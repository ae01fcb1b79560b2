"""The performance figures as use cases over the in-memory twins: coded fields set at receipt and
decision, daily rollups moved in the same write (once, whatever is retried), and the report over them."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib import wiring as wiring_module
from chalicelib.adapters.advice_contacts import InMemoryAdviceContactStore
from chalicelib.adapters.blind_index import BlindIndex
from chalicelib.adapters.envelope import FieldCipher, LocalKeyProvider
from chalicelib.adapters.mailer import InMemoryMailer
from chalicelib.adapters.referrals import InMemoryReferralStore
from chalicelib.adapters.suppression import InMemorySuppressionList
from chalicelib.domain.advice_contacts import AdviceContact, AdviceOutcome, CallerKind
from chalicelib.domain.census import census_fields
from chalicelib.domain.decision import Outcome, Rag
from chalicelib.domain.failures import StaleReferral
from chalicelib.domain.performance import PerformanceRange, to_csv
from chalicelib.domain.referral import ReferralSubmission
from chalicelib.domain.rollups import contributions
from chalicelib.domain.staff import Role, StaffMember
from chalicelib.domain.timeliness import InvalidRange
from chalicelib.services.decide_referral import approve_decision, record_decision
from chalicelib.services.link_referrals import mark_duplicate
from chalicelib.services.performance_report import performance_report
from chalicelib.services.screen_referral import screen_referral
from chalicelib.services.submit_referral import submit_referral
from chalicelib.settings import Settings
from tests.factories import example, support_referral

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
PRACTITIONER = StaffMember("p-1", frozenset({Role.PRACTITIONER}))
MANAGER = StaffMember("m-1", frozenset({Role.MANAGER}))
NOVEMBER = PerformanceRange.parse("2026-11-01", "2026-11-30")


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def hub(clock: Clock) -> Iterator[Any]:
    cipher = FieldCipher(LocalKeyProvider())
    yield wiring_module.reset(
        Settings(stage="local"),
        clock=clock,
        referrals=InMemoryReferralStore(cipher),
        advice_contacts=InMemoryAdviceContactStore(cipher),
        mailer=InMemoryMailer(),
        suppressions=InMemorySuppressionList(b"test-suppression-key"),
        # "Known before" hashes with a fixed synthetic key: no KMS.
        blind_index_key=SimpleNamespace(index=lambda: BlindIndex(b"k" * 32)),
    )
    wiring_module.reset()


def submit(data: dict[str, Any] | None = None) -> str:
    return submit_referral(ReferralSubmission.model_validate(data or example())).reference


def decide(reference: str, outcome: Outcome) -> None:
    screen_referral(reference, rag=Rag.AMBER, level=3, rationale="Synthetic", staff=PRACTITIONER, request_id="r")
    record_decision(reference, outcome=outcome, reasons="Synthetic", staff=PRACTITIONER, request_id="r")


def day_counts(hub: Any, day: dt.date) -> dict[str, int]:
    [rollup] = hub.referrals.daily_rollups(day, day)
    return rollup.counts


def stored_sum(hub: Any) -> dict[dt.date, Counter[str]]:
    """What the rollups must hold: the sum of every stored referral's contributions."""
    store: InMemoryReferralStore = hub.referrals
    total: dict[dt.date, Counter[str]] = {}
    for (pk, sk), _item in store.items.items():
        if pk.startswith("REF#") and sk == "REFERRAL":
            for day, counts in contributions(census_fields(store.fetch(pk.removeprefix("REF#")))).items():
                total.setdefault(day, Counter()).update(counts)
    return total


def assert_rollups_match(hub: Any) -> None:
    days = {r.day: {k: v for k, v in r.counts.items() if v} for r in hub.referrals.daily_rollups(
        dt.date(2020, 1, 1), dt.date(2030, 1, 1))}  # fmt: skip
    expected = {day: {k: v for k, v in counts.items() if v} for day, counts in stored_sum(hub).items()}
    assert days == {day: counts for day, counts in expected.items() if counts}


# --- coded fields at receipt ----------------------------------------------------------------------


def test_a_referral_is_coded_at_receipt_by_census_source_date_and_re_referral(hub: Any, clock: Clock) -> None:
    police = support_referral(**{"referrer.agency": "police"})
    first = submit(police)
    item = hub.referrals.items[(f"REF#{first}", "REFERRAL")]
    assert (item["cin_source"], item["referral_date"], item["re_referral"]) == ("6", "2026-11-25", False)
    # The same child again three months later: a re-referral, known by the child index alone.
    clock.now = NOW + dt.timedelta(days=90)
    second = submit(police)
    assert hub.referrals.items[(f"REF#{second}", "REFERRAL")]["re_referral"] is True
    assert day_counts(hub, dt.date(2026, 11, 25)) == {"received": 1, "route_support": 1, "source_6": 1}
    assert day_counts(hub, dt.date(2027, 2, 23))["re_referrals"] == 1


def test_a_child_last_referred_more_than_12_months_ago_is_not_a_re_referral(hub: Any, clock: Clock) -> None:
    submit()
    clock.now = NOW + dt.timedelta(days=366)
    later = submit()
    assert hub.referrals.fetch(later).re_referral is False


def test_a_member_of_the_public_is_counted_as_individual_other(hub: Any) -> None:
    public = support_referral(**{"referrer.kind": "public", "referrer.agency": ..., "referrer.role": ...,
                                 "referrer.organisation": ...})  # fmt: skip
    reference = submit(public)
    assert hub.referrals.items[(f"REF#{reference}", "REFERRAL")]["cin_source"] == "1D"


# --- decisions: counted on the day they stand --------------------------------------------------------


def test_a_decision_is_counted_when_it_stands_with_its_time(hub: Any, clock: Clock) -> None:
    reference = submit()
    clock.now = NOW + dt.timedelta(hours=3)
    decide(reference, Outcome.EARLY_HELP)
    counts = day_counts(hub, dt.date(2026, 11, 25))
    assert (counts["decided"], counts["outcome_early_help"], counts["decision_seconds"]) == (1, 1, 3 * 3600)
    assert "assessments" not in counts
    item = hub.referrals.items[(f"REF#{reference}", "REFERRAL")]
    assert (item["outcome_code"], item["decision_seconds"]) == ("early_help", 3 * 3600)
    assert_rollups_match(hub)


def test_an_assessment_counts_only_once_a_manager_approves_it_on_the_day_it_is_approved(hub: Any, clock: Clock) -> None:
    reference = submit()
    decide(reference, Outcome.CHILD_AND_FAMILY_ASSESSMENT)
    assert "decided" not in day_counts(hub, dt.date(2026, 11, 25))
    clock.now = NOW + dt.timedelta(days=1)
    approve_decision(reference, staff=MANAGER, request_id="r")
    counts = day_counts(hub, dt.date(2026, 11, 26))
    assert (counts["decided"], counts["assessments"], counts["outcome_child_and_family_assessment_s17"]) == (1, 1, 1)
    assert_rollups_match(hub)


def test_a_duplicate_is_left_out_of_sources_re_referrals_and_the_outcome_mix(hub: Any, clock: Clock) -> None:
    original = submit()
    clock.now = NOW + dt.timedelta(minutes=5)
    duplicate = submit()  # the same child, the same day: a re-referral until it is found a duplicate
    decide(duplicate, Outcome.EARLY_HELP)
    assert day_counts(hub, dt.date(2026, 11, 25))["re_referrals"] == 1
    mark_duplicate(duplicate, original=original, reason="Synthetic: sent twice", staff=MANAGER, request_id="r")
    counts = day_counts(hub, dt.date(2026, 11, 25))
    assert counts == {
        "received": 2, "route_support": 2, "source_2A": 1, "duplicates": 1,
        "re_referrals": 0, "decided": 0, "outcome_early_help": 0,
    }  # fmt: skip
    assert hub.referrals.items[(f"REF#{duplicate}", "REFERRAL")]["outcome_code"] == "duplicate"
    report = performance_report(NOVEMBER)
    assert (report.total.received, report.total.duplicates, report.total.referrals) == (2, 1, 1)
    assert (report.total.re_referrals, report.total.decided) == (0, 0)
    assert_rollups_match(hub)


# --- counted once, whatever is retried -------------------------------------------------------------


def test_a_write_refused_as_stale_moves_no_count_and_its_retry_counts_once(hub: Any, clock: Clock) -> None:
    reference = submit()
    screen_referral(reference, rag=Rag.AMBER, level=3, rationale="Synthetic", staff=PRACTITIONER, request_id="r")
    store: InMemoryReferralStore = hub.referrals
    opened = store.open(reference)
    decided = opened.referral.record_decision(Outcome.EARLY_HELP, "Synthetic", "p-1", NOW)
    store.save(opened, decided, [])
    before = day_counts(hub, dt.date(2026, 11, 25))
    with pytest.raises(StaleReferral):
        store.save(opened, decided, [])  # the same write again, from the same read: refused
    assert day_counts(hub, dt.date(2026, 11, 25)) == before
    assert before["decided"] == 1
    assert_rollups_match(hub)


def test_a_repeated_submission_with_the_same_idempotency_key_counts_once(hub: Any) -> None:
    submission = ReferralSubmission.model_validate(example())
    first = submit_referral(submission, idempotency_key="synthetic-1")
    again = submit_referral(submission, idempotency_key="synthetic-1")
    assert (first.reference, again.created) == (again.reference, False)
    assert day_counts(hub, dt.date(2026, 11, 25))["received"] == 1


# --- the report -------------------------------------------------------------------------------------


def test_the_report_adds_up_months_outcomes_sources_and_advice(hub: Any, clock: Clock) -> None:
    a, b = submit(), submit(support_referral(**{"referrer.agency": "health", "children.0.first_name": "Synthia"}))
    decide(a, Outcome.EARLY_HELP)
    decide(b, Outcome.STRATEGY_DISCUSSION)
    approve_decision(b, staff=MANAGER, request_id="r")
    clock.now = dt.datetime(2026, 12, 2, 9, tzinfo=UTC)
    submit(support_referral(**{"children.0.first_name": "Synthetica"}))
    hub.advice_contacts.add(
        AdviceContact(
            contact_id="20261125090000abcd0001", called_at=NOW - dt.timedelta(hours=1), recorded_at=NOW,
            recorded_by="p-1", caller_kind=CallerKind.PUBLIC, outcome=AdviceOutcome.REFERRAL_INVITED,
            retention_until=NOW + dt.timedelta(days=700), about="Synthetic", advice="Synthetic",
        )
    )  # fmt: skip
    report = performance_report(PerformanceRange.parse("2026-11-01", "2026-12-31"))
    assert [m.period for m in report.months] == ["2026-11", "2026-12"]
    november, december = report.months
    assert (november.referrals, november.decided, november.assessments, november.conversion_rate) == (2, 2, 1, 50.0)
    assert (november.advice_contacts, december.referrals, december.decided) == (1, 1, 0)
    assert report.total.referrals == 3 and report.total.re_referral_rate == 0.0
    outcomes = {row.code: (row.count, row.share) for row in report.outcomes}
    assert outcomes["early_help"] == (1, 50.0) and outcomes["strategy_discussion_s47"] == (1, 50.0)
    sources = {row.code: row.count for row in report.sources}
    assert (sources["2A"], sources["3F"], sources["6"]) == (2, 1, 0)
    advice = {row.code: row.count for row in report.advice_outcomes}
    assert advice == {"advice_only": 0, "referral_invited": 1, "made_into_referral": 0}
    lines = to_csv(report).splitlines()
    assert lines[0] == "measure,code,label,value,from,to"
    assert "source_of_referral,3F,Health services: other,1,2026-11-01,2026-12-31" in lines


def test_the_report_never_reads_one_item_per_referral(hub: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    submit()

    def per_referral(*_args: Any) -> Any:
        raise AssertionError("the performance report must read the rollups, not the referrals")

    monkeypatch.setattr(hub.referrals, "metadata_received_between", per_referral)
    monkeypatch.setattr(hub.referrals, "_get", per_referral)
    assert performance_report(NOVEMBER).total.received == 1


@pytest.mark.parametrize(
    ("date_from", "date_to", "message"),
    [
        ("2026-12-01", "2026-11-01", "The start date must be before the end date"),
        (
            "2026-01-01",
            "2027-02-05",
            "A report covers at most 400 days and this range is 401 days: choose a shorter range",
        ),
        ("2026-13-01", "2026-12-01", "from must be a date as YYYY-MM-DD, like 2026-04-01"),
    ],
)
def test_a_range_inverted_or_over_400_days_is_refused_in_plain_words(
    date_from: str, date_to: str, message: str
) -> None:
    with pytest.raises(InvalidRange) as refused:
        PerformanceRange.parse(date_from, date_to)
    assert str(refused.value) == message


def test_400_days_is_allowed() -> None:
    assert PerformanceRange.parse("2026-01-01", "2027-02-04").date_to == dt.date(2027, 2, 4)


def test_advice_calls_are_counted_by_who_called_in_the_json_and_the_csv(hub: Any) -> None:
    from chalicelib.domain.london_time import london_date
    from chalicelib.domain.referral import Agency

    calls = [  # (called at, who called): some outside the range, one just before it in London
        (dt.datetime(2026, 11, 3, 9, tzinfo=UTC), CallerKind.PROFESSIONAL),
        (dt.datetime(2026, 11, 10, 14, tzinfo=UTC), CallerKind.PUBLIC),
        (dt.datetime(2026, 11, 20, 11, tzinfo=UTC), CallerKind.PROFESSIONAL),
        (dt.datetime(2026, 11, 24, 16, tzinfo=UTC), CallerKind.PROFESSIONAL),
        (dt.datetime(2026, 10, 31, 23, 30, tzinfo=UTC), CallerKind.PUBLIC),  # 31 October in London
        (dt.datetime(2026, 12, 1, 8, tzinfo=UTC), CallerKind.PUBLIC),
    ]
    for number, (called_at, kind) in enumerate(calls, start=1):
        hub.advice_contacts.add(
            AdviceContact(
                contact_id=f"2026110{number}090000abcd00{number:02d}", called_at=called_at, recorded_at=NOW,
                recorded_by="p-1", caller_kind=kind, outcome=AdviceOutcome.ADVICE_ONLY,
                retention_until=NOW + dt.timedelta(days=700), about="Synthetic", advice="Synthetic",
                caller_agency=Agency.HEALTH if kind is CallerKind.PROFESSIONAL else None,
            )
        )  # fmt: skip
    # The expected answer, counted from the calls themselves (not from the rollups).
    in_range = [kind for at, kind in calls if NOVEMBER.date_from <= london_date(at) <= NOVEMBER.date_to]
    expected = Counter(kind.value for kind in in_range)
    assert expected == {"professional": 3, "public": 1}

    report = performance_report(NOVEMBER)
    by_caller = {row.code: (row.label, row.count, row.share) for row in report.advice_callers}
    assert by_caller == {
        "professional": ("A professional", expected["professional"], 75.0),
        "public": ("A member of the public", expected["public"], 25.0),
    }
    assert report.total.advice_contacts == sum(count for _, count, _ in by_caller.values())
    assert report.as_dict()["advice_callers"][0] == {
        "code": "professional", "label": "A professional", "count": 3, "share": 75.0,
    }  # fmt: skip
    lines = to_csv(report).splitlines()
    assert "advice_contacts_by_caller,professional,A professional,3,2026-11-01,2026-11-30" in lines
    assert "advice_contacts_by_caller,public,A member of the public,1,2026-11-01,2026-11-30" in lines


def test_no_advice_calls_gives_the_callers_table_with_zeros_and_no_shares(hub: Any) -> None:
    report = performance_report(NOVEMBER)
    assert [(row.code, row.count, row.share) for row in report.advice_callers] == [
        ("professional", 0, None),
        ("public", 0, None),
    ]
