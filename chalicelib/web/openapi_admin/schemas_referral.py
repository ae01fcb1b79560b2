"""Response schemas for a referral: where it stands, its whole picture, the queue, notices, decisions, audit.

Written by hand for the dicts chalicelib/web/admin/ builds; `additionalProperties: false` keeps them honest.
"""

from __future__ import annotations

from typing import Any

from chalicelib.web.openapi_admin.out_of_hours import (
    OUT_OF_HOURS_FLAG,
    OUT_OF_HOURS_TEXT,
    out_of_hours_schemas,
)
from chalicelib.web.openapi_admin.reports import report_schemas
from chalicelib.web.openapi_admin.schemas_sharing import sharing_schemas
from chalicelib.web.openapi_admin.shapes import (
    DATE_TIME,
    REFERENCE_EXAMPLE,
    _enum,
    _from_model,
    _nullable,
    _object,
    _ref,
)


def response_schemas() -> dict[str, Any]:
    """JSON Schemas of what the staff API (chalicelib/web/admin/) answers with, by component name."""
    from chalicelib.domain.consent import ConsentSource, ConsentState, ParentsToldState
    from chalicelib.domain.contact_plan import Why
    from chalicelib.domain.decision import Outcome, Rag
    from chalicelib.domain.lifecycle import Action, ReferralStatus
    from chalicelib.domain.notices import NoticeKind, NoticeStatus
    from chalicelib.domain.onward_referral import Section
    from chalicelib.domain.outcome_notices import HeldBecause, OutcomeNoticeChoice
    from chalicelib.domain.protective_decisions import ProtectiveDecision
    from chalicelib.domain.referral import Route
    from chalicelib.domain.referral_record import Channel
    from chalicelib.domain.staff import Role
    from chalicelib.domain.tasks import TaskKind
    from chalicelib.web.admin import responses

    decision = {
        "outcome": _enum(Outcome),
        "decided_by": {"type": "string", "description": "Staff id (the token's sub), never a name"},
        "decided_at": _nullable(DATE_TIME),
        "needs_approval": {"type": "boolean"},
        "approved_by": _nullable({"type": "string"}),
        "approved_at": _nullable(DATE_TIME),
    }
    state = {
        "reference": {"type": "string", "examples": [REFERENCE_EXAMPLE]},
        "status": _enum(ReferralStatus),
        "rag": _nullable(_enum(Rag)),
        "due_at": _nullable(DATE_TIME),
        "working_together_due_at": _nullable(DATE_TIME),
        "decision": _nullable(_ref("DecisionSummary")),
        "closed_at": _nullable(DATE_TIME),
        "retention_until": _nullable({**DATE_TIME, "description": "When the retention sweep may delete it"}),
        "legal_hold": {"type": "boolean", "description": "A manager's hold stops deletion until lifted"},
        "consent": _enum(ConsentState),
        "sharing_allowed": {"type": "boolean", "description": "Whether agencies may be asked to share information"},
        "sharing_refusal": _nullable({"type": "string", "description": "Why not, and what would unblock it"}),
        "parents_told": _nullable(_enum(ParentsToldState)),
        "allowed_actions": {"type": "array", "items": _enum(Action)},
    }
    screening = {
        "rag": _enum(Rag),
        "level": {"type": "integer", "minimum": 1, "maximum": 4},
        "rationale": {"type": "string"},
        "screened_by": {"type": "string"},
        "screened_at": _nullable(DATE_TIME),
        "decision_due_at": _nullable(DATE_TIME),
    }
    notice = {
        "notice_id": {"type": "string", "description": "Names the notice in .../notices/{notice_id}/preview"},
        "kind": _enum(NoticeKind),
        "recipient": {"type": "string", "description": "referrer, parent:<n> or a service: never an address"},
        "status": _enum(NoticeStatus),
        "attempts": {"type": "integer", "minimum": 0},
        "last_error": _nullable({"type": "string"}),
        "sent_at": _nullable(DATE_TIME),
        "history": {
            "type": "array",
            "description": "Delivery events in the order they arrived",
            "items": _object({"status": _enum(NoticeStatus), "at": DATE_TIME}),
        },
        "translation_needed": _nullable(
            {"type": "string", "description": "The person's first language: staff arrange a translation (no machine)"}
        ),
        "held_for_translation": {
            "type": "boolean",
            "description": "Not sent until its translation is added (both versions go) or it is released in English",
        },
        "released": _nullable(
            _object(
                {
                    "language": {"type": "string"},
                    "how": {"type": "string", "enum": ["translated", "in_english"]},
                    "english_reason": _nullable({"type": "string"}),
                    "decided_by": {"type": "string"},
                    "decided_at": DATE_TIME,
                }
            )
        ),
    }
    task = {
        "id": {"type": "string"},
        "kind": _enum(TaskKind),
        "text": {"type": "string"},
        "created_at": _nullable(DATE_TIME),
        "about": _nullable({"type": "string"}),
        "done_at": _nullable(DATE_TIME),
        "due_on": {
            **_nullable({"type": "string", "format": "date"}),
            "description": "When it is due: a review task (review_*) is due on its review date",
        },
    }
    queue_row = {
        "reference": {"type": "string"},
        "route": _enum(Route),
        "status": _enum(ReferralStatus),
        "rag": _nullable(_enum(Rag)),
        "level": _nullable({"type": "integer", "minimum": 1, "maximum": 4}),
        "proposed_level": {"type": "integer"},
        "immediate_risk": {"type": "boolean", "description": "The referrer said a child is at immediate risk"},
        "received_at": DATE_TIME,
        "due_at": _nullable(DATE_TIME),
        "review_due_on": {
            **_nullable({"type": "string", "format": "date"}),
            "description": "A review date has come: the earliest open review task's date (see the tasks)",
        },
        "out_of_hours": OUT_OF_HOURS_FLAG,
    }
    picture = {
        **state,
        "route": _enum(Route),
        "channel": _enum(Channel),
        "received_at": _nullable(DATE_TIME),
        "immediate_risk": {"type": "boolean"},
        "proposed_level": {"type": "integer"},
        "screening": _nullable(_ref("Screening")),
        "decision": _nullable(_ref("Decision")),
        "notices": {"type": "array", "items": _ref("Notice")},
        "tasks": {"type": "array", "items": _ref("Task")},
        "submission": _ref("ReferralSubmission"),
        "consent_record": _ref("ConsentRecord"),
        "onward_referrals": {
            "type": "array",
            "description": "What was passed to other services, to whom and why",
            "items": _ref("OnwardReferral"),
        },
        "parents_told_decision": _nullable(_ref("ParentsToldDecision")),
        "contact_plan": {
            "type": "array",
            "description": "Who in the family is contacted (consent requests, parents told, outcome notices), and why",
            "items": _ref("ContactPlanEntry"),
        },
        "protective_decisions": {
            "type": "array",
            "description": "Decisions holding something back from the family to protect the child; only the role "
            "that may make one may reverse it or release what it holds",
            "items": _object({"decision": _enum(ProtectiveDecision), "made_by": _enum(Role)}),
        },
        "outcome_notice": _ref("OutcomeNotice"),
        "enquiries": {
            "type": "array",
            "description": "Information requests to partner agencies and whether each is answered",
            "items": _ref("Enquiry"),
        },
        "replies": {
            "type": "array",
            "description": "The agencies' answers: their own words (text) and the whole email (full_text)",
            "items": _ref("AgencyReply"),
        },
        "attachments": {
            "type": "array",
            "description": "Documents the referrer added after sending: kept (download by id) or refused (why)",
            "items": _ref("ReferralAttachment"),
        },
        "out_of_hours": _nullable({**_ref("OutOfHours"), "description": OUT_OF_HOURS_TEXT}),
        "history": {"type": "array", "items": _ref("AuditEvent")},
        "known_before": {
            "type": "array",
            "description": "Other referrals of the same child(ren), found without decrypting them",
            "items": _ref("KnownReferral"),
        },
    }
    plan_entry = {
        "person": {"type": "string", "description": "parent:<n>, household:<n> or risk:<n>: never a name"},
        "role": {"type": "string"},
        "name": _nullable({"type": "string"}),
        "relationship": {"type": "string"},
        "has_email": {"type": "boolean"},
        "parental_responsibility": _nullable({"type": "boolean", "description": "null: not known"}),
        "safe_to_contact": _nullable({"type": "boolean", "description": "null: nobody has said"}),
        "safe_said_by": _nullable({"type": "string", "enum": ["referrer", "mash"]}),
        "may_pose_risk": {"type": "boolean"},
        "told": {"type": "boolean", "description": "Whether family notices go to this person"},
        "why": _enum(Why),
        "why_text": {"type": "string"},
        "review_on": _nullable({"type": "string", "format": "date"}),
        "decided_by": _nullable({"type": "string"}),
        "decided_at": _nullable(DATE_TIME),
        "reason": _nullable({"type": "string"}),
    }
    known_referral = {
        "reference": {"type": "string"},
        "route": _enum(Route),
        "status": _enum(ReferralStatus),
        "received_at": _nullable(DATE_TIME),
        "outcome": _nullable(_enum(Outcome)),
    }
    date = {"type": "string", "format": "date"}
    consent_record = {
        "state": _enum(ConsentState),
        "source": _enum(ConsentSource),
        "recorded_by": {"type": "string"},
        "recorded_at": _nullable(DATE_TIME),
        "given_by": _nullable({"type": "string"}),
        "given_on": _nullable(date),
        "how": _nullable({"type": "string"}),
        "service": _nullable({"type": "string"}),
        "reason": _nullable({"type": "string"}),
        "review_on": _nullable(date),
        "signed_off_by": _nullable({"type": "string"}),
    }
    parents_told = {
        "state": _enum(ParentsToldState),
        "decided_by": _nullable({"type": "string"}),
        "decided_at": _nullable(DATE_TIME),
        "reason": _nullable({"type": "string"}),
        "review_on": _nullable(date),
    }
    outcome_notice_decision = {
        "choice": _enum(OutcomeNoticeChoice),
        "decided_by": {"type": "string"},
        "decided_at": _nullable(DATE_TIME),
        "reason": {"type": "string"},
        "review_on": _nullable(date),
    }
    outcome_notice = {
        "held_because": _nullable({**_enum(HeldBecause), "description": "Why the parents' outcome notice is held"}),
        "decision": _nullable(_ref("OutcomeNoticeDecision")),
    }
    preview = {
        "notice_id": {"type": "string"},
        "kind": _enum(NoticeKind),
        "recipient": {"type": "string", "description": "referrer or parent:<n>: never an address"},
        "status": _enum(NoticeStatus),
        "subject": {"type": "string"},
        "text": {"type": "string"},
        "html": {"type": "string"},
        "translation_needed": _nullable({"type": "string"}),
    }
    return {
        **sharing_schemas(),  # documents, replies, triage, enquiries: schemas_sharing.py
        "OutcomeNoticeDecision": _object(outcome_notice_decision),
        "OutcomeNotice": _object(outcome_notice),
        "NoticePreview": _object(preview),
        "OnwardReferral": _object(
            {
                "service": {"type": "string", "description": "The service's id in the directory"},
                "service_name": {"type": "string"},
                "sections": {"type": "array", "items": _enum(Section)},
                "reason": {"type": "string", "description": "Why these parts (the parents are told)"},
                "referred_by": {"type": "string"},
                "referred_at": _nullable(DATE_TIME),
                "notice_id": {"type": "string", "description": "The email to the service, among the notices"},
            }
        ),
        "ConsentRecord": _object(consent_record),
        "ParentsToldDecision": _object(parents_told),
        "WhoAmI": _object({"id": {"type": "string"}, "roles": {"type": "array", "items": _enum(Role)}}),
        "QueueRow": _object(queue_row),
        "WorkQueue": _object(
            {
                "referrals": {"type": "array", "items": _ref("QueueRow")},
                "next_cursor": _nullable({"type": "string", "description": "Pass as ?cursor= for the next page"}),
            }
        ),
        "SearchResults": _object(
            {
                "referrals": {
                    "type": "array",
                    "items": _object(
                        {
                            "reference": {"type": "string"},
                            "status": _enum(ReferralStatus),
                            "received_at": DATE_TIME,
                            "children": {
                                "type": "array",
                                "items": _object(
                                    {
                                        "first_name": {"type": "string"},
                                        "date_of_birth": _nullable({"type": "string", "format": "date"}),
                                        "age": _nullable({"type": "integer"}),
                                    }
                                ),
                            },
                        }
                    ),
                },
                "more": {"type": "boolean", "description": "More matched than the 50 shown: search by more"},
            }
        ),
        "DecisionSummary": _object(decision),
        "Decision": _object(
            {**decision, "reasons": {"type": "string"}, "returned_reason": _nullable({"type": "string"})}
        ),
        "ReferralState": _object(state),
        # The EDT's handover answers where the referral stands, with its out-of-hours part.
        "HandoverState": _object({**state, "out_of_hours": _ref("OutOfHours")}),
        "Screening": _object(screening),
        "Notice": _object(notice),
        "Task": _object(task),
        "AuditEvent": _from_model(responses.AuditEvent),  # the audit trail: generated from its models
        "KnownReferral": _object(known_referral),
        "ContactPlanEntry": _object(plan_entry),
        "ReferralPicture": _object(picture),
        "AuditTrail": _from_model(responses.AuditTrail),
        "SubjectAccessBundle": _object(
            {
                "generated_at": DATE_TIME,
                "referrals": {"type": "array", "items": _ref("ReferralPicture")},
            }
        ),
        "ChainReport": _from_model(responses.ChainReport),
        # API Gateway (and Chalice's local gateway) answer a request with no Authorization header
        # themselves, before our authorizer runs: this is their shape, not ours.
        "GatewayUnauthorized": _object({"message": {"type": "string", "examples": ["Unauthorized"]}}),
        **report_schemas(),  # /admin/reports/: reports.py
        **_withdrawal_schemas(),  # chalicelib/web/admin_enquiries.py
        **out_of_hours_schemas(),  # the emergency duty team: out_of_hours.py
    }


def _withdrawal_schemas() -> dict[str, Any]:
    from chalicelib.web.admin_enquiries import withdrawal_schemas

    return withdrawal_schemas()
