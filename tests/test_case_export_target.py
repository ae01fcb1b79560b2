"""Where exports go: the HTTPS endpoint's request (the body signed with HMAC-SHA256, the export id as
the Idempotency-Key) and how each answer is taken (4xx permanent, 5xx and timeouts retried, the
receiver's id kept), against a real local server; and a malformed target stops start-up."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading
import time
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from chalicelib.adapters.case_export_target import SIGNATURE_HEADER, HttpsExportTarget, external_id
from chalicelib.domain.failures import ExportFailed
from chalicelib.settings import LOCAL_EXPORT_TARGET, Settings

SECRET = "synthetic-export-secret-0123456789abcdef"
BODY = b'{"export_id": "K7Q-F3M-RW9.export-1"}'


class Receiver(http.server.BaseHTTPRequestHandler):
    answers: ClassVar[list[tuple[int, bytes, float]]] = []
    seen: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.seen.append((dict(self.headers), body))
        status, answer, delay = Receiver.answers.pop(0) if Receiver.answers else (200, b"{}", 0.0)
        time.sleep(delay)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[str]:
    Receiver.answers, Receiver.seen = [], []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/imports"
    server.shutdown()
    server.server_close()


def test_the_body_is_signed_and_carries_its_idempotency_key_and_the_receivers_id_is_kept(endpoint: str) -> None:
    Receiver.answers = [(201, json.dumps({"id": "LCS-0042"}).encode(), 0.0)]
    target = HttpsExportTarget(endpoint, SECRET, timeout_seconds=2)
    assert target.deliver("K7Q-F3M-RW9.export-1", BODY) == "LCS-0042"
    headers, body = Receiver.seen[0]
    expected = "sha256=" + hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    assert (body, headers[SIGNATURE_HEADER], headers["Idempotency-Key"]) == (BODY, expected, "K7Q-F3M-RW9.export-1")
    assert headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("status", "retryable"),
    [(400, False), (401, False), (403, False), (422, False), (429, True), (500, True), (503, True)],
)
def test_a_4xx_is_permanent_and_a_5xx_is_tried_again(endpoint: str, status: int, retryable: bool) -> None:
    Receiver.answers = [(status, b'{"error": "synthetic"}', 0.0)]
    with pytest.raises(ExportFailed) as failed:
        HttpsExportTarget(endpoint, SECRET, timeout_seconds=2).deliver("x.export-1", BODY)
    assert (failed.value.code, failed.value.retryable) == (f"http_{status}", retryable)


def test_a_receiver_too_slow_is_a_timeout_tried_again(endpoint: str) -> None:
    Receiver.answers = [(200, b"{}", 1.0)]
    with pytest.raises(ExportFailed) as failed:
        HttpsExportTarget(endpoint, SECRET, timeout_seconds=0.2).deliver("x.export-1", BODY)
    assert (failed.value.code, failed.value.retryable) == ("timeout", True)


def test_a_receiver_that_is_not_there_is_tried_again() -> None:
    with pytest.raises(ExportFailed) as failed:
        HttpsExportTarget("http://127.0.0.1:9/imports", SECRET, timeout_seconds=1).deliver("x.export-1", BODY)
    assert failed.value.retryable


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (b'{"external_id": "M-1"}', "M-1"),
        (b'{"id": 42}', "42"),
        (b"", None),
        (b"ok", None),
        (b"[1]", None),
        (b'{"id": true}', None),
    ],
)
def test_the_receivers_id_is_read_only_from_a_json_answer(answer: bytes, expected: str | None) -> None:
    assert external_id(answer) == expected


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"export_target": "ftp://drop.example/in"}, "must start with s3://"),
        ({"export_target": "s3:///no-bucket"}, "s3://bucket/prefix/"),
        ({"export_target": "https://user:pw@lcs.example/import"}, "no user or password"),
        ({"export_target": "https://lcs.example/import"}, "MASH_EXPORT_HMAC_SECRET must be set"),
        ({"export_target": "https://lcs.example/import", "export_hmac_secret": "short"}, "32 characters"),
        ({"export_target": "s3://drop/in/", "export_timeout_seconds": 0}, "MASH_EXPORT_TIMEOUT_SECONDS"),
    ],
)
def test_a_malformed_export_target_stops_start_up_with_a_message(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("+", r"\+")):
        Settings(stage="local", **values)


def test_a_well_formed_target_starts_and_the_local_stage_has_its_drop_folder() -> None:
    assert Settings(stage="local").case_export_target == LOCAL_EXPORT_TARGET
    https = Settings(stage="local", export_target="https://lcs.example/import", export_hmac_secret=SECRET)
    assert https.case_export_target == "https://lcs.example/import"
    production = Settings(stage="prod", hmac_secret="x" * 40, out_of_hours_email="edt@council.example")
    assert production.case_export_target is None
