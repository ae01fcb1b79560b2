"""Response models for /admin/reports/ (admin_reports.py): the timeliness report.

Its rows are the domain's dataclasses (chalicelib/domain/timeliness.py): their models are made from
their fields, so a figure added there is in the model, and the document, without an edit here.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Annotated, Any, Literal

from pydantic import Field, create_model

from chalicelib.domain.timeliness import AgencyRow, NoticeRow, RagRow
from chalicelib.web.admin.responses import Count, Date, DateTime, StaffAnswer

_FIELD_TYPES: dict[str, Any] = {
    "int": Count,
    "str": str,
    "float | None": Annotated[float, Field(ge=0)] | None,
}


def _row_model(name: str, row: type) -> type[StaffAnswer]:
    return create_model(  # type: ignore[call-overload]
        name, __base__=StaffAnswer, **{f.name: (_FIELD_TYPES[str(f.type)], ...) for f in fields(row)}
    )


TimelinessRagRow = _row_model("TimelinessRagRow", RagRow)
TimelinessAgencyRow = _row_model("TimelinessAgencyRow", AgencyRow)
TimelinessNoticeRow = _row_model("TimelinessNoticeRow", NoticeRow)


class TimelinessReferrals(StaffAnswer):
    by_rag: list[TimelinessRagRow]  # type: ignore[valid-type]
    total: TimelinessRagRow  # type: ignore[valid-type]


class TimelinessReport(StaffAnswer):
    # "from" is a Python keyword: the field is named by its alias.
    date_from: Date = Field(alias="from")
    date_to: Date = Field(alias="to")
    timezone: Literal["Europe/London"]
    generated_at: DateTime
    referrals: TimelinessReferrals
    agencies: list[TimelinessAgencyRow]  # type: ignore[valid-type]
    notices: list[TimelinessNoticeRow]  # type: ignore[valid-type]
