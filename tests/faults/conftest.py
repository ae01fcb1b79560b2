"""The fault suite's fixtures: one staff token issuer for the whole session."""

from __future__ import annotations

from typing import Any

import pytest

from tests.staff_issuer import issuer_in


@pytest.fixture(scope="session")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Any:

    return issuer_in(tmp_path_factory.mktemp("fault-issuer"))


@pytest.fixture(scope="session")
def jwks_path(issuer: Any) -> str:
    return str(issuer.jwks_path)
