"""Nights, weekends and bank holidays: what a referrer is told, and the emergency duty team (EDT).

One clock: `deadlines.is_working_time`, the same working hours the deadlines count. A referral
received outside them is answered with what will really happen:

- protection route or immediate risk: the EDT has been told (an alert is owed in the same write as
  the referral, like the acknowledgement) and the referrer gets the out-of-hours number;
- support route: the next working day, named ("Monday 7 December", London time); no alert.

Why the wording follows the time of *receipt*, not of sending: an acknowledgement retried by the
outbox on Monday morning must still say what was true when the referral came in at 2am Saturday.

The EDT records what it did as handover notes (sealed like other free text on the referral) and
marks the referral handed over; until the day team screens it, the work queue puts it first.
The alert names no one: reference, route, flags and codes only (`alert_facts`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from chalicelib.domain.deadlines import LONDON, is_working_time, next_working_start
from chalicelib.domain.decision import NotAllowed
from chalicelib.domain.handover import Handover, HandoverNote
from chalicelib.domain.notices import Notice, NoticeKind
from chalicelib.domain.referral import Route
from chalicelib.domain.staff import Role

if TYPE_CHECKING:
    from chalicelib.domain.referral_record import Referral

# How the alert names its recipient on the notice: by role, never by address (the mailbox is a setting).
EMERGENCY_DUTY_TEAM = "emergency_duty_team"
ALERT_NOTICE_ID = "edt-alert"
MAX_NOTES = 20  # a night's work, not a case file: more means the referral belongs with the day team


def needs_alert(received_at: dt.datetime, route: Route, immediate_risk: bool) -> bool:
    """Out of hours, and a protection referral or a child at immediate risk: the EDT is told."""
    return not is_working_time(received_at) and (route is Route.PROTECTION or immediate_risk)


@dataclass(frozen=True)
class WhatHappensNext:
    """What the referrer is told will happen, from when the referral came in."""

    route: Route
    immediate_risk: bool
    out_of_hours: bool
    # The London date the office next opens (the day it came in, when in hours).
    opens_on: dt.date

    @classmethod
    def at(cls, received_at: dt.datetime, route: Route, immediate_risk: bool) -> WhatHappensNext:
        opens = next_working_start(received_at).astimezone(LONDON)
        return cls(route, immediate_risk, not is_working_time(received_at), opens.date())

    @property
    def emergency_duty_team_told(self) -> bool:
        return self.out_of_hours and (self.route is Route.PROTECTION or self.immediate_risk)

    @property
    def opens_on_text(self) -> str:
        """'Monday 7 December': as GOV.UK writes a day (no year: it is at most a fortnight away)."""
        return f"{self.opens_on:%A} {self.opens_on.day} {self.opens_on:%B}"

    def summary(self, *, office_phone: str, out_of_hours_phone: str) -> str:
        """One paragraph for the JSON API's `next_steps` (the email and page say the same)."""
        told = "An acknowledgement has been sent to the referrer's email."
        if not self.out_of_hours:
            if self.route is Route.PROTECTION:
                return (
                    "A MASH social worker will screen the referral today. If you have not rung the MASH about "
                    f"these concerns, ring now on {office_phone}. {told}"
                )
            return (
                f"A MASH practitioner will screen the referral and decide on next steps within one working day. {told}"
            )
        if self.emergency_duty_team_told:
            return (
                "The MASH office is closed now, so the emergency duty team has been told about this referral. "
                f"If you have not rung about these concerns, ring the out-of-hours number now: {out_of_hours_phone}. "
                f"A MASH social worker will screen the referral when the office opens on {self.opens_on_text}. {told}"
            )
        return (
            "The MASH office is closed now. A MASH practitioner will look at the referral on the next working day, "
            f"{self.opens_on_text}, and decide on next steps within one working day. {told}"
        )

    def template_context(self) -> dict[str, object]:
        """What the acknowledgement and the confirmation page choose their words by."""
        return {
            "out_of_hours": self.out_of_hours,
            "emergency_duty_team_told": self.emergency_duty_team_told,
            "opens_on": self.opens_on_text,
        }


def what_happens_next(referral: Referral) -> WhatHappensNext:
    return WhatHappensNext.at(referral.received_at, referral.route, referral.immediate_risk)


def owe_alert(referral: Referral) -> Referral:
    """Owe the EDT alert in the same write as the referral, when it needs one (idempotent by id)."""
    if not needs_alert(referral.received_at, referral.route, referral.immediate_risk):
        return referral
    alert = Notice.new(ALERT_NOTICE_ID, NoticeKind.EDT_ALERT, referral.received_at, recipient=EMERGENCY_DUTY_TEAM)
    return referral.with_notice_added(alert)


def was_alerted(referral: Referral) -> bool:
    return any(notice.kind is NoticeKind.EDT_ALERT for notice in referral.notices)


@dataclass(frozen=True)
class AlertFacts:
    """All the alert carries: enough to judge urgency and open the referral, nothing that names anyone."""

    reference: str
    route: str
    immediate_risk: bool
    proposed_level: int | None  # None: the referrer was not sure
    children: int
    categories: tuple[str, ...]
    received_at: dt.datetime

    @property
    def received_text(self) -> str:
        local = self.received_at.astimezone(LONDON)
        hour = local.hour % 12 or 12
        return f"{local:%A} {local.day} {local:%B %Y} at {hour}:{local:%M}{local:%p}".replace("AM", "am").replace(
            "PM", "pm"
        )


def alert_facts(referral: Referral) -> AlertFacts:
    submission = referral.submission
    return AlertFacts(
        reference=referral.reference,
        route=referral.route.value,
        immediate_risk=referral.immediate_risk,
        proposed_level=referral.proposed_level,
        children=len(submission.children),
        categories=tuple(category.value for category in submission.concerns.categories),
        received_at=referral.received_at,
    )


# --- the handover --------------------------------------------------------------------------------


class HandoverRefused(Exception):
    """A handover note that cannot be recorded; the message says why."""


def record_handover(referral: Referral, text: str, *, by: str, at: dt.datetime, hand_over: bool) -> Referral:
    """Add the EDT's note; with `hand_over`, mark the referral handed over to the day team (once)."""
    if not was_alerted(referral):
        raise HandoverRefused(
            "The emergency duty team was not alerted to this referral: it came in during MASH hours, "
            "or is a support referral. Ring the MASH office instead"
        )
    current = referral.edt_handover or Handover()
    if len(current.notes) >= MAX_NOTES:
        raise HandoverRefused(f"This referral already has {MAX_NOTES} handover notes: ring the MASH office instead")
    updated = replace(current, notes=(*current.notes, HandoverNote(text, by, at)))
    if hand_over and not current.handed_over:
        updated = replace(updated, handed_over_by=by, handed_over_at=at)
    return replace(referral, edt_handover=updated)


def check_may_open(referral: Referral, roles: frozenset[Role]) -> None:
    """The EDT reads only referrals it was alerted to (least privilege for a team outside the MASH);
    casework roles read any. NotAllowed (a 403) otherwise, before anything personal leaves."""
    if Role.EDT in roles and roles.isdisjoint({Role.PRACTITIONER, Role.MANAGER}) and not was_alerted(referral):
        raise NotAllowed(
            "The emergency duty team can open only referrals it was alerted to out of hours: ring the MASH office"
        )
