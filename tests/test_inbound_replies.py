"""Agency replies by email, under moto: S3 notification -> checks -> the enquiry's reply, or the triage list.

Messages are real MIME built with the stdlib, put in the inbound bucket as SES would, with SES's
verdict headers on top; the notification is the S3 event JSON the inbound queue carries.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import replace
from email.message import EmailMessage
from typing import Any

import pytest

from chalicelib.adapters.aws import AwsError
from chalicelib.domain.agencies import AgencyId
from chalicelib.domain.agency_replies import (
    DOCX,
    JPEG,
    PDF,
    PNG,
    TEXT,
    TriageReason,
    TriageStatus,
    message_id_for,
)
from chalicelib.domain.audit import AuditAction
from chalicelib.domain.decision import Rag, Screening
from chalicelib.domain.lifecycle import ReferralStatus
from chalicelib.domain.reference import new_reference
from chalicelib.domain.referral import ReferralSubmission
from chalicelib.domain.referral_record import Channel, Referral
from chalicelib.domain.reply_tokens import ReplyToken, reply_address, sign
from chalicelib.domain.tasks import TaskKind
from chalicelib.services import receive_reply
from chalicelib.services.receive_reply import receive_notification
from tests import samples
from tests.conftest import table_items
from tests.factories import example

# A Thursday in MASH hours.
NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
SENDER = "sam.taylor@police.example"
CANARY_TEXT = "CANARYreplyzq: the family is known to us since 2024"
CANARY_SUBJECT = "RE: Information request CANARYsubjectzq"
PDF_BYTES = samples.pdf()
PNG_BYTES = samples.png()
JPEG_BYTES = samples.jpeg()
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
PASSING = {"spam": "PASS", "virus": "PASS", "spf": "pass", "dkim": "pass", "dmarc": "pass"}


@pytest.fixture
def hub(aws: Any) -> Iterator[Any]:
    aws.clock = lambda: NOW
    yield aws


@pytest.fixture
def referral(hub: Any) -> Referral:
    return referral_with_enquiries(hub)


def referral_with_enquiries(hub: Any, agencies: tuple[AgencyId, ...] = (AgencyId.POLICE, AgencyId.HEALTH)) -> Referral:
    """A stored, screened referral with one open enquiry per agency (e1, e2, …), saved through the store."""
    reference = new_reference()
    hub.referrals.add(
        Referral.receive(
            reference,
            ReferralSubmission.model_validate(example()),
            channel=Channel.API,
            now=NOW,
            request_fingerprint="f" * 32,
            idempotency_key_hash=None,
        )
    )
    opened = hub.referrals.open(reference)
    screened = opened.referral.screen(
        Screening(
            rag=Rag.AMBER,
            level=3,
            rationale="worried",
            screened_by="staff-1",
            screened_at=NOW,
            decision_due_at=NOW + dt.timedelta(days=1),
        )
    )
    asked = screened.open_enquiries(
        list(agencies), "What do you hold?", by="staff-1", now=NOW, directory=hub.settings.agency_directory
    )
    return hub.referrals.save(opened, asked, [])


def token_for(hub: Any, reference: str, enquiry_id: str = "e1", issued: dt.date | None = None) -> str:
    return sign(ReplyToken(reference, enquiry_id, issued or NOW.date()), hub.reply_token_key)


def address_for(hub: Any, reference: str, enquiry_id: str = "e1", issued: dt.date | None = None) -> str:
    token = ReplyToken(reference, enquiry_id, issued or NOW.date())
    return reply_address(token, hub.reply_token_key, hub.settings.mail_domain)


def mime(
    to: str,
    *,
    sender: str = SENDER,
    text: str = CANARY_TEXT,
    subject: str = CANARY_SUBJECT,
    verdicts: dict[str, str] | None = None,
    attachments: tuple[tuple[str, str, bytes], ...] = (),
) -> bytes:
    """A reply as SES stores it: its verdict headers prepended to the sender's message."""
    v = {**PASSING, **(verdicts or {})}
    message = EmailMessage()
    message["X-SES-Spam-Verdict"] = v["spam"]
    message["X-SES-Virus-Verdict"] = v["virus"]
    message["Authentication-Results"] = (
        f"amazonses.com; spf={v['spf']} (spf: domain of {sender.split('@')[1]}) smtp.mailfrom={sender}; "
        f"dkim={v['dkim']} header.i=@{sender.split('@')[1]}; dmarc={v['dmarc']} header.from={sender.split('@')[1]};"
    )
    message["From"] = f"Sam Taylor <{sender}>"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = "<m1@police.example>"
    message.set_content(f"{text}\n\nSam\n\n> On Tue, the hub wrote:\n> What do you hold?\n")
    for filename, content_type, data in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def s3_event(bucket: str, *keys: str) -> str:
    """The S3 event notification the inbound queue carries (keys URL-encoded, as S3 does)."""
    return json.dumps(
        {
            "Records": [
                {
                    "eventVersion": "2.1",
                    "eventSource": "aws:s3",
                    "eventName": "ObjectCreated:Put",
                    "s3": {"bucket": {"name": bucket}, "object": {"key": urllib.parse.quote_plus(key), "size": 1}},
                }
                for key in keys
            ]
        }
    )


