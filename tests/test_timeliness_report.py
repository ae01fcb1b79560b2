"""The timeliness report over HTTP and moto: who may read it, what it says, and that it reads no
personal data (no pd_ field, no KMS call) and shows none."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pytest

from bench.aws_meter import counting_aws
from chalicelib.adapters.envelope import FieldCipher, LocalKeyProvider
from chalicelib.adapters.referrals import (
    FIELD_PREFIX,
    DynamoReferralStore,
    InMemoryReferralStore,
    ReferralStore,
)
from chalicelib.domain.deadlines import working_together_deadline
from chalicelib.domain.decision import Outcome, Rag, Screening
from chalicelib.domain.referral import ReferralSubmission
from chalicelib.domain.referral_record import Channel, Referral
from local.issuer import SYNTHETIC_STAFF, LocalIssuer
from tests.factories import canary_referral, example, support_referral
from tests.staff_issuer import issuer_in

UTC = dt.UTC
# Wednesday 25 November 2026, 10:00 London (GMT): in working hours.
WEDNESDAY_10AM = dt.datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
REPORT = "/admin/reports/timeliness"
NOVEMBER = f"{REPORT}?from=2026-11-01&to=2026-11-30"


@pytest.fixture(autouse=True)
def issuer(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> LocalIssuer:
    # autouse: it must set the JWKS path before `aws` reads the settings.
    issuer = issuer_in(tmp_path_factory.mktemp("issuer"))
    monkeypatch.setenv("MASH_LOCAL_JWKS_PATH", str(issuer.jwks_path))
    return issuer


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock(aws: Any) -> Clock:
    clock = Clock(WEDNESDAY_10AM)
    aws.clock = clock
    return clock


@pytest.fixture
def staff(issuer: LocalIssuer, client: Any, clock: Clock) -> Callable[..., Any]:
    """`staff("manager", "GET", path, body)`: a request from a synthetic staff member."""

    def request(who: str, method: str, path: str, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {issuer.token_for(who)}", "Content-Type": "application/json"}
        raw = json.dumps(body).encode() if body is not None else b""
        return client.http.request(method, path, headers=headers, body=raw)

    return request


def submit(client: Any, referral: dict[str, Any] | None = None) -> str:
    response = client.http.post(
        "/api/referrals", headers={"Content-Type": "application/json"}, body=json.dumps(referral or example())
    )
    assert response.status_code == 201, response.body
    return json.loads(response.body)["reference"]


def ok(response: Any) -> Any:
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def rag_row(report: dict[str, Any], group: str) -> dict[str, Any]:
    return next(row for row in report["referrals"]["by_rag"] if row["group"] == group)


# --- who may read it ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["manager", "auditor"])
def test_managers_and_auditors_may_read_it(staff: Callable[..., Any], who: str) -> None:
    report = ok(staff(who, "GET", NOVEMBER))
    assert (report["from"], report["to"], report["timezone"]) == ("2026-11-01", "2026-11-30", "Europe/London")
    assert report["referrals"]["total"]["received"] == 0


def test_a_practitioner_is_refused_with_the_roles_it_needs(staff: Callable[..., Any]) -> None:
    response = staff("practitioner", "GET", NOVEMBER)
    assert response.status_code == 403
    assert json.loads(response.body) == {
        "error": "wrong_role",
        "message": "This needs the mash-auditor or mash-manager role",
    }


def test_no_token_is_refused(client: Any) -> None:
    assert client.http.get(NOVEMBER).status_code == 401


# --- what it says --------------------------------------------------------------------------------


def test_the_report_follows_referrals_through_the_staff_api(
    client: Any, staff: Callable[..., Any], clock: Clock
) -> None:
    # Wednesday 10:00: three referrals in. Working Together's deadline: Thursday 10:00.
    red, amber, untouched = submit(client), submit(client), submit(client)
    # 10:30 Red (due 14:30); decided at 14:30 exactly: in time, 4.5 hours from receipt.
    clock.now = WEDNESDAY_10AM + dt.timedelta(minutes=30)
    screening = {"rag": "red", "level": 3, "rationale": "Synthetic: injury seen at school"}
    ok(staff("practitioner", "POST", f"/admin/referrals/{red}/screening", screening))
    ok(staff("practitioner", "POST", f"/admin/referrals/{amber}/screening", {**screening, "rag": "amber"}))
    clock.now = WEDNESDAY_10AM + dt.timedelta(hours=4, minutes=30)
    decision = {"outcome": "early_help", "reasons": "Synthetic: early help offered"}
    ok(staff("practitioner", "POST", f"/admin/referrals/{red}/decision", decision))
    # Amber: an s17 proposed, returned, proposed again, approved Thursday 12:00 (due Thursday 10:30): late.
    s17 = {"outcome": "child_and_family_assessment_s17", "reasons": "Synthetic: needs an assessment"}
    ok(staff("practitioner", "POST", f"/admin/referrals/{amber}/decision", s17))
    ok(staff("manager", "POST", f"/admin/referrals/{amber}/decision/approval", {"approve": False, "reason": "More"}))
    clock.now = dt.datetime(2026, 11, 26, 11, 0, tzinfo=UTC)
    ok(staff("practitioner", "POST", f"/admin/referrals/{amber}/decision", s17))
    clock.now = dt.datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    ok(staff("manager", "POST", f"/admin/referrals/{amber}/decision/approval", {"approve": True}))
    # Red is closed: it keeps its rating and deadline in clear.
    ok(staff("practitioner", "POST", f"/admin/referrals/{red}/closure"))

    report = ok(staff("auditor", "GET", NOVEMBER))
    expected_red = {"received": 1, "decided": 1, "decided_in_time": 1, "decided_late": 0, "open_past_deadline": 0,
                    "open_within_deadline": 0, "timeliness_unknown": 0, "in_time_percent": 100.0,
                    "median_hours_to_decision": 4.5, "p90_hours_to_decision": 4.5}  # fmt: skip
    assert rag_row(report, "red") == {"group": "red", "label": "Red", **expected_red}
    amber_row = rag_row(report, "amber")
    assert (amber_row["decided"], amber_row["decided_late"], amber_row["in_time_percent"]) == (1, 1, 0.0)
    assert amber_row["median_hours_to_decision"] == 26.0  # Wednesday 10:00 to Thursday 12:00
    # The third was never screened: Thursday 12:00 is past Working Together's Thursday 10:00.
    not_screened = rag_row(report, "not_screened")
    assert (not_screened["received"], not_screened["open_past_deadline"]) == (1, 1)
    total = report["referrals"]["total"]
    assert (total["received"], total["decided_in_time"], total["decided_late"], total["open_past_deadline"]) == (
        3, 1, 1, 1,
    )  # fmt: skip
    assert total["in_time_percent"] == 33.3
    assert total["median_hours_to_decision"] == 15.3  # (4.5 + 26) / 2 = 15.25, half up
    # Two decisions stood: an outcome notice to each parent with an email, feedback to each referrer.
    notices = {row["kind"]: row for row in report["notices"]}
    assert notices["referrer_feedback"]["total"] == 2
    assert notices["outcome"]["total"] >= 1
    for row in notices.values():  # moto's SES never reports a delivery: all sent, none delivered
        assert (row["delivered"], row["failed"], row["pending"]) == (0, 0, row["total"])
    assert untouched  # (it is the not-screened one)


def test_agency_enquiries_are_counted_per_agency(client: Any, staff: Callable[..., Any], clock: Clock) -> None:
    reference = submit(client)
    ok(staff("practitioner", "POST", f"/admin/referrals/{reference}/consent", {"state": "given", "given_by": "Synthetic Parent", "how": "phone", "given_on": "2026-11-25"}))  # fmt: skip
    screening = {"rag": "amber", "level": 2, "rationale": "Synthetic: worries at nursery"}
    ok(staff("practitioner", "POST", f"/admin/referrals/{reference}/screening", screening))
    question = {"agencies": ["police", "health"], "question": "Synthetic: anything known about this family?"}
    response = staff("practitioner", "POST", f"/admin/referrals/{reference}/enquiries", question)
    assert response.status_code == 201, response.body
    clock.now = WEDNESDAY_10AM + dt.timedelta(days=3)
    agencies = {row["agency"]: row for row in ok(staff("manager", "GET", NOVEMBER))["agencies"]}
    for agency in ("police", "health"):
        assert agencies[agency] | {"label": None} == {
            "agency": agency, "label": None, "sent": 1, "answered": 0, "answered_in_time": 0, "answered_late": 0,
            "in_time_percent": 0.0, "median_response_hours": None, "unanswered": 1, "unanswered_past_due": 1,
        }  # fmt: skip
    assert agencies["education"]["sent"] == 0


def test_referrals_outside_the_london_dates_are_left_out(client: Any, staff: Callable[..., Any], clock: Clock) -> None:
    # 23:30 UTC on Saturday 24 October 2026 is 00:30 on Sunday 25 October in London (BST).
    clock.now = dt.datetime(2026, 10, 24, 23, 30, tzinfo=UTC)
    # Consent given before that night: dates sent are judged against the hub's clock.
    submit(client, support_referral(**{"consent.given_on": "2026-10-20"}))
    clock.now = dt.datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    received = {
        day: ok(staff("manager", "GET", f"{REPORT}?from={day}&to={day}"))["referrals"]["total"]["received"]
        for day in ("2026-10-24", "2026-10-25", "2026-10-26")
    }
    assert received == {"2026-10-24": 0, "2026-10-25": 1, "2026-10-26": 0}


# --- CSV -------------------------------------------------------------------------------------------


def test_the_csv_is_a_download_with_the_same_figures_as_the_json(client: Any, staff: Callable[..., Any]) -> None:
    reference = submit(client)
    ok(staff("practitioner", "POST", f"/admin/referrals/{reference}/screening",
             {"rag": "green", "level": 2, "rationale": "Synthetic"}))  # fmt: skip
    submit(client)
    as_json = ok(staff("manager", "GET", NOVEMBER))
    response = staff("manager", "GET", NOVEMBER + "&format=csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="mash-timeliness-2026-11-01-to-2026-11-30.csv"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    text = response.body.decode() if isinstance(response.body, bytes) else response.body
    lines = list(csv.DictReader(io.StringIO(text)))
    assert set(lines[0]) == {"section", "key", "label", "measure", "value"}
    figures = {(line["section"], line["key"], line["measure"]): line["value"] for line in lines}
    assert figures[("report", "", "from")] == "2026-11-01"
    expected: dict[tuple[str, str, str], str] = {}
    for section, rows, key in (
        ("referrals", [*as_json["referrals"]["by_rag"], as_json["referrals"]["total"]], "group"),
        ("agencies", as_json["agencies"], "agency"),
        ("notices", as_json["notices"], "kind"),
    ):
        for row in rows:
            for measure, value in row.items():
                if measure not in (key, "label"):
                    expected[(section, row[key], measure)] = "" if value is None else str(value)
    assert {k: v for k, v in figures.items() if k[0] != "report"} == expected
    assert figures[("referrals", "green", "received")] == "1"
    assert figures[("referrals", "not_screened", "open_within_deadline")] == "1"


# --- bad ranges ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "error", "message"),
    [
        ("", "range_required", "Give from and to: the range is ?from=YYYY-MM-DD&to=YYYY-MM-DD, London dates, both included"),
        ("?from=2026-11-01", "range_required", "Give to: the range is ?from=YYYY-MM-DD&to=YYYY-MM-DD, London dates, both included"),
        ("?from=2026-11-31&to=2026-12-01", "invalid_from", "from must be a date as YYYY-MM-DD, like 2026-04-01"),
        ("?from=2026-11-01&to=01/12/2026", "invalid_to", "to must be a date as YYYY-MM-DD, like 2026-04-01"),
        ("?from=2026-11-30&to=2026-11-01", "invalid_range", "from (2026-11-30) is after to (2026-11-01): swap them"),
        ("?from=2025-01-01&to=2026-01-01", "invalid_range",
         "A report covers at most 366 days; this range is 366 days: split it into shorter ranges"),
        ("?from=2024-01-01&to=2025-01-01", "invalid_range",
         "A report covers at most 366 days; this range is 367 days: split it into shorter ranges"),
        ("?from=2026-11-01&to=2026-11-30&format=xlsx", "invalid_format", "format must be one of: json, csv (json if not given)"),
    ],
)  # fmt: skip
def test_a_bad_range_is_refused_with_what_to_fix(
    staff: Callable[..., Any], query: str, error: str, message: str
) -> None:
    if query == "?from=2025-01-01&to=2026-01-01":
        # 2025 is not a leap year: 1 January 2025 to 1 January 2026 is 366 days, so it is allowed.
        assert staff("manager", "GET", REPORT + query).status_code == 200
        return
    response = staff("manager", "GET", REPORT + query)
    assert response.status_code == 422
    assert json.loads(response.body) == {"error": error, "message": message}


# --- no personal data read, none shown ---------------------------------------------------------


@contextmanager
def aws_requests() -> Iterator[list[tuple[str, str, dict[str, Any], dict[str, Any]]]]:
    """(service, operation, params, answer) of every AWS call made meanwhile."""
    import botocore.client

    seen: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = []
    original = botocore.client.BaseClient._make_api_call

    def recorded(client: Any, operation: str, params: dict[str, Any]) -> Any:
        answer = original(client, operation, params)
        seen.append((client.meta.service_model.service_name, operation, params, answer))
        return answer

    botocore.client.BaseClient._make_api_call = recorded
    try:
        yield seen
    finally:
        botocore.client.BaseClient._make_api_call = original


def test_the_report_makes_no_kms_call_and_reads_no_encrypted_field(
    client: Any, staff: Callable[..., Any], clock: Clock
) -> None:
    references = [submit(client) for _ in range(3)]
    ok(staff("practitioner", "POST", f"/admin/referrals/{references[0]}/screening",
             {"rag": "red", "level": 4, "rationale": "Synthetic"}))  # fmt: skip
    ok(staff("manager", "GET", NOVEMBER))  # warm-up: token keys, imports
    with counting_aws() as tally, aws_requests() as calls:
        ok(staff("manager", "GET", NOVEMBER))
        csv_response = staff("auditor", "GET", NOVEMBER + "&format=csv")
    assert csv_response.status_code == 200
    assert not [name for name in tally.calls if name.startswith("kms.")], tally.calls
    assert set(tally.calls) == {"dynamodb.Query", "dynamodb.BatchGetItem"}, tally.calls
    for service, operation, params, answer in calls:
        assert service == "dynamodb"
        if operation == "Query":
            assert params["IndexName"] == "queue" and params["ProjectionExpression"] == "pk, sk"
        else:
            (request,) = params["RequestItems"].values()
            assert all(not name.startswith(FIELD_PREFIX) for name in request["ExpressionAttributeNames"].values())
            (items,) = answer["Responses"].values()
            assert len(items) == 3
            assert not [name for item in items for name in item if name.startswith(FIELD_PREFIX) or name == "data_key"]


def test_no_personal_data_reaches_the_report(client: Any, staff: Callable[..., Any], clock: Clock) -> None:
    referral, canaries = canary_referral("protection")
    reference = submit(client, referral)
    other = submit(client, canary_referral()[0])
    ok(staff("practitioner", "POST", f"/admin/referrals/{reference}/screening",
             {"rag": "red", "level": 4, "rationale": "CANARYrationale"}))  # fmt: skip
    ok(staff("practitioner", "POST", f"/admin/referrals/{reference}/decision",
             {"outcome": "early_help", "reasons": "CANARYreasons"}))  # fmt: skip
    answers = [
        staff("manager", "GET", NOVEMBER).body,
        staff("auditor", "GET", NOVEMBER + "&format=csv").body,
    ]
    staff_ids = [member.id for member in SYNTHETIC_STAFF.values()]
    for answer in answers:
        text = answer.decode() if isinstance(answer, bytes) else answer
        assert "CANARY" not in text
        for marker in (reference, other, *staff_ids, "@", "Synthetic"):
            assert marker not in text, marker
    assert len(canaries) > 5


# --- the store: both twins, only clear attributes ----------------------------------------------

RECEIVED = dt.datetime(2026, 3, 29, 23, 0, tzinfo=UTC)  # 30 March 00:00 London: BST has begun


def stored_referral(reference: str, received_at: dt.datetime) -> Referral:
    return Referral.receive(
        reference,
        ReferralSubmission.model_validate(example()),
        channel=Channel.API,
        now=received_at,
        request_fingerprint="f" * 64,
        idempotency_key_hash=None,
        working_together_due_at=working_together_deadline(received_at),
    )


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Iterator[ReferralStore]:
    if request.param == "memory":
        yield InMemoryReferralStore(FieldCipher(LocalKeyProvider()))
        return
    aws: Any = request.getfixturevalue("aws")
    yield DynamoReferralStore(aws.aws_client("dynamodb"), aws.settings.table_name, aws.cipher)


def test_the_store_reads_received_in_a_half_open_range(store: ReferralStore) -> None:
    second = dt.timedelta(seconds=1)
    for reference, moment in (
        ("AAA-AAA-AAA", RECEIVED - second),
        ("BBB-BBB-BBB", RECEIVED),
        ("CCC-CCC-CCC", RECEIVED + dt.timedelta(hours=23) - second),
        ("DDD-DDD-DDD", RECEIVED + dt.timedelta(hours=23)),
    ):
        store.add(stored_referral(reference, moment))
    rows = store.metadata_received_between(RECEIVED, RECEIVED + dt.timedelta(hours=23))
    assert sorted(row.received_at for row in rows) == [RECEIVED, RECEIVED + dt.timedelta(hours=23) - second]
    assert all(row.status == "received" and row.rag is None and row.working_together_due_at for row in rows)
    assert all(row.notices[0].kind == "acknowledgement" for row in rows)


def test_a_closed_referral_keeps_its_rating_and_deadline_in_clear(store: ReferralStore) -> None:
    referral = stored_referral("KKK-KKK-KKK", RECEIVED)
    store.add(referral)
    opened = store.open(referral.reference)
    due = RECEIVED + dt.timedelta(hours=5)
    screening = Screening(Rag.RED, 4, "Synthetic", "staff-1", RECEIVED + dt.timedelta(hours=1), due)
    changed = opened.referral.screen(screening).record_decision(Outcome.EARLY_HELP, "Synthetic", "staff-1", due)
    closed = changed.close(due + dt.timedelta(hours=1), {})
    store.save(opened, closed, [])
    (row,) = store.metadata_received_between(RECEIVED, RECEIVED + dt.timedelta(days=1))
    assert (row.status, row.rag, row.due_at, row.decided_at) == ("closed", "red", due, due)
    assert store.fetch(referral.reference).screening == screening  # and the whole referral reads back whole


def test_the_dynamodb_store_reads_past_a_batch_of_a_hundred(aws: Any) -> None:
    store = DynamoReferralStore(aws.aws_client("dynamodb"), aws.settings.table_name, aws.cipher)
    for n in range(130):
        referral = stored_referral(f"R{n:02d}-AAA-AAA"[:11], RECEIVED + dt.timedelta(minutes=n))
        store.add(replace(referral, reference=f"{n:03d}-AAA-AAA"))
    rows = store.metadata_received_between(RECEIVED, RECEIVED + dt.timedelta(days=1))
    assert len(rows) == 130
    assert len({row.received_at for row in rows}) == 130
