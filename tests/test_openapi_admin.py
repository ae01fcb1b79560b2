"""The OpenAPI document covers every JSON route, and real answers match what it says."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from chalicelib.domain.staff import Role
from local.issuer import SYNTHETIC_STAFF, LocalIssuer, SyntheticStaff
from tests.factories import example, protection_referral
from tests.staff_issuer import issuer_in

# The JSON API lives under these prefixes; everything else is HTML (the form) or files.
DOCUMENTED_PREFIXES = ("/api/", "/admin/")
SECOND_MANAGER = SyntheticStaff(
    "0b6f7c1e-0000-4000-8000-000000000005", "Rowan Manager", "rowan.manager@mash.example", Role.MANAGER
)


@pytest.fixture(autouse=True)
def issuer(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> LocalIssuer:
    # autouse: it must set the JWKS path before `aws` reads the settings.
    issuer = issuer_in(tmp_path_factory.mktemp("issuer"))
    monkeypatch.setenv("MASH_LOCAL_JWKS_PATH", str(issuer.jwks_path))
    return issuer


@pytest.fixture
def document(client: Any) -> dict[str, Any]:
    return json.loads(client.http.get("/api/openapi.json").body)


def documented_operations(document: dict[str, Any]) -> set[str]:
    return {f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item}


def json_routes() -> set[str]:
    from app import app

    return {
        f"{method} {path}"
        for path, entries in app.routes.items()
        if path.startswith(DOCUMENTED_PREFIXES)
        if not path.endswith("{proxy+}")  # the catch-all "not found" answer is not an operation
        for method in entries
    }


def test_every_json_route_is_documented_and_every_documented_route_exists(document: dict[str, Any]) -> None:
    assert documented_operations(document) == json_routes()


def test_each_row_of_the_staff_table_is_the_route_the_app_serves() -> None:
    """A row names its view (its roles come from it): the view the app runs for that path and method."""
    from app import app
    from chalicelib.web.openapi_admin import admin_routes

    rows = {(row.path, row.method): row.view for row in admin_routes()}
    served = {
        (path, method): entry.view_function
        for path, entries in app.routes.items()
        if path.startswith("/admin/")
        for method, entry in entries.items()
    }
    assert rows == served


def test_every_schema_reference_names_a_component(document: dict[str, Any]) -> None:
    names = set(document["components"]["schemas"])
    referenced = {
        ref.rsplit("/", 1)[1] for ref in re.findall(r'"\$ref": "(#/components/schemas/[^"]+)"', json.dumps(document))
    }
    assert referenced - names == set()


def test_each_staff_operation_names_the_roles_its_route_declares(document: dict[str, Any]) -> None:
    from app import app
    from chalicelib.web.auth import declared_roles

    for path, entries in app.routes.items():
        for method, entry in entries.items():
            if path.startswith("/admin/"):
                operation = document["paths"][path][method.lower()]
                declared = sorted(role.value for role in declared_roles(entry.view_function) or ())
                assert operation["x-roles"] == declared, f"{method} {path}"
                assert operation["security"] == [{"bearerAuth": []}]
                assert {"401", "403", "503"} <= set(operation["responses"])


def test_staff_request_bodies_are_the_pydantic_models_schemas(document: dict[str, Any]) -> None:
    from chalicelib.web.admin import ApprovalRequest, DecisionRequest, ScreeningRequest

    schemas = document["components"]["schemas"]
    for model in (ScreeningRequest, DecisionRequest, ApprovalRequest):
        expected = model.model_json_schema(ref_template="#/components/schemas/{model}")
        expected.pop("$defs", None)
        assert schemas[model.__name__] == expected
    assert document["components"]["securitySchemes"]["bearerAuth"]["bearerFormat"] == "JWT"


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    from openapi_spec_validator import validate

    validate(document)


# --- real answers against the document ---------------------------------------------------------


class Conformance:
    """Checks an answer against the document: status documented, JSON, body matches the schema."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.checked: set[str] = set()

    def check(self, method: str, template: str, response: Any) -> Any:
        responses = self.document["paths"][template][method.lower()]["responses"]
        status = str(response.status_code)
        assert status in responses, f"{method} {template} answered {status}, not documented: {response.body!r}"
        # Chalice's local gateway sends its own 401 (no Authorization header) with no Content-Type;
        # API Gateway sends it as application/json. Our own answers always say JSON.
        content_type = response.headers.get("Content-Type", "application/json" if status == "401" else "")
        assert content_type.startswith("application/json"), f"{method} {template} {status}: {content_type!r}"
        body = json.loads(response.body)
        schema = {
            **responses[status]["content"]["application/json"]["schema"],
            "components": self.document["components"],
        }
        errors = [
            error.message for error in Draft202012Validator(schema, format_checker=FormatChecker()).iter_errors(body)
        ]
        assert errors == [], f"{method} {template} {status}: {errors}"
        self.checked.add(f"{method} {template} {status}")
        return body


