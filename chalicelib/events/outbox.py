"""The outbox sweep: every minute, send notices that are due (retries, and any a request left), and
count the Red referrals past their deadline (chalicelib/metrics.py)."""

from __future__ import annotations

from chalice import Blueprint, Rate

from chalicelib import metrics
from chalicelib.logs import logger

outbox_events = Blueprint(__name__)


@outbox_events.schedule(Rate(1, unit=Rate.MINUTES), name="outbox_sweep")
def outbox_sweep(event: object) -> dict[str, int]:
    from chalicelib.services.deliver_notices import dispatch_due
    from chalicelib.services.overdue_referrals import red_referrals_past_deadline
    from chalicelib.wiring import wiring

    hub = wiring()
    report = dispatch_due(hub.referrals, hub.mailer, hub.settings, hub.clock())
    # Every sweep, 0 included: the alarm on Red referrals past their deadline reads this gauge.
    metrics.red_referrals_past_deadline(red_referrals_past_deadline(hub.referrals, hub.clock()))
    logger.info("outbox sweep", extra=vars(report))
    return vars(report)
