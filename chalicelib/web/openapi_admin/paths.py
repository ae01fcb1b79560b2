"""The staff API's table: every /admin/ route, one row each (path, method, view, summary, answer
model, errors, parameters, body model). The roles come from what each view declares with
`admin_route`; the bodies' and answers' schemas from the models the rows name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from chalicelib.web.openapi_admin.parameters import (
    ATTACHMENT_ID_IN_PATH,
    CONTACT_ID_IN_PATH,
    NOTICE_ID_IN_PATH,
    OTHER_IN_PATH,
    REFERENCE_IN_PATH,
    REPLY_ID_IN_PATH,
    TRIAGE_ID_IN_PATH,
    _queue_parameters,
    _reason_parameter,
    _reference_query,
    _report_parameters,
)
from chalicelib.web.openapi_admin.shapes import (
    BODY_ERRORS,
    Route,
    _enum,
    _query,
    add_schemas,
    model_schemas,
    paths_of,
)


def admin_routes() -> list[Route]:
    from chalicelib.domain.referral import ReferralSubmission
    from chalicelib.domain.timeliness import MAX_DAYS
    from chalicelib.web import admin as routes
    from chalicelib.web import admin_enquiries, admin_out_of_hours, admin_reports
    from chalicelib.web.admin import advice, case_export, case_work, links
    from chalicelib.web.admin import responses as answers
    from chalicelib.web.admin import responses_advice as advised
    from chalicelib.web.admin import responses_allocation as allocation
    from chalicelib.web.admin import responses_case_work as case_answers
    from chalicelib.web.admin import responses_export as exported
    from chalicelib.web.admin import responses_links as linked
    from chalicelib.web.admin import responses_picture as picture
    from chalicelib.web.admin import responses_reports as reports
    from chalicelib.web.admin import responses_sharing as sharing

    item = "/admin/referrals/{reference}"
    state_change = ("404", "409", *BODY_ERRORS)
    in_path = (REFERENCE_IN_PATH,)

    def change(path: str, view: Callable[..., Any], summary: str, body: type[BaseModel]) -> Route:
        """A POST on one referral that answers where it stands after the change."""
        return Route(path, "POST", view, summary, answers.ReferralState, state_change, in_path, body=body)

    return [
        Route("/admin/whoami", "GET", routes.whoami, "Who the token says you are: id and roles", answers.WhoAmI),
        Route(
            "/admin/referrals", "GET", routes.work_queue,
            "The work queue, most urgent first: clear metadata, the owner by name, open and overdue tasks, and "
            "each child's first name and age (from sealed search cards: no KMS call per referral)",
            answers.WorkQueue, ("422",), parameters=_queue_parameters(),
        ),
        Route(
            "/admin/search", "GET", routes.search,
            "Find referrals by a name (whole, first or surname; case, accents and Ł-like letters folded), "
            "dob (2019-03-14, or 2019-03 with another detail), postcode or reference, together: the newest "
            "50, each child's first name and age; searches are audited (never the terms) and rate-limited",
            answers.SearchResults, ("422", "429"),
            parameters=(
                _query("name", {"type": "string"}, "A child's or named adult's name, at least 2 letters"),
                _query("dob", {"type": "string"}, "A child's date of birth, 2019-03-14, or its month, 2019-03"),
                _query("postcode", {"type": "string"}, "A whole postcode, like E17 1AA"),
                _query("reference", {"type": "string"}, "A referral's reference"),
            ),
        ),
        Route(
            item, "GET", routes.referral,
            "The whole picture of one referral (decrypted; the read is audited). The emergency duty team "
            "(mash-edt) may read only referrals it was alerted to out of hours (403 otherwise)",
            picture.ReferralPicture, ("404", "422"), parameters=(REFERENCE_IN_PATH, _reason_parameter()),
        ),
        change(
            item + "/screening", routes.screening, "Screen a referral: RAG rating, level of need and rationale",
            routes.ScreeningRequest,
        ),
        change(
            item + "/decision", routes.decision, "Record the decision on a screened referral",
            routes.DecisionRequest,
        ),
        change(
            item + "/decision/approval", routes.approval,
            "Approve a proposed decision, or return it with a reason (another manager)",
            routes.ApprovalRequest,
        ),
        change(
            item + "/consent", routes.consent,
            "Record parental consent on a support referral (dispensing needs a manager)",
            routes.ConsentRequest,
        ),
        change(
            item + "/parents-told", routes.parents_told,
            "Protection referral: tell the parents, or (manager) record why not",
            routes.ParentsToldRequest,
        ),
        Route(
            item + "/contact-plan", "POST", routes.contact_plan,
            "Change one person's contact plan with a reason: parental responsibility, safe to contact, may pose "
            "a risk, told or not (not telling someone the defaults include needs a review date; telling someone "
            "they leave out needs a manager)",
            answers.ReferralState, ("403", *state_change), in_path, body=routes.ContactPlanRequest,
        ),
        change(
            item + "/outcome-notice", routes.outcome_notice,
            "Withhold the parents' outcome notice (reason, review date) or release it (managers)",
            routes.OutcomeNoticeRequest,
        ),
        Route(
            item + "/notices/{notice_id}/preview", "GET", routes.notice_preview,
            "A notice rendered as it would go, without sending it (the read is audited)",
            answers.NoticePreview, ("404", "409", "422"),
            parameters=(REFERENCE_IN_PATH, NOTICE_ID_IN_PATH, _reason_parameter()),
        ),
        Route(
            item + "/notices/{notice_id}/release", "POST", routes.notice_release,
            "Let a family email held for translation go: with its translated text (both versions are sent) "
            "or in English with a reason",
            answers.ReferralState, state_change, (REFERENCE_IN_PATH, NOTICE_ID_IN_PATH),
            body=routes.NoticeReleaseRequest,
        ),
        Route(
            item + "/attachments/{attachment_id}", "GET", routes.attachment_download,
            "A 60-second download link to a document the referrer added (the read is audited first)",
            sharing.AttachmentDownload, ("404", "422"),
            parameters=(REFERENCE_IN_PATH, ATTACHMENT_ID_IN_PATH, _reason_parameter()),
        ),
        Route(
            item + "/replies/{reply_id}/text", "POST", routes.reply_text,
            "An agency reply's shortened text is wrong: show the whole email first, for everyone "
            "(`wrong: false` takes the mark back); audited, the reason kept sealed",
            answers.ReferralState, state_change, (REFERENCE_IN_PATH, REPLY_ID_IN_PATH), body=routes.ReplyTextRequest,
        ),
        change(
            item + "/onward-referral", routes.onward_referral,
            "Refer the family on to a service with only the chosen sections of the record (once the decision "
            "stands and its outcome passes the family on)",
            routes.OnwardReferralRequest,
        ),
        Route(
            item + "/enquiries", "POST", routes.enquiries,
            "Ask partner agencies what they hold (one enquiry each, emailed through the agency's queue); "
            "refused while the consent gate does not allow sharing, or before screening",
            sharing.OpenedEnquiries, state_change, in_path, body=routes.EnquiriesRequest, success="201",
        ),
        Route(
            admin_enquiries.WITHDRAWAL_PATH, "POST", admin_enquiries.withdraw_enquiry,
            "Withdraw one agency enquiry with a reason: it becomes withdrawn, its chaser and escalation stop, and "
            "the agency is emailed not to send information (if it was sent the request). A consent refusal "
            "withdraws every open enquiry by itself",
            sharing.WithdrawnEnquiry, state_change, in_path, body=admin_enquiries.WithdrawEnquiryRequest,
        ),
        Route(
            "/admin/triage", "GET", routes.triage_list,
            "Agency emails the hub could not put on a referral by itself (no or bad reply token, wrong sender "
            "domain, spam, DMARC, virus, refused attachment): newest first, metadata only",
            sharing.TriageList, ("422",),
            parameters=(
                _query("status", _enum(["waiting", "attached", "rejected"]), "Which list (default waiting)"),
                _query("limit", {"type": "integer", "minimum": 1, "maximum": 100}, "Page size (default 25)"),
                _query("cursor", {"type": "string"}, "next_cursor from the previous page"),
            ),
        ),
        Route(
            "/admin/triage/{triage_id}", "GET", routes.triage_item,
            "One triaged email with its content; the read is recorded on it",
            sharing.TriageItem, ("404",), (TRIAGE_ID_IN_PATH,),
        ),
        Route(
            "/admin/triage/{triage_id}/attach", "POST", routes.triage_attach,
            "Attach a triaged email to the enquiry it answers (audited on that referral); never a quarantined one",
            sharing.TriageAttached, state_change, (TRIAGE_ID_IN_PATH,), body=routes.TriageAttachRequest,
        ),
        Route(
            "/admin/triage/{triage_id}/reject", "POST", routes.triage_reject,
            "Reject a triaged email with a note saying why",
            sharing.TriageSummary, state_change, (TRIAGE_ID_IN_PATH,), body=routes.TriageRejectRequest,
        ),
        Route(
            item + "/closure", "POST", routes.closure,
            "Close a decided referral: its retention clock starts, by outcome",
            answers.ReferralState, ("404", "409"), in_path,
        ),
        Route(
            item + "/export", "POST", case_export.case_export,
            "Ask for an export to the case-management system now (managers; audited): owed in the same write, "
            "delivered by the outbox within a minute or two, under a new export_id (its idempotency key). The "
            "document's JSON Schema is GET /api/export-schema.json. 409 once the referral is closed",
            exported.CaseExportOwed, ("404", "409"), in_path, success="202",
        ),
        Route(
            item + "/links", "POST", links.link,
            "Link two referrals (same_child, siblings, same_household), from either side: the link is held on "
            "both in one transaction, with who, when and why. duplicate_of closes this referral as a duplicate of "
            "the other (its unsent family emails cancelled; the acknowledgement to its referrer kept). Allowed on "
            "a closed referral, except marking it a duplicate. 422 for itself or an unknown reference",
            linked.LinkState, state_change, in_path, body=links.LinkRequest,
        ),
        Route(
            item + "/links/{other}/removal", "POST", links.link_removal,
            "Remove a link, on both referrals, with a reason (managers; audited). A duplicate's link stays",
            linked.LinkState, state_change, (REFERENCE_IN_PATH, OTHER_IN_PATH), body=links.UnlinkRequest,
        ),
        Route(
            item + "/allocation", "POST", routes.allocation,
            'Assign a referral: to yourself ("me"), or (managers) to any practitioner or manager in the staff '
            "directory (422 for anyone else); null unassigns it (its owner or a manager). Audited: from and to",
            allocation.Allocation, ("403", *state_change), in_path, body=routes.AllocationRequest,
        ),
        Route(
            "/admin/my-work", "GET", routes.my_work,
            "My work: the open referrals I own, most urgent first, and their open tasks, most urgent first "
            "(metadata only)",
            allocation.MyWork,
        ),
        change(
            item + "/legal-hold", routes.legal_hold, "Place or lift a legal hold, with a reason (managers)",
            routes.LegalHoldRequest,
        ),
        Route(
            "/admin/subject-access", "POST", routes.subject_access,
            "Everything the hub holds about one child, as a bundle (each export is audited)",
            picture.SubjectAccessBundle, BODY_ERRORS, body=routes.SubjectAccessRequest,
        ),
        Route(
            "/admin/audit", "GET", routes.audit, "A referral's audit trail",
            answers.AuditTrail, ("404", "422"), (_reference_query(),),
        ),
        Route(
            "/admin/audit/verify", "GET", routes.audit_verify, "Check a referral's audit chain is unbroken",
            answers.ChainReport, ("404", "422"), (_reference_query(),),
        ),
        Route(
            "/admin/reports/timeliness", "GET", admin_reports.timeliness,
            "How fast the hub decides: per RAG rating, per agency, and outcome notices, for referrals received "
            f"on London dates from..to (both included, at most {MAX_DAYS} days); metadata only, no decryption",
            reports.TimelinessReport, ("422",), _report_parameters(), also_csv=True,
        ),
        Route(
            "/admin/reports/performance", "GET", admin_reports.performance,
            "Outcome mix, conversion to assessment, sources (census codes), re-referrals and advice calls, per "
            "month, on London dates from..to (both included, at most 400 days), from daily rollups; csv is "
            "census-shaped; metadata only, no decryption",
            reports.PerformanceReport, ("422",), _report_parameters(), also_csv=True,
        ),
        Route(
            advice.ADVICE_PATH, "POST", advice.record_advice,
            "Record an advice call (not a referral): who called (a professional with their agency, or a member "
            "of the public), about whom, the advice given and the outcome (advice only, referral invited, or made "
            "into a referral: its reference). Sealed under its own data key; its codes in clear for counting; "
            "kept MASH_ADVICE_RETENTION_YEARS (2) from the call, then deleted with a receipt",
            advised.AdviceSummary, BODY_ERRORS, body=advice.AdviceRequest, success="201",
        ),
        Route(
            advice.ADVICE_PATH, "GET", advice.advice_list,
            "Advice calls, newest first: metadata only (codes and times), no decryption",
            advised.AdviceList, ("422",),
            parameters=(
                _query("limit", {"type": "integer", "minimum": 1, "maximum": 100}, "Page size (default 25)"),
                _query("cursor", {"type": "string"}, "next_cursor from the previous page"),
            ),
        ),
        Route(
            advice.ADVICE_PATH + "/{contact_id}", "GET", advice.advice_item,
            "One advice call whole (decrypted); the read is audited in the reader's own chain",
            advised.AdviceContactDetail, ("404",), (CONTACT_ID_IN_PATH,),
        ),
        Route(
            advice.ADVICE_PATH + "/{contact_id}/referral", "POST", advice.advice_referral,
            "Make a referral from this advice call: the body is a whole referral (as POST /api/referrals takes); "
            "it is stored as every referral (channel staff; a retry gives the same one back) and the call's "
            "outcome becomes made into a referral with its reference. The call's read and the change are "
            "audited in the staff member's chain; a call is made into one referral only (422)",
            advised.AdviceReferralMade, ("404", "409", *BODY_ERRORS), (CONTACT_ID_IN_PATH,),
            body=ReferralSubmission, success="201",
        ),
        Route(
            advice.ADVICE_REPORT_PATH, "GET", advice.advice_report,
            "Advice calls on London dates from..to (both included): by outcome, by caller kind and by month, "
            "counted from clear codes (no decryption)",
            advised.AdviceReport, ("422",),
            parameters=tuple(
                _query(name, {"type": "string", "format": "date"}, f"{which} London date of the call, YYYY-MM-DD", required=True)
                for name, which in (("from", "First"), ("to", "Last (included)"))
            ),
        ),
        Route(
            item + "/handover", "POST", admin_out_of_hours.handover,
            "The emergency duty team's handover note (sealed on the referral); handed_over: true hands the "
            "referral to the day team, first in the morning queue until screened. Only for referrals the EDT was "
            "alerted to (409 not_alerted otherwise); audited with the note's number, never its words",
            picture.HandoverState, state_change, in_path, body=admin_out_of_hours.HandoverRequest,
        ),
        Route(
            item + "/tasks/{task_id}", "POST", case_work.finish_task,
            "Complete or dismiss an open task, with an optional note: it leaves the to-do list and stays on the "
            "referral with who, when and how; audited (the note sealed). A manager's task: managers only",
            case_answers.TaskFinished, ("403", *state_change), (REFERENCE_IN_PATH, case_work.TASK_ID_IN_PATH),
            body=case_work.TaskRequest,
        ),
        Route(
            item + "/notes", "POST", case_work.add_note,
            "Add a case note (phone call, agency check by phone, discussion with a parent or carer, management "
            "oversight (managers only), or a correction pointing at the note it corrects). Append-only; up to "
            "10,000 characters; sealed under the referral's key; audited (its id and type)",
            case_answers.NoteAdded, ("403", *state_change), in_path, body=case_work.NoteRequest, success="201",
        ),
        Route(
            item + "/chronology", "GET", case_work.chronology,
            "Everything that happened to the referral in time order, each with when, who and a plain sentence: "
            "received, screening, decisions, consent, parents told, contact plan, notes (and corrections), emails "
            "and their delivery, enquiries, replies, tasks done, documents. An audited read (one KMS Decrypt)",
            case_answers.Chronology, ("404", "422"), (REFERENCE_IN_PATH, _reason_parameter()),
        ),
    ]  # fmt: skip


def admin_paths() -> dict[str, Any]:
    return paths_of(admin_routes())


def admin_schemas() -> dict[str, Any]:
    """The schemas of every body (as read) and every answer (as written) the table names."""
    from chalicelib.web.api_responses import GatewayUnauthorized

    table = admin_routes()
    schemas = model_schemas(dict.fromkeys(route.body for route in table if route.body), "validation")
    add_schemas(
        schemas, model_schemas([*dict.fromkeys(route.answer for route in table), GatewayUnauthorized], "serialization")
    )
    return schemas
