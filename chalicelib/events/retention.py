"""The retention sweep: daily, delete closed referrals past their retention date, with receipts."""

from __future__ import annotations

from chalice import Blueprint, Cron

from chalicelib.logs import logger

retention_events = Blueprint(__name__)


# 02:30 UTC daily: outside MASH hours, so no one is reading a referral as it goes.
@retention_events.schedule(Cron(30, 2, "*", "*", "?", "*"), name="retention_sweep")
def retention_sweep(event: object) -> dict[str, int]:
    from chalicelib.services.retention import sweep_expired

    report = sweep_expired()
    logger.info("retention sweep", extra=vars(report))
    return vars(report)
