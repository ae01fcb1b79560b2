"""Response models: the shapes the staff API answers with, from which the OpenAPI document's
response schemas are generated (openapi_admin.shapes `_from_model`), as the request bodies' are.

Issue 12's first area: the audit trail (GET /admin/audit, GET /admin/audit/verify, and the whole
picture's history). The routes still build their answers as dicts (shaping.py `_event`); the
schemas generated here are the same as the hand-written ones they replace, and
tests/test_openapi_admin.py validates real answers against them. The other areas' schemas are
still written by hand in chalicelib/web/openapi_admin/.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.audit import AuditAction


class StaffAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AuditEvent(StaffAnswer):
    """One event of a referral's audit chain: ids and codes, never personal data."""

    sequence: Annotated[int, Field(ge=1)]
    action: AuditAction
    at: dt.datetime
    actor: str
    role: str
    request_id: str | None
    details: dict[str, str]


class AuditTrail(StaffAnswer):
    events: list[AuditEvent]


class ChainReport(StaffAnswer):
    """Whether a referral's audit chain is unbroken, and where it breaks if not."""

    intact: bool
    events: Annotated[int, Field(ge=0)]
    first_broken_sequence: int | None
    problem: str | None
