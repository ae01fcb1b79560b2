"""Response models for /admin/reports/ (admin_reports.py): the timeliness and performance reports.

Its rows are the domain's dataclasses (chalicelib/domain/timeliness.py): their models are made from
their fields, so a figure added there is in the model, and the document, without an edit here.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, create_model

from chalicelib.domain.performance import CodeCount, PeriodFigures
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


# --- the performance report (chalicelib/domain/performance.py) -------------------------------------

PerformancePeriod = _row_model("PerformancePeriod", PeriodFigures)
PerformanceCodeCount = _row_model("PerformanceCodeCount", CodeCount)


class PerformanceReport(StaffAnswer):
    model_config = ConfigDict(extra="forbid", serialize_by_alias=True, defer_build=True)

    date_from: Date = Field(alias="from")
    date_to: Date = Field(alias="to")
    timezone: Literal["Europe/London"]
    generated_at: DateTime
    total: PerformancePeriod  # type: ignore[valid-type]
    months: list[PerformancePeriod]  # type: ignore[valid-type]
    outcomes: list[PerformanceCodeCount]  # type: ignore[valid-type]
    sources: list[PerformanceCodeCount]  # type: ignore[valid-type]
    routes: list[PerformanceCodeCount]  # type: ignore[valid-type]
    advice_outcomes: list[PerformanceCodeCount]  # type: ignore[valid-type]
    advice_callers: list[PerformanceCodeCount] = Field(  # type: ignore[valid-type]
        description="Advice calls by who called: code professional or public, each as a share of all calls"
    )
