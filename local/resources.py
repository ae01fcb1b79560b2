"""Create every AWS resource the hub needs, in the emulator (moto). Safe to run twice."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.table import table_definition, ttl_specification
from chalicelib.settings import Settings


def create_resources(settings: Settings, client: Any) -> dict[str, str]:
    """`client(service)` returns a boto3 client. Returns the ids the app needs (e.g. the key id)."""
    dynamodb = client("dynamodb")
    existing = dynamodb.list_tables()["TableNames"]
    if settings.table_name not in existing:
        dynamodb.create_table(**table_definition(settings.table_name))
        dynamodb.update_time_to_live(
            TableName=settings.table_name, TimeToLiveSpecification=ttl_specification()
        )

    kms = client("kms")
    alias = settings.kms_key_id if settings.kms_key_id.startswith("alias/") else "alias/mash-hub"
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"]}
    key_id = aliases.get(alias)
    if not key_id:
        key_id = kms.create_key(Description="MASH hub field encryption")["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName=alias, TargetKeyId=key_id)

    ses = client("ses")
    ses.verify_domain_identity(Domain=settings.mail_domain)
    ses.verify_email_identity(EmailAddress=settings.mail_sender)
    if settings.ses_configuration_set:
        _create_mail_events(settings, client)
    return {"kms_key_id": key_id}


# The event types the deployed configuration set publishes (deploy/template.py MailEventDestination).
MAIL_EVENT_TYPES = ["send", "reject", "bounce", "complaint", "delivery", "deliveryDelay", "renderingFailure"]


def _create_mail_events(settings: Settings, client: Any) -> None:
    """The configuration set publishing SES events to the events topic, as in AWS. moto stores it
    but never emits events; the local outbox's buttons publish them (DESIGN §5)."""
    from botocore.exceptions import ClientError

    topic_arn = client("sns").create_topic(Name=settings.ses_events_topic)["TopicArn"]
    ses = client("ses")
    name = settings.ses_configuration_set
    try:
        ses.create_configuration_set(ConfigurationSet={"Name": name})
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConfigurationSetAlreadyExists":
            raise
    try:
        ses.create_configuration_set_event_destination(
            ConfigurationSetName=name,
            EventDestination={
                "Name": "to-sns",
                "Enabled": True,
                "MatchingEventTypes": MAIL_EVENT_TYPES,
                "SNSDestination": {"TopicARN": topic_arn},
            },
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "EventDestinationAlreadyExists":
            raise
