"""The answer to a manager's request for an export to the case-management system."""

from __future__ import annotations

from typing import Literal

from chalicelib.web.admin.responses import DateTime, StaffAnswer


class CaseExportOwed(StaffAnswer):
    reference: str
    export_id: str  # the receiver's idempotency key, and the drop folder's file name
    status: Literal["pending"]  # owed: the outbox sweep delivers it within a minute or two
    owed_at: DateTime
    schema_url: str  # the document's JSON Schema
