"""The contact plan's rules, person by person, without AWS. Expected answers are the issue's words:
only people with parental responsibility who are not recorded unsafe; never a person who may pose
a risk; telling someone the defaults leave out is a manager's; not telling someone they include
needs a reason and a review date."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.domain.contact_plan import (
    ContactDecision,
    ContactPlanProblem,
    ContactRefused,
    Why,
    check_change,
    contact_plan,
    refuse_unless_told,
    told_people,
)
from chalicelib.domain.decision import NotAllowed
from chalicelib.domain.referral import ReferralSubmission
from chalicelib.domain.staff import Role
from tests.factories import example, set_path

NOW = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)
PRACTITIONER = frozenset({Role.PRACTITIONER})
MANAGER = frozenset({Role.MANAGER})


def household() -> ReferralSubmission:
    """Mother (PR, safe), father (PR, safety not said), mother's partner (no PR, unsafe), and the
    partner again as a person who may pose a risk."""
    return ReferralSubmission.model_validate(example("referral-protection-household.json"))


def change(person: str, **fields: object) -> ContactDecision:
    return ContactDecision(person=person, reason="Synthetic reason", decided_by="staff-1", decided_at=NOW, **fields)  # type: ignore[arg-type]


def told(submission: ReferralSubmission, decisions: tuple[ContactDecision, ...] = ()) -> list[str]:
    return [person.key for person in told_people(submission, decisions)]


def test_by_default_only_people_with_parental_responsibility_not_unsafe_and_never_a_risk() -> None:
    plan = {entry.person.key: entry for entry in contact_plan(household(), ())}
    assert told(household()) == ["parent:0", "parent:1"]
    assert (plan["household:0"].told, plan["household:0"].why) == (False, Why.UNSAFE_TO_CONTACT)
    assert (plan["risk:0"].told, plan["risk:0"].why) == (False, Why.MAY_POSE_RISK)
    assert plan["parent:1"].safe_said_by is None and plan["parent:0"].safe_said_by == "referrer"


@pytest.mark.parametrize(
    ("responsibility", "safe", "expected"),
    [
        (True, True, Why.HAS_PARENTAL_RESPONSIBILITY),
        (True, None, Why.HAS_PARENTAL_RESPONSIBILITY),
        (True, False, Why.UNSAFE_TO_CONTACT),
        (False, True, Why.NO_PARENTAL_RESPONSIBILITY),
        (None, True, Why.PARENTAL_RESPONSIBILITY_NOT_KNOWN),
    ],
)
def test_a_parent_is_told_only_with_parental_responsibility_and_not_unsafe(
    responsibility: bool | None, safe: bool | None, expected: Why
) -> None:
    data = example("referral-support.json")
    set_path(data, "parents_carers.0.parental_responsibility", responsibility)
    set_path(data, "parents_carers.0.safe_to_contact", safe)
    [entry] = contact_plan(ReferralSubmission.model_validate(data), ())
    assert (entry.told, entry.why) == (expected is Why.HAS_PARENTAL_RESPONSIBILITY, expected)


def test_the_practitioners_view_of_safety_replaces_the_referrers() -> None:
    decisions = check_change(household(), (), change("parent:1", safe_to_contact=False), PRACTITIONER)
    [entry] = [e for e in contact_plan(household(), decisions) if e.person.key == "parent:1"]
    assert (entry.told, entry.why, entry.safe_said_by) == (False, Why.UNSAFE_TO_CONTACT, "mash")


def test_not_telling_someone_the_defaults_include_needs_a_reason_and_a_review_date() -> None:
    with pytest.raises(ContactPlanProblem, match="review_on"):
        check_change(household(), (), change("parent:0", tell=False), PRACTITIONER)
    with pytest.raises(ContactPlanProblem, match="reason"):
        check_change(household(), (), ContactDecision("parent:0", " ", "s", NOW, tell=False), PRACTITIONER)
    decisions = check_change(
        household(), (), change("parent:0", tell=False, review_on=dt.date(2027, 1, 4)), PRACTITIONER
    )
    [entry] = [e for e in contact_plan(household(), decisions) if e.person.key == "parent:0"]
    assert (entry.told, entry.why, entry.review_on) == (False, Why.NOT_TOLD_BY_DECISION, dt.date(2027, 1, 4))


def test_telling_someone_the_defaults_leave_out_is_a_managers_decision() -> None:
    with pytest.raises(NotAllowed, match="mash-manager") as refused:
        check_change(household(), (), change("household:0", tell=True), PRACTITIONER)
    assert "Frankie" not in str(refused.value)  # the role, never the name
    decisions = check_change(household(), (), change("household:0", tell=True), MANAGER)
    assert "household:0" in told(household(), decisions)


def test_a_person_who_may_pose_a_risk_is_never_told_not_even_by_a_manager() -> None:
    for fields in ({"tell": True}, {"safe_to_contact": True}):
        with pytest.raises(ContactRefused, match="never contacted"):
            check_change(household(), (), change("risk:0", **fields), MANAGER)


def test_marking_a_parent_as_a_possible_risk_stops_telling_them_and_only_a_manager_clears_it() -> None:
    decisions = check_change(household(), (), change("parent:1", may_pose_risk=True), PRACTITIONER)
    assert told(household(), decisions) == ["parent:0"]
    # A later change that says nothing of the risk keeps it (a change says only what it changes).
    decisions = check_change(household(), decisions, change("parent:1", parental_responsibility=True), PRACTITIONER)
    assert told(household(), decisions) == ["parent:0"]
    with pytest.raises(NotAllowed, match="mash-manager"):
        check_change(household(), decisions, change("parent:1", may_pose_risk=False), PRACTITIONER)
    decisions = check_change(household(), decisions, change("parent:1", may_pose_risk=False), MANAGER)
    assert told(household(), decisions) == ["parent:0", "parent:1"]


def test_a_send_the_plan_forbids_is_refused_naming_the_role_and_the_rule() -> None:
    refuse_unless_told(household(), (), "parent:0", "a consent request")  # told: no refusal
    with pytest.raises(ContactRefused) as refused:
        refuse_unless_told(household(), (), "household:0", "a consent request")
    message = str(refused.value)
    assert "member of the household" in message and "unsafe to contact" in message
    assert "Frankie" not in message and "Testadult" not in message
    with pytest.raises(ContactRefused, match="nobody in the referral"):
        refuse_unless_told(household(), (), "parent:7", "a consent request")


def test_an_unknown_person_cannot_be_planned() -> None:
    with pytest.raises(ContactPlanProblem, match="person must name someone"):
        check_change(household(), (), change("household:3", tell=False), MANAGER)