@pytest.fixture
def conforms(document: dict[str, Any]) -> Iterator[Conformance]:
    yield Conformance(document)


@pytest.fixture
def call(client: Any, issuer: LocalIssuer, conforms: Conformance) -> Callable[..., Any]:
    """`call(who, method, template, path, body)`: send as a staff member, check the answer conforms."""

    def request(who: str | SyntheticStaff | None, method: str, template: str, path: str, body: Any = None) -> Any:
        headers = {"Content-Type": "application/json"}
        if who is not None:
            member = SYNTHETIC_STAFF[who] if isinstance(who, str) else who
            headers["Authorization"] = f"Bearer {issuer.sign(issuer.claims_for(member))}"
        raw = json.dumps(body).encode() if body is not None else b""
        return conforms.check(method, template, client.http.request(method, path, headers=headers, body=raw))

    return request


def submit(client: Any, referral: dict[str, Any]) -> str:
    response = client.http.post(
        "/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(referral)
    )
    assert response.status_code == 201
    return json.loads(response.body)["reference"]


def test_a_whole_casework_journey_answers_as_documented(
    client: Any, call: Callable[..., Any], conforms: Conformance
) -> None:
    reference = submit(client, protection_referral())
    submit(client, example())
    item = "/admin/referrals/{reference}"
    call("practitioner", "GET", "/admin/whoami", "/admin/whoami")
    call("practitioner", "GET", "/admin/referrals", "/admin/referrals?limit=1")
    call("practitioner", "GET", item, f"/admin/referrals/{reference}")
    screening = {"rag": "red", "level": 4, "rationale": "Bruising"}
    call("practitioner", "POST", item + "/screening", f"/admin/referrals/{reference}/screening", screening)
    decision = {"outcome": "strategy_discussion_s47", "reasons": "Injuries unexplained"}
    call("manager", "POST", item + "/decision", f"/admin/referrals/{reference}/decision", decision)
    call(
        SECOND_MANAGER,
        "POST",
        item + "/decision/approval",
        f"/admin/referrals/{reference}/decision/approval",
        {"approve": True},
    )
    picture = call("manager", "GET", item, f"/admin/referrals/{reference}")
    assert picture["decision"]["approved_by"] == SECOND_MANAGER.id and picture["screening"]["rag"] == "red"
    queue = call("manager", "GET", "/admin/referrals", "/admin/referrals?rag=red&status=decided")
    assert [row["reference"] for row in queue["referrals"]] == [reference]
    trail = call("auditor", "GET", "/admin/audit", f"/admin/audit?reference={reference}")
    assert len(trail["events"]) >= 5
    assert call("auditor", "GET", "/admin/audit/verify", f"/admin/audit/verify?reference={reference}")["intact"]
    assert {
        "GET /admin/referrals/{reference} 200",
        "POST /admin/referrals/{reference}/decision/approval 200",
        "GET /admin/audit/verify 200",
    } <= conforms.checked


