"""Finding 3 of the hostile probe: a referrer's document (or an agency's attachment) that could run on a
staff machine. Sent as the probe sent them: declared to the API, POSTed to the presigned URL, checked by
the uploads handler; or mailed to the hub and read by the inbound handler. Only a real PDF, macro-free
Word document, PNG, JPEG or plain text is kept, and staff download it under OUR extension for its type."""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from chalicelib.domain.agency_replies import TriageReason
from chalicelib.domain.audit import AuditAction
from tests import samples
from tests.test_inbound_replies import address_for, deliver, mime, referral_with_enquiries, triage_of
from tests.test_referral_attachments import audit, objects, send_referral, upload

pytestmark = pytest.mark.usefixtures("issuer")

# (the file name the probe gave, what it declared, the bytes)
PROBE_FILES: dict[str, tuple[str, str, Any]] = {
    "VBScript HTA declared text": ("Referral notes.hta", "text/plain", lambda: samples.HTA),
    "SVG with onload": ("diagram.svg", "image/png", lambda: samples.SVG_ONLOAD),
    "PDF then HTML polyglot": ("scan.html", "application/pdf", lambda: samples.PDF_HTML_POLYGLOT),
    "JAR with a word/ entry": (
        "tools.jar",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        samples.jar_with_word_entry,
    ),
    "macro document, VBA part renamed": (
        "minutes.docm",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        samples.docm_with_renamed_vba,
    ),
    "200 MB deflate bomb": (
        "report.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        samples.deflate_bomb,
    ),
}

KEPT_FILES: dict[str, tuple[str, str, Any, str]] = {
    "PDF": ("Chronology.pdf", "application/pdf", samples.pdf, "application/pdf"),
    "Word": (
        "Visit notes.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        samples.docx,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    "PNG": ("photo.png", "image/png", samples.png, "image/png"),
    "JPEG": ("scan.jpg", "image/jpeg", samples.jpeg, "image/jpeg"),
    "text": ("notes.txt", "text/plain", lambda: samples.TEXT, "text/plain"),
}


def answer_headers(url: str) -> dict[str, str]:
    """The headers a presigned S3 GET makes S3 answer with (moto does not apply them; S3 does)."""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    return {name: values[0] for name, values in query.items() if name.startswith("response-")}


@pytest.fixture
def hub(aws: Any) -> Iterator[Any]:
    yield aws


@pytest.fixture
def receipt(client: Any) -> dict[str, Any]:
    response = send_referral(client)
    assert response.status_code == 201, response.body
    return json.loads(response.body)


@pytest.mark.parametrize("kind", list(PROBE_FILES))
def test_a_probe_document_is_refused_recorded_and_never_kept(
    client: Any, hub: Any, receipt: dict[str, Any], kind: str
) -> None:
    filename, declared, make = PROBE_FILES[kind]
    [done] = upload(client, hub, receipt, make(), filename=filename, content_type=declared)

    assert (done.outcome, done.refusal) == ("refused", "type_not_kept")
    assert objects(hub, hub.settings.attachments_bucket) == []  # nothing for staff to download
    [event] = audit(hub, receipt["reference"], AuditAction.ATTACHMENT_REFUSED)
    assert event.details["reason"] == "type_not_kept"


@pytest.mark.parametrize("kind", list(PROBE_FILES))
def test_a_probe_attachment_sends_the_agency_reply_to_triage_unkept(hub: Any, kind: str) -> None:
    referral = referral_with_enquiries(hub)
    filename, declared, make = PROBE_FILES[kind]
    main, sub = declared.split("/")
    raw = mime(address_for(hub, referral.reference), attachments=((filename, f"{main}/{sub}", make()),))

    item = triage_of(hub, deliver(hub, raw))

    assert item.reason is TriageReason.ATTACHMENT_REFUSED
    [refused] = item.attachments
    assert (refused.filename, refused.refused, refused.object_key) == (filename, "type_not_kept", "")


@pytest.mark.parametrize("kind", list(KEPT_FILES))
def test_a_real_document_of_each_kept_type_is_kept_and_downloads_under_our_extension(
    client: Any, hub: Any, receipt: dict[str, Any], staff: Any, kind: str
) -> None:
    filename, declared, make, detected = KEPT_FILES[kind]
    data = make()
    [done] = upload(client, hub, receipt, data, filename=filename, content_type=declared)
    assert done.outcome == "kept", done

    path = f"/admin/referrals/{receipt['reference']}/attachments/{done.attachment_id}"
    body = json.loads(staff("practitioner", "GET", path).body)
    assert body["content_type"] == detected
    assert requests.get(body["url"], timeout=10).content == data
    asked = answer_headers(body["url"])
    assert asked["response-content-type"].split(";")[0] == detected
    assert asked["response-content-disposition"].startswith(f'attachment; filename="{body["filename"]}"')
    assert body["filename"] == filename  # each sample's name already carries our extension for its type


def test_a_text_file_named_hta_downloads_as_txt_served_as_text(
    client: Any, hub: Any, receipt: dict[str, Any], staff: Any
) -> None:
    # Real plain text, but named to run: kept (it is text), saved by staff as text.
    data = b"Notes from the home visit: all well.\r\n"
    [done] = upload(client, hub, receipt, data, filename="Referral notes.hta", content_type="text/plain")
    assert done.outcome == "kept"

    path = f"/admin/referrals/{receipt['reference']}/attachments/{done.attachment_id}"
    body = json.loads(staff("practitioner", "GET", path).body)
    assert (body["filename"], body["content_type"]) == ("Referral notes.txt", "text/plain")
    # What S3 answers the presigned GET with (its response-* parameters, signed into the URL).
    assert answer_headers(body["url"]) == {
        "response-content-disposition": "attachment; filename=\"Referral notes.txt\"; filename*=UTF-8''Referral%20notes.txt",
        "response-content-type": "text/plain; charset=utf-8",
        "response-cache-control": "private, no-store",
    }
    assert requests.get(body["url"], timeout=10).content == data
    # The whole picture still shows the name the referrer gave.
    picture = json.loads(staff("practitioner", "GET", f"/admin/referrals/{receipt['reference']}").body)
    [listed] = picture["attachments"]
    assert listed["filename"] == "Referral notes.hta"


def test_the_deflate_bomb_is_refused_cheaply() -> None:
    from chalicelib.domain.file_types import detect

    bomb = samples.deflate_bomb()
    assert len(bomb) < 1024 * 1024  # small on disk: 200 MB of zeros packs to ~200 KB
    started = time.perf_counter()
    assert detect(bomb) is None
    # The ratio limit stops it after ~100x its packed size, long before 200 MB are unpacked.
    assert time.perf_counter() - started < 2
