"""The fault suite's counts across every seeded run, whichever test process ran them.

The suite runs beside the rest on pytest-xdist's workers: each process writes its own part
(test-results/faults-parts/<worker>.json) when it finishes, and the process that prints the summary
adds the parts up into test-results/faults.json. Run alone (`pytest tests/faults`), the one process
writes one part and sums it.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.faults.harness import Outcome

RESULTS = Path(__file__).resolve().parents[2] / "test-results" / "faults.json"
PARTS = RESULTS.parent / "faults-parts"
OUTCOMES: list[Outcome] = []
COUNTS = (
    "runs",
    "aws_calls",
    "faults_injected",
    "client_errors",
    "notices",
    "notices_failed_visibly",
    "lost",
    "duplicated",
    "invisible",
    "server_errors",
)


def record(outcome: Outcome) -> None:
    OUTCOMES.append(outcome)


def totals(outcomes: list[Outcome]) -> dict[str, Any]:
    return {
        "runs": len(outcomes),
        "aws_calls": sum(o.calls for o in outcomes),
        "faults_injected": sum(o.faults for o in outcomes),
        "client_errors": sum(sum(o.client_errors.values()) for o in outcomes),
        "notices": sum(o.notices for o in outcomes),
        "notices_failed_visibly": sum(o.notices_failed_visibly for o in outcomes),
        "lost": sum(len(o.lost) for o in outcomes),
        "duplicated": sum(len(o.duplicated) for o in outcomes),
        "invisible": sum(len(o.invisible) for o in outcomes),
        "server_errors": sum(len(o.server_errors) for o in outcomes),
        "runs_by_flow": {flow: sum(o.flow == flow for o in outcomes) for flow in sorted({o.flow for o in outcomes})},
        "violations": [
            {"seed": o.seed, "flow": o.flow, "found": o.violations, "faults": o.fault_log}
            for o in outcomes
            if o.violations
        ],
    }


def combine(parts: list[dict[str, Any]]) -> dict[str, Any]:
    combined: dict[str, Any] = {name: sum(part[name] for part in parts) for name in COUNTS}
    flows: dict[str, int] = {}
    for part in parts:
        for flow, runs in part["runs_by_flow"].items():
            flows[flow] = flows.get(flow, 0) + runs
    combined["runs_by_flow"] = dict(sorted(flows.items()))
    combined["violations"] = sorted(
        (v for part in parts for v in part["violations"]), key=lambda v: (v["flow"], v["seed"])
    )
    return combined


def clear_parts() -> None:
    """Before a run, by the process that will sum: a part left by an earlier run is not counted."""
    shutil.rmtree(PARTS, ignore_errors=True)


def write_part() -> None:
    if not OUTCOMES:
        return
    PARTS.mkdir(parents=True, exist_ok=True)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    (PARTS / f"{worker}.json").write_text(json.dumps(totals(OUTCOMES)))


def summary_line() -> str | None:
    """Sums the parts into faults.json; None when no fault run happened."""
    parts = [json.loads(path.read_text()) for path in sorted(PARTS.glob("*.json"))] if PARTS.exists() else []
    if not parts:
        return None
    figures = combine(parts)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    return (
        "fault injection: {runs} runs, {faults_injected} faults in {aws_calls} AWS calls, "
        "{client_errors} client errors; lost {lost}, duplicated {duplicated}, invisible {invisible}, "
        "5xx other than 503 {server_errors}; {notices} notices, {notices_failed_visibly} failed visibly "
        "(test-results/faults.json)".format(**figures)
    )