def deliver(hub: Any, raw: bytes, key: str = "inbound/msg-0001") -> str:
    """SES stores the message; the notification is handled. Returns the message id."""
    hub.aws_client("s3").put_object(Bucket=hub.settings.inbound_mail_bucket, Key=key, Body=raw)
    receive_notification(s3_event(hub.settings.inbound_mail_bucket, key))
    return message_id_for(key)


def audit_events(hub: Any, reference: str, action: AuditAction) -> list[Any]:
    events, _ = hub.referrals.audit_trail(reference)
    return [e for e in events if e.action is action]


def triage_of(hub: Any, message_id: str) -> Any:
    return hub.triage.open_triage(message_id)


def no_reply_stored(hub: Any, reference: str) -> None:
    opened = hub.referrals.open(reference)
    assert hub.replies.replies_of(reference, opened.sealed) == []
    assert all(not e.reply_ids for e in opened.referral.enquiries)
    assert audit_events(hub, reference, AuditAction.REPLY_RECEIVED) == []


def count_calls(hub: Any, service: str) -> Callable[[], list[str]]:
    seen: list[str] = []
    hub.aws_client(service).meta.events.register(f"before-call.{service}.*", lambda model, **_: seen.append(model.name))
    return lambda: list(seen)


def fail_once(hub: Any, service: str, operation: str, code: str = "InternalServerError") -> list[int]:
    """The next `operation` call fails as AWS would (retryable); later ones go through."""
    from botocore.exceptions import ClientError

    failed: list[int] = []

    def hook(**_: Any) -> None:
        if not failed:
            failed.append(1)
            raise ClientError({"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": 500}}, operation)

    hub.aws_client(service).meta.events.register(f"before-call.{service}.{operation}", hook)
    return failed


# -- a matched reply ---------------------------------------------------------------------------------


def test_a_matched_reply_is_stored_sealed_on_its_enquiry_with_a_task_and_one_audit_event(
    hub: Any, referral: Referral
) -> None:
    reference = referral.reference
    message_id = deliver(hub, mime(address_for(hub, reference)))

    calls = count_calls(hub, "kms")
    opened = hub.referrals.open(reference)
    [reply] = hub.replies.replies_of(reference, opened.sealed)
    assert calls() == ["Decrypt"]  # the referral and its replies: one KMS call
    assert (reply.reply_id, reply.enquiry_id, reply.agency, reply.received_at) == (message_id, "e1", "police", NOW)
    assert reply.sender == SENDER
    assert reply.subject == CANARY_SUBJECT
    assert reply.text.startswith(CANARY_TEXT)
    assert "What do you hold?" in reply.full_text
    assert (reply.source_key, reply.attached_by, reply.attachments) == ("inbound/msg-0001", None, ())

    enquiry = opened.referral.enquiry("e1")
    assert (enquiry.answered_at, enquiry.reply_ids) == (NOW, (message_id,))
    assert opened.referral.enquiry("e2").is_open
    [task] = [t for t in opened.referral.tasks if t.kind is TaskKind.REPLY_TO_READ]
    assert (task.task_id, task.about, task.open) == (f"reply_to_read:{message_id}", "e1", True)
    [event] = audit_events(hub, reference, AuditAction.REPLY_RECEIVED)
    assert (event.actor, event.role, event.details) == (
        "agency:police",
        "agency",
        {"enquiry": "e1", "reply": message_id},
    )
    assert hub.triage.list_triage()[0] == []


def test_a_sender_at_a_subdomain_of_the_agency_is_accepted(hub: Any, referral: Referral) -> None:
    deliver(hub, mime(address_for(hub, referral.reference), sender="duty@mail.police.example"))
    assert hub.referrals.fetch(referral.reference).enquiry("e1").reply_ids


def test_a_repeated_notification_stores_one_reply_one_task_one_audit_event(hub: Any, referral: Referral) -> None:
    key = "inbound/msg-dup"
    deliver(hub, mime(address_for(hub, referral.reference)), key)
    for _ in range(2):
        receive_notification(s3_event(hub.settings.inbound_mail_bucket, key))
    # Even days later, past the token's life: an answer already recorded is not triaged.
    hub.clock = lambda: NOW + dt.timedelta(days=90)
    receive_notification(s3_event(hub.settings.inbound_mail_bucket, key))

    opened = hub.referrals.open(referral.reference)
    assert len(hub.replies.replies_of(referral.reference, opened.sealed)) == 1
    assert len([t for t in opened.referral.tasks if t.kind is TaskKind.REPLY_TO_READ]) == 1
    assert len(audit_events(hub, referral.reference, AuditAction.REPLY_RECEIVED)) == 1
    assert opened.referral.enquiry("e1").reply_ids == (message_id_for(key),)
    assert hub.triage.list_triage()[0] == []


