"""Create every AWS resource the hub needs, in the emulator (moto). Safe to run twice.

The names and shapes are the deployed ones (deploy/names.py, deploy/template.py): the agency topic
fanning out to one queue per agency through filter policies on the `agency` attribute, raw
delivery, each queue with a dead-letter queue; the inbound bucket notifying the inbound queue of
new objects under inbound/; the attachments bucket; the uploads bucket notifying the uploads queue
of new objects under uploads/ (documents referrers add); the case system's export drop folder, and the
export topic delivering raw to the export queue (with its dead-letter queue); the SES events topic delivering raw to the mail
events queue (with a configuration set, as `make run` has). moto applies the filter policies and makes
the S3 notifications itself, in process and in server mode (tests/test_local_stack.py checks).
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.adapters.table import table_definition, ttl_specification
from chalicelib.domain.agencies import AgencyId
from chalicelib.events.queues import EXPORTS_QUEUE, INBOUND_MAIL_QUEUE, MAIL_EVENTS_QUEUE, UPLOADS_QUEUE, agency_queue
from chalicelib.settings import Settings

# Locally a failed message is tried again within seconds, not after AWS's 6x the function timeout.
LOCAL_VISIBILITY_TIMEOUT_SECONDS = 5


def create_resources(settings: Settings, client: Any) -> dict[str, str]:
    """`client(service)` returns a boto3 client. Returns the ids the app needs: the key id, and the
    agency topic's and the export topic's ARNs (known once they exist, as in AWS; give them to the app
    as MASH_AGENCY_TOPIC_ARN and MASH_EXPORT_TOPIC_ARN)."""
    dynamodb = client("dynamodb")
    existing = dynamodb.list_tables()["TableNames"]
    if settings.table_name not in existing:
        dynamodb.create_table(**table_definition(settings.table_name))
        dynamodb.update_time_to_live(TableName=settings.table_name, TimeToLiveSpecification=ttl_specification())

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
    topic_arn = _create_agency_enquiries(client)
    _create_inbound_mail(settings, client)
    _create_uploads(settings, client)
    _create_export_drop(settings, client)
    export_topic_arn = _create_export_hop(client)
    return {"kms_key_id": key_id, "agency_topic_arn": topic_arn, "export_topic_arn": export_topic_arn}


def _create_queue_with_dlq(client: Any, name: str) -> str:
    """The queue (its ARN returned) and `<name>-dlq`, after the template's receive limit."""
    from deploy.template import MAX_RECEIVES_BEFORE_DLQ

    sqs = client("sqs")
    dlq_arn = _queue_arn(sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"], client)
    attributes = {
        "VisibilityTimeout": str(LOCAL_VISIBILITY_TIMEOUT_SECONDS),
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVES_BEFORE_DLQ}),
    }
    # The same attributes again on a second run: CreateQueue then answers with the queue it has.
    return _queue_arn(sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"], client)


def _queue_arn(url: str, client: Any) -> str:
    """From the URL (…/<account>/<name>), without a GetQueueAttributes call per queue: this runs
    before every moto test (tests/conftest.py), so its calls are counted."""
    account, name = url.rstrip("/").split("/")[-2:]
    region = client("sqs").meta.region_name
    return f"arn:aws:sqs:{region}:{account}:{name}"


def _create_agency_enquiries(client: Any) -> str:
    """The enquiry topic and one queue per agency, subscribed raw with its filter policy."""
    from deploy.names import AGENCY_TOPIC
    from deploy.template import agency_filter_policy

    sns = client("sns")
    topic_arn = str(sns.create_topic(Name=AGENCY_TOPIC)["TopicArn"])
    existing = {s["Endpoint"] for s in sns.list_subscriptions_by_topic(TopicArn=topic_arn).get("Subscriptions", [])}
    for agency in AgencyId:
        queue_arn = _create_queue_with_dlq(client, agency_queue(agency))
        if queue_arn in existing:
            continue
        sns.subscribe(
            TopicArn=topic_arn,
            Protocol="sqs",
            Endpoint=queue_arn,
            Attributes={
                "RawMessageDelivery": "true",
                "FilterPolicy": json.dumps(agency_filter_policy(agency.value)),
                "FilterPolicyScope": "MessageAttributes",
            },
        )
    return topic_arn


def _create_export_drop(settings: Settings, client: Any) -> None:
    """The case system's drop folder, when exports go to S3 (locally: LOCAL_EXPORT_TARGET's bucket)."""
    from chalicelib.domain.case_export import parse_target

    if settings.case_export_target is None:
        return
    kind, bucket, _prefix = parse_target(settings.case_export_target)
    s3 = client("s3")
    if kind == "s3" and bucket not in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": settings.aws_region})


def _create_export_hop(client: Any) -> str:
    """The export topic, and the export queue subscribed to it raw (deploy/template.py ExportTopic)."""
    from deploy.names import EXPORT_TOPIC

    sns = client("sns")
    topic_arn = str(sns.create_topic(Name=EXPORT_TOPIC)["TopicArn"])
    queue_arn = _create_queue_with_dlq(client, EXPORTS_QUEUE)
    existing = {s["Endpoint"] for s in sns.list_subscriptions_by_topic(TopicArn=topic_arn).get("Subscriptions", [])}
    if queue_arn not in existing:
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    return topic_arn


def _create_inbound_mail(settings: Settings, client: Any) -> None:
    """Where SES's receipt rule stores agency replies, the queue it notifies, and the attachments bucket."""
    from deploy.names import INBOUND_PREFIX

    queue_arn = _create_queue_with_dlq(client, INBOUND_MAIL_QUEUE)
    s3 = client("s3")
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for bucket in (settings.inbound_mail_bucket, settings.attachments_bucket):
        if bucket not in existing:
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": settings.aws_region})
    s3.put_bucket_notification_configuration(
        Bucket=settings.inbound_mail_bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": queue_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": INBOUND_PREFIX}]}},
                }
            ]
        },
    )


