"""Local stage only: the case system's receiver, showing the exports the hub has dropped for it.

`make run` drops exports in the emulator's S3 (LOCAL_EXPORT_TARGET, the outbox sweep every few
seconds); this page lists what the "case system" has received there, newest first, each document in
full (all synthetic locally), and `/_local/exports.json` gives the same as JSON. app.py registers it
only when MASH_STAGE is 'local'.
"""

from __future__ import annotations

import json
from typing import Any

from chalice import Blueprint, Response

from chalicelib.domain.case_export import parse_target
from chalicelib.templating import render
from chalicelib.wiring import wiring

local_exports = Blueprint(__name__)

MAX_SHOWN = 50


def received_exports() -> list[dict[str, Any]]:
    """What the drop folder holds, newest first: key, when, and the document."""
    hub = wiring()
    target = hub.settings.case_export_target
    if target is None:
        return []
    kind, bucket, prefix = parse_target(target)
    if kind != "s3":
        return []  # an https:// receiver shows its own
    s3 = hub.aws_client("s3")
    try:
        objects = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    except s3.exceptions.NoSuchBucket:
        return []
    newest = sorted(objects, key=lambda o: o["LastModified"], reverse=True)[:MAX_SHOWN]
    return [
        {
            "key": o["Key"],
            "received_at": o["LastModified"].isoformat(timespec="seconds"),
            "document": json.loads(s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()),
        }
        for o in newest
    ]


@local_exports.route("/_local/exports", methods=["GET"])
def exports_page() -> Response:
    exports = received_exports()
    body = render(
        "local/exports.html",
        exports=[{**e, "pretty": json.dumps(e["document"], indent=2, ensure_ascii=False)} for e in exports],
        target=wiring().settings.case_export_target,
    )
    return Response(body=body, status_code=200, headers={"Content-Type": "text/html; charset=utf-8"})


@local_exports.route("/_local/exports.json", methods=["GET"])
def exports_json() -> Response:
    return Response(body={"exports": received_exports()}, status_code=200)
