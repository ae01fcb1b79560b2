"""Precision and recall of name search on a synthetic set of referrals with typed variants.

Deterministic (a seeded generator): children with names from several languages, each referral
indexed exactly as the hub indexes it (`search_terms.referral_terms`), then searched with names
typed as people type them (`search_terms.search_query`); a referral is found when it holds every
term of the search, as the index's intersection finds it. The expected matches come from the
generator's ground truth: the referrals whose child has exactly that name (or that surname).
Hashing with the blind-index key maps terms one to one, so it does not change these figures.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from chalicelib.domain.referral import ReferralSubmission
from chalicelib.domain.search_terms import referral_terms, search_query
from tests.factories import support_referral

FIRST_NAMES = [
    "Oliwia", "Zofia", "Łucja", "Mikołaj", "Kübra", "Çağla", "İbrahim", "Yiğit", "Thị Mai", "Đức",
    "Seán", "Aoife", "Siobhán", "Søren", "Åsa", "Björk", "Jürgen", "Zoë", "Mary-Ann", "Chloé",
    "Noah", "Amelia", "Muhammad", "Aarav", "Isla",
]  # fmt: skip
LAST_NAMES = [
    "Łukasiewicz", "Wójcik", "Szczęsna", "Nowak", "Öztürk", "Yıldız", "Çelik", "Nguyễn", "Trần", "Đặng",
    "O'Brien", "Ó Briain", "Mac Giolla Phádraig", "Ørsted", "Ægirsdóttir", "Þórsson", "Müller", "Straße",
    "Smith-Jones", "Jones", "Smith", "Khan", "Patel", "Dvořák", "Muller",
]  # fmt: skip
# What a plain keyboard gives for letters people cannot type (the generator's model of typing, not the hub's).
PLAIN = str.maketrans("ŁłØøÆæÐðÞþßİı", "LlOoAaDdTtsIi") | {ord("Æ"): "AE", ord("ß"): "ss", ord("Þ"): "Th"}


def _without_marks(text: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text.translate(PLAIN))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _typo(text: str) -> str:
    # Two neighbouring letters swapped somewhere in the middle: a real typo.
    middle = len(text) // 2
    return text[: middle - 1] + text[middle] + text[middle - 1] + text[middle + 1 :]


# name -> what is typed; True where the folding is meant to catch it (counted in the stated recall).
VARIANTS: dict[str, tuple[Callable[[str, str], str], bool]] = {
    "as written": (lambda first, last: f"{first} {last}", True),
    "lower case": (lambda first, last: f"{first} {last}".lower(), True),
    "upper case": (lambda first, last: f"{first} {last}".upper(), True),
    "no accents or special letters": (lambda first, last: _without_marks(f"{first} {last}"), True),
    "hyphens and apostrophes dropped": (
        lambda first, last: f"{first} {last}".replace("-", " ").replace("'", "").replace("’", ""),
        True,
    ),
    "surname first": (lambda first, last: f"{_without_marks(last)}, {first}", True),
    "surname alone, plain": (lambda first, last: _without_marks(last).lower(), True),
    "German ue for ü": (lambda first, last: f"{first} {last}".replace("ü", "ue").replace("ö", "oe"), False),
    "one typo": (lambda first, last: _typo(f"{first} {last}"), False),
}


@dataclass(frozen=True)
class Quality:
    referrals: int
    searches: int
    precision: float
    recall: float  # over the variants folding is meant to catch
    recall_by_variant: dict[str, float]


def measure(referral_count: int = 1000, seed: int = 13) -> Quality:
    generator = random.Random(seed)  # noqa: S311 - a repeatable synthetic set, not a secret
    people: dict[str, tuple[str, str]] = {}
    index: dict[str, set[str]] = defaultdict(set)
    template = support_referral()
    for number in range(referral_count):
        reference = f"{number:09d}"
        first, last = generator.choice(FIRST_NAMES), generator.choice(LAST_NAMES)
        born = dt.date(2008, 1, 1) + dt.timedelta(days=generator.randrange(365 * 17))
        template["children"][0].update(first_name=first, last_name=last, date_of_birth=born.isoformat())
        reference = _format(reference)
        for term in referral_terms(reference, ReferralSubmission.model_validate(template)):
            index[term].add(reference)
        people[reference] = (first, last)
    by_name, by_surname = defaultdict(set), defaultdict(set)
    for reference, (first, last) in people.items():
        by_name[(first, last)].add(reference)
        by_surname[last].add(reference)
    found_right = found_all = expected_all = 0
    hits: dict[str, list[int]] = {name: [0, 0] for name in VARIANTS}
    searches = 0
    for (first, last), expected_refs in sorted(by_name.items()):
        for variant, (typed, _) in VARIANTS.items():
            expected = by_surname[last] if variant.startswith("surname alone") else expected_refs
            query = search_query(name=typed(first, last))
            found = set.intersection(*(index.get(term, set()) for term in query.terms))
            searches += 1
            hits[variant][0] += len(found & expected)
            hits[variant][1] += len(expected)
            if VARIANTS[variant][1]:
                found_right += len(found & expected)
                found_all += len(found)
                expected_all += len(expected)
    return Quality(
        referrals=referral_count,
        searches=searches,
        precision=found_right / found_all if found_all else 1.0,
        recall=found_right / expected_all,
        recall_by_variant={name: right / total for name, (right, total) in hits.items()},
    )


def _format(number: str) -> str:
    # A reference-shaped string: the generator's own, never drawn by the hub.
    return f"{number[:3]}-{number[3:6]}-{number[6:]}"


def report() -> None:
    quality = measure()
    print(f"(s) Name search on {quality.referrals} synthetic referrals, {quality.searches} searches")
    print(f"  {'precision (variants folding catches)':<50} {quality.precision:.3f}")
    print(f"  {'recall (variants folding catches)':<50} {quality.recall:.3f}")
    for name, recall in quality.recall_by_variant.items():
        print(f"    recall, {name:<42} {recall:.3f}")


if __name__ == "__main__":
    report()
