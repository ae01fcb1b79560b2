"""The OpenAPI document's schemas are generated from pydantic models (issue 12): request bodies as read,
answers as written, each model's $defs lifted into components/schemas and its references pointing there."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from chalicelib.web.admin import responses
from chalicelib.web.admin.responses_picture import ReferralPicture
from chalicelib.web.admin.responses_reports import TimelinessReport
from chalicelib.web.openapi_admin import add_schemas, admin_routes, admin_schemas, model_schemas


def test_a_models_defs_are_lifted_beside_it_and_its_references_point_there() -> None:
    schemas = model_schemas([responses.AuditTrail], "serialization")
    assert set(schemas) == {"AuditTrail", "AuditEvent", "AuditAction"}
    assert schemas["AuditTrail"]["properties"]["events"]["items"] == {"$ref": "#/components/schemas/AuditEvent"}
    assert schemas["AuditEvent"]["properties"]["action"] == {"$ref": "#/components/schemas/AuditAction"}
    assert schemas["AuditEvent"]["additionalProperties"] is False
    assert schemas["AuditEvent"]["properties"]["at"]["format"] == "date-time"
    assert "$defs" not in json.dumps(schemas)


def test_the_whole_pictures_submission_is_the_public_apis_referral() -> None:
    schemas = model_schemas([ReferralPicture], "serialization")
    assert schemas["ReferralPicture"]["properties"]["submission"]["$ref"] == "#/components/schemas/ReferralSubmission"
    assert "x-ref" not in json.dumps(schemas)


def test_two_different_schemas_under_one_name_are_refused() -> None:
    components = {"Thing": {"type": "string"}}
    add_schemas(components, {"Thing": {"type": "string"}})  # the same shape twice is one component
    with pytest.raises(ValueError, match="Thing"):
        add_schemas(components, {"Thing": {"type": "integer"}})


def test_every_row_of_the_table_names_models_and_every_model_is_a_component() -> None:
    schemas = admin_schemas()
    for route in admin_routes():
        models: list[type[BaseModel]] = [route.answer, *([route.body] if route.body else [])]
        for model in models:
            assert model.__name__ in schemas, f"{route.method} {route.path}: {model.__name__}"


def test_the_timeliness_reports_rows_follow_the_domains_dataclasses() -> None:
    from dataclasses import fields

    from chalicelib.domain.timeliness import RagRow

    schema = model_schemas([TimelinessReport], "serialization")
    assert list(schema["TimelinessRagRow"]["properties"]) == [f.name for f in fields(RagRow)]
    assert set(schema["TimelinessReport"]["properties"]) >= {"from", "to"}


def test_an_answer_that_drifts_from_its_model_fails_locally_and_is_logged_not_refused_when_deployed(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from chalicelib import wiring as wiring_module
    from chalicelib.settings import Settings
    from chalicelib.web.admin.responses import WhoAmI
    from chalicelib.web.admin.shaping import shaped

    drifted = {"id": "synthetic-staff-id", "roles": ["mash-practitioner"], "surprise": "K7Q-F3M-RW9"}
    try:
        wiring_module.reset(Settings(stage="local"))
        with pytest.raises(ValueError):
            shaped(WhoAmI, drifted)

        monkeypatch.setattr(
            wiring_module, "_current", wiring_module.Wiring(settings=Settings.model_construct(stage="production"))
        )
        with caplog.at_level("ERROR"):
            assert shaped(WhoAmI, drifted) == drifted
        logged = " ".join(str(record.__dict__) for record in caplog.records)
        assert "answer does not match its model" in logged and "surprise" in logged
        assert "K7Q-F3M-RW9" not in logged
    finally:
        wiring_module.reset()
