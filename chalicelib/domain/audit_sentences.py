"""The audit history as sentences a person reads: "Pat Practitioner screened it Amber, level 3".

An audit event holds ids and codes only (`audit.py`); this turns one into words. Who did it, and
the people, agencies and services its details name by key, come already named from the caller
(`Naming`), so this module stays pure and never sees a name it could leak into the chain.
Every `AuditAction` has a sentence here: a test fails for an action added without one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from chalicelib.domain.agencies import AGENCY_NAMES, AgencyId
from chalicelib.domain.audit import AccessReason, AuditAction
from chalicelib.domain.decision import OUTCOME_LABELS, Outcome

Details = Mapping[str, str]


def _key_words(key: str) -> str:
    """A person's key without a name to hand: `parent:0` -> "parent or carer 1"."""
    kind, _, index = key.partition(":")
    words = {"parent": "parent or carer", "household": "member of the household", "risk": "person who may pose a risk"}
    return f"{words.get(kind, kind)} {int(index) + 1}" if index.isdigit() else key.replace("_", " ")


@dataclass(frozen=True)
class Naming:
    """How the page names what an event's details hold by key (the defaults say the role, no name)."""

    person: Callable[[str], str] = _key_words  # "parent:0" -> "Parent or carer: Anna Kowalska"
    service: Callable[[str], str] = field(default=lambda service_id: service_id.replace("_", " "))
    staff: Callable[[str], str] = field(default=lambda staff_id: "a member of staff")  # a staff id in details
    actor_id: str | None = None  # the event's actor, to tell "took it" from "gave it"


def _agency(value: str) -> str:
    try:
        return AGENCY_NAMES[AgencyId(value)]
    except ValueError:
        return value


def _outcome(value: str) -> str:
    try:
        return OUTCOME_LABELS[Outcome(value)]
    except ValueError:
        return value.replace("_", " ") or "an outcome"


def _reason(value: str) -> str:
    labels = {
        AccessReason.NEW_CONCERN: "a new concern about the same child",
        AccessReason.SUBJECT_ACCESS: "a subject access request",
        AccessReason.COURT_OR_POLICE: "a request from a court or the police",
        AccessReason.COMPLAINT: "a complaint or a case review",
        AccessReason.QUALITY_AUDIT: "a quality audit",
    }
    try:
        return labels[AccessReason(value)]
    except ValueError:
        return value.replace("_", " ")


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


def _opened(who: str, d: Details, n: Naming) -> str:
    reason = d.get("reason")
    return f"{who} opened the referral" + (f" (a closed referral, for {_reason(reason)})" if reason else "")


def _screened(who: str, d: Details, n: Naming) -> str:
    rag = d.get("rag", "").capitalize()
    level = d.get("level")
    return f"{who} screened it {rag}" + (f", level {level}" if level else "")


def _recorded(who: str, d: Details, n: Naming) -> str:
    waiting = " (waiting for a manager's approval)" if d.get("status") == "decision_proposed" else ""
    return f"{who} recorded the decision: {_outcome(d.get('outcome', ''))}{waiting}"


def _approved(who: str, d: Details, n: Naming) -> str:
    return f"{who} approved the decision: {_outcome(d.get('outcome', ''))}"


def _closed(who: str, d: Details, n: Naming) -> str:
    until = d.get("retention_until")
    return f"{who} closed the referral" + (f"; it is kept until {until}" if until else "")


CONSENT_WORDS = {
    "given": "given",
    "implicit": "implicit in a service the parent agreed to",
    "refused": "refused",
    "dispensed": "dispensed with",
    "requested": "asked for",
    "not_sought": "not asked for",
    "not_required": "not needed",
}


def _consent(who: str, d: Details, n: Naming) -> str:
    sentence = f"{who} recorded consent as {CONSENT_WORDS.get(d.get('state', ''), d.get('state', ''))}"
    return sentence + _withdrawn_too(d)


def _withdrawn_too(d: Details) -> str:
    """A refusal withdraws the open enquiries in the same change: say which."""
    withdrawn = [enquiry for enquiry in d.get("enquiries_withdrawn", "").split(",") if enquiry]
    return (
        f"; so enquiry {_and(withdrawn)} was withdrawn"
        if len(withdrawn) == 1
        else (f"; so enquiries {_and(withdrawn)} were withdrawn" if withdrawn else "")
    )


def _consent_requested(who: str, d: Details, n: Naming) -> str:
    parent = d.get("parent")
    return f"{who} emailed a consent request to " + (n.person(f"parent:{parent}") if parent else "a parent or carer")


