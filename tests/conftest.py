"""Shared fixtures: AWS through moto (in-process), a fresh composition root per test."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.staff_issuer import issuer_in

# Never reach real AWS from a test, whatever the machine's environment says.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-west-2",
        "MASH_STAGE": "local",
        "MASH_COOKIE_SECURE": "false",
    }
)
os.environ.pop("MASH_AWS_ENDPOINT_URL", None)


def _scrypt_worked_out_once_per_input() -> None:
    """scrypt is slow on purpose (~0.1 s a call) and pure: the tests check passphrases against hashes
    they have just made, again and again, so each (passphrase, salt, cost) is worked out once per
    test process. Every new hash still costs its full scrypt (a fresh salt each time)."""
    from functools import lru_cache

    from chalicelib.domain import resume_codes

    if not hasattr(resume_codes._scrypt, "cache_info"):
        resume_codes._scrypt = lru_cache(maxsize=1024)(resume_codes._scrypt)


_scrypt_worked_out_once_per_input()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto in-process with every resource created; yields the fresh wiring."""
    from tests.emulated_aws import hub_with_resources

    with hub_with_resources(monkeypatch) as hub:
        yield hub


@pytest.fixture
def client(aws: Any) -> Iterator[Any]:
    from chalice.test import Client

    from app import app

    with Client(app) as test_client:
        yield test_client


def table_items(hub: Any) -> list[dict[str, Any]]:
    """Every item in the table, raw as DynamoDB holds it."""
    db = hub.aws_client("dynamodb")
    items: list[dict[str, Any]] = []
    for page in db.get_paginator("scan").paginate(TableName=hub.settings.table_name):
        items.extend(page["Items"])
    return items


def sent_emails(hub: Any) -> list[Any]:
    """Every email moto's SES accepted, parsed as MIME."""
    import email
    from email import policy

    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    backend = ses_backends[DEFAULT_ACCOUNT_ID][hub.settings.aws_region]
    return [email.message_from_string(m.raw_data, policy=policy.default) for m in backend.sent_messages]


@pytest.fixture
def issuer(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A staff token issuer the app trusts. Request it before `aws` (e.g. with
    `pytestmark = pytest.mark.usefixtures("issuer")`): it sets the key path the settings read."""
    issuer = issuer_in(tmp_path_factory.mktemp("issuer"))
    monkeypatch.setenv("MASH_LOCAL_JWKS_PATH", str(issuer.jwks_path))
    return issuer


@pytest.fixture
def staff(issuer: Any, client: Any) -> Any:
    """`staff("manager", "POST", path, payload)`: a request from a synthetic staff member."""

    def request(who: str, method: str, path: str, payload: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {issuer.token_for(who)}", "Content-Type": "application/json"}
        return client.http.request(method, path, headers=headers, body=json.dumps(payload).encode() if payload else b"")

    return request


UNGROUPED = (
    "--dist loadgroup did not keep this test's xdist group on one worker: this pytest and pytest-xdist do not "
    "work together (pytest-dev/pytest-xdist#1386); use the versions in requirements-dev.txt"
)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """`--dist loadgroup` must keep an xdist group on one worker (the fault suite's runs share one
    moto account, in order): pytest-xdist marks a grouped test by a suffix on its node id, which
    some pytest releases ignore (pytest-dev/pytest-xdist#1386). Such a test fails, saying so,
    rather than run split."""
    grouped = getattr(item.config.option, "loadgroup", False) and item.get_closest_marker("xdist_group")
    if grouped and "@" not in item.nodeid:
        pytest.fail(UNGROUPED, pytrace=False)


# The fault suite's counts (tests/faults/results.py): each test process writes its part, the process
# that prints the summary adds them up. Here, not in tests/faults/, so the xdist controller (which
# collects nothing) has the hooks too.
def pytest_sessionstart(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput"):
        from tests.faults.results import clear_parts

        clear_parts()


def pytest_sessionfinish(session: pytest.Session) -> None:
    from tests.faults.results import write_part

    write_part()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    from tests.faults.results import summary_line

    line = summary_line()
    if line:
        terminalreporter.write_line(line)
