"""The one translation of AWS failures, and the one reading of a DynamoDB condition that did not hold."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from chalicelib.adapters import aws
from chalicelib.adapters.aws import aws_errors, condition_failed, write_if
from chalicelib.domain.failures import AwsError


def client_error(code: str, status: int = 400, reasons: list[dict[str, str]] | None = None) -> ClientError:
    response: dict[str, Any] = {"Error": {"Code": code, "Message": "synthetic"}, "ResponseMetadata": {}}
    response["ResponseMetadata"]["HTTPStatusCode"] = status
    if reasons is not None:
        response["CancellationReasons"] = reasons
    return ClientError(response, "PutItem")  # type: ignore[arg-type]


def failing(exc: Exception) -> Any:
    def call(**arguments: Any) -> Any:
        raise exc

    return call


def test_a_botocore_failure_inside_leaves_as_an_aws_error_with_only_service_and_code() -> None:
    with pytest.raises(AwsError) as raised, aws_errors("dynamodb"):
        raise client_error("ProvisionedThroughputExceededException")
    assert (raised.value.service, raised.value.code, raised.value.retryable) == (
        "dynamodb",
        "ProvisionedThroughputExceededException",
        True,
    )
    assert "synthetic" not in str(raised.value)  # AWS messages can echo request values


def test_a_connection_fault_is_worth_another_try() -> None:
    with pytest.raises(AwsError) as raised, aws_errors("s3"):
        raise EndpointConnectionError(endpoint_url="https://s3.example")
    assert raised.value.retryable


def test_our_own_errors_pass_through_untouched() -> None:
    with pytest.raises(KeyError), aws_errors("dynamodb"):
        raise KeyError("not an AWS failure")


def test_a_refused_condition_is_told_apart_from_other_failures() -> None:
    assert condition_failed(client_error("ConditionalCheckFailedException"))
    cancelled = client_error(
        "TransactionCanceledException", reasons=[{"Code": "None"}, {"Code": "ConditionalCheckFailed"}]
    )
    assert condition_failed(cancelled)
    assert not condition_failed(client_error("TransactionCanceledException", reasons=[{"Code": "TransactionConflict"}]))
    assert not condition_failed(client_error("ValidationException"))
    assert not condition_failed(ValueError("no response"))


def test_write_if_gives_the_answer_or_none_when_the_condition_did_not_hold() -> None:
    assert write_if(lambda **arguments: {"Attributes": arguments}, Key="k") == {"Attributes": {"Key": "k"}}
    assert write_if(failing(client_error("ConditionalCheckFailedException"))) is None
    assert (
        write_if(failing(client_error("TransactionCanceledException", reasons=[{"Code": "ConditionalCheckFailed"}])))
        is None
    )


def test_write_if_raises_any_other_failure_as_an_aws_error() -> None:
    with pytest.raises(AwsError) as raised:
        write_if(failing(client_error("InternalServerError", status=500)))
    assert (raised.value.code, raised.value.retryable) == ("InternalServerError", True)
    with pytest.raises(AwsError) as permanent:
        write_if(failing(client_error("TransactionCanceledException", reasons=[{"Code": "ValidationError"}])))
    assert not permanent.value.retryable


def conflict(*others: str) -> ClientError:
    reasons = [{"Code": "None"}, {"Code": "TransactionConflict"}, *({"Code": code} for code in others)]
    return client_error("TransactionCanceledException", reasons=reasons)


class Flaky:
    """A write that fails with the given errors first, then answers; it counts its calls."""

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.calls = 0

    def __call__(self, **arguments: Any) -> Any:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return {"written": arguments}


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    taken: list[int] = []
    monkeypatch.setattr(aws, "conflict_pause", taken.append)
    return taken


def test_a_transaction_cancelled_by_a_conflict_is_sent_again_as_it_was(pauses: list[int]) -> None:
    write = Flaky(conflict())
    assert write_if(write, TransactItems=["the same"]) == {"written": {"TransactItems": ["the same"]}}
    assert (write.calls, pauses) == (2, [0])


def test_conflicts_are_retried_a_bounded_number_of_times_then_are_a_retryable_failure(pauses: list[int]) -> None:
    write = Flaky(*(conflict() for _ in range(10)))
    with pytest.raises(AwsError) as raised:
        write_if(write)
    assert (raised.value.code, raised.value.retryable) == ("TransactionCanceledException", True)
    assert (write.calls, pauses) == (aws.CONFLICT_ATTEMPTS, list(range(aws.CONFLICT_ATTEMPTS - 1)))
    single_item = Flaky(client_error("TransactionConflictException"))
    assert write_if(single_item) is not None and single_item.calls == 2


def test_a_refused_condition_or_a_bad_request_beside_a_conflict_is_not_retried(pauses: list[int]) -> None:
    refused = Flaky(conflict("ConditionalCheckFailed"))
    assert write_if(refused) is None and refused.calls == 1
    invalid = Flaky(conflict("ValidationError"))
    with pytest.raises(AwsError) as raised:
        write_if(invalid)
    assert (invalid.calls, raised.value.retryable, pauses) == (1, False, [])


def test_the_pause_is_random_and_grows_with_each_attempt(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(aws.time, "sleep", slept.append)
    attempts = (0, 1, 2) * 50
    for attempt in attempts:
        aws.conflict_pause(attempt)
    ceilings = [aws.CONFLICT_PAUSE_MS * 2**attempt / 1000 for attempt in attempts]
    assert all(0 <= pause <= ceiling for pause, ceiling in zip(slept, ceilings, strict=True))
    assert len(set(slept)) > 10  # jittered: not one fixed delay