def test_refusals_answer_as_documented(client: Any, call: Callable[..., Any], conforms: Conformance) -> None:
    reference = submit(client, example())
    item = "/admin/referrals/{reference}"
    call(None, "GET", "/admin/whoami", "/admin/whoami")  # 401 from the gateway: no header at all
    forged = client.http.get("/admin/whoami", headers={"Authorization": "Bearer not.a.token"})
    conforms.check("GET", "/admin/whoami", forged)  # 401 from us
    call("auditor", "GET", "/admin/referrals", "/admin/referrals")  # 403
    call("practitioner", "GET", item, "/admin/referrals/ZZZ-ZZZ-ZZZ")  # 404
    call(
        "practitioner",
        "POST",
        item + "/decision",
        f"/admin/referrals/{reference}/decision",
        {"outcome": "early_help", "reasons": "r"},
    )  # 409
    call("practitioner", "GET", "/admin/referrals", "/admin/referrals?limit=0")  # 422
    call("practitioner", "GET", "/admin/referrals", "/admin/referrals?limit=\u00b2")  # 422 ("²".isdigit(): was a 500)
    call("auditor", "GET", "/admin/audit", "/admin/audit")  # 422
    call("practitioner", "POST", item + "/screening", f"/admin/referrals/{reference}/screening", {"rag": "red"})  # 422
    assert {status.rsplit(" ", 1)[1] for status in conforms.checked} == {"401", "403", "404", "409", "422"}


def test_withdrawn_enquiries_and_review_tasks_answer_as_documented(
    client: Any, aws: Any, call: Callable[..., Any], conforms: Conformance
) -> None:
    """Issue 11: the withdrawal route, withdrawn enquiries, review tasks and the queue's review date."""
    import datetime as dt

    from chalicelib.adapters.agency_topic import InMemoryAgencyTopic
    from chalicelib.services.agency_requests import send_request_from_message
    from chalicelib.services.deliver_notices import dispatch_due

    now = {"now": dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)}
    aws.clock = lambda: now["now"]
    topic = InMemoryAgencyTopic()
    aws.use(agency_topic=topic)
    reference = submit(client, example())
    item = "/admin/referrals/{reference}"
    path = f"/admin/referrals/{reference}"
    call(
        "practitioner", "POST", item + "/screening", path + "/screening", {"rag": "amber", "level": 3, "rationale": "r"}
    )
    asked = {"agencies": ["police", "health"], "question": "Any contact with the family this year?"}
    call("practitioner", "POST", item + "/enquiries", path + "/enquiries", asked)
    for message in list(topic.published):
        send_request_from_message(message.body())
    withdrawal = item + "/enquiries/withdrawal"
    answer = call(
        "practitioner", "POST", withdrawal, path + "/enquiries/withdrawal", {"enquiry_id": "e1", "reason": "x"}
    )
    assert answer["enquiry"]["state"] == "withdrawn"
    call("practitioner", "POST", withdrawal, path + "/enquiries/withdrawal", {"enquiry_id": "e1", "reason": "x"})  # 409
    call("practitioner", "POST", withdrawal, path + "/enquiries/withdrawal", {"enquiry_id": "e7", "reason": "x"})  # 404
    call("practitioner", "POST", withdrawal, path + "/enquiries/withdrawal", {"enquiry_id": "e1"})  # 422
    dispense = {"state": "dispensed", "reason": "Asking would alert the carer", "review_on": "2026-12-10"}
    call("manager", "POST", item + "/consent", path + "/consent", dispense)
    now["now"] = dt.datetime(2026, 12, 10, 9, 0, tzinfo=dt.UTC)
    dispatch_due(aws.referrals, aws.mailer, aws.settings, now["now"])
    picture = call("practitioner", "GET", item, path)
    assert [e["state"] for e in picture["enquiries"]] == ["withdrawn", "escalated"]
    assert [t["due_on"] for t in picture["tasks"] if t["kind"] == "review_consent_dispensed"] == ["2026-12-10"]
    queue = call("practitioner", "GET", "/admin/referrals", "/admin/referrals")
    assert [row["review_due_on"] for row in queue["referrals"]] == ["2026-12-10"]
    assert {f"POST {withdrawal} {status}" for status in ("200", "404", "409", "422")} <= conforms.checked