def _consent_answered(who: str, d: Details, n: Naming) -> str:
    state = d.get("state", "")
    return f"{who} answered the consent request: consent {CONSENT_WORDS.get(state, state)}{_withdrawn_too(d)}"


def _answer_changed(who: str, d: Details, n: Naming) -> str:
    state = d.get("state", "")
    return f"{who} changed their consent answer to {CONSENT_WORDS.get(state, state)}{_withdrawn_too(d)}"


def _parents_told(who: str, d: Details, n: Naming) -> str:
    return f"{who} decided the parents are " + ("told" if d.get("state") == "tell" else "not told")


def _onward(who: str, d: Details, n: Naming) -> str:
    sections = [section.replace("_", " ") for section in d.get("sections", "").split(",") if section]
    what = f": {_and(sections)}" if sections else ""
    return f"{who} referred the family on to {n.service(d.get('service', ''))}{what}"


def _outcome_notice(who: str, d: Details, n: Naming) -> str:
    if d.get("choice") == "withhold":
        review = d.get("review_on")
        return f"{who} withheld the parents' outcome notice" + (f", to review on {review}" if review else "")
    return f"{who} released the parents' outcome notice"


def _previewed(who: str, d: Details, n: Naming) -> str:
    kind = d.get("kind", "").replace("_", " ")
    return f"{who} previewed the {kind} email" if kind else f"{who} previewed an email"


def _enquiries(who: str, d: Details, n: Naming) -> str:
    asked = [pair.partition(":") for pair in d.get("enquiries", "").split(",") if pair]
    named = [f"{_agency(agency)} (enquiry {enquiry_id})" for enquiry_id, _, agency in asked]
    return f"{who} asked {_and(named) or 'agencies'} what they hold"


def _withdrawn(who: str, d: Details, n: Naming) -> str:
    because = " because consent was refused" if d.get("cause") == "consent_refused" else ""
    enquiries = [enquiry for enquiry in d.get("enquiries", "").split(",") if enquiry]
    which = f"enquiry {_and(enquiries)}" if enquiries else "an enquiry"
    return f"{who} withdrew {which}{because}"


def _enquiry(d: Details) -> str:
    enquiry = d.get("enquiry")
    return f"enquiry {enquiry}" if enquiry else "an enquiry"


def _contact_plan(who: str, d: Details, n: Naming) -> str:
    told = "told" if d.get("told") == "true" else "not told"
    return f"{who} changed the contact plan: {n.person(d.get('person', ''))} is {told}"


def _reply_marked(who: str, d: Details, n: Naming) -> str:
    if d.get("shown") == "whole":
        return f"{who} marked a reply's shortened text as wrong, so the whole email is shown"
    return f"{who} let a reply be shown shortened again"


def _released(who: str, d: Details, n: Naming) -> str:
    how = "translated" if d.get("how") == "translated" else "in English"
    return f"{who} sent an email held for translation, {how}"


def _searched(who: str, d: Details, n: Naming) -> str:
    found = d.get("results", "0")
    return f"{who} searched the referrals and found {found}"


def _task_finished(who: str, d: Details, n: Naming) -> str:
    done = "dismissed" if d.get("how") == "dismissed" else "completed"
    kind = d.get("kind", "").replace("_", " ")
    return f"{who} {done} a task" + (f" ({kind})" if kind else "") + (", with a note" if d.get("note") == "yes" else "")


def _note_added(who: str, d: Details, n: Naming) -> str:
    kind = d.get("type", "").replace("_", " ")
    what = f"a {kind} note" if kind else "a note"
    return f"{who} added {what}" + (" correcting an earlier one" if d.get("corrects") else "")


LINK_WORDS = {
    "same_child": "as the same child",
    "siblings": "as siblings",
    "same_household": "as the same household",
    "duplicate_of": "as a duplicate of it",
    "has_duplicate": "as its duplicate",
}


def _linked(who: str, d: Details, n: Naming) -> str:
    how = LINK_WORDS.get(d.get("kind", ""), "")
    return f"{who} linked referral {d.get('other', '')}" + (f" {how}" if how else "")


def _duplicate(who: str, d: Details, n: Naming) -> str:
    return f"{who} closed it as a duplicate of referral {d.get('duplicate_of', '')}".rstrip()


def _allocated(who: str, d: Details, n: Naming) -> str:
    before, after = d.get("from", ""), d.get("to", "")
    if not after:
        return f"{who} released the referral: nobody owns it now"
    if after == n.actor_id:
        return f"{who} took the referral" + (f" from {n.staff(before)}" if before else "")
    return f"{who} gave the referral to {n.staff(after)}"


