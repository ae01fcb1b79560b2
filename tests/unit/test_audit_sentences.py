"""The audit history in words: every action has a sentence, and none shows a code, an id or a key."""

from __future__ import annotations

import re

import pytest

from chalicelib.domain.audit import AuditAction
from chalicelib.domain.audit_sentences import SENTENCES, Naming, audit_sentence

# Details as each action's writer records them (ids and codes only).
DETAILS: dict[str, dict[str, str]] = {
    AuditAction.SCREENED: {"rag": "amber", "level": "3", "status": "screened"},
    AuditAction.DECISION_RECORDED: {"outcome": "strategy_discussion_s47", "status": "decision_proposed"},
    AuditAction.DECISION_APPROVED: {"outcome": "strategy_discussion_s47", "status": "decided"},
    AuditAction.CLOSED: {"retention_until": "2032-11-26"},
    AuditAction.CONSENT_RECORDED: {"state": "refused", "source": "staff", "enquiries_withdrawn": "e1,e2"},
    AuditAction.CONSENT_REQUESTED: {"state": "requested", "parent": "0", "notice": "consent-1"},
    AuditAction.CONSENT_ANSWERED: {"state": "given", "source": "parent"},
    AuditAction.CONSENT_ANSWER_CHANGED: {"state": "refused", "enquiries_withdrawn": "e1"},
    AuditAction.PARENTS_TOLD_DECIDED: {"state": "withheld"},
    AuditAction.ONWARD_REFERRAL_MADE: {"service": "early_help", "sections": "children,concerns"},
    AuditAction.OUTCOME_NOTICE_DECIDED: {"choice": "withhold", "review_on": "2026-12-10"},
    AuditAction.NOTICE_PREVIEWED: {"notice": "outcome-1", "kind": "outcome"},
    AuditAction.ENQUIRIES_OPENED: {"enquiries": "e1:police,e2:health"},
    AuditAction.REPLY_RECEIVED: {"enquiry": "e1", "reply": "r-1"},
    AuditAction.REPLY_ATTACHED: {"enquiry": "e2", "reply": "r-2"},
    AuditAction.ENQUIRY_WITHDRAWN: {"enquiries": "e1", "cause": "withdrawn_by_staff"},
    AuditAction.CONTACT_PLAN_CHANGED: {"person": "parent:0", "told": "false", "why": "not_told_by_decision"},
    AuditAction.REPLY_TEXT_MARKED: {"reply": "r-1", "shown": "whole"},
    AuditAction.SEARCHED: {"results": "3", "searched_by": "name,dob"},
    AuditAction.NOTICE_RELEASED: {"notice": "outcome-1", "how": "translated"},
    AuditAction.VIEWED: {"reason": "subject_access_request"},
    # The case-work branches' actions, by value (they reach this branch when it is merged).
    "task.finished": {"task": "t1", "kind": "read_reply", "how": "completed", "note": "yes"},
    "case_note.added": {"note": "n2", "type": "phone_call", "corrects": "n1"},
    "referral.linked": {"other": "K7Q-F3M-RW9", "kind": "siblings"},
    "referral.unlinked": {"other": "K7Q-F3M-RW9", "kind": "siblings"},
    "referral.closed_as_duplicate": {"duplicate_of": "K7Q-F3M-RW9", "cancelled_notices": "ack"},
    "advice.recorded": {"contact_id": "a1", "outcome": "advice_only", "caller_kind": "professional"},
    "advice.made_into_referral": {
        "contact_id": "a1",
        "outcome": "made_into_referral",
        "caller_kind": "public",
        "referral_reference": "K7Q-F3M-RW9",
    },
    "referral.allocated": {"from": "", "to": "staff-2"},
}
NAMING = Naming(
    person=lambda key: "Parent or carer: Anna Kowalska (mother)",
    service=lambda s: "Early Help Hub",
    staff=lambda staff_id: {"staff-2": "Morgan Manager"}.get(staff_id, "a former member of staff"),
    actor_id="staff-1",
)


def test_every_audit_action_has_a_sentence() -> None:
    missing = {action.value for action in AuditAction} - set(SENTENCES)
    assert not missing, f"add a sentence to audit_sentences.SENTENCES for {sorted(missing)}"


@pytest.mark.parametrize("action", sorted(SENTENCES))
def test_each_sentence_reads_as_words_without_codes_or_keys(action: str) -> None:
    sentence = audit_sentence(action, DETAILS.get(action, {}), "Pat Practitioner", NAMING)
    assert sentence and sentence[0].isupper()
    assert action not in sentence
    without_references = re.sub(r"[A-Z0-9]{3}-[A-Z0-9]{3}-[A-Z0-9]{3}", "", sentence)  # a linked referral's reference
    assert not re.search(r"\b\w+[._]\w+\b", without_references), sentence  # no `referral.viewed`, `strategy_discussion`
    assert "parent:0" not in sentence


@pytest.mark.parametrize(
    ("action", "details", "expected"),
    [
        (AuditAction.SCREENED, {"rag": "amber", "level": "3"}, "Pat Practitioner screened it Amber, level 3"),
        (
            AuditAction.DECISION_APPROVED,
            {"outcome": "strategy_discussion_s47"},
            "Pat Practitioner approved the decision: Strategy discussion (child protection, section 47)",
        ),
        (
            AuditAction.ENQUIRIES_OPENED,
            {"enquiries": "e1:police,e2:health"},
            "Pat Practitioner asked Police (enquiry e1) and Health (enquiry e2) what they hold",
        ),
        (
            AuditAction.CONSENT_REQUESTED,
            {"parent": "0"},
            "Pat Practitioner emailed a consent request to Parent or carer: Anna Kowalska (mother)",
        ),
        (AuditAction.VIEWED, {}, "Pat Practitioner opened the referral"),
        (AuditAction.RECEIVED, {"channel": "api", "route": "support"}, "The referral was received"),
        (
            AuditAction.RECEIVED,
            {"channel": "staff", "advice_contact": "a1"},
            "The referral was made from an advice call",
        ),
        ("referral.allocated", {"from": "", "to": "staff-2"}, "Pat Practitioner gave the referral to Morgan Manager"),
        (
            "referral.allocated",
            {"from": "staff-2", "to": "staff-1"},
            "Pat Practitioner took the referral from Morgan Manager",
        ),
        (
            "referral.linked",
            {"other": "K7Q-F3M-RW9", "kind": "siblings"},
            "Pat Practitioner linked referral K7Q-F3M-RW9 as siblings",
        ),
    ],
)
def test_sentences_say_who_did_what(action: str, details: dict[str, str], expected: str) -> None:
    assert audit_sentence(action, details, "Pat Practitioner", NAMING) == expected


def test_without_names_a_person_is_named_by_role_and_an_unknown_action_by_its_code() -> None:
    assert audit_sentence(AuditAction.CONSENT_REQUESTED, {"parent": "1"}, "Pat") == (
        "Pat emailed a consent request to parent or carer 2"
    )
    assert audit_sentence("referral.teleported", {}, "Pat") == "Pat: referral.teleported"
