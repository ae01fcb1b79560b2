"""Agency replies: parse + strip time per reply, the share of both corpora whose visible reply is as expected (per
category for the independent one), and the time on 1 MB hostile bodies.

`measure()` is what `make bench` prints. `python -m bench.reply_corpus` prints the comparison with other libraries
(dev dependencies) per category.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from bench import reply_corpus
from chalicelib.mail import inbound

REPEATS = 5
MEGABYTE = 1024 * 1024


def hostile_bodies() -> dict[str, str]:
    """1 MB bodies shaped to hit the worst case of a line-based reader (anyone can email the hub)."""
    attribution = "On Tue, 24 Nov 2026 at 10:02, Hub <h@mash.example> wrote:\n"
    return {
        "1 MB of '>' lines": (">" * 79 + "\n") * (MEGABYTE // 80),
        "1 MB on one line": "On " * (MEGABYTE // 3),
        "1 MB of one line of '>'": ">" * MEGABYTE,
        "1 MB of alternating attribution-like lines": (attribution + "On On On wrote wrote:\n") * (MEGABYTE // 80),
        "1 MB of header-like lines": ("From: a@b.example\nTo: c@d.example\nDate: x\n") * (MEGABYTE // 44),
        "1 MB of sign-off lines": ("Thanks,\nSam\n") * (MEGABYTE // 12),
        "1 MB of unquoted/quoted lines": ("answer\n> question\n") * (MEGABYTE // 18),
        "1 MB of wrapped-attribution starts": ("On 24 Nov 2026 Sam <\n") * (MEGABYTE // 21),
        # Every line different (no cache helps) and every other one could end an attribution: the slowest found.
        "1 MB of distinct 'x: y' / 'On n wrote' lines": "".join(
            f"Note {n}: x\nOn {n} wrote\n" for n in range(MEGABYTE // 24)
        ),
    }


def parse_body(body: str) -> str:
    """The whole parse of a reply whose text/plain body is `body` (format=flowed: the re-joining is timed too)."""
    raw = reply_corpus.wrap(body.encode("utf-8"), {"flowed": True})
    return inbound.parse_message(raw).reply_text


def time_hostile(strip: Callable[[str], str] = parse_body) -> dict[str, float]:
    """Seconds per hostile body (one run each: they are the worst case, not a distribution)."""
    seconds = {}
    for name, body in hostile_bodies().items():
        start = time.perf_counter()
        strip(body)
        seconds[name] = time.perf_counter() - start
    return seconds


@dataclass(frozen=True)
class Figures:
    cases: int
    repeats: int
    median_ms: float
    p95_ms: float
    team_matched: int
    team_cases: int
    corpus: reply_corpus.Score
    hostile_s: dict[str, float]


def measure(repeats: int = REPEATS) -> Figures:
    team = reply_corpus.team_cases()
    independent = reply_corpus.cases()
    everything = team + independent
    timings: list[float] = []
    for case in everything:
        for _ in range(repeats):
            start = time.perf_counter()
            inbound.parse_message(case.raw)
            timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    team_matched = sum(
        reply_corpus.loose(inbound.parse_message(case.raw).reply_text) == reply_corpus.loose(case.expected)
        for case in team
    )
    return Figures(
        cases=len(everything),
        repeats=repeats,
        median_ms=statistics.median(timings),
        p95_ms=timings[max(0, round(0.95 * len(timings)) - 1)],
        team_matched=team_matched,
        team_cases=len(team),
        corpus=reply_corpus.score(reply_corpus.ours, independent),
        hostile_s=time_hostile(),
    )


def report(figures: Figures, show: Callable[..., None]) -> None:
    show(
        f"parse + strip a reply ({figures.cases} replies x {figures.repeats})",
        f"median {figures.median_ms:.2f} ms, p95 {figures.p95_ms:.2f} ms",
        "< 5 ms median",
        figures.median_ms < 5,
    )
    show(
        "visible reply as expected, team corpus (tests/mail_corpus)",
        f"{figures.team_matched}/{figures.team_cases} ({figures.team_matched / figures.team_cases:.0%})",
    )
    corpus = figures.corpus
    worst = min(good / total for good, total in corpus.per_category.values())
    show(
        "visible reply as expected, independent corpus (tests/reply_corpus)",
        f"{corpus.matched}/{corpus.total} ({corpus.share:.1%}), {corpus.crashed} crashes",
        ">= 95%, 0 crashes",
        corpus.share >= 0.95 and corpus.crashed == 0,
    )
    show("  worst category", f"{worst:.0%}", ">= 90%", worst >= 0.9)
    for category, (good, total) in corpus.per_category.items():
        if not category.startswith("lang:"):
            show(f"    {category}", f"{good}/{total} ({good / total:.0%})")
    languages = [name for name in corpus.per_category if name.startswith("lang:")]
    show(
        "    languages",
        ", ".join(f"{name[5:]} {corpus.per_category[name][0]}/{corpus.per_category[name][1]}" for name in languages),
    )
    for name, seconds in figures.hostile_s.items():
        show(f"  hostile, parse_message: {name}", f"{seconds * 1000:.0f} ms", "< 2 s", seconds < 2)


def main() -> None:
    def show(label: str, value: object, target: str = "", ok: bool | None = None) -> None:
        mark = "" if ok is None else ("  ok" if ok else "  MISSED")
        print(f"  {label:<64} {value}{f'  (target {target})' if target else ''}{mark}")

    report(measure(), show)


if __name__ == "__main__":
    main()
