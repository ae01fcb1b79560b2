"""Sending email: SES, with an in-memory twin that can be told to fail."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from chalicelib.adapters.aws import AwsError, aws_errors


class Mailer:
    def send(self, message: EmailMessage) -> str:
        """Send a whole MIME message; returns the provider's message id; raises AwsError."""
        raise NotImplementedError


class SesMailer(Mailer):
    def __init__(self, ses_client: Any, configuration_set: str | None = None) -> None:
        self._ses = ses_client
        self._configuration_set = configuration_set

    def send(self, message: EmailMessage) -> str:
        arguments: dict[str, Any] = {
            "Source": str(message["From"]),
            "Destinations": [str(address) for address in message.get_all("To", [])],
            "RawMessage": {"Data": message.as_bytes()},
        }
        if self._configuration_set:
            # Delivery, bounce and complaint events come back through this set's SNS destination.
            arguments["ConfigurationSetName"] = self._configuration_set
        with aws_errors("ses"):
            return self._ses.send_raw_email(**arguments)["MessageId"]


class InMemoryMailer(Mailer):
    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []
        self._failures: list[AwsError] = []

    def fail_next(self, code: str = "Throttling", retryable: bool = True, times: int = 1) -> None:
        self._failures.extend(AwsError("ses", code, retryable) for _ in range(times))

    def send(self, message: EmailMessage) -> str:
        if self._failures:
            raise self._failures.pop(0)
        self.sent.append(message)
        return f"local-{len(self.sent)}"
