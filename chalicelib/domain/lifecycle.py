"""The referral lifecycle as an explicit state machine (DESIGN.md §3).

Every step is an action allowed only from certain statuses; anything else is refused with the
list of what *is* allowed now, so a practitioner is told what to do rather than just "no".
"""

from __future__ import annotations

from enum import StrEnum


class ReferralStatus(StrEnum):
    RECEIVED = "received"
    SCREENED = "screened"
    DECISION_PROPOSED = "decision_proposed"
    DECIDED = "decided"
    CLOSED = "closed"


class Action(StrEnum):
    SCREEN = "screen"
    RECORD_DECISION = "record_decision"
    APPROVE_DECISION = "approve_decision"
    RETURN_DECISION = "return_decision"
    CLOSE = "close"


ACTION_LABELS: dict[Action, str] = {
    Action.SCREEN: "screen (RAG rating and level of need)",
    Action.RECORD_DECISION: "record a decision",
    Action.APPROVE_DECISION: "approve the decision (manager)",
    Action.RETURN_DECISION: "return the decision to the practitioner (manager)",
    Action.CLOSE: "close the referral",
}

# action -> {from status: to status}. A status absent from an action's map refuses the action.
TRANSITIONS: dict[Action, dict[ReferralStatus, ReferralStatus]] = {
    Action.SCREEN: {
        ReferralStatus.RECEIVED: ReferralStatus.SCREENED,
        # Re-rating is allowed (with a rationale) until a decision is proposed.
        ReferralStatus.SCREENED: ReferralStatus.SCREENED,
    },
    Action.RECORD_DECISION: {ReferralStatus.SCREENED: ReferralStatus.DECIDED},
    Action.APPROVE_DECISION: {ReferralStatus.DECISION_PROPOSED: ReferralStatus.DECIDED},
    Action.RETURN_DECISION: {ReferralStatus.DECISION_PROPOSED: ReferralStatus.SCREENED},
    Action.CLOSE: {ReferralStatus.DECIDED: ReferralStatus.CLOSED},
}

OPEN_STATUSES = frozenset(set(ReferralStatus) - {ReferralStatus.CLOSED})


class IllegalTransition(Exception):
    """The action is not allowed from the referral's current status."""

    def __init__(self, action: Action, status: ReferralStatus) -> None:
        self.action = action
        self.status = status
        self.allowed = allowed_actions(status)
        allowed = "; ".join(ACTION_LABELS[a] for a in self.allowed) or "nothing: the referral is closed"
        super().__init__(f"Cannot {ACTION_LABELS[action]} while the referral is {status.value}. Allowed now: {allowed}")


def allowed_actions(status: ReferralStatus) -> list[Action]:
    return [action for action, moves in TRANSITIONS.items() if status in moves]


def next_status(status: ReferralStatus, action: Action, *, needs_approval: bool = False) -> ReferralStatus:
    moves = TRANSITIONS[action]
    if status not in moves:
        raise IllegalTransition(action, status)
    if action is Action.RECORD_DECISION and needs_approval:
        return ReferralStatus.DECISION_PROPOSED
    return moves[status]
