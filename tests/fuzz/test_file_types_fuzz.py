"""The file-type checks on damaged and spliced files: they answer a kept type or None, never raise
(an exception in the uploads or inbound handler would retry the message until it is dropped)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from chalicelib.domain.file_types import KEPT_TYPES, detect
from tests import samples
from tests.fuzz.conftest import fuzz_examples

SEEDS = [
    samples.pdf(),
    samples.docx(),
    samples.png(),
    samples.jpeg(),
    samples.TEXT,
    samples.HTA,
    samples.PDF_HTML_POLYGLOT,
    samples.jar_with_word_entry(),
    samples.docm_with_renamed_vba(),
]


@st.composite
def damaged(draw: Any) -> bytes:
    """A seed file with bytes changed, cut short, or another file's bytes spliced in."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        at = draw(st.integers(min_value=0, max_value=max(0, len(data) - 1)))
        kind = draw(st.sampled_from(["flip", "cut", "splice"]))
        if kind == "flip" and data:
            data[at] = draw(st.integers(min_value=0, max_value=255))
        elif kind == "cut":
            del data[at:]
        else:
            data[at:at] = draw(st.sampled_from(SEEDS))[: draw(st.integers(min_value=1, max_value=64))]
    return bytes(data)


def test_a_damaged_file_is_told_or_refused_never_an_error() -> None:
    @settings(
        max_examples=fuzz_examples(200),
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(data=damaged())
    def check(data: bytes) -> None:
        found = detect(data)  # raising fails the test
        assert found is None or found in KEPT_TYPES

    check()