def _create_uploads(settings: Settings, client: Any) -> None:
    """The bucket referrers' documents are posted to, notifying the uploads queue of each new object
    under uploads/ (deploy/template.py: UploadsBucket). moto makes the notifications itself."""
    from chalicelib.domain.attachments import UPLOAD_PREFIX

    queue_arn = _create_queue_with_dlq(client, UPLOADS_QUEUE)
    s3 = client("s3")
    if settings.uploads_bucket not in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
        s3.create_bucket(
            Bucket=settings.uploads_bucket, CreateBucketConfiguration={"LocationConstraint": settings.aws_region}
        )
    s3.put_bucket_notification_configuration(
        Bucket=settings.uploads_bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": queue_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": UPLOAD_PREFIX}]}},
                }
            ]
        },
    )


# The event types the deployed configuration set publishes (deploy/template.py MailEventDestination).
MAIL_EVENT_TYPES = ["send", "reject", "bounce", "complaint", "delivery", "deliveryDelay", "renderingFailure"]


def _create_mail_events(settings: Settings, client: Any) -> None:
    """The configuration set publishing SES events to the events topic, and the topic delivering
    them raw to the mail events queue (with its dead-letter queue), as in AWS. moto stores the
    configuration set but never emits events; the local outbox's buttons publish them (DESIGN §5)."""
    from botocore.exceptions import ClientError

    sns = client("sns")
    topic_arn = sns.create_topic(Name=settings.ses_events_topic)["TopicArn"]
    queue_arn = _create_queue_with_dlq(client, MAIL_EVENTS_QUEUE)
    existing = {s["Endpoint"] for s in sns.list_subscriptions_by_topic(TopicArn=topic_arn).get("Subscriptions", [])}
    if queue_arn not in existing:
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
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
