"""Every registered action form, in the order the referral page offers them, and its service call.

Each action's service call is the one the matching admin route makes, with the same arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.domain.decision import OUTCOME_LABELS, Outcome, Rag
from chalicelib.domain.protective_decisions import ProtectiveDecision
from chalicelib.domain.referral import LEVELS_OF_NEED
from chalicelib.domain.staff import StaffMember
from chalicelib.web import admin as admin_api
from chalicelib.web import admin_enquiries as admin_enquiries_api
from chalicelib.web.console.action_forms import ActionForm, Branches, register
from chalicelib.web.console.formatting import _now, when


def _screen(reference: str, body: Any, staff: StaffMember, request_id: str | None) -> Any:
    from chalicelib.services.screen_referral import screen_referral

    return screen_referral(
        reference, rag=body.rag, level=body.level, rationale=body.rationale, staff=staff, request_id=request_id
    )


def _decide(reference: str, body: Any, staff: StaffMember, request_id: str | None) -> Any:
    from chalicelib.services.decide_referral import record_decision

    return record_decision(reference, outcome=body.outcome, reasons=body.reasons, staff=staff, request_id=request_id)


def _approve(reference: str, body: Any, staff: StaffMember, request_id: str | None) -> Any:
    from chalicelib.services.decide_referral import approve_decision, return_decision

    if body.approve:
        return approve_decision(reference, staff=staff, request_id=request_id)
    return return_decision(reference, reason=body.reason or "", staff=staff, request_id=request_id)


def _consent(reference: str, body: Any, staff: StaffMember, request_id: str | None) -> Any:
    """As admin.consent: a request emailed to the parent chosen, or the record as staff made it."""
    from chalicelib.domain.consent import ConsentProblem, ConsentState
    from chalicelib.services.record_consent import record_consent, staff_consent_record
    from chalicelib.services.request_consent import request_consent

    state = ConsentState(body.state)
    if state is ConsentState.REQUESTED:
        if body.parent is None:  # this page's "ask by email" needs whom to email
            raise ConsentProblem("Select the parent or carer to email the consent request to")
        return request_consent(reference, parent=body.parent, staff=staff, request_id=request_id)
    record = staff_consent_record(state, body.model_dump(), staff, _now())
    return record_consent(reference, record=record, staff=staff, request_id=request_id)


def _parents_told(reference: str, body: Any, staff: StaffMember, request_id: str | None) -> Any:
    from chalicelib.services.record_consent import decide_parents_told, staff_parents_told

    decision = staff_parents_told(tell=body.tell, reason=body.reason, review_on=body.review_on, staff=staff, now=_now())
    return decide_parents_told(reference, decision=decision, staff=staff, request_id=request_id)


def _outcome_notice(reference: str, body: Any, staff: StaffMember, request_id: str | None) -> Any:
    from chalicelib.services.tell_outcome import record_outcome_notice_choice

    return record_outcome_notice_choice(
        reference, withhold=body.withhold, reason=body.reason, review_on=body.review_on, staff=staff,
        request_id=request_id,
    )  # fmt: skip


def _onward_referral(reference: str, body: Any, staff: StaffMember, request_id: str | None) -> Any:
    from chalicelib.services.refer_on import make_onward_referral

    return make_onward_referral(
        reference, service_id=body.service, sections=tuple(body.sections), reason=body.reason, staff=staff,
        request_id=request_id,
    )  # fmt: skip


def _enquiries(reference: str, body: Any, staff: StaffMember, request_id: str | None) -> Any:
    from chalicelib.services.open_enquiries import open_enquiries

    return open_enquiries(reference, list(body.agencies), body.question, staff=staff, request_id=request_id)


def _close(reference: str, body: Any, staff: StaffMember, request_id: str | None) -> Any:
    from chalicelib.services.retention import close_referral

    return close_referral(reference, staff=staff, request_id=request_id)


def _legal_hold(reference: str, body: Any, staff: StaffMember, request_id: str | None) -> Any:
    from chalicelib.services.retention import lift_legal_hold, place_legal_hold

    if body.hold:
        return place_legal_hold(reference, reason=body.reason, staff=staff, request_id=request_id)
    return lift_legal_hold(reference, staff=staff, request_id=request_id)


def _unanswered(view: Any) -> dict[str, Any]:
    """The enquiries agencies have not answered yet (nor been withdrawn): a decision made now is made
    without what they hold, so the form warns (it does not stop it: some decisions cannot wait)."""
    from chalicelib.domain.agencies import AGENCY_NAMES

    return {
        "unanswered": [
            (e.enquiry_id, AGENCY_NAMES[e.agency], when(e.opened_at)) for e in view.referral.enquiries if e.is_open
        ]
    }


def _decision_to_approve(view: Any) -> dict[str, Any]:
    """The proposed decision, in words, for the manager to read where they approve it."""
    from chalicelib.services.staff_names import name_of, staff_entries

    decision = view.referral.decision
    proposed = None
    if decision is not None:
        proposed = {
            "outcome": OUTCOME_LABELS[decision.outcome],
            "reasons": decision.reasons,
            "by": name_of(decision.decided_by, staff_entries()),
            "at": when(decision.decided_at),
        }
    return {"proposed": proposed, **_unanswered(view)}


def _allowed(action: str) -> Callable[[dict[str, Any]], bool]:
    return lambda picture: action in picture["allowed_actions"]


def _open(picture: dict[str, Any]) -> bool:
    return picture["status"] != "closed"


def _parents(view: Any) -> dict[str, Any]:
    """The parents and carers by position (as the API names them) and name, and whether each has an email."""
    referral = view.referral
    return {
        "parents": [
            (str(position), parent.name, parent.relationship, bool(parent.email))
            for position, parent in enumerate(referral.submission.parents_carers)
        ]
    }


def _people(view: Any) -> dict[str, Any]:
    """Everyone in the contact plan, by key (as the API names them), with where the plan stands."""
    from chalicelib.domain.contact_plan import WHY_TEXT

    referral = view.referral
    return {
        "people": [
            (entry.person.key, entry.person.name or "Name not known", entry.person.relationship, entry.person.role,
             entry.told, WHY_TEXT[entry.why])
            for entry in referral.contact_plan
        ]
    }  # fmt: skip


def _contact_plan(reference: str, body: Any, staff: StaffMember, request_id: str | None) -> Any:
    from chalicelib.domain.contact_plan import ContactDecision
    from chalicelib.services.contact_plan import change_contact_plan

    change = ContactDecision(
        person=body.person, reason=body.reason, decided_by=staff.id, decided_at=_now(),
        parental_responsibility=body.parental_responsibility, safe_to_contact=body.safe_to_contact,
        may_pose_risk=body.may_pose_risk, tell=body.tell, review_on=body.review_on,
    )  # fmt: skip
    return change_contact_plan(reference, change=change, staff=staff, request_id=request_id)


def _held_notices(view: Any) -> dict[str, Any]:
    """The family emails held for translation: id, what, to whom (a role) and the language."""
    from chalicelib.domain.people import person_of
    from chalicelib.domain.translations import language_needed

    referral = view.referral
    held = []
    for notice in referral.notices:
        if referral.is_held(notice):
            person = person_of(referral.submission, notice.recipient)
            who = f"{person.name} ({person.relationship})" if person else notice.recipient
            held.append(
                (
                    notice.notice_id,
                    notice.kind.value.replace("_", " "),
                    who,
                    language_needed(referral.submission, notice),
                )
            )
    return {"held": held}


def _replies(view: Any) -> dict[str, Any]:
    """The agencies' replies on the referral, by id, with who sent them and whether shown whole (the
    page's own audited read decrypted them: nothing is read again)."""
    referral = view.referral
    return {
        "replies": [
            (
                reply.reply_id,
                reply.agency.value,
                when(reply.received_at),
                referral.shown_whole(reply.reply_id) is not None,
            )
            for reply in view.replies
        ]
    }


