"""The one place boto3 clients are made; errors from AWS become ours here.

Retryable: throttling, 5xx, timeouts, connection faults: the outbox tries again later.
Permanent: anything the same request would fail on again (validation, access, bad address).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal

from chalicelib.domain.failures import AwsError
from chalicelib.settings import Settings

RETRYABLE_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestThrottled",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "KMSInternalException",
        "DependencyTimeoutException",
        "TransactionConflictException",
        "SlowDown",
    }
)


# The services the hub (and its tests) make clients for; boto3's stubs type `client` per service name.
AwsService = Literal["cognito-idp", "dynamodb", "kms", "s3", "ses", "sns", "sqs"]


def make_client(service: AwsService, settings: Settings) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(
        region_name=settings.aws_region,
        retries={"mode": "standard", "max_attempts": 3},
        connect_timeout=2,
        read_timeout=5,
    )
    return boto3.client(service, endpoint_url=settings.aws_endpoint_url, config=config)


def translate(service: str, exc: Exception) -> AwsError:
    """Map a botocore exception to AwsError; call inside `except Exception`."""
    from botocore.exceptions import BotoCoreError, ClientError

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        return AwsError(service, code, code in RETRYABLE_CODES or status >= 500 or conflicted(exc))
    if isinstance(exc, BotoCoreError):
        # Connection resets, read timeouts, endpoint faults: worth another try.
        return AwsError(service, type(exc).__name__, True)
    raise exc


@contextmanager
def aws_errors(service: str) -> Iterator[None]:
    """The calls inside fail as AwsError (`with aws_errors("dynamodb"): answer = db.query(...)`):
    the one translation every adapter's plain call goes through."""
    try:
        yield
    except Exception as exc:
        raise translate(service, exc) from None


def condition_failed(exc: Exception) -> bool:
    """A DynamoDB write refused by its condition, or a transaction cancelled by one of its conditions."""
    response = getattr(exc, "response", None) or {}
    if response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
        return True
    return any(reason.get("Code") == "ConditionalCheckFailed" for reason in response.get("CancellationReasons") or [])


# The cancellation reasons of a transaction that only lost a race ("None": that item was fine).
CONFLICT_ONLY = {"None", "TransactionConflict", None}
# A conflict is retried at once, a few times, after a random pause of up to 25, 50, 100 ms ("full
# jitter", so two writers that collided do not collide again); then it is a retryable AwsError.
CONFLICT_ATTEMPTS = 4
CONFLICT_PAUSE_MS = 25


def conflicted(exc: Exception) -> bool:
    """A write that lost a race with another transaction on one of its items (and with no condition
    refused): nothing of it was applied, so the very same request may simply be sent again.

    Every referral write also adds to its day's rollup item, so two submissions at once may collide
    there: TransactionCanceledException with a `TransactionConflict` reason."""
    response = getattr(exc, "response", None) or {}
    code = response.get("Error", {}).get("Code")
    if code == "TransactionConflictException":
        return True
    reasons = {reason.get("Code") for reason in response.get("CancellationReasons") or []}
    return code == "TransactionCanceledException" and "TransactionConflict" in reasons and reasons <= CONFLICT_ONLY


def conflict_pause(attempt: int) -> None:
    time.sleep(secrets.randbelow(CONFLICT_PAUSE_MS * 2**attempt + 1) / 1000)


def write_if(call: Callable[..., Any], /, **arguments: Any) -> dict[str, Any] | None:
    """A conditional DynamoDB write (PutItem, UpdateItem, DeleteItem, TransactWriteItems): its answer,
    or None if its condition (or a transaction's) did not hold; any other failure as AwsError. The
    store says what a refusal means: `if write_if(...) is None: raise StaleReferral(reference)`.

    A write cancelled only by a conflict with another transaction applied nothing, so it is sent again
    as it was (bounded, jittered): its conditions are checked afresh, so it still commits once or not at all."""
    for attempt in range(CONFLICT_ATTEMPTS):
        try:
            return call(**arguments)
        except Exception as exc:
            if condition_failed(exc):
                return None
            if not conflicted(exc) or attempt == CONFLICT_ATTEMPTS - 1:
                raise translate("dynamodb", exc) from None
        conflict_pause(attempt)
    raise AssertionError("unreachable: the last attempt returns or raises")


def plain_values(value: Any) -> Any:
    """What boto3's TypeDeserializer gives, as plain Python: DynamoDB numbers come back as Decimal
    (the hub's are all whole numbers), binary as Binary."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value)
    if isinstance(value, dict):
        return {k: plain_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_values(v) for v in value]
    if hasattr(value, "value") and type(value).__name__ == "Binary":
        return bytes(value.value)
    return value
