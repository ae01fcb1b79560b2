"""Fuzz suites: budgets, the staff issuer, and the counts reported at the end of the run."""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

from local.issuer import LocalIssuer
from tests.fuzz.tally import RESULTS, TALLIES, write_results
from tests.staff_issuer import issuer_in

# Hypothesis keeps caches beside the tests by default; the example database is off (database=None
# in every @settings) and its other files go under the git-ignored test-results/.
set_hypothesis_home_dir(RESULTS.parent / "hypothesis")

# `make test` runs a bounded budget; `make fuzz` raises it with FUZZ_EXAMPLES (examples per strategy).
DEFAULT_EXAMPLES = 50


def fuzz_examples(default: int = DEFAULT_EXAMPLES) -> int:
    return int(os.environ.get("FUZZ_EXAMPLES") or default)


@pytest.fixture(autouse=True)
def issuer(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> LocalIssuer:
    # autouse: it must set the JWKS path before `aws` reads the settings.
    issuer = issuer_in(tmp_path_factory.mktemp("issuer"))
    monkeypatch.setenv("MASH_LOCAL_JWKS_PATH", str(issuer.jwks_path))
    return issuer


@pytest.fixture(autouse=True)
def no_rate_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    # Thousands of requests from one address: the flood limit would answer all but the first 30
    # with 429. tests/security covers the limit; here every request must reach the handlers.
    monkeypatch.setenv("MASH_RATE_LIMIT_API_REQUESTS", "0")
    monkeypatch.setenv("MASH_RATE_LIMIT_FORM_REQUESTS", "0")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not TALLIES:
        return
    write_results()
    terminalreporter.section("fuzz")
    for tally in TALLIES.values():
        terminalreporter.write_line(tally.line())
    total = sum(t.requests for t in TALLIES.values())
    errors = sum(t.server_errors for t in TALLIES.values())
    terminalreporter.write_line(f"fuzz total: {total} generated requests, {errors} answered 5xx")
