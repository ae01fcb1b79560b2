"""A manager asks for an export to the case-management system (README "Export to the
case-management system"): owed in the request's own write, then handed over at once like any notice
(services/send_or_leave.py); the hand-over itself is services/export_case.py."""

from __future__ import annotations

from chalicelib.domain.audit import AuditAction
from chalicelib.domain.case_export import export_id, owe_requested_export
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.staff import StaffMember
from chalicelib.services.referral_changes import change_referral
from chalicelib.services.send_or_leave import send_now_or_leave_to_outbox
from chalicelib.wiring import wiring


def request_export(reference: str, *, staff: StaffMember, request_id: str | None) -> tuple[Referral, str]:
    """A manager asks for an export now: owed in the same write as its audit event, then handed to
    the export topic at once (if SNS fails, the sweep hands it over later). Returns the referral and
    the new export's id."""
    now = wiring().clock()
    made: list[str] = []  # the step runs again if someone else saved first: the last one counts

    def owe(referral: Referral) -> Referral:
        owed, notice_id = owe_requested_export(referral, now)
        made.append(notice_id)
        return owed

    saved = change_referral(
        reference, staff, request_id, AuditAction.CASE_EXPORT_REQUESTED, owe, lambda _: {"export": made[-1]}
    )
    return send_now_or_leave_to_outbox(saved, "export"), export_id(reference, made[-1])
