"""schemathesis against the OpenAPI document: the public API and the staff API, every role.

Every generated request must get an answer the document describes (status, content type, body
schema) and none may be a 5xx. Deterministic: derandomized, no example database.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from local.issuer import SYNTHETIC_STAFF, LocalIssuer
from tests.factories import example, protection_referral
from tests.fuzz.chalice_wsgi import ChaliceWsgi
from tests.fuzz.conftest import fuzz_examples
from tests.fuzz.tally import Tally, tally

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# A Thursday in working hours, so deadlines do not depend on when the suite runs.
THURSDAY_10AM = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
# Whoever sends the request: each staff role, and a token that is not ours (always 401).
IDENTITIES = (*SYNTHETIC_STAFF, "forged")


@pytest.fixture
def wsgi_app(client: Any, aws: Any) -> Iterator[tuple[ChaliceWsgi, Tally]]:
    aws.clock = lambda: THURSDAY_10AM
    counts = tally("schemathesis (OpenAPI: public and staff API)")
    yield ChaliceWsgi(client, counts), counts


def seed_referrals(client: Any) -> list[str]:
    """Real referrals for the staff API to find: otherwise every generated reference is a 404."""
    references = []
    for referral in (example(), protection_referral(), example()):
        response = client.http.post(
            "/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(referral)
        )
        assert response.status_code == 201
        references.append(json.loads(response.body)["reference"])
    return references


def bearer_tokens(issuer: LocalIssuer) -> dict[str, str]:
    tokens = {role: issuer.token_for(role) for role in SYNTHETIC_STAFF}
    tokens["forged"] = tokens["manager"][:-8] + "AAAAAAAA"
    return {who: f"Bearer {token}" for who, token in tokens.items()}


def case_strategies(schema: Any, references: list[str]) -> list[tuple[str, Any]]:
    """(label, strategy) per operation and mode: generated cases, and cases naming real referrals."""
    found: list[tuple[str, Any]] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            if mode is GenerationMode.NEGATIVE and not _has_inputs(operation):
                continue  # nothing in the request to make invalid (e.g. GET /api/export-schema.json)
            strategies = [operation.as_strategy(generation_mode=mode)]
            strategies += [_naming(operation, mode, reference) for reference in _takes_reference(operation, references)]
            found.append((f"{operation.label} [{mode.value}]", st.one_of(strategies)))
    return found


def _has_inputs(operation: Any) -> bool:
    return any(True for _ in operation.iter_parameters()) or bool(list(operation.body))


def _takes_reference(operation: Any, references: list[str]) -> list[str]:
    names = {parameter.name for parameter in operation.iter_parameters()}
    return references if "reference" in names else []


def _naming(operation: Any, mode: GenerationMode, reference: str) -> Any:
    """Cases for one real referral: in the path (/admin/referrals/{reference}) or the query (?reference=)."""
    if "{reference}" in operation.path:
        return operation.as_strategy(generation_mode=mode, path_parameters={"reference": reference})
    return operation.as_strategy(generation_mode=mode, query={"reference": reference})


def test_every_generated_api_request_is_answered_as_documented(
    wsgi_app: tuple[ChaliceWsgi, Tally], client: Any, issuer: LocalIssuer
) -> None:
    app, counts = wsgi_app
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    references = seed_referrals(client)
    tokens = bearer_tokens(issuer)
    for label, strategy in case_strategies(schema, references):
        run_cases(label, strategy, tokens, counts)
    assert counts.failures == [], f"{len(counts.failures)} failing requests; the first:\n\n" + "\n\n".join(
        counts.failures[:5]
    )
    assert counts.server_errors == 0, counts.line()


def run_cases(label: str, strategy: Any, tokens: dict[str, str], counts: Tally) -> None:
    @settings(
        # ~100 operation × mode strategies: 20 each keeps make test quick; make fuzz raises it.
        max_examples=fuzz_examples(20),
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # failures are collected, not shrunk: the budget stays bounded
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy, who=st.sampled_from(IDENTITIES))
    def send(case: Any, who: str) -> None:
        headers = {"Authorization": tokens[who]} if case.path.startswith("/admin/") else None
        response = case.call(headers=headers)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (Failure, FailureGroup) as failure:  # collected: every failing check is reported at the end
            counts.fail(f"{label} as {who}", failure)

    send()