Sentence = Callable[[str, Details, Naming], str]

SENTENCES: dict[str, Sentence] = {
    AuditAction.RECEIVED.value: lambda who, d, n: (
        "The referral was made from an advice call" if d.get("advice_contact") else "The referral was received"
    ),
    AuditAction.VIEWED.value: _opened,
    AuditAction.SCREENED.value: _screened,
    AuditAction.DECISION_RECORDED.value: _recorded,
    AuditAction.DECISION_APPROVED.value: _approved,
    AuditAction.DECISION_RETURNED.value: lambda who, d, n: f"{who} returned the decision to be looked at again",
    AuditAction.CLOSED.value: _closed,
    AuditAction.EXPORTED.value: lambda who, d, n: f"{who} exported the referral for a subject access request",
    AuditAction.CASE_EXPORT_REQUESTED.value: lambda who, d, n: (
        f"{who} asked for an export to the case-management system"
    ),
    AuditAction.HOLD_PLACED.value: lambda who, d, n: f"{who} placed a legal hold",
    AuditAction.HOLD_LIFTED.value: lambda who, d, n: f"{who} lifted the legal hold",
    AuditAction.DELETED.value: lambda who, d, n: "The referral was deleted at the end of its retention period",
    AuditAction.HANDOVER_NOTED.value: lambda who, d, n: f"{who} added a handover note",
    AuditAction.HANDED_OVER.value: lambda who, d, n: f"{who} handed the referral over to the day team",
    AuditAction.CONSENT_RECORDED.value: _consent,
    AuditAction.CONSENT_REQUESTED.value: _consent_requested,
    AuditAction.CONSENT_ANSWERED.value: _consent_answered,
    AuditAction.PARENTS_TOLD_DECIDED.value: _parents_told,
    AuditAction.ONWARD_REFERRAL_MADE.value: _onward,
    AuditAction.OUTCOME_NOTICE_DECIDED.value: _outcome_notice,
    AuditAction.NOTICE_PREVIEWED.value: _previewed,
    AuditAction.ENQUIRIES_OPENED.value: _enquiries,
    AuditAction.REPLY_RECEIVED.value: lambda who, d, n: f"The agency answered {_enquiry(d)}",
    AuditAction.REPLY_ATTACHED.value: lambda who, d, n: f"{who} attached a reply from triage to {_enquiry(d)}",
    AuditAction.ENQUIRY_ESCALATED.value: lambda who, d, n: (
        f"{_enquiry(d).capitalize()} was overdue twice, so it was escalated"
    ),
    AuditAction.ENQUIRY_WITHDRAWN.value: _withdrawn,
    AuditAction.CONSENT_ANSWER_CHANGED.value: _answer_changed,
    AuditAction.ATTACHMENT_ADDED.value: lambda who, d, n: "A document the referrer added was checked and kept",
    AuditAction.ATTACHMENT_REFUSED.value: lambda who, d, n: "A document the referrer added was refused",
    AuditAction.ATTACHMENT_READ.value: lambda who, d, n: f"{who} downloaded a document the referrer added",
    AuditAction.CONTACT_PLAN_CHANGED.value: _contact_plan,
    AuditAction.REPLY_TEXT_MARKED.value: _reply_marked,
    AuditAction.SEARCHED.value: _searched,
    AuditAction.NOTICE_RELEASED.value: _released,
    # Actions of the case-work branches (tasks, notes, links, advice calls, allocation), by value:
    # ready before those branches' actions reach this one, and kept for chains they wrote.
    "task.finished": _task_finished,
    "case_note.added": _note_added,
    "chronology.read": lambda who, d, n: f"{who} read the chronology",
    "referral.linked": _linked,
    "referral.unlinked": lambda who, d, n: f"{who} removed the link to referral {d.get('other', '')}".rstrip(),
    "referral.closed_as_duplicate": _duplicate,
    "advice.recorded": lambda who, d, n: f"{who} recorded an advice call",
    "advice.read": lambda who, d, n: f"{who} read an advice call",
    "advice.made_into_referral": lambda who, d, n: (
        f"{who} made an advice call into the referral {d.get('referral_reference', '')}".rstrip()
    ),
    "referral.allocated": _allocated,
}


def audit_sentence(action: AuditAction | str, details: Details, who: str, naming: Naming | None = None) -> str:
    """One audit event in words. `who` is the actor already named ("Pat Practitioner", "The hub");
    an action this version does not know (from a newer writer) is shown by its code, not hidden."""
    sentence = SENTENCES.get(str(action))
    if sentence is None:
        return f"{who}: {action}"
    return sentence(who, details, naming or Naming())
