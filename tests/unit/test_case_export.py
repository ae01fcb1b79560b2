"""The export to the case-management system, in plain Python: when one is owed, and the document
(every real export validates against the published JSON Schema)."""

from __future__ import annotations

import datetime as dt
import json

import jsonschema
import pytest

from chalicelib.domain.agencies import LOCAL_DIRECTORY, AgencyDirectory, AgencyId
from chalicelib.domain.agency_replies import AgencyReply, StoredAttachment
from chalicelib.domain.attachments import ReferralAttachment
from chalicelib.domain.case_export import (
    CASE_SYSTEM,
    DECISION_EXPORT,
    EXPORTING_OUTCOMES,
    export_id,
    exports_of,
    owe_decision_export,
    owe_requested_export,
)
from chalicelib.domain.case_export_document import EXPORT_VERSION, build_export, export_schema
from chalicelib.domain.decision import Outcome, Rag, Screening
from chalicelib.domain.notices import SEND_GRACE, NoticeKind
from chalicelib.domain.referral import ReferralSubmission
from chalicelib.domain.referral_record import Channel, Referral, ReferralClosed
from tests.factories import example, support_referral

NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(hours=2)


def screened(data: dict[str, object] | None = None) -> Referral:
    return Referral.receive(
        "ABC-DEF-GH2",
        ReferralSubmission.model_validate(data or support_referral()),
        channel=Channel.API,
        now=NOW,
        request_fingerprint="f",
        idempotency_key_hash=None,
    ).screen(Screening(Rag.AMBER, 3, "Synthetic rationale", "staff-1", NOW, NOW + dt.timedelta(days=1)))


def decided(outcome: Outcome, *, approve: bool = True) -> Referral:
    referral = screened().record_decision(outcome, "Synthetic reasons", "staff-1", NOW)
    return referral.approve_decision("manager-1", LATER) if approve and referral.decision.needs_approval else referral  # type: ignore[union-attr]


@pytest.mark.parametrize("outcome", sorted(EXPORTING_OUTCOMES))
def test_a_standing_decision_that_stays_with_social_care_owes_one_export(outcome: Outcome) -> None:
    referral = owe_decision_export(decided(outcome), LATER)
    (export,) = exports_of(referral)
    assert (export.notice_id, export.kind, export.recipient) == (DECISION_EXPORT, NoticeKind.CASE_EXPORT, CASE_SYSTEM)
    # Like an email: the request hands it over at once, so the sweep takes it only after the grace.
    assert not export.is_due(LATER) and export.is_due(LATER + SEND_GRACE)
    assert owe_decision_export(referral, LATER) == referral  # owed once


@pytest.mark.parametrize("outcome", sorted(set(Outcome) - EXPORTING_OUTCOMES))
def test_other_decisions_owe_no_export(outcome: Outcome) -> None:
    assert exports_of(owe_decision_export(decided(outcome), LATER)) == []


def test_a_proposed_decision_owes_nothing_until_approved() -> None:
    proposed = decided(Outcome.STRATEGY_DISCUSSION, approve=False)
    assert exports_of(owe_decision_export(proposed, LATER)) == []


def test_a_manager_may_ask_again_each_time_a_new_export_but_not_once_closed() -> None:
    referral = owe_decision_export(decided(Outcome.CHILD_AND_FAMILY_ASSESSMENT), LATER)
    again, first = owe_requested_export(referral, LATER)
    third, second = owe_requested_export(again, LATER)
    assert len({DECISION_EXPORT, first, second}) == 3
    assert len(exports_of(third)) == 3
    assert export_id("ABC-DEF-GH2", first) == f"ABC-DEF-GH2.{first}"
    closed = referral.close(LATER, {})
    with pytest.raises(ReferralClosed):
        owe_requested_export(closed, LATER)


def full_referral() -> Referral:
    referral = screened(example("referral-protection-household.json"))
    referral = referral.open_enquiries(
        [AgencyId.POLICE],
        "Synthetic: what do you hold?",
        by="staff-1",
        now=NOW,
        directory=AgencyDirectory(LOCAL_DIRECTORY),
    )
    referral = referral.record_decision(Outcome.STRATEGY_DISCUSSION, "Synthetic reasons", "staff-1", NOW)
    return referral.approve_decision("manager-1", LATER)


def reply() -> AgencyReply:
    kept = StoredAttachment("a1", "notes.pdf", "application/pdf", 10, "0" * 64, "replies/r1/a1")
    refused = StoredAttachment("a2", "x.exe", "", 10, "1" * 64, "", refused="type_not_allowed")
    return AgencyReply(
        "r1", "ABC-DEF-GH2", "e1", AgencyId.POLICE, LATER, "police@police.example", "Re: enquiry",
        "Synthetic: known to us.", "Synthetic: known to us.\n> quoted", (kept, refused),
    )  # fmt: skip


def test_the_document_validates_against_its_published_schema() -> None:
    referral = full_referral()
    attachment = ReferralAttachment("d1", "letter.pdf", "application/pdf", 20, "2" * 64, NOW, "referrals/x/d1")
    document = build_export(
        referral, export_id=export_id(referral.reference, DECISION_EXPORT), exported_at=LATER,
        replies=[reply()], attachments=[attachment],
    )  # fmt: skip
    body = json.loads(document.model_dump_json())
    schema = export_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(body, schema)
    assert body["version"] == EXPORT_VERSION
    assert body["decision"]["outcome"] == "strategy_discussion_s47"
    assert body["decision"]["approved_by"] == "manager-1"
    assert body["enquiries"][0]["replies"][0]["text"] == "Synthetic: known to us."
    assert body["enquiries"][0]["replies"][0]["documents"] == ["r1/a1"]
    # By id only: never a link that works by itself, and a refused file is not there at all.
    assert [d["document_id"] for d in body["documents"]] == ["d1", "r1/a1"]
    assert "http" not in json.dumps(body["documents"])
    assert body["people"]["household_members"] and body["people"]["people_posing_risk"]
    assert any(entry["may_pose_risk"] and not entry["told"] for entry in body["people"]["contact_plan"])
    assert body["consent"]["lawful_bases"][0]["basis"] == "protection_route"


def test_a_document_that_breaks_the_schema_is_refused_by_it() -> None:
    referral = full_referral()
    body = json.loads(
        build_export(referral, export_id="x", exported_at=LATER, replies=[], attachments=[]).model_dump_json()
    )
    del body["referral"]["reference"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(body, export_schema())
