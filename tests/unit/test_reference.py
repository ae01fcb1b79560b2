from __future__ import annotations

import re

from chalicelib.domain.reference import ALPHABET, new_reference, normalise, reference_for_key

SHAPE = re.compile(r"^[2-9A-HJKMNP-TV-Z]{3}-[2-9A-HJKMNP-TV-Z]{3}-[2-9A-HJKMNP-TV-Z]{3}$")


def test_alphabet_has_no_characters_that_sound_or_look_alike() -> None:
    assert not set("01ILOU") & set(ALPHABET)


def test_new_references_are_readable_and_do_not_repeat() -> None:
    references = [new_reference() for _ in range(2000)]
    assert all(SHAPE.match(reference) for reference in references)
    assert len(set(references)) == len(references)


def test_new_references_are_not_sequential() -> None:
    first, second = new_reference(), new_reference()
    differing = sum(a != b for a, b in zip(first, second, strict=True))
    assert differing >= 3  # ~1e-9 chance of a false failure for random draws


def test_same_idempotency_key_gives_the_same_reference_and_a_clash_moves_on() -> None:
    assert reference_for_key("s", "key-1") == reference_for_key("s", "key-1")
    assert reference_for_key("s", "key-1") != reference_for_key("s", "key-1", attempt=1)
    assert reference_for_key("s", "key-1") != reference_for_key("other-secret", "key-1")
    assert SHAPE.match(reference_for_key("s", "key-1"))


def test_what_a_person_types_is_understood() -> None:
    assert normalise(" k7q f3m-rw9 ") == "K7Q-F3M-RW9"
    assert normalise("K7QF3MRW9") == "K7Q-F3M-RW9"
    assert normalise("K7Q-F3M-RW") is None
    assert normalise("O7Q-F3M-RW9") is None
