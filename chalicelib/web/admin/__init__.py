"""Staff API under /admin/: every route is made with `admin_route` and declares its roles.

Routes parse, call one service, and shape the answer; `answer_with` (answers.py) maps what went
wrong to HTTP. One Blueprint, `admin` (common.py), registered by app.py; each room below adds its
routes to it when imported here:

    common.py     the Blueprint, role sets, body limit, reference and query helpers
    answers.py    the one mapping of domain refusals to HTTP answers (`answer_with`)
    models.py     the request bodies (pydantic): like the answers' models, imported in the handlers
                  (the console's forms name them lazily), never at a route module's top
    request_fields.py what the rooms' own bodies are made of (StaffRequest, Rationale, StaffLine...)
    responses*.py the answers' models: the OpenAPI document's schemas come from them; imported in
                  the handlers, never at module top, to keep them off the Lambda cold start
    shaping.py    `shaped` (an answer checked against its model), where a referral stands after a
                  change (`_state`), decisions, audit events
    picture.py    the whole picture of one referral (`referral_picture`)
    queue.py      whoami, the work queue, search, the whole picture's route
    decisions.py  screening, decision, approval
    family.py     consent, parents told, contact plan
    notices.py    outcome notice, notice preview, release of a notice held for translation
    sharing.py    onward referrals, agency enquiries, triage
    documents.py  downloading a document the referrer added
    records.py    closure, legal hold, subject access, audit
    case_work.py  finishing tasks, case notes, the chronology
    links.py      links between referrals (both sides at once), and marking a duplicate
    advice.py     advice calls (not referrals): record, list, read (audited), count
    allocation.py who owns a referral (allocation) and "my work"
    case_export.py a manager's request for an export to the case-management system

Everything the console, admin_enquiries, admin_out_of_hours and the OpenAPI document use is
importable from `chalicelib.web.admin`, as it was when this was one module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.web.admin import (  # noqa: F401 - routes
    advice,
    case_export,
    case_work,
    decisions,
    documents,
    family,
    links,
    notices,
    queue,
    records,
    sharing,
)
from chalicelib.web.admin.allocation import AllocationRequest, allocation, my_work
from chalicelib.web.admin.answers import answer_with
from chalicelib.web.admin.common import (
    ANY_STAFF,
    AUDITORS,
    CASEWORK,
    MANAGERS,
    NOT_FOUND,
    NOTICE_NOT_FOUND,
    STAFF_BODY_LIMIT,
    _access_reason,
    _check_choice,
    _json,
    _limit,
    _now,
    _reference,
    _request_id,
    _required_reference,
    _statuses,
    admin,
)
from chalicelib.web.admin.decisions import approval, decision, screening
from chalicelib.web.admin.documents import ATTACHMENT_ID, ATTACHMENT_NOT_FOUND, attachment_download
from chalicelib.web.admin.family import _ask_parent, consent, contact_plan, parents_told
from chalicelib.web.admin.notices import NOTICE_ID, notice_preview, notice_release, outcome_notice
from chalicelib.web.admin.picture import (
    _attachment,
    _consent_record,
    _enquiry,
    _onward,
    _outcome_notice,
    _parents_told,
    _plan_entry,
    _referral_attachment,
    _release,
    _reply,
    out_of_hours_picture,
    referral_picture,
)
from chalicelib.web.admin.queue import referral, search, whoami, work_queue
from chalicelib.web.admin.records import audit, audit_verify, closure, legal_hold, subject_access
from chalicelib.web.admin.request_fields import Rationale, StaffLine, StaffRequest, StaffText
from chalicelib.web.admin.shaping import _decision, _event, _iso, _state
from chalicelib.web.admin.sharing import (
    TRIAGE_ID,
    _triage_detail,
    _triage_id,
    _triage_summary,
    enquiries,
    onward_referral,
    reply_text,
    triage_attach,
    triage_item,
    triage_list,
    triage_reject,
)

if TYPE_CHECKING:
    from chalicelib.web.admin.models import (
        ApprovalRequest,
        ConsentRequest,
        ConsoleReplyText,
        ContactPlanRequest,
        DecisionRequest,
        EnquiriesRequest,
        HeldNoticeRelease,
        LegalHoldRequest,
        NoticeReleaseRequest,
        OnwardReferralRequest,
        OutcomeNoticeRequest,
        ParentsToldRequest,
        ReplyTextRequest,
        ScreeningRequest,
        SubjectAccessRequest,
        TriageAttachRequest,
        TriageRejectRequest,
    )


def __getattr__(name: str) -> Any:
    """The request bodies (models.py), importable from here as before but loaded on first use: the
    console's forms and the OpenAPI document name them, and none is needed for the cold start."""
    if name in _REQUEST_BODIES:
        from chalicelib.web.admin import models

        return getattr(models, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_REQUEST_BODIES = frozenset(
    {
        "ApprovalRequest",
        "ConsentRequest",
        "ConsoleReplyText",
        "ContactPlanRequest",
        "DecisionRequest",
        "EnquiriesRequest",
        "HeldNoticeRelease",
        "LegalHoldRequest",
        "NoticeReleaseRequest",
        "OnwardReferralRequest",
        "OutcomeNoticeRequest",
        "ParentsToldRequest",
        "ReplyTextRequest",
        "ScreeningRequest",
        "SubjectAccessRequest",
        "TriageAttachRequest",
        "TriageRejectRequest",
    }
)

__all__ = [
    "ANY_STAFF",
    "ATTACHMENT_ID",
    "ATTACHMENT_NOT_FOUND",
    "AUDITORS",
    "CASEWORK",
    "MANAGERS",
    "NOTICE_ID",
    "NOTICE_NOT_FOUND",
    "NOT_FOUND",
    "STAFF_BODY_LIMIT",
    "TRIAGE_ID",
    "AllocationRequest",
    "ApprovalRequest",
    "ConsentRequest",
    "ConsoleReplyText",
    "ContactPlanRequest",
    "DecisionRequest",
    "EnquiriesRequest",
    "HeldNoticeRelease",
    "LegalHoldRequest",
    "NoticeReleaseRequest",
    "OnwardReferralRequest",
    "OutcomeNoticeRequest",
    "ParentsToldRequest",
    "Rationale",
    "ReplyTextRequest",
    "ScreeningRequest",
    "StaffLine",
    "StaffRequest",
    "StaffText",
    "SubjectAccessRequest",
    "TriageAttachRequest",
    "TriageRejectRequest",
    "_access_reason",
    "_ask_parent",
    "_attachment",
    "_check_choice",
    "_consent_record",
    "_decision",
    "_enquiry",
    "_event",
    "_iso",
    "_json",
    "_limit",
    "_now",
    "_onward",
    "_outcome_notice",
    "_parents_told",
    "_plan_entry",
    "_reference",
    "_referral_attachment",
    "_release",
    "_reply",
    "_request_id",
    "_required_reference",
    "_state",
    "_statuses",
    "_triage_detail",
    "_triage_id",
    "_triage_summary",
    "admin",
    "allocation",
    "answer_with",
    "approval",
    "attachment_download",
    "audit",
    "audit_verify",
    "closure",
    "consent",
    "contact_plan",
    "decision",
    "enquiries",
    "legal_hold",
    "my_work",
    "notice_preview",
    "notice_release",
    "onward_referral",
    "out_of_hours_picture",
    "outcome_notice",
    "parents_told",
    "referral",
    "referral_picture",
    "reply_text",
    "screening",
    "search",
    "subject_access",
    "triage_attach",
    "triage_item",
    "triage_list",
    "triage_reject",
    "whoami",
    "work_queue",
]
