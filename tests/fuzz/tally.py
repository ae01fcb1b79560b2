"""Counts from the fuzz tests, printed at the end of the pytest run and written to test-results/."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

RESULTS = Path(__file__).resolve().parents[2] / "test-results" / "fuzz.json"


@dataclass
class Tally:
    name: str
    requests: int = 0
    server_errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set, repr=False)

    def count(self, status: int) -> None:
        self.requests += 1
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status >= 500:
            self.server_errors += 1

    def fail(self, where: str, failure: BaseException) -> None:
        """Keep the first example of each distinct failure (same place, same first line)."""
        text = str(failure)
        key = f"{where}: {text.splitlines()[0] if text else type(failure).__name__}"
        if key not in self._seen:
            self._seen.add(key)
            self.failures.append(f"{where}:\n{text}")

    def line(self) -> str:
        statuses = ", ".join(f"{status}: {count}" for status, count in sorted(self.statuses.items()))
        return f"{self.name}: {self.requests} requests, {self.server_errors} answered 5xx ({statuses})"


TALLIES: dict[str, Tally] = {}


def tally(name: str) -> Tally:
    """The tally a fuzz suite counts into: one per suite, shared by its parametrized tests."""
    return TALLIES.setdefault(name, Tally(name))


def write_results() -> None:
    RESULTS.parent.mkdir(exist_ok=True)
    summary = {
        "requests": sum(t.requests for t in TALLIES.values()),
        "server_errors": sum(t.server_errors for t in TALLIES.values()),
        "tests": [{k: v for k, v in asdict(t).items() if not k.startswith("_")} for t in TALLIES.values()],
    }
    RESULTS.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
