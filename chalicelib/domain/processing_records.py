"""What the hub processes about people, declared once: the privacy notice and `make ropa` (the
records of processing) are both written from this, so neither can drift from the code.

Each section of a referral (`ReferralSubmission`'s fields) names what each of its fields holds, in
plain English; a test holds the declarations to the model, field by field, so a field added to
the form without saying what it is fails the tests. The AWS services the hub uses are declared
with what each does with personal data; a test holds them to the deployment template.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.decision import OUTCOME_LABELS, Outcome
from chalicelib.domain.retention import DEFAULT_RETENTION_YEARS


@dataclass(frozen=True)
class SectionRecord:
    section: str  # the ReferralSubmission field
    title: str  # the section's name for the public
    about: str  # whose data it is
    fields: dict[str, str]  # each field of the section's model: what it holds
    special_category: bool = False  # may hold health, ethnicity, sex life or criminal offence data


_ADDRESS = "address"
_CONTACT = {"phone": "phone number", "email": "email address"}

SECTIONS: tuple[SectionRecord, ...] = (
    SectionRecord(
        "route",
        "What kind of referral",
        "the referral",
        {"route": "whether it asks for support or reports a child protection concern"},
    ),
    SectionRecord(
        "immediate_risk",
        "Immediate risk",
        "the referral",
        {"immediate_risk": "whether a child is at immediate risk of harm"},
    ),
    SectionRecord(
        "referrer",
        "About you",
        "the person making the referral",
        {
            "kind": "whether you are a professional or a member of the public",
            "name": "name",
            "role": "job title",
            "organisation": "organisation",
            "agency": "which kind of agency you work for",
            **_CONTACT,
            "family_may_know": "whether the family may be told who made the referral",
        },
    ),
    SectionRecord(
        "children",
        "The children",
        "each child the referral is about",
        {
            "first_name": "first name",
            "last_name": "last name",
            "unborn": "whether the child is not yet born",
            "date_of_birth": "date of birth",
            "expected_date": "expected date of birth",
            "gender": "gender",
            "address": _ADDRESS,
            "school_or_setting": "school, nursery or other setting",
            "first_language": "first language",
            "interpreter_needed": "whether an interpreter is needed",
            "disability": "any disability",
            "views": "the child's own views",
        },
        special_category=True,
    ),
    SectionRecord(
        "parents_carers",
        "Parents and carers",
        "each parent or carer",
        {
            "name": "name",
            "relationship": "relationship to the child",
            "parental_responsibility": "whether they have parental responsibility",
            **_CONTACT,
            "address_same_as_child": "whether they live with the child",
            "address": _ADDRESS,
            "first_language": "first language",
            "safe_to_contact": "whether it is safe to contact them",
        },
    ),
    SectionRecord(
        "household_members",
        "Other adults in the household",
        "other adults living with the child",
        {
            "name": "name",
            "relationship": "relationship to the child",
            "date_of_birth": "date of birth",
            "approximate_age": "approximate age",
            "parental_responsibility": "whether they have parental responsibility",
            "safe_to_contact": "whether it is safe to contact them",
            **_CONTACT,
            "first_language": "first language",
        },
    ),
    SectionRecord(
        "people_posing_risk",
        "People who may pose a risk",
        "anyone who may pose a risk to the child (never contacted by the hub)",
        {
            "name": "name, if known",
            "relationship": "relationship to the child or family",
            "date_of_birth": "date of birth",
            "approximate_age": "approximate age",
            "address_same_as_child": "whether they live with the child",
            "address": _ADDRESS,
            "what_is_known": "what is known about them and the risk, which may include alleged offences",
        },
        special_category=True,
    ),
    SectionRecord(
        "concerns",
        "The concerns",
        "the child and family",
        {
            "categories": "the kinds of concern (such as neglect, abuse, exploitation)",
            "description": "what has happened and why you are worried, which may include health and sexual matters",
            "childs_views": "what the child has said",
            "what_has_been_tried": "what has been tried already",
            "proposed_level": "the level of need you think the family has",
        },
        special_category=True,
    ),
    SectionRecord(
        "consent",
        "Consent",
        "the parents",
        {
            "parents_aware": "whether the parents know about the referral",
            "status": "whether they agreed to information being shared",
            "given_by": "who gave consent",
            "given_on": "when consent was given",
            "how": "how consent was given",
            "reason_not_sought": "why consent was not asked for",
            "reason_refused": "why consent was refused",
            "discussed_with_parents": "whether the referral was discussed with the parents",
            "parents_response": "what the parents said",
        },
    ),
    SectionRecord(
        "parents_informed",
        "Whether the parents were told",
        "the parents",
        {
            "informed": "whether the parents were told about the referral",
            "reason_not_informed": "why they were not told",
        },
    ),
)

# What the hub records beyond the form, by whom it is made.
OTHER_RECORDS: tuple[tuple[str, str], ...] = (
    ("Documents", "files the person making the referral adds after sending it"),
    ("MASH screening and decisions", "the risk rating, the decision, its reasons and a manager's approval"),
    ("Agency information", "what partner agencies say when the MASH asks what they know about the family"),
    ("Case notes and tasks", "notes of calls and meetings, and work to do, written by MASH staff"),
    ("Emails", "acknowledgements, consent requests and outcome letters sent to referrers and families"),
    ("Advice calls", "a short record of a call asking the MASH for advice, not a referral"),
    ("Audit trail", "who opened or changed a referral and when, by role and code, with no personal details"),
)

# What an agency's information request holds (chalicelib/mail/agency_request.py): minimal disclosure.
AGENCY_REQUEST_HOLDS = (
    "the reference, the children's names, dates of birth and addresses, the parents' and carers' names "
    "and the MASH's question; never the concern or who referred"
)

# The council's own case-management system (LCS, Mosaic) receives the whole referral as an export
# (chalicelib/domain/case_export.py) when the case stays with children's social care.
CASE_SYSTEM_RECEIVES = (
    "the whole referral as a document (people, concerns, consent, screening, the decision, agencies' replies, "
    "documents by id), when a decision keeps the case with children's social care ({outcomes}) or a manager asks"
)

PURPOSES: tuple[str, ...] = (
    "To decide quickly whether a child needs help or protection, and what kind",
    "To ask partner agencies what they know, when consent allows or a child may be at risk of significant harm",
    "To pass the family to the service that can help them (early help, health, another council)",
    "To hand the case to the council's children's social care record when it stays with them, so nobody retypes it",
    "To tell the person who made the referral, and the family where it is safe, what happens next",
    "To keep a record the council can account for: to the family, to inspectors and to the courts",
)


@dataclass(frozen=True)
class Processor:
    service: str  # as in the deployment template's resource types (AWS::<service>::...)
    name: str
    does: str


# Every AWS service the hub is deployed on. Lambda, IAM and EventBridge are added by `chalice
# package`; the rest are declared in deploy/template.py (a test holds this list to it).
PROCESSORS: tuple[Processor, ...] = (
    Processor("ApiGateway", "Amazon API Gateway", "receives the form and the API's requests"),
    Processor("WAFv2", "AWS WAF", "filters abusive traffic; its logs leave out cookies and sign-in tokens"),
    Processor("Lambda", "AWS Lambda", "runs the hub's code"),
    Processor("DynamoDB", "Amazon DynamoDB", "stores referrals, every personal section encrypted"),
    Processor("KMS", "AWS Key Management Service", "holds the keys that encrypt referrals and files"),
    Processor("S3", "Amazon S3", "stores documents, agency emails and exports for the case system, encrypted"),
    Processor("SES", "Amazon Simple Email Service", "sends and receives the hub's emails"),
    Processor("SNS", "Amazon Simple Notification Service", "passes ids (never personal details) between parts"),
    Processor("SQS", "Amazon Simple Queue Service", "queues work by id (never personal details)"),
    Processor("Cognito", "Amazon Cognito", "signs MASH staff in"),
    Processor("Logs", "Amazon CloudWatch Logs", "keeps operational logs, with ids and never personal details"),
    Processor("CloudWatch", "Amazon CloudWatch", "counts and alarms, with no personal details"),
    Processor("IAM", "AWS Identity and Access Management", "limits what each part of the hub may do"),
    Processor("Events", "Amazon EventBridge", "runs the scheduled sweeps (emails owed, deletion after retention)"),
)


def retention_years(overrides: dict[str, int]) -> list[tuple[Outcome, str, int]]:
    """Years a closed referral is kept, by outcome: the defaults with the stage's overrides."""
    return [
        (outcome, OUTCOME_LABELS[outcome], overrides.get(outcome.value, DEFAULT_RETENTION_YEARS[outcome]))
        for outcome in Outcome
    ]