def test_several_records_in_one_notification_are_each_handled(hub: Any, referral: Referral) -> None:
    s3 = hub.aws_client("s3")
    bucket = hub.settings.inbound_mail_bucket
    s3.put_object(Bucket=bucket, Key="inbound/a", Body=mime(address_for(hub, referral.reference, "e1")))
    s3.put_object(
        Bucket=bucket,
        Key="inbound/b",
        Body=mime(address_for(hub, referral.reference, "e2"), sender="nurse@health.example", text="From health"),
    )
    handled = receive_notification(s3_event(bucket, "inbound/a", "inbound/b"))
    assert [(r.outcome, r.enquiry_id) for r in handled] == [("stored", "e1"), ("stored", "e2")]
    opened = hub.referrals.open(referral.reference)
    replies = hub.replies.replies_of(referral.reference, opened.sealed)
    assert sorted((r.enquiry_id, r.agency.value, r.text[:11]) for r in replies) == [
        ("e1", "police", "CANARYreply"),
        ("e2", "health", "From health"),
    ]


def test_a_url_encoded_key_with_spaces_and_plus_is_found(hub: Any, referral: Referral) -> None:
    key = "inbound/reply 1+2 (copy)"
    message_id = deliver(hub, mime(address_for(hub, referral.reference)), key)
    opened = hub.referrals.open(referral.reference)
    [reply] = hub.replies.replies_of(referral.reference, opened.sealed)
    assert (reply.reply_id, reply.source_key) == (message_id, key)


# -- notifications that carry no message -----------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "mash-hub-inbound-mail"}),
        "not json at all",
        "",
        "[]",
        "42",
        json.dumps({"Records": "nope"}),
        json.dumps({"Records": []}),
        json.dumps({"Records": [{"s3": {}}, "x", {"s3": {"bucket": {"name": 1}, "object": {"key": None}}}]}),
        json.dumps(
            {
                "Records": [
                    {
                        "eventName": "ObjectRemoved:Delete",
                        "s3": {"bucket": {"name": "b"}, "object": {"key": "inbound/x"}},
                    }
                ]
            }
        ),
    ],
)
def test_a_notification_that_names_no_message_is_logged_and_dropped(hub: Any, body: str) -> None:
    assert receive_notification(body) == []


def test_only_objects_under_inbound_in_the_inbound_bucket_are_read(hub: Any, referral: Referral) -> None:
    s3 = hub.aws_client("s3")
    raw = mime(address_for(hub, referral.reference))
    s3.put_object(Bucket=hub.settings.inbound_mail_bucket, Key="quarantine/x", Body=raw)
    s3.put_object(Bucket=hub.settings.attachments_bucket, Key="inbound/x", Body=raw)
    assert receive_notification(s3_event(hub.settings.inbound_mail_bucket, "quarantine/x")) == []
    assert receive_notification(s3_event(hub.settings.attachments_bucket, "inbound/x")) == []
    no_reply_stored(hub, referral.reference)


def test_the_object_ses_writes_when_the_rule_is_set_up_is_not_a_message(hub: Any) -> None:
    key = "inbound/AMAZON_SES_SETUP_NOTIFICATION"
    body = b"This is a test message from Amazon SES to verify the bucket."
    hub.aws_client("s3").put_object(Bucket=hub.settings.inbound_mail_bucket, Key=key, Body=body)
    assert receive_notification(s3_event(hub.settings.inbound_mail_bucket, key)) == []
    assert hub.triage.list_triage() == ([], None)  # not quarantined as a message with no virus verdict


def test_a_notification_for_a_message_already_gone_is_done(hub: Any) -> None:
    [handled] = receive_notification(s3_event(hub.settings.inbound_mail_bucket, "inbound/expired"))
    assert handled.outcome == "gone"


# -- tokens, enquiries, senders ---------------------------------------------------------------------


def test_a_forged_token_goes_to_triage_with_its_claim_as_a_hint_only(hub: Any, referral: Referral) -> None:
    token = token_for(hub, referral.reference)
    forged = token[:-4] + ("aaaa" if not token.endswith("aaaa") else "bbbb")
    message_id = deliver(hub, mime(f"reply+{forged}@{hub.settings.mail_domain}"))
    item = triage_of(hub, message_id)
    assert (item.reason, item.status) == (TriageReason.TOKEN_FORGED, TriageStatus.WAITING)
    assert (item.claimed_reference, item.claimed_enquiry_id) == (referral.reference, "e1")
    assert (item.sender, item.subject) == (SENDER, CANARY_SUBJECT)
    assert item.text.startswith(CANARY_TEXT)
    no_reply_stored(hub, referral.reference)


