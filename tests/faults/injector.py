"""Seeded faults in the real boto3 clients, through botocore's event hooks.

A `before-call` handler raises before the request leaves the client, so botocore's own retries
never see it (no sleeping) and the adapter gets exactly what AWS or the network would give it:
a ClientError with a realistic code and status, or a connection or read timeout.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

ENDPOINT = "https://fault.invalid"

# (code, HTTP status) each service really answers with when it is struggling. Never
# ConditionalCheckFailedException: that is the hub's own logic, not a fault.
SERVICE_FAULTS: dict[str, tuple[tuple[str, int], ...]] = {
    "dynamodb": (
        ("ThrottlingException", 400),
        ("ProvisionedThroughputExceededException", 400),
        ("InternalServerError", 500),
        ("ServiceUnavailable", 503),
    ),
    "kms": (("KMSInternalException", 500), ("ThrottlingException", 400), ("ServiceUnavailableException", 503)),
    "ses": (("Throttling", 400), ("ServiceUnavailable", 503), ("InternalFailure", 500)),
    "sns": (("Throttling", 400), ("InternalError", 500), ("KMSThrottling", 400)),
    "s3": (("SlowDown", 503), ("InternalError", 500), ("ServiceUnavailable", 503)),
    "sqs": (("ServiceUnavailable", 503), ("InternalError", 500), ("RequestThrottled", 403)),
}
NETWORK_FAULTS = ("ReadTimeoutError", "EndpointConnectionError")
# SES refuses a message it will never send: permanent, the notice must fail visibly.
SES_REJECTION = ("MessageRejected", 400)


@dataclass(frozen=True)
class InjectedFault:
    step: int  # the flow's Nth AWS call, counted from 1
    service: str
    operation: str
    code: str


@dataclass
class FaultInjector:
    """Fails each AWS call with probability `probability` while switched on; records every call."""

    rng: random.Random
    probability: float
    reject_mail: bool = False  # may SES answer MessageRejected (permanent) this run
    # Services down outright while faults are on (every call fails): a receiver's outage.
    down: set[str] = field(default_factory=set)
    enabled: bool = True
    calls: list[tuple[str, str]] = field(default_factory=list)
    faults: list[InjectedFault] = field(default_factory=list)

    def attach(self, hub: Any) -> None:
        for service in SERVICE_FAULTS:
            client = hub.aws_client(service)
            # The event names use the client's service id ("ses" for SES), its prefix is "email".
            client.meta.events.register(_event(client), self._before_call, unique_id=_HOOK)

    def detach(self, hub: Any) -> None:
        for service in SERVICE_FAULTS:
            client = hub.aws_client(service)
            client.meta.events.unregister(_event(client), unique_id=_HOOK)

    def _before_call(self, model: Any, **_: Any) -> None:
        service = model.service_model.service_name
        self.calls.append((service, model.name))
        outage = self.enabled and service in self.down
        if not outage and (not self.enabled or self.rng.random() >= self.probability):
            return
        fault = InjectedFault(len(self.calls), service, model.name, self._pick(service, model.name))
        self.faults.append(fault)
        raise _exception(fault)

    def _pick(self, service: str, operation: str) -> str:
        choices = [code for code, _ in SERVICE_FAULTS[service]] + list(NETWORK_FAULTS)
        if service == "ses" and self.reject_mail:
            choices.append(SES_REJECTION[0])
        return self.rng.choice(choices)


_HOOK = "fault-injector"


def _event(client: Any) -> str:
    return f"before-call.{client.meta.service_model.service_id.hyphenize()}"


def _exception(fault: InjectedFault) -> Exception:
    if fault.code == "ReadTimeoutError":
        return ReadTimeoutError(endpoint_url=ENDPOINT)
    if fault.code == "EndpointConnectionError":
        return EndpointConnectionError(endpoint_url=ENDPOINT)
    status = dict((*SERVICE_FAULTS[fault.service], SES_REJECTION))[fault.code]
    response = {
        "Error": {"Code": fault.code, "Message": "injected fault"},
        "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": f"fault-{fault.step}"},
    }
    return ClientError(response, fault.operation)  # type: ignore[arg-type]
