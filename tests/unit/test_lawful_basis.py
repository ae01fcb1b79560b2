"""The lawful basis of sharing, in plain Python: which basis each route and consent gives, that
opening enquiries records it per enquiry, and that it survives the item codec (in clear)."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.adapters.lawful_basis_codec import sharing_bases_attributes, sharing_bases_from_item
from chalicelib.domain.agencies import LOCAL_DIRECTORY, AgencyDirectory, AgencyId
from chalicelib.domain.consent import ConsentRecord, ConsentSource, ConsentState
from chalicelib.domain.decision import Rag, Screening
from chalicelib.domain.lawful_basis import BASIS_WORDS, LawfulBasis, SharingKind, basis_for_sharing
from chalicelib.domain.referral import ReferralSubmission, Route
from chalicelib.domain.referral_record import Channel, Referral
from tests.factories import protection_referral, support_referral

NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)


def consent(state: ConsentState) -> ConsentRecord:
    return ConsentRecord(state, ConsentSource.STAFF, "staff-1", NOW)


@pytest.mark.parametrize(
    ("route", "state", "basis"),
    [
        (Route.SUPPORT, ConsentState.GIVEN, LawfulBasis.CONSENT_GIVEN),
        (Route.SUPPORT, ConsentState.IMPLICIT, LawfulBasis.CONSENT_IMPLICIT),
        (Route.SUPPORT, ConsentState.DISPENSED, LawfulBasis.CONSENT_DISPENSED),
        (Route.SUPPORT, ConsentState.REFUSED, None),
        (Route.SUPPORT, ConsentState.NOT_SOUGHT, None),
        (Route.SUPPORT, ConsentState.REQUESTED, None),
        (Route.PROTECTION, ConsentState.NOT_REQUIRED, LawfulBasis.PROTECTION_ROUTE),
    ],
)
def test_the_basis_follows_the_route_and_consent(route: Route, state: ConsentState, basis: LawfulBasis | None) -> None:
    assert basis_for_sharing(route, consent(state)) is basis


def test_every_basis_has_plain_words() -> None:
    assert set(BASIS_WORDS) == set(LawfulBasis)


@pytest.mark.parametrize(
    ("data", "expected"),
    [(support_referral(), LawfulBasis.CONSENT_GIVEN), (protection_referral(), LawfulBasis.PROTECTION_ROUTE)],
)
def test_each_enquiry_opened_records_its_basis(data: dict[str, object], expected: LawfulBasis) -> None:
    referral = Referral.receive(
        "ABC-DEF-GH2",
        ReferralSubmission.model_validate(data),
        channel=Channel.API,
        now=NOW,
        request_fingerprint="f",
        idempotency_key_hash=None,
    ).screen(Screening(Rag.AMBER, 3, "worried", "staff-1", NOW, NOW + dt.timedelta(days=1)))
    directory = AgencyDirectory(LOCAL_DIRECTORY)
    once = referral.open_enquiries([AgencyId.POLICE], "What do you hold?", by="staff-1", now=NOW, directory=directory)
    twice = once.open_enquiries([AgencyId.HEALTH], "And you?", by="staff-1", now=NOW, directory=directory)
    assert [(b.kind, b.shared, b.basis) for b in twice.sharing_bases] == [
        (SharingKind.ENQUIRY, "e1", expected),
        (SharingKind.ENQUIRY, "e2", expected),
    ]
    # In clear on the item (codes, ids, a time) and back again unchanged.
    attributes = sharing_bases_attributes(twice.sharing_bases)
    assert attributes["sharing_bases"][0] == {
        "kind": "enquiry",
        "shared": "e1",
        "basis": expected.value,
        "at": NOW.isoformat(),
    }
    assert sharing_bases_from_item(attributes) == twice.sharing_bases


def test_no_sharing_no_attribute() -> None:
    assert sharing_bases_attributes(()) == {}
    assert sharing_bases_from_item({}) == ()