def _reply_text(reference: str, body: Any, staff: StaffMember, request_id: str | None) -> Any:
    from chalicelib.services.reply_display import mark_reply_text

    return mark_reply_text(
        reference, body.reply, wrong=body.wrong, reason=body.reason, staff=staff, request_id=request_id
    )


def _release(reference: str, body: Any, staff: StaffMember, request_id: str | None) -> Any:
    from chalicelib.services.translations import release_held_notice

    return release_held_notice(
        reference, body.notice, text=body.translation, english_reason=body.english_reason, staff=staff,
        request_id=request_id,
    )  # fmt: skip


def _agency_choices() -> dict[str, Any]:
    from chalicelib.wiring import wiring

    return {"agencies": [(agency.id.value, agency.name) for agency in wiring().settings.agency_directory.agencies]}


def _onward_choices() -> dict[str, Any]:
    from chalicelib.domain.onward_referral import SECTION_TITLES, Section
    from chalicelib.services.refer_on import service_directory
    from chalicelib.wiring import wiring

    services = service_directory(wiring().settings)
    return {
        "services": [(service.service_id, service.name) for service in services.values()],
        "sections": [(section.value, SECTION_TITLES[section]) for section in Section],
    }


def _passes_family_on(picture: dict[str, Any]) -> bool:
    from chalicelib.domain.onward_referral import PASSING_ON_OUTCOMES

    decision = picture.get("decision")
    if picture["status"] != "decided" or not decision:
        return False
    return decision["outcome"] in {outcome.value for outcome in PASSING_ON_OUTCOMES}