def test_a_token_signed_with_another_key_is_forged(hub: Any, referral: Referral) -> None:
    from chalicelib.domain.reply_tokens import token_key

    other = sign(ReplyToken(referral.reference, "e1", NOW.date()), token_key("another stage's secret"))
    message_id = deliver(hub, mime(f"reply+{other}@{hub.settings.mail_domain}"))
    assert triage_of(hub, message_id).reason is TriageReason.TOKEN_FORGED
    no_reply_stored(hub, referral.reference)


def test_an_expired_token_goes_to_triage(hub: Any, referral: Referral) -> None:
    address = address_for(hub, referral.reference)
    hub.clock = lambda: NOW + dt.timedelta(days=hub.settings.enquiry_reply_days + 1)
    message_id = deliver(hub, mime(address))
    item = triage_of(hub, message_id)
    assert (item.reason, item.claimed_reference, item.claimed_enquiry_id) == (
        TriageReason.TOKEN_EXPIRED,
        referral.reference,
        "e1",
    )
    no_reply_stored(hub, referral.reference)


def test_the_last_day_of_a_token_is_still_accepted(hub: Any, referral: Referral) -> None:
    address = address_for(hub, referral.reference)
    hub.clock = lambda: NOW + dt.timedelta(days=hub.settings.enquiry_reply_days)
    deliver(hub, mime(address))
    assert hub.referrals.fetch(referral.reference).enquiry("e1").reply_ids


def test_a_malformed_token_goes_to_triage_with_no_claim(hub: Any, referral: Referral) -> None:
    message_id = deliver(hub, mime(f"reply+not-a-token@{hub.settings.mail_domain}"))
    item = triage_of(hub, message_id)
    assert (item.reason, item.claimed_reference) == (TriageReason.TOKEN_MALFORMED, None)


def test_no_reply_address_goes_to_triage(hub: Any, referral: Referral) -> None:
    message_id = deliver(hub, mime(f"requests@{hub.settings.mail_domain}"))
    item = triage_of(hub, message_id)
    assert (item.reason, item.claimed_reference, item.sender) == (TriageReason.NO_TOKEN, None, SENDER)


def test_a_reply_address_at_another_domain_is_no_token(hub: Any, referral: Referral) -> None:
    token = token_for(hub, referral.reference)
    message_id = deliver(hub, mime(f"reply+{token}@elsewhere.example"))
    assert triage_of(hub, message_id).reason is TriageReason.NO_TOKEN


def test_a_valid_token_for_an_enquiry_the_referral_does_not_have_is_unknown(hub: Any, referral: Referral) -> None:
    message_id = deliver(hub, mime(address_for(hub, referral.reference, "e9")))
    item = triage_of(hub, message_id)
    assert (item.reason, item.claimed_reference, item.claimed_enquiry_id) == (
        TriageReason.UNKNOWN_ENQUIRY,
        referral.reference,
        "e9",
    )
    no_reply_stored(hub, referral.reference)


def test_a_valid_token_for_a_referral_the_hub_does_not_hold_is_unknown(hub: Any) -> None:
    message_id = deliver(hub, mime(address_for(hub, "K7Q-F3M-RW9")))
    item = triage_of(hub, message_id)
    assert (item.reason, item.claimed_reference) == (TriageReason.UNKNOWN_ENQUIRY, "K7Q-F3M-RW9")


def test_a_reply_to_a_closed_referral_goes_to_triage(hub: Any, referral: Referral) -> None:
    opened = hub.referrals.open(referral.reference)
    hub.referrals.save(opened, replace(opened.referral, status=ReferralStatus.CLOSED, closed_at=NOW), [])
    message_id = deliver(hub, mime(address_for(hub, referral.reference)))
    assert triage_of(hub, message_id).reason is TriageReason.ENQUIRY_CLOSED
    no_reply_stored(hub, referral.reference)


@pytest.mark.parametrize(
    "sender",
    ["someone@gmail.example", "sam@police.example.attacker.example", "sam@notpolice.example", "x@health.example"],
)
def test_a_sender_outside_the_asked_agencys_domains_goes_to_triage(hub: Any, referral: Referral, sender: str) -> None:
    message_id = deliver(hub, mime(address_for(hub, referral.reference, "e1"), sender=sender))
    item = triage_of(hub, message_id)
    assert (item.reason, item.sender, item.claimed_enquiry_id) == (TriageReason.WRONG_SENDER_DOMAIN, sender, "e1")
    no_reply_stored(hub, referral.reference)


