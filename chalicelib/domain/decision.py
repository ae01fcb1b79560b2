"""Screening (RAG and level of need) and the MASH decision, with the rules on who may approve."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from chalicelib.domain.referral import Route


class Rag(StrEnum):
    """The MASH's urgency rating on screening."""

    RED = "red"
    AMBER = "amber"
    GREEN = "green"


# Queue order: most urgent first. Unscreened referrals sit between Red and Amber: they have not
# been looked at yet, and one of them may be Red.
URGENCY_RANK: dict[Rag | None, int] = {Rag.RED: 1, None: 2, Rag.AMBER: 3, Rag.GREEN: 4}


class Outcome(StrEnum):
    NO_FURTHER_ACTION = "no_further_action"
    UNIVERSAL_SERVICES = "universal_services"
    EARLY_HELP = "early_help"
    CHILD_AND_FAMILY_ASSESSMENT = "child_and_family_assessment_s17"
    STRATEGY_DISCUSSION = "strategy_discussion_s47"
    MAP_MASE = "map_mase_meeting"
    ALLOCATED_WORKER = "pass_to_allocated_worker"
    TRANSFER = "transfer_to_another_authority"


OUTCOME_LABELS: dict[Outcome, str] = {
    Outcome.NO_FURTHER_ACTION: "No further action, with advice",
    Outcome.UNIVERSAL_SERVICES: "Signpost to universal services",
    Outcome.EARLY_HELP: "Step to early help",
    Outcome.CHILD_AND_FAMILY_ASSESSMENT: "Child and family assessment (child in need, section 17)",
    Outcome.STRATEGY_DISCUSSION: "Strategy discussion (child protection, section 47)",
    Outcome.MAP_MASE: "MAP or MASE meeting (exploitation)",
    Outcome.ALLOCATED_WORKER: "Pass to an allocated worker",
    Outcome.TRANSFER: "Transfer to another authority",
}

# Section 17 and above: a manager must approve before the decision stands.
STATUTORY_OUTCOMES = frozenset(
    {
        Outcome.CHILD_AND_FAMILY_ASSESSMENT,
        Outcome.STRATEGY_DISCUSSION,
        Outcome.MAP_MASE,
        Outcome.ALLOCATED_WORKER,
        Outcome.TRANSFER,
    }
)


def needs_manager_approval(outcome: Outcome, route: Route) -> bool:
    # Closing a protection referral with no action is as weighty as opening a s17: a manager checks.
    return outcome in STATUTORY_OUTCOMES or (outcome is Outcome.NO_FURTHER_ACTION and route is Route.PROTECTION)


class NotAllowed(Exception):
    """A rule about who may do this refuses it (e.g. approving one's own decision)."""


@dataclass(frozen=True)
class Screening:
    rag: Rag
    level: int
    rationale: str
    screened_by: str
    screened_at: dt.datetime
    decision_due_at: dt.datetime


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reasons: str
    decided_by: str
    decided_at: dt.datetime
    needs_approval: bool
    approved_by: str | None = None
    approved_at: dt.datetime | None = None
    returned_reason: str | None = None

    def approve(self, manager_id: str, now: dt.datetime) -> Decision:
        if manager_id == self.decided_by:
            raise NotAllowed("A manager cannot approve their own decision: ask another manager")
        from dataclasses import replace

        return replace(self, approved_by=manager_id, approved_at=now)