SCREENING = register(
    ActionForm(
        slug="screening",
        title="Screen the referral",
        api_route=admin_api.screening,
        model=lambda: admin_api.ScreeningRequest,
        perform=_screen,
        done="Screening recorded: the decision deadline is set",
        offered=_allowed("screen"),
        blank_messages={
            "rag": "Select a RAG rating",
            "level": "Select the level of need",
            "rationale": "Enter why you chose this rating and level",
        },
        choices=lambda: {"rags": [(r.value, r.value.capitalize()) for r in Rag], "levels": LEVELS_OF_NEED},
        button="Save screening",
    )
)

DECISION = register(
    ActionForm(
        slug="decision",
        title="Record the decision",
        api_route=admin_api.decision,
        model=lambda: admin_api.DecisionRequest,
        perform=_decide,
        done="Decision recorded",
        offered=_allowed("record_decision"),
        blank_messages={"outcome": "Select the outcome", "reasons": "Enter the reasons for the decision"},
        choices=lambda: {"outcomes": [(o.value, OUTCOME_LABELS[o]) for o in Outcome]},
        record_choices=_unanswered,
        button="Save decision",
    )
)

APPROVAL = register(
    ActionForm(
        slug="approval",
        title="Approve or return the decision",
        api_route=admin_api.approval,
        model=lambda: admin_api.ApprovalRequest,
        perform=_approve,
        done="Your answer on the decision is recorded",
        offered=_allowed("approve_decision"),
        blank_messages={
            "approve": "Select whether you approve the decision or return it",
        },
        record_choices=_decision_to_approve,
        button="Save",
    )
)

CONSENT = register(
    ActionForm(
        slug="consent",
        title="Record consent",
        api_route=admin_api.consent,
        model=lambda: admin_api.ConsentRequest,
        perform=_consent,
        done="Consent recorded",
        # Support referrals only: a protection referral needs no consent (parents told instead).
        offered=lambda picture: picture["route"] == "support" and _open(picture),
        blank_messages={
            # The other answers each choice needs are the domain's rule (check_record): its message.
            "state": "Select what you are recording about consent",
        },
        dates={"given_on": "The date consent was given", "review_on": "The review date"},
        branches=Branches(
            "state",
            {
                "given": ("given_by", "given_on", "how"),
                "implicit": ("service",),
                "refused": ("reason",),
                "dispensed": ("reason", "review_on"),
                "requested": ("parent",),
            },
        ),
        record_choices=_parents,
        button="Save consent",
        could_reverse=frozenset({ProtectiveDecision.CONSENT_DISPENSED.value}),
    )
)

ENQUIRIES = register(
    ActionForm(
        slug="enquiries",
        title="Ask agencies what they hold",
        api_route=admin_api.enquiries,
        model=lambda: admin_api.EnquiriesRequest,
        perform=_enquiries,
        done="Enquiries sent: each agency is emailed through its own queue",
        # Once screened (the due time comes from the rating) and while sharing is allowed; the
        # consent gate itself is the domain's, and its refusal is shown if it closes meanwhile.
        offered=lambda picture: picture["status"] not in ("received", "closed") and picture["sharing_allowed"],
        blank_messages={
            "agencies": "Select at least one agency to ask",
            "question": "Enter what you are asking the agencies",
        },
        multiple=frozenset({"agencies"}),
        choices=_agency_choices,
        button="Send enquiries",
    )
)


def _withdraw_enquiry(reference: str, body: Any, staff: StaffMember, request_id: str | None) -> Any:
    from chalicelib.services.withdraw_enquiries import withdraw_one_enquiry

    return withdraw_one_enquiry(reference, body.enquiry_id, reason=body.reason, staff=staff, request_id=request_id)


def _open_enquiries(view: Any) -> dict[str, Any]:
    from chalicelib.domain.agencies import AGENCY_NAMES

    referral = view.referral
    return {
        "open_enquiries": [
            (e.enquiry_id, AGENCY_NAMES[e.agency], when(e.opened_at)) for e in referral.enquiries if e.is_open
        ]
    }


WITHDRAW_ENQUIRY = register(
    ActionForm(
        slug="withdraw-enquiry",
        title="Withdraw an enquiry",
        api_route=admin_enquiries_api.withdraw_enquiry,
        model=admin_enquiries_api.WithdrawEnquiryRequest,
        perform=_withdraw_enquiry,
        done="Enquiry withdrawn: the agency is emailed not to send information",
        offered=lambda picture: (
            _open(picture) and any(e["state"] not in ("answered", "withdrawn") for e in picture.get("enquiries", []))
        ),
        blank_messages={
            "enquiry_id": "Select the enquiry to withdraw",
            "reason": "Enter why the enquiry is withdrawn",
        },
        record_choices=_open_enquiries,
        button="Withdraw the enquiry",
    )
)

