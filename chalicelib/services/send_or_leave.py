"""Send a referral's owed notices now, else leave them to the outbox sweep.

Every change that owes an email saves the notice with the change (the outbox guarantees it), then
tries to send it at once so the recipient need not wait for the sweep. That try is best effort:
if AWS fails, or someone changed the referral before the result was recorded, the notice is still
pending and the sweep sends it later. Only the reference and the error code are logged.
"""

from __future__ import annotations

from chalicelib.domain.failures import AwsError, StaleReferral
from chalicelib.domain.referral_record import Referral
from chalicelib.logs import logger
from chalicelib.wiring import wiring


def send_now_or_leave_to_outbox(referral: Referral, what: str) -> Referral:
    """The referral with each send's result recorded, or as it was if this try failed.

    `what` names the notices for the log line ("acknowledgement", "consent request"...): a fixed
    word, never anything from the referral."""
    from chalicelib.services.deliver_notices import deliver_now

    hub = wiring()
    try:
        return deliver_now(referral, hub.referrals, hub.mailer, hub.settings, hub.clock())
    except (AwsError, StaleReferral) as error:
        code = error.code if isinstance(error, AwsError) else "StaleReferral"
        logger.warning(f"{what} left to the outbox", extra={"reference": referral.reference, "error": code})
        return referral
