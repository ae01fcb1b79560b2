"""The outbox sweep: every minute, send notices that are due (retries, and any a request left)."""

from __future__ import annotations

from chalice import Blueprint, Rate

from chalicelib.logs import logger

outbox_events = Blueprint(__name__)


@outbox_events.schedule(Rate(1, unit=Rate.MINUTES), name="outbox_sweep")
def outbox_sweep(event: object) -> dict[str, int]:
    from chalicelib.services.deliver_notices import dispatch_due
    from chalicelib.wiring import wiring

    hub = wiring()
    report = dispatch_due(hub.referrals, hub.mailer, hub.settings, hub.clock())
    logger.info("outbox sweep", extra=vars(report))
    return vars(report)
