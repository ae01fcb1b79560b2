"""`make test` step: pip-audit over the runtime requirements, or a printed reason why it could not run.

pip-audit needs a vulnerability database (PyPI's JSON API or OSV). Where the network reaches only
a package mirror, PyPI answers 404 for every package and pip-audit "finds no vulnerabilities"
having audited nothing; that is reported as skipped, never as clean. Known vulnerabilities fail.
"""

from __future__ import annotations

import json
import subprocess  # nosec B404 - runs pip-audit from this virtualenv with fixed arguments
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PIP_AUDIT = Path(sys.executable).with_name("pip-audit")


def audit() -> int:
    command = [str(PIP_AUDIT), "-r", str(ROOT / "requirements.txt"), "-f", "json", "--progress-spinner", "off"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)  # nosec B603
    try:
        report = json.loads(result.stdout)
    except ValueError:
        return skipped(f"pip-audit could not reach a vulnerability database ({last_line(result.stderr)})")
    dependencies = report.get("dependencies", [])
    audited = [dep for dep in dependencies if "skip_reason" not in dep]
    vulnerable = [dep for dep in audited if dep.get("vulns")]
    if vulnerable:
        for dep in vulnerable:
            ids = ", ".join(v["id"] for v in dep["vulns"])
            print(f"pip-audit: {dep['name']} {dep['version']} has known vulnerabilities: {ids}")
        return 1
    if not audited:
        reason = dependencies[0]["skip_reason"] if dependencies else "no dependencies resolved"
        return skipped(f"no vulnerability data for any of {len(dependencies)} packages ({reason})")
    print(f"pip-audit: {len(audited)} runtime packages audited, no known vulnerabilities")
    return 0


def skipped(reason: str) -> int:
    print(f"pip-audit: SKIPPED - {reason}. Run `make test` where pypi.org's JSON API is reachable.")
    return 0


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else "no output"


if __name__ == "__main__":
    sys.exit(audit())