# -- SES verdicts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("verdicts", "reason"),
    [
        ({"spam": "FAIL"}, TriageReason.SPAM),
        ({"spam": "GRAY"}, TriageReason.SPAM),
        ({"spam": "PROCESSING_FAILED"}, TriageReason.SPAM),
        ({"dmarc": "fail"}, TriageReason.DMARC_FAILED),
        ({"spf": "fail", "dkim": "fail"}, TriageReason.AUTHENTICATION_FAILED),
        ({"spf": "softfail", "dkim": "fail", "dmarc": "none"}, TriageReason.AUTHENTICATION_FAILED),
        ({"spam": "FAIL", "dmarc": "fail"}, TriageReason.SPAM),
    ],
)
def test_a_failed_verdict_goes_to_triage_readable_by_a_person(
    hub: Any, referral: Referral, verdicts: dict[str, str], reason: TriageReason
) -> None:
    message_id = deliver(hub, mime(address_for(hub, referral.reference), verdicts=verdicts))
    item = triage_of(hub, message_id)
    assert item.reason is reason
    assert (item.sender, item.subject) == (SENDER, CANARY_SUBJECT)
    assert item.text.startswith(CANARY_TEXT)
    assert item.verdicts["virus"] == "PASS"
    no_reply_stored(hub, referral.reference)


def without_header(raw: bytes, name: bytes) -> bytes:
    head, _, body = raw.partition(b"\n\n")
    kept: list[bytes] = []
    dropping = False
    for line in head.split(b"\n"):
        if not line[:1].isspace():  # a new header, not the folded rest of the one before
            dropping = line.lower().startswith(name.lower() + b":")
        if not dropping:
            kept.append(line)
    return b"\n".join(kept) + b"\n\n" + body


@pytest.mark.parametrize(
    "results",
    [
        None,  # no Authentication-Results at all
        "mail.police.example; spf=pass smtp.mailfrom=police.example; dkim=pass header.i=@police.example",  # not SES's
        "amazonses.com; dmarc=pass header.from=police.example;",  # SES's, with no SPF or DKIM result
    ],
)
def test_a_reply_with_no_authentication_result_is_treated_as_failed(
    hub: Any, referral: Referral, results: str | None
) -> None:
    """Issue 16: missing results were read as 'not failed' and the reply was stored."""
    raw = without_header(mime(address_for(hub, referral.reference)), b"Authentication-Results")
    if results is not None:
        raw = f"Authentication-Results: {results}\n".encode() + raw
    item = triage_of(hub, deliver(hub, raw))
    assert item.reason is TriageReason.AUTHENTICATION_FAILED
    assert (item.verdicts["spf"], item.verdicts["dkim"]) == ("MISSING", "MISSING")
    no_reply_stored(hub, referral.reference)


@pytest.mark.parametrize(
    "senders",
    [
        ["Sam Taylor <sam.taylor@police.example>", "Records <records@evil.example>"],  # two From headers
        ["sam.taylor@police.example, records@evil.example"],  # a list in one
    ],
)
def test_a_reply_with_more_than_one_sender_goes_to_triage(hub: Any, referral: Referral, senders: list[str]) -> None:
    """Issue 16: the first From address was taken as the sender, whatever followed it."""
    raw = without_header(mime(address_for(hub, referral.reference)), b"From")
    head = "".join(f"From: {sender}\n" for sender in senders).encode()
    item = triage_of(hub, deliver(hub, head + raw))
    assert item.reason is TriageReason.AMBIGUOUS_SENDER
    assert item.claimed_enquiry_id == "e1"
    no_reply_stored(hub, referral.reference)


@pytest.mark.parametrize(
    "verdicts",
    [{"spf": "fail"}, {"dkim": "fail"}, {"dmarc": "none"}, {"spf": "none", "dkim": "none", "dmarc": "none"}],
)
def test_one_authentication_failing_alone_is_not_a_reason_to_triage(
    hub: Any, referral: Referral, verdicts: dict[str, str]
) -> None:
    deliver(hub, mime(address_for(hub, referral.reference), verdicts=verdicts))
    assert hub.referrals.fetch(referral.reference).enquiry("e1").reply_ids


