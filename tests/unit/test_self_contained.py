"""A council's clone has nothing beside it: no file of the project may reach outside the repository.

The team's checkout has a `shared/` folder next to it; a user's does not. This walks every tracked
file (code, Makefile, scripts, docs) for a path that climbs out of the repository to it.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.factories import EXAMPLE_NAMES, EXAMPLES_DIR

REPO = Path(__file__).resolve().parents[2]
THIS_FILE = Path(__file__).resolve().relative_to(REPO).as_posix()
# A path climbing out of the repository to the team's shared folder (either slash), or Python's
# parents[n] climbing past the repository root to it.
OUTSIDE = re.compile(r"\.\.[/\\]shared|parents\[[2-9]\]\s*/\s*[\"']shared|parent\.parent\.parent\s*/\s*[\"']shared")


def tracked_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True)
    return [name for name in listed.stdout.splitlines() if name != THIS_FILE]


def test_no_tracked_file_reads_the_teams_shared_folder() -> None:
    offenders = []
    for name in tracked_files():
        path = REPO / name
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        text = path.read_bytes().decode("utf-8", errors="ignore")
        offenders += [f"{name}:{n}" for n, line in enumerate(text.splitlines(), 1) if OUTSIDE.search(line)]
    assert offenders == [], f"these lines reach outside the repository: {offenders}"


def test_the_example_referrals_live_in_the_repository() -> None:
    assert EXAMPLES_DIR.resolve().is_relative_to(REPO)
    for name in EXAMPLE_NAMES:
        assert (EXAMPLES_DIR / name).is_file(), name
    assert {p.name for p in EXAMPLES_DIR.glob("*.json")} == set(EXAMPLE_NAMES), "list a new example in EXAMPLE_NAMES"


def test_the_guard_catches_the_old_paths() -> None:
    # The pattern is the test's oracle: show it flags the shapes that broke a user's clone.
    # Built from parts, so this file is not itself a line that reaches outside.
    shared = '"' + "shared" + '"'
    assert OUTSIDE.search("EXAMPLES_DIR = Path(__file__).resolve().parents[2] / " + shared + ' / "examples"')
    assert OUTSIDE.search("  --data @.." + "/shared/examples/referral-support.json")
    assert not OUTSIDE.search('EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples"')
