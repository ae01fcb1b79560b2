"""The audit history in words: every action has a sentence, and none shows a code, an id or a key."""

from __future__ import annotations

import re

import pytest

from chalicelib.domain.audit import AuditAction
from chalicelib.domain.audit_sentences import SENTENCES, Naming, audit_sentence

# Details as each action's writer records them (ids and codes only).
DETAILS: dict[AuditAction, dict[str, str]] = {
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
}
NAMING = Naming(person=lambda key: "Parent or carer: Anna Kowalska (mother)", service=lambda s: "Early Help Hub")


def test_every_audit_action_has_a_sentence() -> None:
    assert set(SENTENCES) == set(AuditAction), "add a sentence to audit_sentences.SENTENCES for the new action"


@pytest.mark.parametrize("action", list(AuditAction))
def test_each_sentence_reads_as_words_without_codes_or_keys(action: AuditAction) -> None:
    sentence = audit_sentence(action, DETAILS.get(action, {}), "Pat Practitioner", NAMING)
    assert sentence and sentence[0].isupper()
    assert action.value not in sentence
    assert not re.search(r"\b\w+[._]\w+\b", sentence), sentence  # no `referral.viewed`, `strategy_discussion`
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
    ],
)
def test_sentences_say_who_did_what(action: AuditAction, details: dict[str, str], expected: str) -> None:
    assert audit_sentence(action, details, "Pat Practitioner", NAMING) == expected


def test_without_names_a_person_is_named_by_role_and_an_unknown_action_by_its_code() -> None:
    assert audit_sentence(AuditAction.CONSENT_REQUESTED, {"parent": "1"}, "Pat") == (
        "Pat emailed a consent request to parent or carer 2"
    )
    assert audit_sentence("referral.teleported", {}, "Pat") == "Pat: referral.teleported"
