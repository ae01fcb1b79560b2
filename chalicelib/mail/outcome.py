"""The outcome notice to a parent and the feedback to the referrer, from jinja2 templates.

A parent gets the outcome in plain English: what was decided, what happens next, which service
the family is passed to, what is passed on and why, and who to contact. Never the referrer's
words, the concerns, or the child's details (a misdirected email must not tell a stranger about
the family). A professional referrer gets the outcome category and next steps; a member of the
public only that the MASH has looked at it and acted as it thinks right.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage

from chalicelib.domain.decision import OUTCOME_LABELS, Outcome
from chalicelib.domain.notices import Notice
from chalicelib.domain.passing_on import passed_on_lines
from chalicelib.domain.referral import ReferrerKind
from chalicelib.domain.referral_record import Referral
from chalicelib.mail.compose import compose, contact_numbers
from chalicelib.mail.family import family_address
from chalicelib.settings import Settings

# Generic names a parent would recognise; a council sets its own here, not in the templates.
SERVICES: dict[str, str] = {
    "universal": "services every family can use, such as your GP, health visitor, school or children’s centre",
    "early_help": "the council’s Early Help service",
    "assessment": "the council’s Children’s Social Care assessment team",
    "child_protection": "Children’s Social Care, working with the police and health services",
    "exploitation": "the council’s exploitation panel (MAP or MASE meeting)",
    "allocated_worker": "the social worker who already works with your family",
    "another_authority": "the children’s services of the council where your family lives",
}


@dataclass(frozen=True)
class OutcomeWording:
    decided: str  # for a parent: what was decided
    next_steps: str  # for a parent: what happens next
    service: str | None  # key in SERVICES: who the family is passed to, if anyone
    for_professional: str  # for a professional referrer: next steps in a line


OUTCOMES: dict[Outcome, OutcomeWording] = {
    Outcome.NO_FURTHER_ACTION: OutcomeWording(
        "We have looked carefully at the information we received and decided that children’s social care "
        "does not need to do anything more at the moment.",
        "No one from the MASH will contact you again about this. If you would like advice or help in the "
        "future, you can contact us at any time.",
        None,
        "No further action by children’s social care; advice given. The case is closed in the MASH.",
    ),
    Outcome.UNIVERSAL_SERVICES: OutcomeWording(
        "We think the help your family needs is best found in services every family can use.",
        "You can contact these services yourself whenever you need them. The MASH will not contact you "
        "again about this.",
        "universal",
        "Signposted to universal services; no further MASH involvement. Please continue your usual support.",
    ),
    Outcome.EARLY_HELP: OutcomeWording(
        "We think your family would benefit from early help: support from a worker who helps families "
        "with things like routines, school, health or relationships.",
        "An early help worker will contact you to talk about what support would help. Early help is "
        "voluntary: you can choose whether to take part.",
        "early_help",
        "Stepped to early help; an early help worker will contact the family. You may be asked to join a team around the family.",
    ),
    Outcome.CHILD_AND_FAMILY_ASSESSMENT: OutcomeWording(
        "A social worker will carry out a child and family assessment. This is to understand your child’s "
        "needs and what support would help (section 17 of the Children Act 1989).",
        "A social worker will contact you soon to arrange to meet you and your child, and to hear your views.",
        "assessment",
        "Child and family assessment (section 17); a social worker will be allocated and may contact you.",
    ),
    Outcome.STRATEGY_DISCUSSION: OutcomeWording(
        "We are worried your child may be at risk of significant harm, so children’s social care, the police "
        "and health services will discuss what needs to happen to keep your child safe (a strategy "
        "discussion, under section 47 of the Children Act 1989).",
        "A social worker will contact you to explain what happens next and to hear your views.",
        "child_protection",
        "Strategy discussion (section 47); you may be invited to contribute.",
    ),
    Outcome.MAP_MASE: OutcomeWording(
        "We are worried your child may be at risk of being harmed or exploited outside the home. The services "
        "that work on this will meet to plan how to keep your child safe.",
        "A worker will contact you to explain the meeting and to hear your views.",
        "exploitation",
        "Referred to a MAP or MASE meeting (exploitation); you may be invited to contribute.",
    ),
    Outcome.ALLOCATED_WORKER: OutcomeWording(
        "Your family already has a social worker, so we have passed this to them.",
        "Your social worker will contact you to talk about it.",
        "allocated_worker",
        "Passed to the family’s allocated worker, who may contact you.",
    ),
    Outcome.TRANSFER: OutcomeWording(
        "Your family lives in another council’s area, so we have passed this to that council’s children’s "
        "services, who can help you where you live.",
        "The other council will contact you. The MASH here will not take any further action.",
        "another_authority",
        "Transferred to the children’s services of the authority where the family lives.",
    ),
}


def outcome_context(referral: Referral, settings: Settings, passed_on: list[str] | None = None) -> dict[str, object]:
    """What the parent's templates see: the outcome's wording and contacts, nothing from the referral's text.

    `passed_on` is the exact list of what went to the service (onward referral fills it); without
    it the notice says in general terms what is passed on and why."""
    wording = _wording(referral)
    return {
        "reference": referral.reference,
        "decided": wording.decided,
        "next_steps": wording.next_steps,
        "service": SERVICES[wording.service] if wording.service else None,
        "passed_on": passed_on or [],
        **contact_numbers(settings),
    }


def compose_outcome(referral: Referral, notice: Notice, settings: Settings) -> EmailMessage:
    address = family_address(referral, notice)
    return compose(
        "outcome",
        sender=settings.mail_sender,
        to=address,
        mail_domain=settings.mail_domain,
        # Exactly what went to which service and why (mash-guidance.txt §4).
        context=outcome_context(referral, settings, passed_on_lines(referral)),
    )


def compose_referrer_feedback(referral: Referral, notice: Notice, settings: Settings) -> EmailMessage:
    referrer = referral.submission.referrer
    if referrer.kind is ReferrerKind.PROFESSIONAL:
        wording = _wording(referral)
        assert referral.decision is not None  # _wording refused otherwise
        template = "referrer_feedback_professional"
        context: dict[str, object] = {
            "outcome": OUTCOME_LABELS[referral.decision.outcome],
            "next_steps": wording.for_professional,
        }
    else:
        # A member of the public hears that the MASH acted, never what it decided (the family's privacy).
        template, context = "referrer_feedback_public", {}
    return compose(
        template,
        sender=settings.mail_sender,
        to=referrer.email,
        mail_domain=settings.mail_domain,
        context={"reference": referral.reference, **context, **contact_numbers(settings)},
    )


def _wording(referral: Referral) -> OutcomeWording:
    if referral.decision is None:
        raise ValueError("the referral has no decision to tell anyone about")
    return OUTCOMES[referral.decision.outcome]
