"""The independent reply corpus (tests/reply_corpus, issue 15): every case, the overall and per-category shares, and
the corpus's own bookkeeping (licence and source per file, no held-out fixtures)."""

from __future__ import annotations

import json

import pytest

from bench import reply_corpus
from chalicelib.mail import inbound

CASES = reply_corpus.cases()
BY_ID = {case.id: case for case in CASES}
_replies: dict[str, str] = {}


def reply(case_id: str) -> str:
    if case_id not in _replies:
        _replies[case_id] = inbound.parse_message(BY_ID[case_id].raw).reply_text
    return _replies[case_id]


def test_the_corpus_has_at_least_100_replies_from_several_other_projects() -> None:
    external = [case for case in CASES if case.source != "this project"]
    assert len(external) >= 100
    assert len({case.source for case in external}) >= 4


def test_every_case_records_its_source_licence_and_categories_and_the_readme_lists_it() -> None:
    readme = (reply_corpus.CORPUS / "README.md").read_text(encoding="utf-8")
    entries = json.loads((reply_corpus.CORPUS / "cases.json").read_text(encoding="utf-8"))
    for entry in entries:
        assert entry["licence"] in {"MIT", "this project"}, entry["id"]
        assert entry["categories"], entry["id"]
        assert f"`{entry['file']}`" in readme, entry["id"]
        if entry["source"] != "this project":
            assert entry["upstream"].startswith(("test/", "tests/")), entry["id"]
            assert entry["source"] in readme
    for source in {entry["source"] for entry in entries} - {"this project"}:
        assert any((reply_corpus.CORPUS / "LICENSES").glob(source.replace("/", "-") + ".txt")), (
            f"no licence text for {source}"
        )


def test_no_held_out_fixtures_are_in_the_corpus() -> None:
    # talon, github/email_reply_parser and zapier/email-reply-parser are kept aside to check the result.
    held_out = ("mailgun/talon", "github/email_reply_parser", "zapier/email-reply-parser")
    assert not [case.id for case in CASES if case.source in held_out]


@pytest.mark.parametrize("case_id", sorted(BY_ID))
def test_the_visible_reply_is_as_written_down(case_id: str) -> None:
    assert reply_corpus.same(reply(case_id), BY_ID[case_id].expected), reply(case_id)


def test_the_share_is_at_least_95_percent_and_every_category_at_least_90() -> None:
    result = reply_corpus.score(reply_corpus.ours, CASES)
    assert result.crashed == 0
    assert result.share >= 0.95, result.misses
    low = {name: counts for name, counts in result.per_category.items() if counts[0] / counts[1] < 0.9}
    assert not low, low


def test_every_category_the_issue_names_has_cases() -> None:
    categories = {name for case in CASES for name in case.categories}
    needed = {
        "top",
        "bottom",
        "inline",
        "forward",
        "signature",
        "tagline",
        "disclaimer",
        "indentation",
        "flowed",
        "html",
    }
    needed |= {"outlook", "gmail", "apple", "thunderbird", "yahoo", "android", "ios"}
    languages = [
        "en",
        "cy",
        "pl",
        "ro",
        "lt",
        "pt",
        "es",
        "it",
        "fr",
        "de",
        "nl",
        "tr",
        "ru",
        "uk",
        "bg",
        "ur",
        "bn",
        "ar",
    ]
    needed |= {f"lang:{code}" for code in languages if code != "en"}
    assert needed <= categories, needed - categories
