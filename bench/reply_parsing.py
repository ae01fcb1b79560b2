"""Agency replies: parse + strip time per reply, and the share of the corpus whose visible reply is as expected.

`measure()` is what `make bench` prints (the chosen library only). `compare_candidates()` re-runs the choice of
library: every candidate that is importable is scored on the same decoded text (`python -m bench.reply_parsing
--candidates`, in an environment where the candidates are installed; they are not project dependencies).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from chalicelib.mail import inbound

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "mail_corpus"
REPEATS = 20


@dataclass(frozen=True)
class Case:
    name: str
    raw: bytes
    expected: str


def cases() -> list[Case]:
    return [
        Case(path.stem, path.read_bytes(), (path.with_suffix(".expected.txt")).read_text(encoding="utf-8"))
        for path in sorted(CORPUS.glob("*.eml"))
    ]


def normalise(text: str) -> str:
    """The comparison's idea of "the same text": each line stripped, runs of blank lines collapsed to one."""
    lines: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        line = line.strip()
        if line or (lines and lines[-1]):
            lines.append(line)
    return "\n".join(lines).strip()


def share(strip: Callable[[str], str], texts: dict[str, str], expected: dict[str, str]) -> tuple[float, list[str]]:
    """Share of cases whose stripped text matches, and the names of the ones that do not."""
    misses = []
    for name, text in texts.items():
        try:
            got = strip(text)
        except Exception:  # a candidate that crashes on a case has simply missed it
            got = "\0crashed"
        if normalise(got) != normalise(expected[name]):
            misses.append(name)
    return (len(texts) - len(misses)) / len(texts), misses


def measure(repeats: int = REPEATS) -> dict:
    """Per reply: parse_message (MIME, charset, HTML->text, quote stripping) timed `repeats` times."""
    corpus = cases()
    timings: list[float] = []
    matched = 0
    for case in corpus:
        result = inbound.parse_message(case.raw)
        matched += normalise(result.reply_text) == normalise(case.expected)
        for _ in range(repeats):
            start = time.perf_counter()
            inbound.parse_message(case.raw)
            timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    return {
        "cases": len(corpus),
        "repeats": repeats,
        "median_ms": statistics.median(timings),
        "p95_ms": timings[max(0, round(0.95 * len(timings)) - 1)],
        "matched": matched,
        "share": matched / len(corpus),
        "library": inbound.STRIP_LIBRARY,
    }


# ---------------------------------------------------------------------------------------------------------------------
# The choice of library (run by hand; see tests/mail_corpus/README.md for the figures)


def _quote_strippers() -> dict[str, Callable[[str], str]]:
    """Each candidate as its documented API gives it ("raw"), then the same text with inbound's rules around it
    (`inbound._finish`: inline answers, trailing taglines, separators, disclaimers, "-- " signatures)."""
    found: dict[str, Callable[[str], str]] = {"none (whole text)": lambda text: text}
    try:
        from email_reply_parser import EmailReplyParser as Zapier

        found["email-reply-parser, raw"] = Zapier.parse_reply
        found["email-reply-parser + inbound rules"] = lambda text: inbound._finish(Zapier.parse_reply(text), "")
    except ImportError:
        pass
    try:
        from mailparser_reply import EmailReplyParser

        def first_header_split(text: str) -> tuple[str, str]:
            parsed = EmailReplyParser(languages=["en"]).read(text)
            if len(parsed.replies) < 2:
                return parsed.text, ""
            position = parsed.text.find(parsed.replies[1].headers)
            return parsed.text[:position], parsed.text[position:]

        found["mail-parser-reply, raw (latest_reply)"] = lambda text: EmailReplyParser().parse_reply(text) or ""
        found["mail-parser-reply, raw (replies[0].body)"] = lambda text: EmailReplyParser().read(text).replies[0].body
        found["mail-parser-reply + inbound rules (no boundary check)"] = lambda text: inbound._finish(
            *first_header_split(text)
        )
    except ImportError:
        pass
    try:
        import quotequail

        def quotequail_split(text: str) -> tuple[str, str]:
            parts = quotequail.quote(text, quote_intro_line=True)
            if len(parts) == 1:
                return (parts[0][1], "") if parts[0][0] else ("", parts[0][1])
            return parts[0][1], parts[1][1]

        found["quotequail, raw"] = lambda text: quotequail_split(text)[0]
        found["quotequail + inbound rules"] = lambda text: inbound._finish(*quotequail_split(text))
    except ImportError:
        pass
    found[f"chosen: {inbound.STRIP_LIBRARY} + all inbound rules"] = inbound.visible_reply
    return found


def _html_converters() -> dict[str, Callable[[str], str]]:
    found: dict[str, Callable[[str], str]] = {"stdlib html.parser (inbound.html_to_text)": inbound.html_to_text}
    try:
        from inscriptis import get_text

        found["inscriptis"] = get_text
    except ImportError:
        pass
    try:
        import html2text

        found["html2text (GPL-3.0: not usable here)"] = html2text.html2text
    except ImportError:
        pass
    return found


def _html_part(raw: bytes) -> str | None:
    import email
    import email.policy

    message = email.message_from_bytes(raw, policy=email.policy.default)
    for part in message.walk():
        if part.get_content_type() == "text/html" and part.get_content_disposition() != "attachment":
            return inbound._part_text(part)
    return None


def compare_candidates() -> dict:
    corpus = cases()
    texts = {case.name: inbound.parse_message(case.raw).full_text for case in corpus}
    expected = {case.name: case.expected for case in corpus}
    strippers = {name: share(strip, texts, expected) for name, strip in _quote_strippers().items()}
    html_texts = {case.name: html for case in corpus if (html := _html_part(case.raw)) is not None}
    converters = {
        name: share(lambda html, convert=convert: inbound.visible_reply(convert(html)), html_texts, expected)
        for name, convert in _html_converters().items()
    }
    return {"strippers": strippers, "html_converters": converters, "html_cases": sorted(html_texts)}


def main() -> None:
    if "--candidates" in sys.argv:
        result = compare_candidates()
        print(f"Quote stripping, share of {len(cases())} corpus replies as expected:")
        for name, (fraction, misses) in result["strippers"].items():
            print(f"  {name:<55} {fraction:6.1%}  misses: {', '.join(m[:2] for m in misses) or '-'}")
        print(f"HTML -> text, then inbound.visible_reply, over the {len(result['html_cases'])} replies with HTML:")
        for name, (fraction, misses) in result["html_converters"].items():
            print(f"  {name:<55} {fraction:6.1%}  misses: {', '.join(m[:2] for m in misses) or '-'}")
        return
    figures = measure()
    print(f"Agency replies ({figures['cases']} corpus cases x {figures['repeats']} repeats, {figures['library']})")
    print(f"  parse + strip per reply: median {figures['median_ms']:.2f} ms, p95 {figures['p95_ms']:.2f} ms")
    print(f"  visible reply as expected: {figures['matched']}/{figures['cases']} ({figures['share']:.0%})")


if __name__ == "__main__":
    main()
