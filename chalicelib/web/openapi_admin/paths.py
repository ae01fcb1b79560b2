"""Every /admin/ path and its operation: summary, roles (from `admin_route`), parameters, body and answers."""

from __future__ import annotations

from typing import Any

from chalicelib.web.openapi_admin.out_of_hours import (
    out_of_hours_paths,
)
from chalicelib.web.openapi_admin.parameters import (
    ATTACHMENT_ID_IN_PATH,
    NOTICE_ID_IN_PATH,
    REFERENCE_IN_PATH,
    REPLY_ID_IN_PATH,
    TRIAGE_ID_IN_PATH,
    _queue_parameters,
    _reason_parameter,
    _reference_query,
)
from chalicelib.web.openapi_admin.reports import report_paths
from chalicelib.web.openapi_admin.shapes import (
    BODY_ERRORS,
    _enum,
    _operation,
    _query,
)


def admin_paths() -> dict[str, Any]:
    from chalicelib.web import admin as routes

    state_change = ("404", "409", *BODY_ERRORS)
    return {
        "/admin/whoami": {"get": _operation(routes.whoami, "Who the token says you are: id and roles", "WhoAmI", ())},
        "/admin/referrals": {
            "get": _operation(
                routes.work_queue,
                "The work queue: metadata only, most urgent first",
                "WorkQueue",
                ("422",),
                parameters=_queue_parameters(),
            )
        },
        "/admin/search": {
            "get": _operation(
                routes.search,
                "Find referrals by a name (whole, first or surname; case, accents and Ł-like letters folded), "
                "dob (2019-03-14, or 2019-03 with another detail), postcode or reference, together: the newest "
                "50, each child's first name and age; searches are audited (never the terms) and rate-limited",
                "SearchResults",
                ("422", "429"),
                parameters=[
                    _query(name, {"type": "string"}, description)
                    for name, description in [
                        ("name", "A child's or named adult's name, at least 2 letters"),
                        ("dob", "A child's date of birth, 2019-03-14, or its month, 2019-03"),
                        ("postcode", "A whole postcode, like E17 1AA"),
                        ("reference", "A referral's reference"),
                    ]
                ],
            )
        },
        "/admin/referrals/{reference}": {
            "get": _operation(
                routes.referral,
                "The whole picture of one referral (decrypted; the read is audited). The emergency duty team "
                "(mash-edt) may read only referrals it was alerted to out of hours (403 otherwise)",
                "ReferralPicture",
                ("404", "422"),
                parameters=[REFERENCE_IN_PATH, _reason_parameter()],
            )
        },
        "/admin/referrals/{reference}/screening": {
            "post": _operation(
                routes.screening,
                "Screen a referral: RAG rating, level of need and rationale",
                "ReferralState",
                state_change,
                parameters=[REFERENCE_IN_PATH],
                body=routes.ScreeningRequest,
            )
        },
        "/admin/referrals/{reference}/decision": {
            "post": _operation(
                routes.decision,
                "Record the decision on a screened referral",
                "ReferralState",
                state_change,
                parameters=[REFERENCE_IN_PATH],
                body=routes.DecisionRequest,
            )
        },
        "/admin/referrals/{reference}/decision/approval": {
            "post": _operation(
                routes.approval,
                "Approve a proposed decision, or return it with a reason (another manager)",
                "ReferralState",
                state_change,
                parameters=[REFERENCE_IN_PATH],
                body=routes.ApprovalRequest,
            )
        },
        "/admin/referrals/{reference}/consent": {
            "post": _operation(
                routes.consent,
                "Record parental consent on a support referral (dispensing needs a manager)",
                "ReferralState",
                state_change,
                parameters=[REFERENCE_IN_PATH],
                body=routes.ConsentRequest,
            )
        },
        "/admin/referrals/{reference}/parents-told": {
            "post": _operation(
                routes.parents_told,
                "Protection referral: tell the parents, or (manager) record why not",
                "ReferralState",
                state_change,
                parameters=[REFERENCE_IN_PATH],
                body=routes.ParentsToldRequest,
            )
        },
        "/admin/referrals/{reference}/contact-plan": {
            "post": _operation(
                routes.contact_plan,
                "Change one person's contact plan with a reason: parental responsibility, safe to contact, may pose "
                "a risk, told or not (not telling someone the defaults include needs a review date; telling someone "
                "they leave out needs a manager)",
                "ReferralState",
                ("403", *state_change),
                parameters=[REFERENCE_IN_PATH],
                body=routes.ContactPlanRequest,
            )
        },
        "/admin/referrals/{reference}/outcome-notice": {
            "post": _operation(
                routes.outcome_notice,
                "Withhold the parents' outcome notice (reason, review date) or release it (managers)",
                "ReferralState",
                state_change,
                parameters=[REFERENCE_IN_PATH],
                body=routes.OutcomeNoticeRequest,
            )
        },
        "/admin/referrals/{reference}/notices/{notice_id}/preview": {
            "get": _operation(
                routes.notice_preview,
                "A notice rendered as it would go, without sending it (the read is audited)",
                "NoticePreview",
                ("404", "409", "422"),
                parameters=[REFERENCE_IN_PATH, NOTICE_ID_IN_PATH, _reason_parameter()],
            )
        },
        "/admin/referrals/{reference}/notices/{notice_id}/release": {
            "post": _operation(
                routes.notice_release,
                "Let a family email held for translation go: with its translated text (both versions are sent) "
                "or in English with a reason",
                "ReferralState",
                state_change,
                parameters=[REFERENCE_IN_PATH, NOTICE_ID_IN_PATH],
                body=routes.NoticeReleaseRequest,
            )
        },
        "/admin/referrals/{reference}/attachments/{attachment_id}": {
            "get": _operation(
                routes.attachment_download,
                "A 60-second download link to a document the referrer added (the read is audited first)",
                "AttachmentDownload",
                ("404", "422"),
                parameters=[REFERENCE_IN_PATH, ATTACHMENT_ID_IN_PATH, _reason_parameter()],
            )
        },
        "/admin/referrals/{reference}/replies/{reply_id}/text": {
            "post": _operation(
                routes.reply_text,
                "An agency reply's shortened text is wrong: show the whole email first, for everyone "
                "(`wrong: false` takes the mark back); audited, the reason kept sealed",
                "ReferralState",
                state_change,
                parameters=[REFERENCE_IN_PATH, REPLY_ID_IN_PATH],
                body=routes.ReplyTextRequest,
            )
        },
        "/admin/referrals/{reference}/onward-referral": {
            "post": _operation(
                routes.onward_referral,
                "Refer the family on to a service with only the chosen sections of the record (once the decision "
                "stands and its outcome passes the family on)",
                "ReferralState",
                state_change,
                parameters=[REFERENCE_IN_PATH],
                body=routes.OnwardReferralRequest,
            )
        },
        "/admin/referrals/{reference}/enquiries": {
            "post": _operation(
                routes.enquiries,
                "Ask partner agencies what they hold (one enquiry each, emailed through the agency's queue); "
                "refused while the consent gate does not allow sharing, or before screening",
                "OpenedEnquiries",
                (*state_change, "422"),
                parameters=[REFERENCE_IN_PATH],
                body=routes.EnquiriesRequest,
                success="201",
            )
        },
        "/admin/triage": {
            "get": _operation(
                routes.triage_list,
                "Agency emails the hub could not put on a referral by itself (no or bad reply token, wrong sender "
                "domain, spam, DMARC, virus, refused attachment): newest first, metadata only",
                "TriageList",
                ("422",),
                parameters=[
                    _query("status", _enum(["waiting", "attached", "rejected"]), "Which list (default waiting)"),
                    _query("limit", {"type": "integer", "minimum": 1, "maximum": 100}, "Page size (default 25)"),
                    _query("cursor", {"type": "string"}, "next_cursor from the previous page"),
                ],
            )
        },
        "/admin/triage/{triage_id}": {
            "get": _operation(
                routes.triage_item,
                "One triaged email with its content; the read is recorded on it",
                "TriageItem",
                ("404",),
                parameters=[TRIAGE_ID_IN_PATH],
            )
        },
        "/admin/triage/{triage_id}/attach": {
            "post": _operation(
                routes.triage_attach,
                "Attach a triaged email to the enquiry it answers (audited on that referral); never a quarantined one",
                "TriageAttached",
                ("404", "409", *BODY_ERRORS),
                parameters=[TRIAGE_ID_IN_PATH],
                body=routes.TriageAttachRequest,
            )
        },
        "/admin/triage/{triage_id}/reject": {
            "post": _operation(
                routes.triage_reject,
                "Reject a triaged email with a note saying why",
                "TriageSummary",
                ("404", "409", *BODY_ERRORS),
                parameters=[TRIAGE_ID_IN_PATH],
                body=routes.TriageRejectRequest,
            )
        },
        "/admin/referrals/{reference}/closure": {
            "post": _operation(
                routes.closure,
                "Close a decided referral: its retention clock starts, by outcome",
                "ReferralState",
                ("404", "409"),
                parameters=[REFERENCE_IN_PATH],
            )
        },
        "/admin/referrals/{reference}/legal-hold": {
            "post": _operation(
                routes.legal_hold,
                "Place or lift a legal hold, with a reason (managers)",
                "ReferralState",
                state_change,
                parameters=[REFERENCE_IN_PATH],
                body=routes.LegalHoldRequest,
            )
        },
        "/admin/subject-access": {
            "post": _operation(
                routes.subject_access,
                "Everything the hub holds about one child, as a bundle (each export is audited)",
                "SubjectAccessBundle",
                BODY_ERRORS,
                body=routes.SubjectAccessRequest,
            )
        },
        "/admin/audit": {
            "get": _operation(
                routes.audit,
                "A referral's audit trail",
                "AuditTrail",
                ("404", "422"),
                parameters=[_reference_query()],
            )
        },
        "/admin/audit/verify": {
            "get": _operation(
                routes.audit_verify,
                "Check a referral's audit chain is unbroken",
                "ChainReport",
                ("404", "422"),
                parameters=[_reference_query()],
            )
        },
        **report_paths(),  # /admin/reports/: reports.py
        **_withdrawal_paths(),  # chalicelib/web/admin_enquiries.py
        **out_of_hours_paths(),  # the emergency duty team: out_of_hours.py
    }


def _withdrawal_paths() -> dict[str, Any]:
    from chalicelib.web.admin_enquiries import withdrawal_paths

    return withdrawal_paths()
