"""A report as a download: one CSV answer for the staff API and the console alike."""

from __future__ import annotations

import datetime as dt

from chalice import Response


def csv_download(kind: str, date_from: dt.date, date_to: dt.date, body: str) -> Response:
    """`mash-<kind>-<from>-to-<to>.csv`, never cached (it is about the council's referrals)."""
    name = f"mash-{kind}-{date_from.isoformat()}-to-{date_to.isoformat()}.csv"
    return Response(
        body=body,
        status_code=200,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