PARENTS_TOLD = register(
    ActionForm(
        slug="parents-told",
        title="Decide whether the parents are told",
        api_route=admin_api.parents_told,
        model=lambda: admin_api.ParentsToldRequest,
        perform=_parents_told,
        done="Your decision on telling the parents is recorded",
        offered=lambda picture: picture["route"] == "protection" and _open(picture),
        blank_messages={"tell": "Select whether the parents are told about the referral"},
        dates={"review_on": "The review date"},
        branches=Branches("tell", {"true": (), "false": ("reason", "review_on")}),
        button="Save",
        could_reverse=frozenset({ProtectiveDecision.PARENTS_NOT_TOLD.value}),
    )
)

CONTACT_PLAN = register(
    ActionForm(
        slug="contact-plan",
        title="Change who in the family is contacted",
        api_route=admin_api.contact_plan,
        model=lambda: admin_api.ContactPlanRequest,
        perform=_contact_plan,
        done="The contact plan is changed",
        offered=lambda picture: _open(picture) and bool(picture.get("contact_plan")),
        blank_messages={
            "person": "Select the person whose contact plan you are changing",
            "reason": "Enter why you are changing their contact plan",
        },
        dates={"review_on": "The review date"},
        record_choices=_people,
        button="Save the contact plan",
    )
)

TRANSLATION = register(
    ActionForm(
        slug="translation",
        title="Send an email held for translation",
        api_route=admin_api.notice_release,
        model=lambda: admin_api.HeldNoticeRelease,
        perform=_release,
        done="The email is on its way",
        offered=lambda picture: _open(picture) and any(n.get("held_for_translation") for n in picture["notices"]),
        blank_messages={"notice": "Select the email you are sending"},
        record_choices=_held_notices,
        button="Send the email",
    )
)

REPLY_TEXT = register(
    ActionForm(
        slug="reply-text",
        title="Show an agency's reply whole",
        api_route=admin_api.reply_text,
        model=lambda: admin_api.ConsoleReplyText,
        perform=_reply_text,
        done="The reply is shown as you chose",
        offered=lambda picture: _open(picture) and bool(picture.get("replies")),
        blank_messages={
            "reply": "Select the reply",
            "wrong": "Select whether its shortened text is wrong",
            "reason": "Enter what the shortened text got wrong",
        },
        record_choices=_replies,
        button="Save",
    )
)

OUTCOME_NOTICE = register(
    ActionForm(
        slug="outcome-notice",
        title="Withhold or release the outcome notice",
        api_route=admin_api.outcome_notice,
        model=lambda: admin_api.OutcomeNoticeRequest,
        perform=_outcome_notice,
        done="Your decision on the parents' outcome notice is recorded",
        offered=lambda picture: _open(picture) and picture.get("decision") is not None,
        blank_messages={
            "withhold": "Select whether to withhold or release the outcome notice",
            "reason": "Enter why: it is kept with the referral",
        },
        dates={"review_on": "The review date"},
        branches=Branches("withhold", {"true": ("review_on",), "false": ()}),
        button="Save",
        could_reverse=frozenset({ProtectiveDecision.OUTCOME_NOTICE_WITHHELD.value}),
    )
)

ONWARD_REFERRAL = register(
    ActionForm(
        slug="onward-referral",
        title="Refer the family on to a service",
        api_route=admin_api.onward_referral,
        model=lambda: admin_api.OnwardReferralRequest,
        perform=_onward_referral,
        done="Onward referral made: the service is emailed the sections chosen",
        offered=_passes_family_on,
        blank_messages={
            "service": "Select the service to refer the family to",
            "sections": "Select at least one part of the record to pass on",
            "reason": "Enter why these parts are passed on: the parents are told",
        },
        multiple=frozenset({"sections"}),
        choices=_onward_choices,
        button="Make the onward referral",
    )
)

CLOSURE = register(
    ActionForm(
        slug="closure",
        title="Close the referral",
        api_route=admin_api.closure,
        model=admin_api.StaffRequest,  # the API's closure takes no body
        perform=_close,
        done="Referral closed: its retention period has started",
        offered=_allowed("close"),
        button="Close the referral",
    )
)

LEGAL_HOLD = register(
    ActionForm(
        slug="legal-hold",
        title="Place or lift a legal hold",
        api_route=admin_api.legal_hold,
        model=lambda: admin_api.LegalHoldRequest,
        perform=_legal_hold,
        done="Legal hold recorded",
        offered=lambda picture: True,  # placed or lifted at any status
        blank_messages={"hold": "Select whether to place or lift the hold", "reason": "Enter why"},
        choices=lambda: {"holds": [("true", "Place a hold"), ("false", "Lift the hold")]},
        button="Save",
    )
)
