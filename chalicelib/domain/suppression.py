"""Why an address is on the suppression list: named here so the edges that read SES's delivery
events and the store that keeps the list share one word for it."""

from __future__ import annotations

from enum import StrEnum


class SuppressionReason(StrEnum):
    BOUNCED = "bounced"  # a permanent bounce: the mailbox does not exist or refuses mail
    COMPLAINED = "complained"  # the recipient marked our email as spam
