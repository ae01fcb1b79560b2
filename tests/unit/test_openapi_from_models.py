"""The audit trail's response schemas are generated from pydantic models (issue 12), in the document's
own form: the same as the hand-written `_object` schemas they replaced, so the document is unchanged."""

from __future__ import annotations

import json

from chalicelib.domain.audit import AuditAction
from chalicelib.web.admin import responses
from chalicelib.web.openapi_admin import _enum, _from_model, _nullable, _object, _ref


def test_a_generated_schema_is_the_hand_written_one_byte_for_byte() -> None:
    written = _object(
        {
            "intact": {"type": "boolean"},
            "events": {"type": "integer", "minimum": 0},
            "first_broken_sequence": _nullable({"type": "integer"}),
            "problem": _nullable({"type": "string"}),
        }
    )
    assert json.dumps(_from_model(responses.ChainReport)) == json.dumps(written)


def test_enums_are_inline_and_sorted_and_nested_models_are_references() -> None:
    event = _from_model(responses.AuditEvent)
    assert event["properties"]["action"] == _enum(AuditAction)
    assert event["properties"]["at"] == {"type": "string", "format": "date-time"}
    assert event["additionalProperties"] is False
    assert "title" not in json.dumps(event)
    trail = _from_model(responses.AuditTrail)
    assert trail["properties"]["events"] == {"type": "array", "items": _ref("AuditEvent")}