@pytest.mark.parametrize("virus", ["FAIL", "GRAY", "PROCESSING_FAILED", None])
def test_a_virus_verdict_quarantines_the_message_unparsed(
    hub: Any, referral: Referral, virus: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(raw: bytes) -> Any:
        pytest.fail("a message with a virus verdict must never be parsed")

    monkeypatch.setattr(receive_reply.inbound, "parse_message", never)
    raw = mime(address_for(hub, referral.reference), verdicts={"virus": virus or "PASS"})
    if virus is None:  # no verdict at all: not a pass either
        raw = raw.replace(b"X-SES-Virus-Verdict: PASS\n", b"")
    key = "inbound/infected"
    message_id = deliver(hub, raw, key)

    s3 = hub.aws_client("s3")
    bucket = hub.settings.inbound_mail_bucket
    names = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert names == ["quarantine/infected"]
    assert s3.get_object(Bucket=bucket, Key="quarantine/infected")["Body"].read() == raw

    item = triage_of(hub, message_id)
    assert (item.reason, item.source_key) == (TriageReason.VIRUS, "quarantine/infected")
    assert (item.sender, item.subject, item.text, item.full_text, item.attachments) == (None, None, None, None, ())
    assert item.verdicts["virus"] == (virus or "MISSING")
    no_reply_stored(hub, referral.reference)

    # A repeated notification finds the message gone: still one item.
    [again] = receive_notification(s3_event(bucket, key))
    assert again.outcome == "gone"
    assert len(hub.triage.list_triage()[0]) == 1


def test_an_unreadable_message_goes_to_triage_with_its_raw_text_capped(hub: Any, referral: Referral) -> None:
    raw = (
        b"X-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: PASS\r\nSubject: no sender\r\n\r\n"
        + b"\xff garbage " * 40000
    )
    message_id = deliver(hub, raw)
    item = triage_of(hub, message_id)
    assert (item.reason, item.sender) == (TriageReason.UNREADABLE, None)
    assert item.full_text.startswith("X-SES-Spam-Verdict: PASS")
    assert "\ufffd garbage" in item.full_text
    assert len(item.full_text.encode()) <= 256 * 1024
    assert item.full_text.endswith("too long to store whole.]")


# -- attachments ----------------------------------------------------------------------------------------


def docx(extra: dict[str, bytes] | None = None) -> bytes:
    return samples.docx(parts=extra)


def test_attachments_are_kept_encrypted_in_s3_by_their_content_type(hub: Any, referral: Referral) -> None:
    files = (
        ("Chronology Smith family.pdf", "application/octet-stream", PDF_BYTES),
        ("photo.png", "image/png", PNG_BYTES),
        ("scan.jpg", "image/jpeg", JPEG_BYTES),
        ("notes.docx", "application/octet-stream", docx()),
        ("notes.txt", "text/plain", "Plain notes: café".encode()),
    )
    message_id = deliver(hub, mime(address_for(hub, referral.reference), attachments=files))
    opened = hub.referrals.open(referral.reference)
    [reply] = hub.replies.replies_of(referral.reference, opened.sealed)
    assert [(a.attachment_id, a.filename, a.content_type, a.size, a.refused) for a in reply.attachments] == [
        ("a1", "Chronology Smith family.pdf", PDF, len(PDF_BYTES), None),
        ("a2", "photo.png", PNG, len(PNG_BYTES), None),
        ("a3", "scan.jpg", JPEG, len(JPEG_BYTES), None),
        ("a4", "notes.docx", DOCX, len(files[3][2]), None),
        ("a5", "notes.txt", TEXT, len(files[4][2]), None),
    ]
    s3 = hub.aws_client("s3")
    for attachment, (_, _, data) in zip(reply.attachments, files, strict=True):
        assert attachment.object_key == f"replies/{message_id}/{attachment.attachment_id}"
        stored = s3.get_object(Bucket=hub.settings.attachments_bucket, Key=attachment.object_key)
        assert stored["ServerSideEncryption"] == "aws:kms"
        assert stored["ContentType"] == attachment.content_type
        assert stored["Body"].read() == data
        import hashlib

        assert attachment.sha256 == hashlib.sha256(data).hexdigest()
    # No file name in any object key; no file name in clear in the table.
    assert "Smith" not in json.dumps(table_items(hub), default=repr)


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("report.pdf", EXE_BYTES),  # an executable with a harmless name
        ("macro.docx", docx({"word/vbaProject.bin": b"\x00vba"})),
        ("archive.zip", docx().replace(b"word/", b"xxxx/")),
        ("binary.txt", b"text with a NUL\x00 in it"),
        ("latin1.txt", "café".encode("latin-1")),
    ],
)
def test_a_file_the_hub_does_not_keep_sends_the_whole_reply_to_triage(
    hub: Any, referral: Referral, filename: str, data: bytes
) -> None:
    files = (("Chronology.pdf", "application/pdf", PDF_BYTES), (filename, "application/pdf", data))
    message_id = deliver(hub, mime(address_for(hub, referral.reference), attachments=files))
    item = triage_of(hub, message_id)
    assert (item.reason, item.claimed_reference) == (TriageReason.ATTACHMENT_REFUSED, referral.reference)
    kept, refused = item.attachments
    assert (kept.filename, kept.content_type, kept.refused) == ("Chronology.pdf", PDF, None)
    assert (refused.filename, refused.size, refused.refused, refused.object_key) == (
        filename,
        len(data),
        "type_not_kept",
        "",
    )
    s3 = hub.aws_client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=hub.settings.attachments_bucket).get("Contents", [])]
    assert keys == [f"replies/{message_id}/a1"]  # the refused file is not stored; the raw message still is
    no_reply_stored(hub, referral.reference)


def test_a_file_over_the_size_limit_sends_the_reply_to_triage(hub: Any, referral: Referral) -> None:
    hub.settings = hub.settings.model_copy(update={"attachment_max_bytes": 1000})
    big = samples.pdf("0" * 1000)  # a real PDF, over the limit
    message_id = deliver(hub, mime(address_for(hub, referral.reference), attachments=(("big.pdf", PDF, big),)))
    item = triage_of(hub, message_id)
    [refused] = item.attachments
    assert (item.reason, refused.content_type, refused.refused) == (TriageReason.ATTACHMENT_REFUSED, PDF, "too_large")


