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
    return {"kms_key_id": key_id}
