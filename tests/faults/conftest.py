"""Counts across every seeded run, printed in pytest's summary and written to test-results/faults.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.faults.harness import Outcome

RESULTS = Path(__file__).resolve().parents[2] / "test-results" / "faults.json"
OUTCOMES: list[Outcome] = []


@pytest.fixture(scope="session")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from local.issuer import LocalIssuer

    return LocalIssuer(tmp_path_factory.mktemp("fault-issuer"))


@pytest.fixture(scope="session")
def jwks_path(issuer: Any) -> str:
    return str(issuer.jwks_path)


def record(outcome: Outcome) -> None:
    OUTCOMES.append(outcome)


def totals() -> dict[str, Any]:
    return {
        "runs": len(OUTCOMES),
        "aws_calls": sum(o.calls for o in OUTCOMES),
        "faults_injected": sum(o.faults for o in OUTCOMES),
        "client_errors": sum(sum(o.client_errors.values()) for o in OUTCOMES),
        "notices": sum(o.notices for o in OUTCOMES),
        "notices_failed_visibly": sum(o.notices_failed_visibly for o in OUTCOMES),
        "lost": sum(len(o.lost) for o in OUTCOMES),
        "duplicated": sum(len(o.duplicated) for o in OUTCOMES),
        "invisible": sum(len(o.invisible) for o in OUTCOMES),
        "server_errors": sum(len(o.server_errors) for o in OUTCOMES),
        "runs_by_flow": {flow: sum(o.flow == flow for o in OUTCOMES) for flow in sorted({o.flow for o in OUTCOMES})},
        "violations": [
            {"seed": o.seed, "flow": o.flow, "found": o.violations, "faults": o.fault_log}
            for o in OUTCOMES
            if o.violations
        ],
    }


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not OUTCOMES:
        return
    figures = totals()
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    terminalreporter.write_line(
        "fault injection: {runs} runs, {faults_injected} faults in {aws_calls} AWS calls, "
        "{client_errors} client errors; lost {lost}, duplicated {duplicated}, invisible {invisible}, "
        "5xx other than 503 {server_errors}; {notices} notices, {notices_failed_visibly} failed visibly "
        "(test-results/faults.json)".format(**figures)
    )
