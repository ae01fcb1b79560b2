"""Documents a referrer adds: the token, the presigned POST, the check by content, staff reading them.

Over moto in-process: the presigned POST is sent with `requests` as a browser or an agency system
would, moto puts the S3 notification on the uploads queue, and the handler takes it from there.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from chalicelib.domain.audit import AuditAction
from tests import samples
from tests import test_local_enquiry_loop as enquiry_loop
from tests.factories import support_referral

pytestmark = pytest.mark.usefixtures("issuer")
# The fixture recording every AWS call each event handler makes on the local stack.
recorded = enquiry_loop.recorded

PDF = samples.pdf()
PNG = samples.png()
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64
NAME_CANARY = "CANARYfilenameZQ"


def docx(extra: dict[str, bytes] | None = None) -> bytes:
    return samples.docx(parts=extra)


@pytest.fixture
def hub(aws: Any) -> Iterator[Any]:
    yield aws


def send_referral(client: Any, key: str | None = None) -> Any:
    headers = {"Content-Type": "application/json", **({"Idempotency-Key": key} if key else {})}
    return client.http.post("/api/referrals", headers=headers, body=json.dumps(support_referral()).encode())


@pytest.fixture
def receipt(client: Any) -> dict[str, Any]:
    response = send_referral(client)
    assert response.status_code == 201, response.body
    return json.loads(response.body)


def ask(client: Any, receipt: dict[str, Any], token: str | None = None, **body: Any) -> Any:
    declared = {"filename": f"{NAME_CANARY} school report.pdf", "content_type": "application/pdf", "size": len(PDF)}
    declared.update(body)
    headers = {"Content-Type": "application/json"}
    token = receipt["attachments_token"] if token is None else token
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client.http.post(receipt["attachments_url"], headers=headers, body=json.dumps(declared).encode())


def post_file(offer: dict[str, Any], data: bytes, filename: str = "upload.bin") -> requests.Response:
    """What the agency system (or a browser) does with the offer: the fields, then the file."""
    return requests.post(offer["url"], data=offer["fields"], files={"file": (filename, data)}, timeout=10)


def handle_uploads(hub: Any) -> list[Any]:
    """What Lambda's SQS poller does: each message on the uploads queue to the handler."""
    from chalicelib.events.queues import UPLOADS_QUEUE
    from chalicelib.services.referral_attachments import receive_upload_notification

    sqs = hub.aws_client("sqs")
    url = sqs.get_queue_url(QueueName=UPLOADS_QUEUE)["QueueUrl"]
    done = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return done
        for message in messages:
            done.extend(receive_upload_notification(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def upload(client: Any, hub: Any, receipt: dict[str, Any], data: bytes, **declared: Any) -> list[Any]:
    response = ask(client, receipt, size=len(data), **declared)
    assert response.status_code == 201, response.body
    assert post_file(json.loads(response.body), data).status_code in (200, 204)
    return handle_uploads(hub)


def audit(hub: Any, reference: str, action: AuditAction) -> list[Any]:
    events, _ = hub.referrals.audit_trail(reference)
    return [e for e in events if e.action is action]


def objects(hub: Any, bucket: str) -> list[str]:
    return [o["Key"] for o in hub.aws_client("s3").list_objects_v2(Bucket=bucket).get("Contents", [])]


def policy_of(offer: dict[str, Any]) -> dict[str, Any]:
    return json.loads(base64.b64decode(offer["fields"]["policy"]))


# -- the token in the 201 ---------------------------------------------------------------------------


def test_a_new_referral_answer_carries_an_attachments_token_for_an_hour(receipt: dict[str, Any]) -> None:
    received = dt.datetime.fromisoformat(receipt["received_at"])
    until = dt.datetime.fromisoformat(receipt["attachments_until"])
    assert dt.timedelta(minutes=59) < until - received <= dt.timedelta(hours=1)
    assert receipt["attachments_url"] == f"/api/referrals/{receipt['reference']}/attachments"
    # It names the referral and its expiry; nothing personal.
    compact, expiry, _signature = receipt["attachments_token"].split(".")
    assert compact == receipt["reference"].replace("-", "")
    assert int(expiry) == int(until.timestamp())


def test_a_repeated_request_gets_the_same_token(client: Any) -> None:
    first = json.loads(send_referral(client, "repeat-1").body)
    again = send_referral(client, "repeat-1")
    assert again.status_code == 200
    assert json.loads(again.body)["attachments_token"] == first["attachments_token"]


# -- asking for an upload ---------------------------------------------------------------------------


def test_an_upload_is_offered_as_a_presigned_post_bound_to_one_key_type_size_and_encryption(
    client: Any, hub: Any, receipt: dict[str, Any]
) -> None:
    response = ask(client, receipt)
    assert response.status_code == 201, response.body
    offer = json.loads(response.body)
    key = offer["fields"]["key"]
    assert key == f"uploads/{receipt['reference']}/{offer['upload_id']}"
    assert offer["fields"]["Content-Type"] == "application/pdf"
    assert offer["fields"]["x-amz-server-side-encryption"] == "aws:kms"
    conditions = policy_of(offer)["conditions"]
    assert {"key": key} in conditions
    assert {"bucket": hub.settings.uploads_bucket} in conditions
    assert {"Content-Type": "application/pdf"} in conditions
    assert {"x-amz-server-side-encryption": "aws:kms"} in conditions
    assert ["content-length-range", 1, hub.settings.attachment_max_bytes] in conditions
    # The name is not in the key: it travels in the object's metadata for the handler to seal.
    assert NAME_CANARY not in key
    expires = dt.datetime.fromisoformat(offer["expires_at"])
    assert expires <= dt.datetime.fromisoformat(receipt["attachments_until"])


@pytest.mark.parametrize(
    ("token", "code"),
    [
        ("", "token_required"),
        ("not-a-token", "invalid_token"),
        ("K7QF3MRW9.9999999999.AAAAAAAAAAAAAAAAAAAAAA", "invalid_token"),
    ],
)
def test_a_missing_or_forged_token_is_refused(client: Any, receipt: dict[str, Any], token: str, code: str) -> None:
    response = ask(client, receipt, token=token or "")
    assert response.status_code == 401
    assert json.loads(response.body)["error"] == code
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_token_for_another_referral_is_refused(client: Any, receipt: dict[str, Any]) -> None:
    other = json.loads(send_referral(client, "other-referral").body)
    response = ask(client, {**receipt, "attachments_token": other["attachments_token"]})
    assert response.status_code == 401
    assert "another referral" in json.loads(response.body)["message"]


def test_an_hour_after_the_referral_the_token_has_expired(client: Any, hub: Any, receipt: dict[str, Any]) -> None:
    later = dt.datetime.fromisoformat(receipt["attachments_until"])
    hub.clock = lambda: later
    response = ask(client, receipt)
    assert response.status_code == 401
    body = json.loads(response.body)
    assert body["error"] == "token_expired"
    assert "email them to the MASH" in body["message"]


@pytest.mark.parametrize(
    ("declared", "status", "code"),
    [
        ({"content_type": "application/x-msdownload"}, 422, "type_not_accepted"),
        ({"content_type": "application/vnd.ms-word.document.macroEnabled.12"}, 422, "type_not_accepted"),
        ({"size": 10 * 1024 * 1024 + 1}, 422, "too_large"),
        ({"size": 0}, 422, "invalid_attachment"),
        ({"filename": ""}, 422, "invalid_attachment"),
        ({"filename": "/"}, 422, "invalid_filename"),
    ],
)
def test_a_declared_file_the_hub_will_not_keep_is_refused_before_upload(
    client: Any, receipt: dict[str, Any], declared: dict[str, Any], status: int, code: str
) -> None:
    response = ask(client, receipt, **declared)
    assert response.status_code == status, response.body
    assert json.loads(response.body)["error"] == code


# -- what arrives ---------------------------------------------------------------------------------


def test_an_uploaded_pdf_is_kept_encrypted_recorded_sealed_and_audited_and_the_upload_deleted(
    client: Any, hub: Any, receipt: dict[str, Any]
) -> None:
    from tests.conftest import table_items

    reference = receipt["reference"]
    done = upload(client, hub, receipt, PDF)
    assert [(d.outcome, d.reference) for d in done] == [("kept", reference)]
    attachment_id = done[0].attachment_id

    assert objects(hub, hub.settings.uploads_bucket) == []
    kept = f"referrals/{reference}/{attachment_id}"
    assert objects(hub, hub.settings.attachments_bucket) == [kept]
    head = hub.aws_client("s3").head_object(Bucket=hub.settings.attachments_bucket, Key=kept)
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["ContentType"] == "application/pdf"

    # The name is sealed: nowhere in the table in clear.
    assert NAME_CANARY not in json.dumps(table_items(hub), default=str)
    [event] = audit(hub, reference, AuditAction.ATTACHMENT_ADDED)
    assert event.details == {"attachment": attachment_id, "size": str(len(PDF)), "type": "application/pdf"}
    assert event.actor == "referrer"


def test_a_program_named_like_a_pdf_is_refused_by_content_recorded_and_deleted(
    client: Any, hub: Any, receipt: dict[str, Any]
) -> None:
    [done] = upload(client, hub, receipt, EXE, filename="minutes.pdf")
    assert (done.outcome, done.refusal) == ("refused", "type_not_kept")
    assert objects(hub, hub.settings.uploads_bucket) == []
    assert objects(hub, hub.settings.attachments_bucket) == []
    [event] = audit(hub, receipt["reference"], AuditAction.ATTACHMENT_REFUSED)
    assert event.details["reason"] == "type_not_kept"


@pytest.mark.parametrize(
    ("data", "kept"),
    [(docx(), True), (docx({"word/vbaProject.bin": b"macros"}), False), (PNG, True), (b"Notes\n", True)],
)
def test_word_images_and_text_are_kept_and_a_word_file_with_macros_is_not(
    client: Any, hub: Any, receipt: dict[str, Any], data: bytes, kept: bool
) -> None:
    [done] = upload(client, hub, receipt, data, content_type="application/pdf")
    assert (done.outcome == "kept") is kept


def test_a_notification_repeated_records_the_file_once(client: Any, hub: Any, receipt: dict[str, Any]) -> None:
    from chalicelib.services.referral_attachments import receive_upload_notification
    from tests.test_inbound_replies import s3_event

    offer = json.loads(ask(client, receipt).body)
    post_file(offer, PDF)
    [message] = _queued(hub)
    first = receive_upload_notification(message)
    again = receive_upload_notification(message)  # SQS delivered it twice
    assert [d.outcome for d in first] == ["kept"]
    assert [d.outcome for d in again] == ["gone"]
    # The same POST sent again after it was handled: the same key, so the same record, deleted unrecorded.
    post_file(offer, PDF)
    assert [
        d.outcome for d in receive_upload_notification(s3_event(hub.settings.uploads_bucket, offer["fields"]["key"]))
    ] == ["duplicate"]
    assert len(audit(hub, receipt["reference"], AuditAction.ATTACHMENT_ADDED)) == 1
    assert objects(hub, hub.settings.uploads_bucket) == []


def _queued(hub: Any) -> list[str]:
    from chalicelib.events.queues import UPLOADS_QUEUE

    sqs = hub.aws_client("sqs")
    url = sqs.get_queue_url(QueueName=UPLOADS_QUEUE)["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    for message in messages:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    # Not the test event S3 sends when the notification is set up.
    return [m["Body"] for m in messages if "s3:TestEvent" not in m["Body"]]


def test_a_failure_after_the_record_is_finished_by_the_retry_with_one_audit_event(
    client: Any, hub: Any, receipt: dict[str, Any]
) -> None:
    from chalicelib.services.referral_attachments import receive_upload_notification
    from tests.test_inbound_replies import fail_once

    post_file(json.loads(ask(client, receipt).body), PDF)
    [message] = _queued(hub)
    fail_once(hub, "dynamodb", "TransactWriteItems")  # the audit event's write
    with pytest.raises(Exception, match="InternalServerError"):
        receive_upload_notification(message)
    assert [d.outcome for d in receive_upload_notification(message)] == ["duplicate"]
    assert len(audit(hub, receipt["reference"], AuditAction.ATTACHMENT_ADDED)) == 1
    assert objects(hub, hub.settings.uploads_bucket) == []


def test_the_handler_reports_a_failed_message_alone_for_retry(client: Any, hub: Any, receipt: dict[str, Any]) -> None:
    from chalice.test import Client

    from app import app
    from tests.test_inbound_replies import fail_once

    post_file(json.loads(ask(client, receipt).body), PDF)
    [message] = _queued(hub)
    fail_once(hub, "s3", "GetObject")
    with Client(app) as test_client:
        event = test_client.events.generate_sqs_event(
            message_bodies=[message, "not json"], queue_name="mash-hub-uploads"
        )
        answer = test_client.lambda_.invoke("uploads", event).payload
    assert len(answer["batchItemFailures"]) == 1


def test_five_documents_at_most_then_409_and_a_sixth_that_arrives_anyway_is_refused(
    client: Any, hub: Any, receipt: dict[str, Any]
) -> None:
    offers = [json.loads(ask(client, receipt).body) for _ in range(6)]  # all asked before any arrived
    for offer in offers[:5]:
        post_file(offer, PDF)
    assert [d.outcome for d in handle_uploads(hub)] == ["kept"] * 5
    refused = ask(client, receipt)
    assert refused.status_code == 409
    assert json.loads(refused.body)["error"] == "too_many_files"
    post_file(offers[5], PDF)
    assert [(d.outcome, d.refusal) for d in handle_uploads(hub)] == [("refused", "too_many")]


def test_an_upload_for_a_referral_the_hub_does_not_hold_is_deleted(hub: Any) -> None:
    from chalicelib.services.referral_attachments import receive_upload_notification
    from tests.test_inbound_replies import s3_event

    key = "uploads/K7Q-F3M-RW9/0123456789abcdef0123456789abcdef"
    hub.aws_client("s3").put_object(Bucket=hub.settings.uploads_bucket, Key=key, Body=PDF)
    [done] = receive_upload_notification(s3_event(hub.settings.uploads_bucket, key))
    assert done.outcome == "no_referral"
    assert objects(hub, hub.settings.uploads_bucket) == []


# -- staff ------------------------------------------------------------------------------------------


def test_staff_see_the_documents_in_the_whole_picture_and_download_one_for_60_seconds_audited_first(
    client: Any, hub: Any, receipt: dict[str, Any], staff: Any
) -> None:
    reference = receipt["reference"]
    [kept] = upload(client, hub, receipt, PDF)
    [refused] = upload(client, hub, receipt, EXE, filename="run me.pdf")

    picture = json.loads(staff("practitioner", "GET", f"/admin/referrals/{reference}").body)
    listed = {a["attachment_id"]: a for a in picture["attachments"]}
    assert listed[kept.attachment_id]["filename"] == f"{NAME_CANARY} school report.pdf"
    assert listed[kept.attachment_id]["kept"] is True
    assert listed[kept.attachment_id]["content_type"] == "application/pdf"
    assert listed[refused.attachment_id] == {
        **listed[refused.attachment_id],
        "kept": False,
        "refused": "type_not_kept",
        "filename": "run me.pdf",
    }
    assert "not a PDF" in listed[refused.attachment_id]["refused_text"]

    now = hub.clock()
    response = staff("practitioner", "GET", f"/admin/referrals/{reference}/attachments/{kept.attachment_id}")
    assert response.status_code == 200, response.body
    body = json.loads(response.body)
    assert body["filename"] == f"{NAME_CANARY} school report.pdf"
    assert body["content_type"] == "application/pdf"
    assert dt.datetime.fromisoformat(body["expires_at"]) - now <= dt.timedelta(seconds=61)
    assert "X-Amz-Expires=60" in body["url"]
    assert response.headers["Cache-Control"] == "no-store"
    [read] = audit(hub, reference, AuditAction.ATTACHMENT_READ)
    assert read.details == {"attachment": kept.attachment_id}

    downloaded = requests.get(body["url"], timeout=10)
    assert downloaded.status_code == 200
    assert downloaded.content == PDF


@pytest.mark.parametrize("attachment_id", ["0" * 20, "not-an-id"])
def test_an_unknown_document_is_404(client: Any, receipt: dict[str, Any], staff: Any, attachment_id: str) -> None:
    response = staff("practitioner", "GET", f"/admin/referrals/{receipt['reference']}/attachments/{attachment_id}")
    assert response.status_code == 404
    assert json.loads(response.body)["error"] == "attachment_not_found"


def test_a_refused_document_cannot_be_downloaded_and_an_auditor_may_not_download(
    client: Any, hub: Any, receipt: dict[str, Any], staff: Any
) -> None:
    [refused] = upload(client, hub, receipt, EXE)
    path = f"/admin/referrals/{receipt['reference']}/attachments/{refused.attachment_id}"
    assert staff("manager", "GET", path).status_code == 404
    assert staff("auditor", "GET", path).status_code == 403
    assert audit(hub, receipt["reference"], AuditAction.ATTACHMENT_READ) == []


def test_no_public_route_serves_a_file(client: Any) -> None:
    from app import app

    public = {path for path in app.routes if not path.startswith(("/admin/", "/staff/", "/_local/"))}
    assert not any("attachment" in path and "GET" in app.routes[path] for path in public)


# -- retention ----------------------------------------------------------------------------------------


def document_items(hub: Any) -> list[str]:
    from tests.conftest import table_items

    return [
        i["sk"]["S"]
        for i in table_items(hub)
        if i["sk"]["S"].startswith("ATTACHMENT#") or i["pk"]["S"] == "REPLY_CLEANUP"
    ]


def test_retention_deletes_a_referrals_documents_with_it_and_a_failure_is_finished_next_time(
    client: Any, hub: Any, receipt: dict[str, Any]
) -> None:
    from chalicelib.services.retention import sweep_expired
    from tests.test_inbound_replies import expire, fail_once

    other = json.loads(send_referral(client, "another").body)
    upload(client, hub, receipt, PDF)
    upload(client, hub, receipt, EXE)
    [kept_other] = upload(client, hub, other, PDF)
    expire(hub, receipt["reference"])

    fail_once(hub, "s3", "DeleteObjects")
    assert sweep_expired().deleted == 1
    assert len(document_items(hub)) == 4  # two documents, the other's one, and the mark saying they are to go
    sweep_expired()
    assert document_items(hub) == [f"ATTACHMENT#{kept_other.attachment_id}"]
    assert objects(hub, hub.settings.attachments_bucket) == [
        f"referrals/{other['reference']}/{kept_other.attachment_id}"
    ]


# -- the form -----------------------------------------------------------------------------------------


def receipt_cookie(reference: str) -> str:
    """The cookie the form's Send sets (form_session.receipt_cookie), as the browser sends it back."""
    from chalicelib.web import form_session

    return form_session.receipt_cookie(reference, "s" * 43).split(";")[0]


def documents_page(client: Any, reference: str | None, query: str = "") -> Any:
    headers = {"Cookie": receipt_cookie(reference)} if reference else {}
    return client.http.get(f"/referral/documents{query}", headers=headers)


def form_fields(html: str) -> tuple[str, dict[str, str]]:
    """The upload form's action and hidden fields, as a browser would send them."""
    import re
    from html import unescape

    (form,) = re.findall(r'<form method="post" action="([^"]+)" enctype="multipart/form-data"', html)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))
    return unescape(form), {k: unescape(v) for k, v in fields.items()}


def test_the_confirmation_page_offers_to_add_documents(client: Any, receipt: dict[str, Any]) -> None:
    page = client.http.get("/referral/confirmation", headers={"Cookie": receipt_cookie(receipt["reference"])})
    assert 'href="/referral/documents"' in page.body.decode()


def test_the_documents_page_needs_the_receipt_of_the_referral_just_sent(client: Any) -> None:
    response = documents_page(client, None)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_the_documents_page_posts_straight_to_the_bucket_allowed_by_its_own_csp_only(
    client: Any, hub: Any, receipt: dict[str, Any]
) -> None:
    reference = receipt["reference"]
    response = documents_page(client, reference)
    assert response.status_code == 200
    html = response.body.decode()
    action, fields = form_fields(html)
    assert fields["key"].startswith(f"uploads/{reference}/") and fields["key"].endswith("/${filename}")
    assert fields["success_action_redirect"].endswith("/referral/documents?added=1")
    assert "up to 5 documents" in html and "10 MB" in html
    origin = "/".join(action.split("/")[:3])
    csp = response.headers["Content-Security-Policy"]
    assert f"form-action 'self' {origin};" in csp + ";"
    # Every other page keeps the strict policy.
    assert "form-action 'self'" in client.http.get("/").headers["Content-Security-Policy"]
    assert origin not in client.http.get("/").headers["Content-Security-Policy"]
    # The receipt is kept alive as long as documents can be added.
    (cookie,) = response.headers["Set-Cookie"]
    assert cookie.startswith(receipt_cookie(reference) + ";")
    assert 3500 < int(cookie.split("Max-Age=")[1].split(";")[0]) <= 3600


def test_a_document_sent_from_the_form_is_listed_by_name_once_checked(
    client: Any, hub: Any, receipt: dict[str, Any]
) -> None:
    reference = receipt["reference"]
    action, fields = form_fields(documents_page(client, reference).body.decode())
    sent = requests.post(
        action, data=fields, files={"file": ("Report for Jo.pdf", PDF)}, allow_redirects=False, timeout=10
    )
    assert sent.status_code == 303
    assert sent.headers["Location"].split("?")[0].endswith("/referral/documents")
    # S3's redirect names the key (with the file's name): the page drops it from the address at once.
    back = documents_page(client, reference, "?" + sent.headers["Location"].split("?", 1)[1])
    assert (back.status_code, back.headers["Location"]) == (303, "/referral/documents?added=1")
    assert "Your document was sent" in documents_page(client, reference, "?added=1").body.decode()

    [done] = handle_uploads(hub)
    assert done.outcome == "kept"
    html = documents_page(client, reference).body.decode()
    assert "Report for Jo.pdf" in html and "Added" in html


def test_the_form_says_when_a_document_was_not_added_and_when_no_more_can_be(
    client: Any, hub: Any, receipt: dict[str, Any]
) -> None:
    reference = receipt["reference"]
    action, fields = form_fields(documents_page(client, reference).body.decode())
    requests.post(action, data=fields, files={"file": ("setup.pdf", EXE)}, allow_redirects=False, timeout=10)
    handle_uploads(hub)
    html = documents_page(client, reference).body.decode()
    assert "setup.pdf" in html and "Not added" in html and "checked by its content" in html

    hub.clock = lambda: dt.datetime.fromisoformat(receipt["attachments_until"])
    html = documents_page(client, reference).body.decode()
    assert '<form method="post" action=' not in html
    assert "The time for adding documents to this referral has passed" in html


# -- make run's stack over real HTTP: the presigned POST against moto's server, the IAM it needs ------
# Last in the module: the stack sets the emulator's address in the environment while it runs.


@pytest.fixture(scope="module")
def stack() -> Iterator[Any]:
    from local.stack import LocalStack

    running = LocalStack.active()
    if running is not None:
        yield running
        return
    with LocalStack(pump_interval=None) as started:
        yield started


def test_over_make_runs_stack_an_upload_is_kept_within_a_pump_and_every_call_is_allowed_by_iam(
    stack: Any, recorded: dict[str, set[tuple[str, str | None]]], issuer: Any
) -> None:
    import time

    from deploy import names
    from tests.test_local_enquiry_loop import allowed

    answer = requests.post(stack.app_url + "/api/referrals", json=support_referral(), timeout=10)
    assert answer.status_code == 201, answer.text
    receipt = answer.json()
    offer = requests.post(
        stack.app_url + receipt["attachments_url"],
        headers={"Authorization": f"Bearer {receipt['attachments_token']}"},
        json={"filename": "Report.pdf", "content_type": "application/pdf", "size": len(PDF)},
        timeout=10,
    ).json()
    assert offer["url"].startswith(stack.moto_url)  # the emulator, on 127.0.0.1, as a browser reaches it

    started = time.perf_counter()
    assert post_file(offer, PDF).status_code in (200, 204)
    stack.pump_once()
    latency = time.perf_counter() - started
    print(f"\nupload -> checked and kept, over moto's server with one pump: {latency * 1000:.0f} ms")
    calls = sorted(recorded.get("uploads", set()), key=str)
    print(f"AWS calls by the uploads handler for one kept file: {len(calls)} kinds: {calls}")

    functions = {f.chalice_name: f for f in names.FUNCTIONS}
    assert recorded.get("uploads"), recorded
    denied = {
        name: sorted((action, key) for action, key in made if not allowed(functions[name], action, key))
        for name, made in recorded.items()
    }
    assert {name: missing for name, missing in denied.items() if missing} == {}, recorded


def close_directly(hub: Any, reference: str) -> None:
    """Closed as retention closes it (the staff route's own tests are elsewhere): status and time."""
    import dataclasses
    import datetime as dt

    from chalicelib.domain.lifecycle import ReferralStatus

    opened = hub.referrals.open(reference)
    closed = dataclasses.replace(opened.referral, status=ReferralStatus.CLOSED, closed_at=dt.datetime.now(dt.UTC))
    hub.referrals.save(opened, closed, [])


def test_no_document_is_taken_for_a_closed_referral(client: Any, hub: Any, receipt: dict[str, Any]) -> None:
    """Issue 16: a closed referral is read-only; documents too."""
    reference = receipt["reference"]
    offered = ask(client, receipt)  # offered while open, uploaded after closing: refused on arrival
    assert offered.status_code == 201, offered.body
    close_directly(hub, reference)

    refused = ask(client, receipt)
    assert refused.status_code == 409, refused.body
    answer = json.loads(refused.body)
    assert answer["error"] == "referral_closed" and "make a new referral" in answer["message"]

    assert post_file(json.loads(offered.body), PDF).status_code in (200, 204)
    [done] = handle_uploads(hub)
    assert (done.outcome, done.refusal) == ("refused", "referral_closed")
    assert objects(hub, hub.settings.attachments_bucket) == []
    assert objects(hub, hub.settings.uploads_bucket) == []
