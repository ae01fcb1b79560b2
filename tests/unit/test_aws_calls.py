"""The one translation of AWS failures, and the one reading of a DynamoDB condition that did not hold."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

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