# -- failures: raised for SQS to retry, and the retry completes once ---------------------------------


@pytest.mark.parametrize(
    ("service", "operation"),
    [
        ("kms", "Decrypt"),
        ("dynamodb", "TransactWriteItems"),  # the save that marks the enquiry answered
        ("dynamodb", "PutItem"),  # the reply itself
        ("s3", "PutObject"),  # an attachment
        ("s3", "GetObject"),
    ],
)
def test_a_failure_mid_way_is_raised_and_the_retry_completes_exactly_once(
    hub: Any, referral: Referral, service: str, operation: str
) -> None:
    key = "inbound/flaky"
    bucket = hub.settings.inbound_mail_bucket
    raw = mime(address_for(hub, referral.reference), attachments=(("a.pdf", PDF, PDF_BYTES),))
    hub.aws_client("s3").put_object(Bucket=bucket, Key=key, Body=raw)
    failed = fail_once(hub, service, operation)
    with pytest.raises(AwsError) as raised:
        receive_notification(s3_event(bucket, key))
    assert failed and raised.value.retryable

    receive_notification(s3_event(bucket, key))
    receive_notification(s3_event(bucket, key))
    opened = hub.referrals.open(referral.reference)
    [reply] = hub.replies.replies_of(referral.reference, opened.sealed)
    assert reply.text.startswith(CANARY_TEXT)
    assert [a.filename for a in reply.attachments] == ["a.pdf"]
    assert len([t for t in opened.referral.tasks if t.kind is TaskKind.REPLY_TO_READ]) == 1
    assert len(audit_events(hub, referral.reference, AuditAction.REPLY_RECEIVED)) == 1
    assert opened.referral.enquiry("e1").reply_ids == (message_id_for(key),)
    assert hub.triage.list_triage()[0] == []


def test_a_failure_on_one_record_still_handles_the_others_then_raises(hub: Any, referral: Referral) -> None:
    bucket = hub.settings.inbound_mail_bucket
    s3 = hub.aws_client("s3")
    s3.put_object(Bucket=bucket, Key="inbound/one", Body=mime(address_for(hub, referral.reference, "e1")))
    s3.put_object(
        Bucket=bucket,
        Key="inbound/two",
        Body=mime(address_for(hub, referral.reference, "e2"), sender="n@health.example"),
    )
    fail_once(hub, "s3", "GetObject")
    with pytest.raises(AwsError):
        receive_notification(s3_event(bucket, "inbound/one", "inbound/two"))
    assert hub.referrals.fetch(referral.reference).enquiry("e2").reply_ids  # the second went through
    receive_notification(s3_event(bucket, "inbound/one", "inbound/two"))
    stored = hub.referrals.fetch(referral.reference)
    assert [len(e.reply_ids) for e in stored.enquiries] == [1, 1]
    assert len(audit_events(hub, referral.reference, AuditAction.REPLY_RECEIVED)) == 2


def test_a_triage_write_that_fails_is_retried_into_one_item(hub: Any) -> None:
    bucket = hub.settings.inbound_mail_bucket
    hub.aws_client("s3").put_object(Bucket=bucket, Key="inbound/t", Body=mime("requests@mash.example"))
    fail_once(hub, "dynamodb", "TransactWriteItems")
    with pytest.raises(AwsError):
        receive_notification(s3_event(bucket, "inbound/t"))
    receive_notification(s3_event(bucket, "inbound/t"))
    receive_notification(s3_event(bucket, "inbound/t"))
    [line], _ = hub.triage.list_triage()
    assert line.reason is TriageReason.NO_TOKEN
    assert triage_of(hub, line.triage_id).sender == SENDER


# -- the SQS handler ----------------------------------------------------------------------------------


def test_the_queue_handler_reports_only_a_failed_message_for_retry(client: Any, hub: Any, referral: Referral) -> None:
    bucket = hub.settings.inbound_mail_bucket
    hub.aws_client("s3").put_object(Bucket=bucket, Key="inbound/q", Body=mime(address_for(hub, referral.reference)))
    fail_once(hub, "s3", "GetObject")
    event = client.events.generate_sqs_event(
        queue_name="mash-hub-inbound-mail", message_bodies=[s3_event(bucket, "inbound/q"), "garbage"]
    )
    answer = client.lambda_.invoke("inbound_mail", event).payload
    assert len(answer["batchItemFailures"]) == 1  # the message whose read failed; the garbage is dropped
    answer = client.lambda_.invoke("inbound_mail", event).payload
    assert answer == {"batchItemFailures": []}
    assert hub.referrals.fetch(referral.reference).enquiry("e1").reply_ids


# -- nothing personal in clear ---------------------------------------------------------------------------


