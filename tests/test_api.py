"""POST /api/referrals over HTTP (chalice.test) with AWS under moto: responses and what was stored."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from tests.conftest import sent_emails, table_items
from tests.factories import EXAMPLE_NAMES, example, support_referral

JSON = {"Content-Type": "application/json"}


def post(client: Any, body: Any, headers: dict[str, str] | None = None) -> Any:
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.http.post("/api/referrals", headers={**JSON, **(headers or {})}, body=raw)


def answer(response: Any) -> dict[str, Any]:
    assert response.headers["Content-Type"].startswith("application/json")
    return json.loads(response.body)


def stored_referrals(aws: Any) -> list[dict[str, Any]]:
    return [item for item in table_items(aws) if item["sk"]["S"] == "REFERRAL"]


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_each_shared_example_is_accepted_stored_and_acknowledged(client: Any, aws: Any, name: str) -> None:
    # In MASH hours: out of hours a protection referral also alerts the EDT (tests/test_out_of_hours.py).
    aws.clock = lambda: dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
    response = post(client, example(name))
    assert response.status_code == 201
    body = answer(response)
    assert body["status"] == "received"
    assert len(body["reference"]) == 11
    [item] = stored_referrals(aws)
    assert item["reference"]["S"] == body["reference"]
    assert item["route"]["S"] == example(name)["route"]
    [email] = sent_emails(aws)
    assert email["To"] == example(name)["referrer"]["email"]
    assert body["reference"] in email["Subject"]
    assert item["notices"]["M"]["ack"]["M"]["status"]["S"] == "sent"


def test_acknowledgement_has_reference_and_contacts_but_no_family_details(client: Any, aws: Any) -> None:
    referral = example("referral-support.json")
    reference = answer(post(client, referral))["reference"]
    [email] = sent_emails(aws)
    text = email.get_body(("plain",)).get_content()
    html = email.get_body(("html",)).get_content()
    for body in (text, html):
        assert reference in body
        assert aws.settings.mash_phone_out_of_hours in body
        for private in ("Sam", "Testchild", "Alex Testparent", "E17 1AA", "hungry", "2017-03-14"):
            assert private not in body


def test_same_idempotency_key_and_body_give_the_same_referral(client: Any, aws: Any) -> None:
    first = post(client, example(), {"Idempotency-Key": "agency-42"})
    second = post(client, example(), {"Idempotency-Key": "agency-42"})
    assert (first.status_code, second.status_code) == (201, 200)
    assert answer(first)["reference"] == answer(second)["reference"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert len(stored_referrals(aws)) == 1
    assert len(sent_emails(aws)) == 1


def test_same_idempotency_key_with_another_body_is_refused(client: Any, aws: Any) -> None:
    post(client, example(), {"Idempotency-Key": "agency-43"})
    changed = support_referral(**{"concerns.description": "A different referral altogether."})
    response = post(client, changed, {"Idempotency-Key": "agency-43"})
    assert response.status_code == 422
    assert answer(response)["error"] == "idempotency_key_reused"
    assert len(stored_referrals(aws)) == 1


def test_without_a_key_each_post_is_a_new_referral(client: Any, aws: Any) -> None:
    references = {answer(post(client, example()))["reference"] for _ in range(3)}
    assert len(references) == 3
    assert len(stored_referrals(aws)) == 3


def test_immediate_risk_referral_is_stored_and_says_who_to_ring(client: Any, aws: Any) -> None:
    response = post(client, support_referral(immediate_risk=True))
    assert response.status_code == 201
    advice = answer(response)["immediate_risk_advice"]
    assert "ring 999" in advice and "101" in advice and aws.settings.mash_phone_out_of_hours in advice
    [item] = stored_referrals(aws)
    assert item["immediate_risk"]["BOOL"] is True


@pytest.mark.parametrize(
    ("body", "headers", "status", "code", "says"),
    [
        ("{not json", {}, 400, "malformed_json", "not valid JSON (line 1, column 2)"),
        (b"\xff\xfe", {}, 400, "malformed_json", "not valid JSON"),
        ("[1, 2]", {}, 422, "invalid_referral", "must be a JSON object"),
        (
            "route=support",
            {"Content-Type": "application/x-www-form-urlencoded"},
            415,
            "unsupported_media_type",
            "Content-Type: application/json",
        ),
        ("{}", {"Content-Type": "text/plain"}, 415, "unsupported_media_type", "Send the referral as JSON"),
        (
            json.dumps({"route": "support"}),
            {"Idempotency-Key": "has space"},
            400,
            "invalid_idempotency_key",
            "visible ASCII",
        ),
    ],
)
def test_bad_requests_get_a_clear_4xx_and_store_nothing(
    client: Any, aws: Any, body: Any, headers: dict, status: int, code: str, says: str
) -> None:
    response = post(client, body, headers)
    assert response.status_code == status
    problem = answer(response)
    assert problem["error"] == code
    assert says in problem["message"]
    assert stored_referrals(aws) == []


def test_body_over_the_limit_is_refused_with_413(client: Any, aws: Any) -> None:
    big = support_referral(**{"concerns.description": "x" * (aws.settings.max_body_bytes + 1)})
    response = post(client, big)
    assert response.status_code == 413
    assert "64 KiB" in answer(response)["message"]
    assert stored_referrals(aws) == []


def test_invalid_fields_get_422_with_one_entry_per_field(client: Any, aws: Any) -> None:
    broken = support_referral(
        route="urgent",
        **{
            "children.0.date_of_birth": "2999-01-01",
            "concerns.description": "x" * 5001,
            "referrer.email": "not-an-email",
        },
    )
    response = post(client, broken)
    assert response.status_code == 422
    errors = {e["field"]: e["message"] for e in answer(response)["errors"]}
    assert set(errors) == {"route", "children.0.date_of_birth", "concerns.description", "referrer.email"}
    assert errors["children.0.date_of_birth"].startswith("Date of birth must be today or in the past")
    assert errors["concerns.description"] == "What is happening must be 5000 characters or fewer"
    assert stored_referrals(aws) == []


def test_openapi_document_describes_the_referral_and_its_errors(client: Any) -> None:
    response = client.http.get("/api/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.body)
    operation = document["paths"]["/api/referrals"]["post"]
    assert set(operation["responses"]) >= {"200", "201", "400", "413", "415", "422", "503"}
    schema = document["components"]["schemas"]["ReferralSubmission"]
    assert set(schema["required"]) == {"route", "immediate_risk", "referrer", "children", "concerns"}
    assert "Child" in document["components"]["schemas"]


def test_every_example_validates_against_the_openapi_schema(client: Any) -> None:
    from jsonschema import Draft202012Validator

    document = json.loads(client.http.get("/api/openapi.json").body)
    schema = {**document["components"]["schemas"]["ReferralSubmission"], "components": document["components"]}
    validator = Draft202012Validator(schema)
    for name in EXAMPLE_NAMES:
        assert list(validator.iter_errors(example(name))) == []


def test_openapi_document_is_valid_openapi_3_1(client: Any) -> None:
    from openapi_spec_validator import validate

    validate(json.loads(client.http.get("/api/openapi.json").body))


def test_receipts_and_refusals_answer_as_the_openapi_document_says(client: Any) -> None:
    """The public answers' schemas are generated from models (chalicelib/web/api_responses.py): real
    answers, with and without the immediate-risk advice, and a refusal with field errors, match them."""
    from tests.test_openapi_admin import Conformance

    conforms = Conformance(json.loads(client.http.get("/api/openapi.json").body))
    conforms.check("POST", "/api/referrals", post(client, example()))
    conforms.check("POST", "/api/referrals", post(client, support_referral(immediate_risk=True)))
    conforms.check("POST", "/api/referrals", post(client, {"route": "urgent"}))
    conforms.check("POST", "/api/referrals", post(client, "{not json"))
    assert conforms.checked == {"POST /api/referrals 201", "POST /api/referrals 422", "POST /api/referrals 400"}


@pytest.mark.usefixtures("issuer")
def test_a_repeat_after_screening_answers_where_the_referral_stands_as_the_document_says(
    client: Any, aws: Any, staff: Any
) -> None:
    import jsonschema

    first = answer(post(client, example(), {"Idempotency-Key": "agency-43"}))
    screened = staff(
        "practitioner",
        "POST",
        f"/admin/referrals/{first['reference']}/screening",
        {"rag": "amber", "level": 3, "rationale": "Synthetic rationale"},
    )
    assert screened.status_code == 200, screened.body

    repeat = post(client, example(), {"Idempotency-Key": "agency-43"})

    assert repeat.status_code == 200
    assert answer(repeat)["reference"] == first["reference"]
    assert answer(repeat)["status"] == "screened"
    document = json.loads(client.http.get("/api/openapi.json").body)
    schema = {**document["components"]["schemas"]["Receipt"], "components": document["components"]}
    # The Receipt schema's $refs point into #/components: carried along, they resolve.
    jsonschema.validate(answer(repeat), schema)
