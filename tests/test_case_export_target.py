"""Where exports go: the HTTPS endpoint's request (the body signed with HMAC-SHA256, the export id as
the Idempotency-Key) and how each answer is taken (4xx permanent, 5xx and timeouts retried, the
receiver's id kept), against a real local server over real TLS (a certificate made here, its CA
handed to the adapter as MASH_EXPORT_CA_BUNDLE would); and a malformed target stops start-up."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import http.server
import ipaddress
import json
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
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
        # A slow answer's client has given up and closed the connection: nothing to write to.
        with contextlib.suppress(OSError):
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(answer)

    def log_message(self, *args: Any) -> None:
        pass


@dataclass(frozen=True)
class Certificate:
    ca_bundle: str  # the self-signed certificate, PEM: the receiver's CA as the adapter is given it
    chain: str
    key: str


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for 127.0.0.1 (synthetic: made for this test only)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "case-system.example")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("export-tls")
    chain, key_file = folder / "cert.pem", folder / "key.pem"
    chain.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return Certificate(str(chain), str(chain), str(key_file))


@pytest.fixture
def endpoint(certificate: Certificate) -> Iterator[str]:
    Receiver.answers, Receiver.seen = [], []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(certificate.chain, certificate.key)
    server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}/imports"
    server.shutdown()
    server.server_close()


def target_for(url: str, certificate: Certificate, timeout_seconds: float = 2) -> HttpsExportTarget:
    return HttpsExportTarget(url, SECRET, timeout_seconds, ca_bundle=certificate.ca_bundle)


def test_the_body_is_signed_and_carries_its_idempotency_key_and_the_receivers_id_is_kept(
    endpoint: str, certificate: Certificate
) -> None:
    Receiver.answers = [(201, json.dumps({"id": "LCS-0042"}).encode(), 0.0)]
    target = target_for(endpoint, certificate)
    assert target.deliver("K7Q-F3M-RW9.export-1", BODY) == "LCS-0042"
    headers, body = Receiver.seen[0]
    expected = "sha256=" + hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    assert (body, headers[SIGNATURE_HEADER], headers["Idempotency-Key"]) == (BODY, expected, "K7Q-F3M-RW9.export-1")
    assert headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("status", "retryable"),
    [(400, False), (401, False), (403, False), (422, False), (429, True), (500, True), (503, True)],
)
def test_a_4xx_is_permanent_and_a_5xx_is_tried_again(
    endpoint: str, certificate: Certificate, status: int, retryable: bool
) -> None:
    Receiver.answers = [(status, b'{"error": "synthetic"}', 0.0)]
    with pytest.raises(ExportFailed) as failed:
        target_for(endpoint, certificate).deliver("x.export-1", BODY)
    assert (failed.value.code, failed.value.retryable) == (f"http_{status}", retryable)


def test_a_receiver_too_slow_is_a_timeout_tried_again(endpoint: str, certificate: Certificate) -> None:
    Receiver.answers = [(200, b"{}", 1.0)]
    with pytest.raises(ExportFailed) as failed:
        target_for(endpoint, certificate, timeout_seconds=0.2).deliver("x.export-1", BODY)
    assert (failed.value.code, failed.value.retryable) == ("timeout", True)


def test_a_certificate_the_trust_store_does_not_know_is_refused(endpoint: str) -> None:
    """Without the CA bundle (the system's store) the self-signed receiver is never sent the export."""
    with pytest.raises(ExportFailed):
        HttpsExportTarget(endpoint, SECRET, timeout_seconds=2).deliver("x.export-1", BODY)
    assert Receiver.seen == []


def test_a_receiver_that_is_not_there_is_tried_again() -> None:
    with pytest.raises(ExportFailed) as failed:
        HttpsExportTarget("https://127.0.0.1:9/imports", SECRET, timeout_seconds=1).deliver("x.export-1", BODY)
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
        ({"export_target": "s3://drop/in/", "export_ca_bundle": "/nowhere/ca.pem"}, "MASH_EXPORT_CA_BUNDLE"),
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
