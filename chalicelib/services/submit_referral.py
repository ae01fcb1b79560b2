"""Receive a referral: store it encrypted first, then acknowledge it. Nothing sent is lost.

A repeated request with the same idempotency key gets the same referral back; the same key
with a different referral is refused, so a retrying agency system can never make two.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass, replace

from chalicelib import metrics
from chalicelib.adapters.referrals import ReferralSummary
from chalicelib.domain.audit import AuditAction, AuditEvent, ChainHead
from chalicelib.domain.census import is_re_referral
from chalicelib.domain.child_identity import identity_text
from chalicelib.domain.deadlines import working_together_deadline
from chalicelib.domain.failures import ReferenceTaken
from chalicelib.domain.out_of_hours import owe_alert
from chalicelib.domain.reference import new_reference, reference_for_key
from chalicelib.domain.referral import ReferralSubmission
from chalicelib.domain.referral_record import Channel, Referral, ReferralStatus
from chalicelib.domain.search_terms import referral_terms, search_card
from chalicelib.logs import logger
from chalicelib.services.send_or_leave import send_now_or_leave_to_outbox
from chalicelib.wiring import wiring

# References are drawn from ~2e13 values: a clash is rare, several in a row means a fault.
MAX_REFERENCE_TRIES = 5
# Who the receipt's audit event names: the referrer by kind only (in its details), never by name.
RECEIPT_ACTOR = "referrer"


class IdempotencyConflict(Exception):
    """The idempotency key was already used for a different referral."""


@dataclass(frozen=True)
class SubmissionReceipt:
    reference: str
    status: ReferralStatus
    received_at: dt.datetime
    created: bool


def submit_referral(
    submission: ReferralSubmission,
    *,
    idempotency_key: str | None = None,
    channel: Channel = Channel.API,
    from_advice_call: str | None = None,
) -> SubmissionReceipt:
    """Store a new referral (or answer a repeat of one), owe its acknowledgement and send it now if
    it can be. `from_advice_call`: the advice call staff made it from, recorded in the receipt."""
    hub = wiring()
    secret = hub.settings.hmac_secret
    fingerprint = _keyed_digest(secret, "body", _canonical(submission))
    # A key names a referral only for the sender who chose it: scoped by the referrer's email, so
    # another client that happens to send the same key neither gets this referral (nor its
    # documents token) back nor learns the key was used.
    scoped_key = f"{submission.referrer.email.casefold()}\n{idempotency_key}" if idempotency_key else None
    key_hash = _keyed_digest(secret, "idempotency-key", scoped_key) if scoped_key else None
    now = hub.clock()

    child_keys = _child_keys(submission)
    index = hub.blind_index
    re_referral = _re_referral(child_keys, now)

    for attempt in range(MAX_REFERENCE_TRIES):
        reference = reference_for_key(secret, scoped_key, attempt) if scoped_key else new_reference()
        referral = Referral.receive(
            reference,
            submission,
            channel=channel,
            now=now,
            request_fingerprint=fingerprint,
            idempotency_key_hash=key_hash,
            working_together_due_at=working_together_deadline(now),
            child_keys=child_keys,
            # Found in search by keyed hashes of its names, dates and postcodes: never the terms.
            search_keys=tuple(dict.fromkeys(index.hash(term) for term in referral_terms(reference, submission))),
        )
        # Out of hours, the emergency duty team's alert is owed in this same write: never lost.
        referral = replace(owe_alert(referral), re_referral=re_referral)
        try:
            hub.referrals.add(
                referral,
                search_card=hub.search_cards.seal(reference, search_card(submission)),
                audit=(_receipt_event(referral, hub.audit_key, from_advice_call),),
            )
        except ReferenceTaken:
            existing = hub.referrals.fetch_summary(reference)
            if key_hash and existing.idempotency_key_hash == key_hash:
                return _repeat(existing, fingerprint)
            continue  # another referral holds this reference: draw the next one
        logger.info(
            "referral received", extra={"reference": reference, "route": referral.route.value, "channel": channel.value}
        )
        metrics.referral_received(route=referral.route.value, channel=channel.value)
        _acknowledge(referral)
        return SubmissionReceipt(reference, referral.status, referral.received_at, created=True)
    raise RuntimeError("could not find a free reference")


def _receipt_event(referral: Referral, key: bytes, from_advice_call: str | None) -> AuditEvent:
    """The audit chain's first link, written with the referral: who sent it by kind and how,
    never who (the referrer's kind, the channel: the API is an agency system's, and the route);
    and the advice call it was made from (an id), so the referral links back to the call."""
    details = {
        "referrer_kind": referral.submission.referrer.kind.value,
        "channel": referral.channel.value,
        "route": referral.route.value,
    }
    if from_advice_call:
        details["advice_contact"] = from_advice_call
    event, _head = ChainHead().append(
        referral.reference,
        AuditAction.RECEIVED,
        at=referral.received_at,
        actor=RECEIPT_ACTOR,
        role=RECEIPT_ACTOR,
        request_id=None,
        key=key,
        details=details,
    )
    return event


def _child_keys(submission: ReferralSubmission) -> tuple[str, ...]:
    identities = [identity_text(c.first_name, c.last_name, c.date_of_birth) for c in submission.children]
    if not any(identities):
        return ()
    index = wiring().blind_index
    return tuple(dict.fromkeys(index.hash(identity) for identity in identities if identity))


def _re_referral(child_keys: tuple[str, ...], now: dt.datetime) -> bool:
    """Whether a child of this referral was referred in the 12 months before now (the census's
    re-referral), by "known before": the child index's keyed hashes, nothing decrypted."""
    earlier = [summary.received_at for key in child_keys for summary in wiring().referrals.referrals_of_child(key)]
    return is_re_referral(now, earlier)


def _acknowledge(referral: Referral) -> None:
    """Best effort now; the referral is already stored with its acknowledgement owed, so if SES
    (or recording the result) fails here, the outbox sweep sends it later."""
    send_now_or_leave_to_outbox(referral, "acknowledgement")


def _repeat(existing: ReferralSummary, fingerprint: str) -> SubmissionReceipt:
    if not hmac.compare_digest(existing.request_fingerprint, fingerprint):
        raise IdempotencyConflict(existing.reference)
    return SubmissionReceipt(existing.reference, existing.status, existing.received_at, created=False)


def _canonical(submission: ReferralSubmission) -> str:
    return json.dumps(submission.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))


def _keyed_digest(secret: str, purpose: str, value: str) -> str:
    # 128 bits of HMAC-SHA256 is ample to tell two requests apart, and half the bytes to store.
    return hmac.new(secret.encode(), f"{purpose}\x1f{value}".encode(), hashlib.sha256).hexdigest()[:32]
