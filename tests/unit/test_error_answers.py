"""The one mapping's answer for an AWS failure (chalicelib/web/errors.py): every JSON edge says it alike."""

from __future__ import annotations

from chalicelib.domain.failures import AwsError
from chalicelib.web.errors import unavailable


def test_an_aws_failure_is_a_503_to_try_again_in_a_minute() -> None:
    answer = unavailable("The report could not be made just now: try again in a minute")
    assert answer.status_code == 503
    assert answer.headers == {"Content-Type": "application/json", "Retry-After": "60"}
    assert answer.body == {
        "error": "unavailable",
        "message": "The report could not be made just now: try again in a minute",
    }


def test_a_permanent_failure_is_a_500_and_the_edge_names_its_own_code() -> None:
    permanent = AwsError("dynamodb", "ValidationException", retryable=False)
    answer = unavailable("Nothing was saved: send it again", code="not_stored", error=permanent)
    assert (answer.status_code, answer.body["error"], answer.headers["Retry-After"]) == (500, "not_stored", "60")
    retryable = AwsError("dynamodb", "ProvisionedThroughputExceededException", retryable=True)
    assert unavailable("Try again", error=retryable).status_code == 503
