"""The document-record store and its in-memory twin hold to one contract (moto and memory)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from chalicelib.adapters.envelope import DecryptionFailed, FieldCipher, LocalKeyProvider
from chalicelib.adapters.referral_attachments import (
    AttachmentRecords,
    DynamoAttachmentRecords,
    InMemoryAttachmentRecords,
)
from chalicelib.domain.attachments import ReferralAttachment, Refusal

NOW = dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.UTC)
REFERENCE = "K7Q-F3M-RW9"


@pytest.fixture(params=["memory", "dynamodb"])
def backend(request: pytest.FixtureRequest) -> Iterator[tuple[AttachmentRecords, FieldCipher]]:
    if request.param == "memory":
        yield InMemoryAttachmentRecords(), FieldCipher(LocalKeyProvider())
        return
    aws: Any = request.getfixturevalue("aws")
    yield DynamoAttachmentRecords(aws.aws_client("dynamodb"), aws.settings.table_name), aws.cipher


def a_document(attachment_id: str = "d1", at: dt.datetime = NOW, **changes: Any) -> ReferralAttachment:
    document = ReferralAttachment(
        attachment_id=attachment_id,
        filename="Smith chronology.pdf",
        content_type="application/pdf",
        size=1234,
        sha256="ab" * 32,
        uploaded_at=at,
        object_key=f"documents/{attachment_id}",
    )
    return replace(document, **changes)


def test_a_record_comes_back_whole_oldest_first_and_is_stored_once(backend: Any) -> None:
    records, cipher = backend
    sealed = cipher.seal(REFERENCE)
    later = a_document("d0", NOW + dt.timedelta(minutes=5))
    refused = a_document("d2", filename="setup.exe", content_type="", object_key="", refused=Refusal.TYPE_NOT_KEPT)
    first = a_document("d1")
    for document in (later, first, refused):
        assert records.add(REFERENCE, document, sealed) is True
    assert records.add(REFERENCE, replace(first, size=1), sealed) is False  # a repeat changes nothing

    assert records.attachments_of(REFERENCE, sealed) == [first, refused, later]
    assert records.attachment(REFERENCE, "d2", sealed) == refused
    assert records.attachment(REFERENCE, "d9", sealed) is None
    assert records.attachments_of("ANO-THE-RRR", sealed) == []


def test_metadata_names_no_file(backend: Any) -> None:
    records, cipher = backend
    records.add(REFERENCE, a_document(), cipher.seal(REFERENCE))
    assert records.metadata_of(REFERENCE) == [a_document(filename="")]


def test_a_record_opens_only_with_its_own_referrals_key(backend: Any) -> None:
    records, cipher = backend
    with pytest.raises(ValueError, match="own referral"):
        records.add(REFERENCE, a_document(), cipher.seal("ANO-THE-RRR"))
    records.add(REFERENCE, a_document(), cipher.seal(REFERENCE))
    with pytest.raises(DecryptionFailed):
        records.attachments_of(REFERENCE, cipher.seal(REFERENCE))  # a new key for the same referral
    with pytest.raises(DecryptionFailed):
        records.attachment(REFERENCE, "d1", cipher.seal(REFERENCE))


def test_records_are_deleted(backend: Any) -> None:
    records, cipher = backend
    sealed = cipher.seal(REFERENCE)
    records.add(REFERENCE, a_document("d1"), sealed)
    records.add(REFERENCE, a_document("d2"), sealed)
    records.delete_all(REFERENCE, ["d1", "d9"])
    assert [d.attachment_id for d in records.metadata_of(REFERENCE)] == ["d2"]
