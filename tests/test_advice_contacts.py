"""Advice calls at the service level (in-memory twins), and the store's contract on both stores."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib import wiring as wiring_module
from chalicelib.adapters.advice_contacts import (
    AdviceContactStore,
    DynamoAdviceContactStore,
    InMemoryAdviceContactStore,
)
from chalicelib.adapters.blind_index import BlindIndex
from chalicelib.adapters.envelope import FieldCipher, LocalKeyProvider
from chalicelib.adapters.staff_audit import InMemoryStaffAuditLog
from chalicelib.domain.advice_contacts import (
    AdviceContact,
    AdviceNotFound,
    AdviceOutcome,
    AdviceProblem,
    CallerKind,
    children_named,
    referral_prefill,
    retention_until,
)
from chalicelib.domain.failures import InvalidCursor, StaleReferral
from chalicelib.domain.london_time import LONDON
from chalicelib.domain.referral import Agency, ReferralSubmission
from chalicelib.domain.referral_record import Channel
from chalicelib.domain.staff import Role, StaffMember
from chalicelib.services.advice_contacts import (
    AdviceCall,
    advice_counts,
    advice_counts_by_day,
    list_advice_contacts,
    make_referral_from_advice,
    read_advice_contact,
    record_advice_contact,
    sweep_expired_advice,
)
from chalicelib.services.submit_referral import submit_referral
from tests.factories import example, in_memory_hub, stored_referral

NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
PRACTITIONER = StaffMember("p-1", frozenset({Role.PRACTITIONER}))
SECRET = "Synthetic: Oliwia Testchild, 7, bruise"


@pytest.fixture
def hub() -> Iterator[Any]:
    hub = in_memory_hub(NOW)
    keys = LocalKeyProvider()
    hub.use(
        advice_contacts=InMemoryAdviceContactStore(FieldCipher(keys)),
        staff_audit=InMemoryStaffAuditLog(),
        # "Known before" hashes with a fixed synthetic key (a referral made from a call): no KMS.
        blind_index_key=SimpleNamespace(index=lambda: BlindIndex(b"k" * 32)),
    )
    hub.keys = keys
    yield hub
    wiring_module.reset()


def call(**changes: Any) -> AdviceCall:
    fields: dict[str, Any] = {
        "called_at": NOW - dt.timedelta(minutes=20),
        "caller_kind": CallerKind.PROFESSIONAL,
        "caller_agency": Agency.HEALTH,
        "caller_name": "Sam Testvisitor",
        "caller_organisation": "Synthetic Health Trust",
        "outcome": AdviceOutcome.ADVICE_ONLY,
        "about": SECRET,
        "advice": "Synthetic: speak to the parent; refer if it happens again",
        **changes,
    }
    return AdviceCall(**fields)


def test_a_call_is_recorded_sealed_listed_by_its_codes_and_read_with_an_audit(hub: Any) -> None:
    contact = record_advice_contact(call(), staff=PRACTITIONER, request_id="r1")
    assert contact.retention_until == (NOW - dt.timedelta(minutes=20)).replace(year=2028)
    item = hub.advice_contacts.items["ADVICE#" + contact.contact_id]
    assert SECRET not in repr(item) and "Sam Testvisitor" not in repr(item)
    assert (item["caller_kind"], item["caller_agency"], item["outcome"]) == ("professional", "health", "advice_only")

    unwrapped = hub.keys.unwrapped
    page = list_advice_contacts(25, None)
    assert [row.contact_id for row in page.rows] == [contact.contact_id] and page.next_cursor is None
    assert hub.keys.unwrapped == unwrapped  # the list decrypts nothing

    read = read_advice_contact(contact.contact_id, staff=PRACTITIONER, request_id="r2")
    assert (read.about, read.caller_name, read.caller_agency) == (SECRET, "Sam Testvisitor", Agency.HEALTH)
    events = hub.staff_audit.events("p-1")
    assert [(e.action.value, e.details["contact_id"]) for e in events] == [
        ("advice.recorded", contact.contact_id), ("advice.read", contact.contact_id),
    ]  # fmt: skip
    assert SECRET not in repr(events)


def test_what_a_call_needs_is_checked(hub: Any) -> None:
    cases = {
        "Select the professional caller's agency": call(caller_agency=None),
        "A member of the public has no agency": call(caller_kind=CallerKind.PUBLIC),
        "Give the reference of the referral": call(outcome=AdviceOutcome.MADE_INTO_REFERRAL),
        "No referral has the reference ZZZ-ZZZ-ZZZ": call(
            outcome=AdviceOutcome.MADE_INTO_REFERRAL, referral_reference="ZZZ-ZZZ-ZZZ"
        ),
        "cannot be in the future": call(called_at=NOW + dt.timedelta(hours=1)),
    }
    for message, bad in cases.items():
        with pytest.raises(AdviceProblem, match=message):
            record_advice_contact(bad, staff=PRACTITIONER, request_id=None)
    assert hub.advice_contacts.items == {}
    with pytest.raises(AdviceNotFound):
        read_advice_contact("20261125100000deadbeef", staff=PRACTITIONER, request_id=None)
    with pytest.raises(AdviceNotFound):
        read_advice_contact("../etc", staff=PRACTITIONER, request_id=None)


def test_a_call_made_into_a_referral_names_it_and_the_counts_need_no_key(hub: Any) -> None:
    referral = stored_referral(hub, NOW)
    made = call(outcome=AdviceOutcome.MADE_INTO_REFERRAL, referral_reference=referral.reference)
    assert record_advice_contact(made, staff=PRACTITIONER, request_id=None).referral_reference == referral.reference
    public = call(caller_kind=CallerKind.PUBLIC, caller_agency=None, outcome=AdviceOutcome.REFERRAL_INVITED)
    record_advice_contact(public, staff=PRACTITIONER, request_id=None)
    record_advice_contact(
        call(called_at=dt.datetime(2026, 10, 31, 23, 30, tzinfo=dt.UTC)), staff=PRACTITIONER, request_id=None
    )
    unwrapped = hub.keys.unwrapped
    counts = advice_counts(dt.datetime(2026, 10, 1, tzinfo=dt.UTC), NOW)
    assert hub.keys.unwrapped == unwrapped
    assert counts.total == 3
    assert counts.by_outcome == {"advice_only": 1, "referral_invited": 1, "made_into_referral": 1}
    assert counts.by_caller_kind == {"professional": 2, "public": 1}
    # 23:30 UTC on 31 October is 31 October in London (GMT): the month is London's.
    assert counts.by_month == {"2026-10": 1, "2026-11": 2}
    assert advice_counts(NOW - dt.timedelta(minutes=10), NOW).total == 0


def test_the_list_is_newest_first_in_pages(hub: Any) -> None:
    ids = [
        record_advice_contact(
            call(called_at=NOW - dt.timedelta(hours=hours)), staff=PRACTITIONER, request_id=None
        ).contact_id
        for hours in (5, 1, 3)
    ]
    first = list_advice_contacts(2, None)
    assert [row.contact_id for row in first.rows] == [ids[1], ids[2]]
    second = list_advice_contacts(2, first.next_cursor)
    assert ([row.contact_id for row in second.rows], second.next_cursor) == ([ids[0]], None)
    with pytest.raises(InvalidCursor):
        list_advice_contacts(2, "not-a-cursor")


def test_the_retention_sweep_deletes_a_call_by_its_own_rule_leaving_a_receipt(hub: Any) -> None:
    contact = record_advice_contact(call(), staff=PRACTITIONER, request_id=None)
    assert sweep_expired_advice() == 0
    hub.clock = lambda: contact.retention_until + dt.timedelta(seconds=1)
    assert sweep_expired_advice() == 1
    with pytest.raises(AdviceNotFound):
        hub.advice_contacts.fetch(contact.contact_id)
    receipt = hub.advice_contacts.receipt(contact.contact_id)
    assert (receipt["outcome"], receipt["caller_kind"], receipt["retention_until"]) == (
        "advice_only", "professional", contact.retention_until.date().isoformat(),
    )  # fmt: skip
    assert SECRET not in repr(receipt)
    assert sweep_expired_advice() == 0


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Iterator[AdviceContactStore]:
    if request.param == "memory":
        yield InMemoryAdviceContactStore(FieldCipher(LocalKeyProvider()))
        return
    aws: Any = request.getfixturevalue("aws")
    yield DynamoAdviceContactStore(aws.aws_client("dynamodb"), aws.settings.table_name, aws.cipher)


def contact_at(
    called_at: dt.datetime, suffix: str, outcome: AdviceOutcome = AdviceOutcome.ADVICE_ONLY
) -> AdviceContact:
    return AdviceContact(
        contact_id=f"{called_at:%Y%m%d%H%M%S}{suffix}",
        called_at=called_at,
        recorded_at=called_at,
        recorded_by="p-1",
        caller_kind=CallerKind.PUBLIC,
        outcome=outcome,
        retention_until=retention_until(called_at, 2),
        about=SECRET,
        advice="Synthetic advice",
        names="Oliwia",
    )


def test_both_stores_keep_the_same_contract(store: AdviceContactStore) -> None:
    calls = [contact_at(NOW - dt.timedelta(days=days), f"0000000{days}") for days in (1, 2, 3)]
    for contact in calls:
        store.add(contact)
    assert store.fetch(calls[0].contact_id) == calls[0]
    page = store.list_newest(2)
    assert [row.contact_id for row in page.rows] == [calls[0].contact_id, calls[1].contact_id]
    rest = store.list_newest(2, page.next_cursor)
    assert ([row.contact_id for row in rest.rows], rest.next_cursor) == ([calls[2].contact_id], None)
    assert store.list_newest(3).next_cursor is None
    between = store.called_between(NOW - dt.timedelta(days=2, hours=1), NOW - dt.timedelta(days=1))
    assert [row.contact_id for row in between] == [calls[1].contact_id]
    later = NOW.replace(year=2028) - dt.timedelta(days=2) + dt.timedelta(minutes=1)
    assert store.due_for_deletion(later) == [calls[2].contact_id, calls[1].contact_id]
    store.delete_with_receipt(calls[2].contact_id, later)
    store.delete_with_receipt(calls[2].contact_id, later)  # twice: nothing more to do
    with pytest.raises(AdviceNotFound):
        store.fetch(calls[2].contact_id)
    assert store.receipt(calls[2].contact_id)["outcome"] == "advice_only"  # type: ignore[index]
    assert [row.contact_id for row in store.list_newest(5).rows] == [calls[0].contact_id, calls[1].contact_id]


def test_both_stores_make_a_call_into_one_referral_only(store: AdviceContactStore) -> None:
    contact = contact_at(NOW - dt.timedelta(days=1), "0000000a")
    store.add(contact)
    store.mark_made_into_referral(contact.contact_id, "K7Q-F3M-RW9")
    made = store.fetch(contact.contact_id)
    assert (made.outcome, made.referral_reference, made.about) == (
        AdviceOutcome.MADE_INTO_REFERRAL, "K7Q-F3M-RW9", SECRET,
    )  # fmt: skip
    with pytest.raises(StaleReferral):  # a call becomes one referral, not two
        store.mark_made_into_referral(contact.contact_id, "ABC-DEF-GHJ")
    with pytest.raises(StaleReferral):  # no such call
        store.mark_made_into_referral("20261101000000ffffffff", "K7Q-F3M-RW9")


def test_the_prefill_takes_the_caller_as_referrer_and_what_was_said_as_the_concerns(hub: Any) -> None:
    professional = record_advice_contact(call(caller_phone="01632 960001"), staff=PRACTITIONER, request_id=None)
    assert referral_prefill(professional) == {
        "referrer": {
            "kind": "professional",
            "name": "Sam Testvisitor",
            "phone": "01632 960001",
            "organisation": "Synthetic Health Trust",
            "agency": "health",
        },
        "concerns": {"description": SECRET},
    }
    public = record_advice_contact(
        call(caller_kind=CallerKind.PUBLIC, caller_agency=None, caller_organisation=None, names="Oliwia Testchild"),
        staff=PRACTITIONER,
        request_id=None,
    )
    prefill = referral_prefill(public)
    assert prefill["referrer"] == {"kind": "public", "name": "Sam Testvisitor"}
    assert prefill["concerns"] == {"description": f"{SECRET}\n\nNames given: Oliwia Testchild"}
    assert prefill["children"] == [{"first_name": "Oliwia", "last_name": "Testchild"}]
    assert "children" not in referral_prefill(professional)  # no names given, no child guessed


@pytest.mark.parametrize(
    ("names", "children"),
    [
        ("Mia Testchild", [("Mia", "Testchild")]),
        ("Mia Testchild, Leo and Ava Testchild", [("Mia", "Testchild"), ("Leo", ""), ("Ava", "Testchild")]),
        ("Oliwia Łukasiewicz\nZoë O'Test-Child", [("Oliwia", "Łukasiewicz"), ("Zoë", "O'Test-Child")]),
        ("her mum Alex; Jan", [("Jan", "")]),  # what does not read as a name is left in the concerns only
        ("a girl of 7", []),
        ("", []),
    ],
)
def test_the_children_a_call_names_are_read_only_where_they_read_as_names(
    names: str, children: list[tuple[str, str]]
) -> None:
    found = children_named(names)
    assert [(child["first_name"], child.get("last_name", "")) for child in found] == children


def test_a_call_is_made_into_a_referral_stored_by_staff_channel_and_both_audited(hub: Any) -> None:
    contact = record_advice_contact(call(), staff=PRACTITIONER, request_id="r1")
    submission = ReferralSubmission.model_validate(example())

    receipt = make_referral_from_advice(contact.contact_id, submission, staff=PRACTITIONER, request_id="r2")

    assert receipt.created
    stored = hub.referrals.fetch(receipt.reference)
    assert stored.channel is Channel.STAFF and stored.submission == submission
    made = hub.advice_contacts.fetch(contact.contact_id)
    assert (made.outcome, made.referral_reference) == (AdviceOutcome.MADE_INTO_REFERRAL, receipt.reference)
    events = hub.staff_audit.events("p-1")
    assert [e.action.value for e in events] == ["advice.recorded", "advice.read", "advice.made_into_referral"]
    assert events[-1].details["referral_reference"] == receipt.reference
    assert SECRET not in repr(events)

    with pytest.raises(AdviceProblem, match=receipt.reference):  # once only
        make_referral_from_advice(contact.contact_id, submission, staff=PRACTITIONER, request_id="r3")
    # The call's count moved to made into a referral, once, on the day it was called.
    day = contact.called_at.astimezone(LONDON).date()
    counts = advice_counts_by_day(day, day)
    assert (counts.total, counts.by_outcome) == (
        1, {"advice_only": 0, "referral_invited": 0, "made_into_referral": 1},
    )  # fmt: skip
    assert counts.by_caller_kind == {"professional": 1, "public": 0}


def test_a_retry_after_a_failure_between_the_two_writes_gets_the_same_referral(hub: Any) -> None:
    contact = record_advice_contact(call(), staff=PRACTITIONER, request_id=None)
    submission = ReferralSubmission.model_validate(example())
    first = submit_referral(submission, idempotency_key=f"advice:{contact.contact_id}", channel=Channel.STAFF)

    again = make_referral_from_advice(contact.contact_id, submission, staff=PRACTITIONER, request_id=None)

    assert (again.reference, again.created) == (first.reference, False)
    assert hub.advice_contacts.fetch(contact.contact_id).referral_reference == first.reference


def test_no_referral_is_made_from_a_call_that_does_not_exist(hub: Any) -> None:
    with pytest.raises(AdviceNotFound):
        make_referral_from_advice(
            "20261101000000ffffffff",
            ReferralSubmission.model_validate(example()),
            staff=PRACTITIONER,
            request_id=None,
        )
    assert hub.referrals.items == {}


def test_a_retry_with_other_details_links_the_call_to_the_referral_made_before(hub: Any) -> None:
    contact = record_advice_contact(call(), staff=PRACTITIONER, request_id=None)
    submission = ReferralSubmission.model_validate(example())
    first = submit_referral(submission, idempotency_key=f"advice:{contact.contact_id}", channel=Channel.STAFF)
    changed = submission.model_copy(update={"immediate_risk": not submission.immediate_risk})

    with pytest.raises(AdviceProblem, match=first.reference):
        make_referral_from_advice(contact.contact_id, changed, staff=PRACTITIONER, request_id=None)

    assert hub.advice_contacts.fetch(contact.contact_id).referral_reference == first.reference
