"""Refer the family on to another service with only the parts of the record it needs (issue 4 item 4).

The onward referral and its email are one change to the referral (the outbox guarantees the email),
then the email goes at once, best effort. The audit holds the service id and section names only.
"""

from __future__ import annotations

from chalicelib.domain.audit import AuditAction
from chalicelib.domain.onward_referral import OnwardReferralProblem, OnwardService, Section, directory_from
from chalicelib.domain.passing_on import onward_notice_id, refer_on
from chalicelib.domain.referral_record import Referral
from chalicelib.domain.staff import StaffMember
from chalicelib.services.referral_changes import change_referral
from chalicelib.services.send_or_leave import send_now_or_leave_to_outbox
from chalicelib.settings import Settings
from chalicelib.wiring import wiring


def service_directory(settings: Settings) -> dict[str, OnwardService]:
    return directory_from(settings.onward_service_directory)


def find_service(settings: Settings, service_id: str) -> OnwardService:
    directory = service_directory(settings)
    if service_id not in directory:
        known = ", ".join(sorted(directory)) or "none are set up for this hub"
        raise OnwardReferralProblem(f"There is no service '{service_id}' in the directory: choose one of: {known}")
    return directory[service_id]


def make_onward_referral(
    reference: str,
    *,
    service_id: str,
    sections: tuple[Section, ...],
    reason: str,
    staff: StaffMember,
    request_id: str | None,
) -> Referral:
    hub = wiring()
    # Whole seconds: the time names the onward referral and its notice.
    now = hub.clock().replace(microsecond=0)
    service = find_service(hub.settings, service_id)
    saved = change_referral(
        reference,
        staff,
        request_id,
        AuditAction.ONWARD_REFERRAL_MADE,
        lambda referral: refer_on(referral, service=service, sections=sections, reason=reason, by=staff.id, now=now),
        lambda referral: {
            "service": service.service_id,
            "sections": ",".join(section.value for section in dict.fromkeys(sections)),
            "notice": onward_notice_id(service.service_id, now),
        },
    )
    return send_now_or_leave_to_outbox(saved, "onward referral")
