"""What a referral is found by, and what a search asks for: plain terms, hashed before storage.

A referral is indexed under terms for the child's and every named adult's name (whole, first
name alone, surname alone, surname first), each child's date of birth and its year-month ("born
March 2019"), every postcode and the reference. Names are folded as people type them
(`name_folding`). The adapters store only keyed hashes of these terms (`blind_index`), never the
terms, and nothing here is ever logged.

A search gives a name, a date of birth, a postcode or a reference, alone or together; a referral
is found when it holds every term asked for. A search too broad to be useful (a name of one letter,
a bare year, a year-month alone) is refused with what to add (`SearchTooBroad`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from chalicelib.domain.name_folding import fold_name
from chalicelib.domain.reference import normalise as normalise_reference
from chalicelib.domain.referral import POSTCODE_PATTERN, ReferralSubmission

# At most this many terms per referral: each is one index entry written with the referral in
# one transaction (DynamoDB's limit is 100 items), and deleted with it by retention. Children's
# terms come first, so only a referral naming dozens of adults loses any (its last adults').
MAX_TERMS_PER_REFERRAL = 40
MIN_NAME_LETTERS = 2
_SEPARATOR = "\x1f"
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_WORDS = re.compile(r"[\s\-‐-―]+")


class SearchRefused(Exception):
    """A search that cannot be run as asked: the message says what to change (no term echoed)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class SearchTooBroad(SearchRefused):
    """A search that would match too many referrals to be useful."""


@dataclass(frozen=True)
class SearchQuery:
    """The terms of one search, and which kinds were asked for (for the audit: kinds, never terms)."""

    terms: tuple[str, ...]
    kinds: tuple[str, ...]


def name_term(folded: str) -> str:
    return f"name{_SEPARATOR}{folded}"


def referral_terms(reference: str, submission: ReferralSubmission) -> tuple[str, ...]:
    """Every term a referral is found by, children's first, without repeats, at most MAX_TERMS."""
    terms: list[str] = [f"ref{_SEPARATOR}{reference}"]
    postcodes: list[str] = []
    for child in submission.children:
        terms += _given_and_family_terms(child.first_name, child.last_name)
        if child.date_of_birth is not None:
            terms += [_date_term(child.date_of_birth), _month_term(child.date_of_birth)]
        postcodes.append(child.address.postcode)
    adults = [p.name for p in submission.parents_carers]
    adults += [p.name for p in submission.household_members]
    adults += [p.name for p in submission.people_posing_risk if p.name]
    for parent in submission.parents_carers:
        if parent.address is not None:
            postcodes.append(parent.address.postcode)
    for person in submission.people_posing_risk:
        if person.address is not None:
            postcodes.append(person.address.postcode)
    terms += [_postcode_term(postcode) for postcode in postcodes]
    for name in adults:
        terms += _whole_name_terms(name)
    unique = [term for term in dict.fromkeys(terms) if not term.endswith(_SEPARATOR)]
    return tuple(unique[:MAX_TERMS_PER_REFERRAL])


def search_card(submission: ReferralSubmission) -> list[dict[str, str | None]]:
    """What a search result shows to recognise the family: each child's first name and date of birth."""
    return [
        {
            "first_name": child.first_name,
            "date_of_birth": child.date_of_birth.isoformat() if child.date_of_birth else None,
        }
        for child in submission.children
    ]


def search_query(
    *, name: str | None = None, dob: str | None = None, postcode: str | None = None, reference: str | None = None
) -> SearchQuery:
    """The terms of a search as typed; SearchRefused (or SearchTooBroad) says what to change."""
    terms: list[str] = []
    kinds: list[str] = []
    month_only = False
    if name is not None and name.strip():
        folded = fold_name(name)
        if len(folded) < MIN_NAME_LETTERS:
            raise SearchTooBroad(
                "name_too_short", f"Type at least {MIN_NAME_LETTERS} letters of a name, or search by another detail"
            )
        terms.append(name_term(folded))
        kinds.append("name")
    if dob is not None and dob.strip():
        term, month_only = _dob_term(dob.strip())
        terms.append(term)
        kinds.append("dob")
    if postcode is not None and postcode.strip():
        typed = postcode.strip()
        if not POSTCODE_PATTERN.match(typed) and not POSTCODE_PATTERN.match(typed.replace(" ", "")):
            raise SearchRefused("invalid_postcode", "Type the whole postcode, like E17 1AA")
        terms.append(_postcode_term(typed))
        kinds.append("postcode")
    if reference is not None and reference.strip():
        normalised = normalise_reference(reference)
        if normalised is None:
            raise SearchRefused("invalid_reference", "Type the whole reference, like K7Q-F3M-RW9")
        terms.append(f"ref{_SEPARATOR}{normalised}")
        kinds.append("reference")
    if not terms:
        raise SearchRefused(
            "search_empty", "Search by at least one of: name, dob (date of birth), postcode or reference"
        )
    if month_only and len(terms) == 1:
        raise SearchTooBroad(
            "search_too_broad", "A month of birth alone matches too many children: add a name or a postcode"
        )
    return SearchQuery(tuple(terms), tuple(kinds))


def _dob_term(typed: str) -> tuple[str, bool]:
    month = _YEAR_MONTH.match(typed)
    if month and 1 <= int(month.group(2)) <= 12:
        return f"month{_SEPARATOR}{typed}", True
    if typed.isascii() and typed.isdigit() and len(typed) == 4:
        raise SearchTooBroad(
            "search_too_broad", "A year of birth matches too many children: add the month, like 2019-03, and a name"
        )
    try:
        return _date_term(dt.date.fromisoformat(typed)), False
    except ValueError:
        raise SearchRefused(
            "invalid_dob", "Type the date of birth as year-month-day, like 2019-03-14, or year-month, like 2019-03"
        ) from None


def _given_and_family_terms(first: str, last: str) -> list[str]:
    given, family = fold_name(first), fold_name(last)
    terms = [given + family, given, family, family + given]
    # Each part of a double-barrelled surname alone too: Łukasiewicz-Nowak is found as Nowak.
    parts = [fold_name(part) for part in _WORDS.split(last)]
    if len(parts) > 1:
        terms += parts
    return [name_term(term) for term in terms if len(term) >= MIN_NAME_LETTERS]


def _whole_name_terms(name: str) -> list[str]:
    """An adult's name is one field: the first word is taken as the given name, the rest as the surname."""
    words = [word for word in name.split() if fold_name(word)]
    if len(words) < 2:
        return [name_term(folded)] if len(folded := fold_name(name)) >= MIN_NAME_LETTERS else []
    return _given_and_family_terms(words[0], " ".join(words[1:]))


def _date_term(born: dt.date) -> str:
    return f"dob{_SEPARATOR}{born.isoformat()}"


def _month_term(born: dt.date) -> str:
    return f"month{_SEPARATOR}{born.isoformat()[:7]}"


def _postcode_term(postcode: str) -> str:
    return f"postcode{_SEPARATOR}{postcode.replace(' ', '').upper()}"
