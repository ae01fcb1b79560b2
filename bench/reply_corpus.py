"""The independent reply corpus (tests/reply_corpus/, issue 15): load each case as a MIME message, score a
stripper on it, per category. Used by tests/unit/test_reply_corpus.py and by `make bench`.

`python -m bench.reply_corpus` prints the scores of our code and of every comparison library that is installed
(email-reply-parser, quotequail, mail-parser-reply: dev dependencies only); `--misses` lists the cases missed;
`--heldout DIR` scores a folder of held-out fixtures (body + expected pairs) without ever copying them here.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from chalicelib.mail import inbound

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "reply_corpus"
TEAM_CORPUS = Path(__file__).resolve().parent.parent / "tests" / "mail_corpus"
SENDER = "agency@partner.example"
HUB_REPLY_TO = "reply+k7qf3mrw9-e1-g19-q2mzt7kd4xw5hbn3@mash.example"


@dataclass(frozen=True)
class Case:
    id: str
    raw: bytes  # the MIME message the hub would receive
    expected: str
    categories: tuple[str, ...]
    source: str


def wrap(body: bytes, mime: dict) -> bytes:
    """A minimal message around a fixture's body: UTF-8, the fixture's transfer encoding and format=flowed params."""
    if mime.get("eml"):  # a whole message already
        return body
    subject = mime.get("subject", "K7Q-F3M-RW9")  # neither Re: nor Fwd: unless the case says so
    head = [f"From: Agency <{SENDER}>", f"To: {HUB_REPLY_TO}", f"Subject: {subject}"]
    if mime.get("has_headers"):  # the fixture carries its own MIME headers
        return ("\r\n".join(head) + "\r\n").encode() + body
    subtype = "html" if mime.get("type") == "html" else "plain"
    params = "; format=flowed" + ("; delsp=yes" if mime.get("delsp") else "") if mime.get("flowed") else ""
    head += ["MIME-Version: 1.0", f'Content-Type: text/{subtype}; charset="utf-8"{params}']
    head.append(f"Content-Transfer-Encoding: {mime.get('transfer', '8bit')}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def cases(root: Path = CORPUS) -> list[Case]:
    found = []
    for entry in json.loads((root / "cases.json").read_text(encoding="utf-8")):
        path = root / entry["file"]
        expected = path.with_name(path.name.rsplit(".", 1)[0] + ".expected.txt").read_text(encoding="utf-8")
        found.append(
            Case(
                entry["id"],
                wrap(path.read_bytes(), entry.get("mime", {})),
                expected,
                tuple(entry["categories"]),
                entry["source"],
            )
        )
    return found


def team_cases() -> list[Case]:
    """The 24 .eml cases in tests/mail_corpus (compared the way that corpus's test compares them)."""
    return [
        Case(
            f"mail_corpus/{path.stem}", path.read_bytes(), path.with_suffix(".expected.txt").read_text("utf-8"), (), ""
        )
        for path in sorted(TEAM_CORPUS.glob("*.eml"))
    ]


def same(got: str, expected: str) -> bool:
    """Trailing whitespace on each line and blank lines at either end do not count; indentation and inner blank
    lines do."""
    return _layout(got) == _layout(expected)


def _layout(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n")).strip("\n")


def loose(text: str) -> str:
    """tests/mail_corpus's comparison: every line stripped, runs of blank lines collapsed."""
    lines: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        line = line.strip()
        if line or (lines and lines[-1]):
            lines.append(line)
    return "\n".join(lines).strip()


def ours(message: inbound.InboundMessage) -> str:
    return message.reply_text


@dataclass(frozen=True)
class Score:
    total: int
    matched: int
    crashed: int
    misses: tuple[str, ...]
    per_category: dict[str, tuple[int, int]]  # category -> (matched, total)

    @property
    def share(self) -> float:
        return self.matched / self.total if self.total else 0.0


def category_names(case: Case) -> list[str]:
    names = list(case.categories)
    if any(name.startswith("lang:") for name in names):
        names.append("language (not English)")
    return names


def same_loosely(got: str, expected: str) -> bool:
    """The comparison without layout (tests/mail_corpus's): fairer to libraries that re-indent or re-space."""
    return loose(got) == loose(expected)


def score(
    strip: Callable[[inbound.InboundMessage], str],
    corpus: list[Case],
    compare: Callable[[str, str], bool] = same,
) -> Score:
    matched, crashed, misses = 0, 0, []
    per: dict[str, list[int]] = {}
    for case in corpus:
        try:
            ok = compare(strip(inbound.parse_message(case.raw)), case.expected)
        except Exception:  # a comparison library that crashes on a case has missed it
            crashed += 1
            ok = False
        matched += ok
        if not ok:
            misses.append(case.id)
        for name in category_names(case):
            per.setdefault(name, [0, 0])
            per[name][0] += ok
            per[name][1] += 1
    return Score(len(corpus), matched, crashed, tuple(misses), {k: (v[0], v[1]) for k, v in sorted(per.items())})


def timing(corpus: list[Case], repeats: int = 5) -> tuple[float, float]:
    """Median and p95 milliseconds of parse_message (MIME, charset, HTML->text, visible reply) per reply."""
    timings = []
    for case in corpus:
        for _ in range(repeats):
            start = time.perf_counter()
            inbound.parse_message(case.raw)
            timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    return statistics.median(timings), timings[max(0, round(0.95 * len(timings)) - 1)]


# ---------------------------------------------------------------------------------------------------------------------
# Comparison libraries (dev dependencies): each gets the same decoded text (full_text) as our code


def comparison_libraries() -> dict[str, Callable[[inbound.InboundMessage], str]]:
    found: dict[str, Callable[[inbound.InboundMessage], str]] = {}
    try:
        from email_reply_parser import EmailReplyParser as Zapier

        found["email-reply-parser 0.5.12"] = lambda message: Zapier.parse_reply(message.full_text)
    except ImportError:
        pass
    try:
        import quotequail

        def quotequail_reply(message: inbound.InboundMessage) -> str:
            parts = quotequail.quote(message.full_text, quote_intro_line=True)
            return "\n".join(text for expand, text in parts if expand)

        found["quotequail 0.5.4"] = quotequail_reply
    except ImportError:
        pass
    try:
        from mailparser_reply import EmailReplyParser

        languages = ["en", "de", "fr", "es", "it", "nl", "pl", "sv", "da", "cs"]
        found["mail-parser-reply 1.36 (10 languages)"] = lambda message: (
            EmailReplyParser(languages=languages).parse_reply(message.full_text) or ""
        )
    except ImportError:
        pass
    try:  # talon pulls in numpy, scipy and scikit-learn: not in requirements-dev.txt, measured in a venv of its own
        import talon
        from talon import quotations
        from talon.signature.bruteforce import extract_signature

        talon.init()
        found["talon 1.4.4"] = lambda message: extract_signature(quotations.extract_from_plain(message.full_text))[0]
    except ImportError:
        pass
    return found


def _print_score(name: str, result: Score) -> None:
    print(f"{name}: {result.matched}/{result.total} ({result.share:.1%}), crashes {result.crashed}")


def main() -> None:
    if "--heldout" in sys.argv:  # a folder laid out like tests/reply_corpus, kept outside the repository
        held = score(ours, cases(Path(sys.argv[sys.argv.index("--heldout") + 1])))
        _print_score("held-out, our visible_reply", held)
        for category, (good, total) in held.per_category.items():
            print(f"  {category:<24} {good}/{total}")
        print("missed:", *held.misses, sep="\n  ")
        return
    corpus = cases()
    result = score(ours, corpus)
    _print_score("our visible_reply", result)
    median, p95 = timing(corpus)
    print(f"  parse_message per reply: median {median:.2f} ms, p95 {p95:.2f} ms")
    libraries = {"ours": result} | {name: score(strip, corpus) for name, strip in comparison_libraries().items()}
    for name, other in libraries.items():
        if name != "ours":
            _print_score(name, other)
    print("\nthe same, layout ignored (every line stripped, blank runs collapsed):")
    for name, strip in {"our visible_reply": ours, **comparison_libraries()}.items():
        _print_score(f"  {name}", score(strip, corpus, same_loosely))
    names = list(libraries)
    print("\nper category (matched/total)")
    print(f"  {'category':<24}" + "".join(f"{name[:22]:>24}" for name in names))
    for category in result.per_category:
        cells = []
        for name in names:
            good, total = libraries[name].per_category.get(category, (0, 0))
            cells.append(f"{good}/{total} {good / total:5.0%}" if total else "-")
        print(f"  {category:<24}" + "".join(f"{cell:>24}" for cell in cells))
    if "--misses" in sys.argv:
        print("\nmissed by ours:", *result.misses, sep="\n  ")


if __name__ == "__main__":
    main()
