"""The reply store and its in-memory twin hold to one contract (moto and memory)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from chalicelib.adapters.agency_replies import DynamoReplyStore, ReplyStore
from chalicelib.adapters.agency_replies_memory import InMemoryReplyStore
from chalicelib.adapters.envelope import DecryptionFailed, FieldCipher, LocalKeyProvider
from chalicelib.domain.agencies import AgencyId
from chalicelib.domain.agency_replies import PDF, AgencyReply, StoredAttachment
from tests.test_inbound_replies import CANARY_SUBJECT, CANARY_TEXT, NOW, SENDER


@pytest.fixture(params=["memory", "dynamodb"])
def backend(request: pytest.FixtureRequest) -> Iterator[tuple[ReplyStore, FieldCipher]]:
    if request.param == "memory":
        yield InMemoryReplyStore(), FieldCipher(LocalKeyProvider())
        return
    aws: Any = request.getfixturevalue("aws")
    yield DynamoReplyStore(aws.aws_client("dynamodb"), aws.settings.table_name), aws.cipher


@pytest.fixture
def replies(backend: tuple[ReplyStore, FieldCipher]) -> ReplyStore:
    return backend[0]


@pytest.fixture
def cipher(backend: tuple[ReplyStore, FieldCipher]) -> FieldCipher:
    return backend[1]


def a_reply(reference: str = "K7Q-F3M-RW9", reply_id: str = "r1", at: dt.datetime = NOW, **changes: Any) -> AgencyReply:
    reply = AgencyReply(
        reply_id=reply_id,
        reference=reference,
        enquiry_id="e1",
        agency=AgencyId.POLICE,
        received_at=at,
        sender=SENDER,
        subject=CANARY_SUBJECT,
        text=CANARY_TEXT,
        full_text=CANARY_TEXT + "\n> quoted",
        attachments=(
            StoredAttachment("a1", "Chronology Smith.pdf", PDF, 12, "ab" * 32, f"replies/{reply_id}/a1"),
            StoredAttachment("a2", "virus.exe", "application/octet-stream", 9, "cd" * 32, "", "type_not_kept"),
        ),
        source_key=f"inbound/{reply_id}",
    )
    return replace(reply, **changes)


def test_a_reply_comes_back_whole_with_the_referrals_key_and_is_stored_once(
    replies: ReplyStore, cipher: FieldCipher
) -> None:
    sealed = cipher.seal("K7Q-F3M-RW9")
    first, later = a_reply(reply_id="r1"), a_reply(reply_id="r0", at=NOW + dt.timedelta(hours=1), text="Later")
    assert replies.add_reply(sealed, later) is True
    assert replies.add_reply(sealed, first) is True
    assert replies.add_reply(sealed, replace(first, text="changed")) is False  # a repeat changes nothing
    assert replies.replies_of("K7Q-F3M-RW9", sealed) == [first, later]
    assert replies.has_reply("K7Q-F3M-RW9", "r1") and not replies.has_reply("K7Q-F3M-RW9", "r9")
    assert replies.replies_of("ANO-THE-RRR", sealed) == []
    assert sorted(replies.reply_ids("K7Q-F3M-RW9")) == ["r0", "r1"]


def test_a_reply_opens_only_with_its_own_referrals_key(replies: ReplyStore, cipher: FieldCipher) -> None:
    with pytest.raises(ValueError, match="own referral"):
        replies.add_reply(cipher.seal("ANO-THE-RRR"), a_reply())
    replies.add_reply(cipher.seal("K7Q-F3M-RW9"), a_reply())
    with pytest.raises(DecryptionFailed):
        replies.replies_of("K7Q-F3M-RW9", cipher.seal("K7Q-F3M-RW9"))  # a new key for the same referral


def test_replies_are_deleted_and_cleanup_marks_kept_until_done(replies: ReplyStore, cipher: FieldCipher) -> None:
    sealed = cipher.seal("K7Q-F3M-RW9")
    replies.add_reply(sealed, a_reply(reply_id="r1"))
    replies.add_reply(sealed, a_reply(reply_id="r2"))
    replies.mark_for_cleanup("K7Q-F3M-RW9")
    replies.mark_for_cleanup("K7Q-F3M-RW9")
    assert replies.pending_cleanups() == ["K7Q-F3M-RW9"]
    replies.delete_replies("K7Q-F3M-RW9", ["r1", "r2"])
    replies.cleanup_done("K7Q-F3M-RW9")
    assert (replies.reply_ids("K7Q-F3M-RW9"), replies.pending_cleanups()) == ([], [])
