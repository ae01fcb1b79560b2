"""Structured logs (Powertools), built on first use to keep the cold start lean.

Log ids and outcomes only: never names, dates of birth, addresses, emails or concern text.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def _logger() -> Any:
    from aws_lambda_powertools import Logger

    return Logger(service="mash-hub")


class _LazyLogger:
    def __getattr__(self, name: str) -> Any:
        return getattr(_logger(), name)


logger: Any = _LazyLogger()
