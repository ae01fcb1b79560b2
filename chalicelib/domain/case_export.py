"""The export to the council's case-management system (LCS, Mosaic): when one is owed.

A decision that keeps the child with children's social care (a section 17 assessment, a section 47
strategy discussion, a pass to an allocated worker) owes an export once it stands, in the same
write; a manager may ask for another at any time before the referral closes. An export is owed like
a notice (chalicelib/domain/notices.py): a `CASE_EXPORT` notice to the case system, so the outbox
keeps it, retries it with backoff and fails it for good with a task. The request that owes it hands
it over at once after its write (to the export topic; the export function delivers it), as other
notices are sent at once; the outbox sweep takes it after the send grace if that hand-over did not
happen or was not saved (services/deliver_notices.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from urllib.parse import urlsplit

from chalicelib.domain.decision import Outcome
from chalicelib.domain.lifecycle import ReferralStatus
from chalicelib.domain.notices import Notice, NoticeKind, NoticeStatus
from chalicelib.domain.referral_record import Referral, ReferralClosed

# The decisions whose case lives on in the case-management system.
EXPORTING_OUTCOMES = frozenset(
    {Outcome.CHILD_AND_FAMILY_ASSESSMENT, Outcome.STRATEGY_DISCUSSION, Outcome.ALLOCATED_WORKER}
)
# How long an export handed to the export topic may stay unsettled before the sweep hands it over
# again: well past the export queue's whole backoff (30 s doubling, 5 receives), so only a message
# lost or dead-lettered is handed over twice (and the receiver keeps one copy per export id).
HANDOVER_LEASE = dt.timedelta(hours=1)
# Who an export notice goes to: never an address, a name for the configured target.
CASE_SYSTEM = "case_system"
DECISION_EXPORT = "export-decision"
EXPORT_PREFIX = "export-"


def export_id(reference: str, notice_id: str) -> str:
    """The export's own id, unique across the hub: the receiver's idempotency key and the file's name."""
    return f"{reference}.{notice_id}"


def notice_id_of(reference: str, the_export_id: str) -> str | None:
    """The notice an export id names (None if it is not this referral's)."""
    prefix = f"{reference}."
    return the_export_id.removeprefix(prefix) if the_export_id.startswith(prefix) else None


def handed_over(notice: Notice, now: dt.datetime) -> Notice:
    """Published to the export topic: still owed (the export function settles it), not due again
    until the lease runs out. Each hand-over counts as an attempt."""
    return replace(notice, attempts=notice.attempts + 1, last_error=None, next_attempt_at=now + HANDOVER_LEASE)


def retrying(notice: Notice, error_code: str, now: dt.datetime) -> Notice:
    """A delivery that failed in a way worth another try (a 5xx, a timeout): why, one more attempt
    and when (a "delayed" entry in its history, as SES reports an email it is still trying), but not
    settled: still pending under its lease, so the export queue's next delivery may settle it."""
    delayed = (NoticeStatus.DELAYED.value, now.astimezone(dt.UTC).isoformat(timespec="seconds"))
    return replace(notice, attempts=notice.attempts + 1, last_error=error_code, history=(*notice.history, delayed))


def is_retrying(notice: Notice) -> bool:
    """An export the receiver has not taken yet, to be tried again (staff see why)."""
    return notice.kind is NoticeKind.CASE_EXPORT and notice.status is NoticeStatus.PENDING and bool(notice.last_error)


def retry_reason(error_code: str | None) -> str:
    """Why an export is being tried again, in plain words (the codes of case_export_target)."""
    code = error_code or ""
    if code.startswith("http_"):
        return f"the receiver answered {code.removeprefix('http_')}"
    if code == "timeout":
        return "the receiver did not answer in time"
    if code == "unreachable":
        return "the receiver could not be reached"
    return "it could not be passed on just now"  # an AWS error (the drop folder's S3, or SNS)


def exports_of(referral: Referral) -> list[Notice]:
    return [n for n in referral.notices if n.kind is NoticeKind.CASE_EXPORT]


def _export_notice(notice_id: str, now: dt.datetime) -> Notice:
    # Due to the sweep after the send grace, like an email: the request hands it over first.
    return Notice.new(notice_id, NoticeKind.CASE_EXPORT, now, recipient=CASE_SYSTEM)


def owe_decision_export(referral: Referral, now: dt.datetime) -> Referral:
    """Call it in the change that may make a decision stand: owes the export once, if it exports."""
    decision = referral.decision
    if referral.status is not ReferralStatus.DECIDED or decision is None:
        return referral  # proposed, awaiting a manager: nothing leaves yet
    if decision.outcome not in EXPORTING_OUTCOMES:
        return referral
    return referral.with_notice_added(_export_notice(DECISION_EXPORT, now))


def owe_requested_export(referral: Referral, now: dt.datetime) -> tuple[Referral, str]:
    """A manager's request: a new export each time (its own id). A closed referral sends nothing."""
    if referral.status is ReferralStatus.CLOSED:
        raise ReferralClosed(referral.reference)
    notice_id = f"{EXPORT_PREFIX}{len(exports_of(referral)) + 1}"
    while any(n.notice_id == notice_id for n in referral.notices):  # never reuse an id
        notice_id += "a"
    return referral.with_notice_added(_export_notice(notice_id, now)), notice_id


def parse_target(target: str) -> tuple[str, str, str]:
    """("s3", bucket, prefix) or ("https", url, ""); ValueError with what is wrong."""
    parts = urlsplit(target)
    if parts.scheme == "s3":
        if not parts.netloc or parts.query or parts.fragment:
            raise ValueError("MASH_EXPORT_TARGET must look like s3://bucket/prefix/ or https://host/path")
        prefix = parts.path.lstrip("/")
        return "s3", parts.netloc, prefix if not prefix or prefix.endswith("/") else prefix + "/"
    if parts.scheme == "https":
        if not parts.hostname or parts.username or parts.password:
            raise ValueError("MASH_EXPORT_TARGET must be an https:// address with a host and no user or password in it")
        return "https", target, ""
    raise ValueError("MASH_EXPORT_TARGET must start with s3:// (a drop folder) or https:// (an import endpoint)")
