"""What auditors see: a referral's audit events, and whether their chain is intact."""

from __future__ import annotations

from chalicelib.domain.audit import AuditEvent, ChainReport, verify_chain
from chalicelib.wiring import wiring


def audit_trail(reference: str) -> list[AuditEvent]:
    events, _head = wiring().referrals.audit_trail(reference)
    return events


def verify_audit(reference: str) -> ChainReport:
    hub = wiring()
    events, head = hub.referrals.audit_trail(reference)
    return verify_chain(events, hub.audit_key, head)