def test_no_reply_text_subject_sender_or_file_name_is_in_clear_in_the_table_or_logs(
    hub: Any, referral: Referral, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    files = (("CANARYfilezq.pdf", PDF, PDF_BYTES),)
    deliver(hub, mime(address_for(hub, referral.reference), attachments=files), "inbound/matched")
    deliver(hub, mime("requests@mash.example", attachments=files), "inbound/triaged")
    deliver(hub, mime(address_for(hub, referral.reference), sender="CANARYsender@elsewhere.example"), "inbound/domain")
    canaries = ["CANARYreplyzq", "CANARYsubjectzq", "CANARYfilezq", "canarysender", SENDER, "sam taylor"]

    dump = json.dumps(table_items(hub), default=repr).lower()
    assert referral.reference.lower() in dump and "triage#" in dump  # the scan saw the items
    assert [c for c in canaries if c.lower() in dump] == []

    logs = (capsys.readouterr().out + "\n".join(json.dumps(vars(r), default=str) for r in caplog.records)).lower()
    assert message_id_for("inbound/matched") in logs  # the logs really were captured
    assert [c for c in canaries if c.lower() in logs] == []

    # S3 keys carry ids only.
    s3 = hub.aws_client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=hub.settings.attachments_bucket).get("Contents", [])]
    assert keys and all("canary" not in key.lower() for key in keys)


# -- retention -------------------------------------------------------------------------------------------


def expire(hub: Any, reference: str) -> None:
    """Closed long ago and past its retention date."""
    opened = hub.referrals.open(reference)
    past = NOW - dt.timedelta(days=1)
    closed = replace(opened.referral, status=ReferralStatus.CLOSED, closed_at=past, retention_until=past)
    hub.referrals.save(opened, closed, [])


def reply_items(hub: Any) -> list[str]:
    return [
        i["sk"]["S"] for i in table_items(hub) if i["sk"]["S"].startswith("REPLY#") or i["pk"]["S"] == "REPLY_CLEANUP"
    ]


def attachment_keys(hub: Any) -> list[str]:
    s3 = hub.aws_client("s3")
    return [o["Key"] for o in s3.list_objects_v2(Bucket=hub.settings.attachments_bucket).get("Contents", [])]


def test_retention_deletes_a_referrals_replies_and_their_files(hub: Any, referral: Referral) -> None:
    from chalicelib.services.retention import sweep_expired

    other = referral_with_enquiries(hub)
    deliver(hub, mime(address_for(hub, referral.reference), attachments=(("a.pdf", PDF, PDF_BYTES),)), "inbound/r1")
    kept = deliver(hub, mime(address_for(hub, other.reference), attachments=(("b.pdf", PDF, PDF_BYTES),)), "inbound/r2")
    assert len(reply_items(hub)) == 2
    expire(hub, referral.reference)

    report = sweep_expired()
    assert report.deleted == 1
    assert reply_items(hub) == [f"REPLY#{kept}"]
    assert attachment_keys(hub) == [f"replies/{kept}/a1"]
    [receipt] = audit_events(hub, referral.reference, AuditAction.DELETED)
    assert receipt.details["outcome"] == ""


def test_replies_whose_deletion_failed_are_deleted_by_the_next_sweep(hub: Any, referral: Referral) -> None:
    from chalicelib.services.retention import sweep_expired

    deliver(hub, mime(address_for(hub, referral.reference), attachments=(("a.pdf", PDF, PDF_BYTES),)), "inbound/r1")
    expire(hub, referral.reference)
    fail_once(hub, "s3", "DeleteObjects")
    assert sweep_expired().deleted == 1
    assert len(reply_items(hub)) == 2  # the reply and the mark saying it is to go
    assert len(attachment_keys(hub)) == 1

    sweep_expired()
    assert reply_items(hub) == []
    assert attachment_keys(hub) == []


def test_a_referral_kept_after_all_keeps_its_replies_and_loses_the_mark(hub: Any, referral: Referral) -> None:
    from chalicelib.services.retention import sweep_expired

    deliver(hub, mime(address_for(hub, referral.reference)), "inbound/r1")
    hub.replies.mark_for_cleanup(referral.reference)  # as if the deletion had then been refused (a hold)
    sweep_expired()
    assert reply_items(hub) == [f"REPLY#{message_id_for('inbound/r1')}"]


def test_the_notifications_s3_itself_puts_on_the_inbound_queue_are_understood(hub: Any, referral: Referral) -> None:
    """Not a hand-made event: the bodies moto's S3 sends to the queue (the test event, then the object's)."""
    sqs = hub.aws_client("sqs")
    url = sqs.get_queue_url(QueueName="mash-hub-inbound-mail")["QueueUrl"]
    key = "inbound/with space+plus"
    hub.aws_client("s3").put_object(
        Bucket=hub.settings.inbound_mail_bucket, Key=key, Body=mime(address_for(hub, referral.reference))
    )
    bodies = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        bodies += [m["Body"] for m in messages]
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        )
    handled = [received for body in bodies for received in receive_notification(body)]
    assert [(r.outcome, r.message_id) for r in handled] == [("stored", message_id_for(key))]
    assert hub.referrals.fetch(referral.reference).enquiry("e1").reply_ids == (message_id_for(key),)
