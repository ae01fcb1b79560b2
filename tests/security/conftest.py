"""Helpers the security tests share."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import table_items

# Items that say nothing about a referral: rate-limit counters (a keyed hash and a count).
NOT_RECORDS = ("RATE#",)


def stored_records(hub: Any) -> list[dict[str, Any]]:
    """Every item in the table except rate-limit counters: what a refused request must not add."""
    return [item for item in table_items(hub) if not item["pk"]["S"].startswith(NOT_RECORDS)]


@pytest.fixture
def browser(client: Any) -> Any:
    from tests.test_public_form import Browser

    return Browser(client)
