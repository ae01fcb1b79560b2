"""The CloudFormation that `chalice package --merge-template` merges into Chalice's SAM template.

Generated from Python rather than kept as JSON so the table comes from the one definition in
chalicelib/adapters/table.py (the local stack builds the same table from it), the Cognito groups
from the Role enum, and the queue visibility timeouts from the function timeout in config.json.

Chalice makes the functions, their roles (policies: deploy/policies.py) and the REST API; this adds
everything they use, and adjusts Chalice's resources by their logical ids (the merge is a deep
merge of dictionaries): function and role names, the API stage's throttling.

Two KMS keys, because their key policies must differ:
- the field key (alias/mash-hub): envelope encryption of personal fields. Only the functions'
  roles may use it, only for GenerateDataKey/Decrypt, only with the hub's encryption context.
  Account administrators manage it but cannot decrypt with it.
- the storage key (alias/mash-hub-storage): encryption at rest of the table, buckets and topics.
  AWS services use it on the caller's behalf (SES writes inbound mail, SNS stores messages), so its
  policy names services; access to the data it protects is decided by the table/bucket/topic IAM.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chalicelib.adapters.table import table_definition, ttl_specification
from chalicelib.domain.staff import Role
from chalicelib.events.queues import MAX_RECEIVES_BEFORE_DLQ as MAX_RECEIVES_BEFORE_DLQ
from deploy import alarms
from deploy.names import (
    AGENCY_FUNCTIONS,
    AGENCY_MESSAGE_ATTRIBUTE,
    AGENCY_TOPIC,
    API_HANDLER,
    CASE_EXPORTS,
    CONFIGURATION_SET,
    ENCRYPTION_CONTEXT_SERVICE,
    EXPORT_DROP_DAYS,
    EXPORT_PREFIX,
    EXPORT_TOPIC,
    FIELD_KEY,
    FIELD_KEY_ALIAS,
    FIELD_KEY_USERS,
    FUNCTIONS,
    INBOUND_MAIL,
    INBOUND_PREFIX,
    MAIL_DOMAIN_PARAMETER,
    MAIL_EVENTS_TOPIC,
    OUTBOX_SWEEP,
    PREFIX,
    PROJECT_ROOT,
    QUARANTINE_PREFIX,
    QUEUE_READERS,
    RECEIPT_RULE,
    RECEIPT_RULE_SET,
    SES_EVENTS,
    STORAGE_KEY,
    STORAGE_KEY_ALIAS,
    TABLE,
    TABLE_NAME,
    UPLOAD_PREFIX,
    UPLOADS,
    Function,
    api_stage_name,
    longest_function_timeout,
)

MERGE_TEMPLATE = PROJECT_ROOT / "build" / "merge-template.json"

# API Gateway stage throttling (all clients together): a council's referrals are tens a day, and a
# page view is a handful of requests; this absorbs a busy hour many times over while capping what a
# flood can cost. Per-client limits: the WAF rule below and the app's own limit (settings).
# The numbers README "Limits" gives; keep the two together.
API_RATE_LIMIT_PER_SECOND = 50
API_BURST_LIMIT = 100
# Per route, for the public POSTs: the JSON API takes whole referrals from agency systems; a form
# referral is about fifteen page posts.
REFERRALS_API_ROUTE = "/api/referrals"
REFERRALS_API_RATE_PER_SECOND, REFERRALS_API_BURST = 5, 10
FORM_ROUTE_PREFIX = "/referral/"
FORM_POST_RATE_PER_SECOND, FORM_POST_BURST = 20, 40
# WAF: requests per source IP per 5 minutes before it is blocked for a while. Generous, because a
# school or a police station sends all its staff's requests from one address.
WAF_REQUESTS_PER_IP_PER_5_MINUTES = 1500
# Never kept in the WAF's log: a staff member's bearer token, session cookies.
WAF_REDACTED_HEADERS = ("authorization", "cookie")
WAF_LOG_RETENTION_DAYS = 30

# Raw MIME under inbound/: the handler reads it and leaves it (the reply is kept sealed in the
# table); this lifecycle deletes it. Mail moved to quarantine/ (virus verdict) expires the same way.
INBOUND_MAIL_RETENTION_DAYS = 30
# Uploads of referrers' documents: the handler deletes each once checked; one it never got to (it
# failed for good, the message dead-lettered) is deleted by the bucket's lifecycle after this.
UPLOAD_RETENTION_DAYS = 1
NONCURRENT_VERSION_DAYS = 30  # how long an overwritten or deleted object can still be restored
LOG_RETENTION_DAYS = 400  # logs carry ids, never personal data; a year and a bit for incidents
DLQ_RETENTION_SECONDS = 14 * 24 * 3600  # the SQS maximum, to give people time to look
VISIBILITY_TIMEOUT_FACTOR = 6  # AWS's advice for SQS event sources: 6x the function timeout
REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"

PARTITION_ARN = "arn:${AWS::Partition}"
ACCOUNT_ROOT = {"Fn::Sub": f"{PARTITION_ARN}:iam::${{AWS::AccountId}}:root"}
RETAIN = {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}


def sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


def ref(logical_id: str) -> dict[str, str]:
    return {"Ref": logical_id}


def arn_of(logical_id: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def deny_insecure_transport(actions: str, resources: Any) -> dict[str, Any]:
    # A Deny, so the service-wide action is the point: nothing at all over plain HTTP.
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": actions,
        "Resource": resources,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


# -- Parameters and conditions ------------------------------------------------------------------


def parameters() -> dict[str, Any]:
    return {
        MAIL_DOMAIN_PARAMETER: {
            "Type": "String",
            "Description": "Domain the hub sends from and receives agency replies at (verify it in SES: DKIM records are in the outputs)",
            "AllowedPattern": r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$",
        },
        "MailSenderLocalPart": {"Type": "String", "Default": PREFIX, "Description": "From: <this>@MailDomain"},
        "HmacSecretName": {
            "Type": "String",
            "Default": f"{PREFIX}/hmac-secret",
            "Description": "Secrets Manager secret (SecretString, 32+ random bytes) keying references, CSRF tokens and the audit chain. Create it first; never rotate it without a migration (audit chains are keyed by it).",
        },
        "CouncilName": {"Type": "String", "Description": "Shown on every page and email"},
        **governance_parameters(),
        "PublicUrl": {
            "Type": "String",
            "AllowedPattern": "^https://[^/]+$",
            "Description": "Where the public pages are served (https://host, no path): links in emails to parents point here",
        },
        "MashEmail": {"Type": "String", "Description": "The MASH team's email address, shown to referrers"},
        "MashPhoneOfficeHours": {"Type": "String", "Description": "MASH phone number in office hours"},
        "MashPhoneOutOfHours": {"Type": "String", "Description": "Emergency duty team number out of hours"},
        "OutOfHoursEmail": {
            "Type": "String",
            "AllowedPattern": r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
            "Description": "The emergency duty team's mailbox: alerted (reference and flags only) when a protection or immediate-risk referral arrives out of hours",
        },
        "MashOfficeHours": {
            "Type": "String",
            "Default": "Monday to Thursday 9am to 5:15pm, Friday 9am to 5pm",
        },
        "AgencyDirectory": {
            "Type": "String",
            "Default": "[]",
            "Description": 'Partner agencies, JSON: [{"id": "police", "mailbox": "...", "reply_domains": ["..."], "escalation_contact": "..."}, ...] (ids: chalicelib/domain/agencies.py). "[]": enquiries are refused until it is set',
        },
        "InboundMailEnabled": {
            "Type": "String",
            "AllowedValues": ["true", "false"],
            "Default": "false",
            "Description": "Create the SES receipt rule set (only in regions where SES receives email)",
        },
        "CustomDomainName": {
            "Type": "String",
            "Default": "",
            "Description": "e.g. mash.example.gov.uk: the pages use root-absolute paths, so serve the API at a domain's root",
        },
        "CustomDomainCertificateArn": {
            "Type": "String",
            "Default": "",
            "Description": "ACM certificate for CustomDomainName, in this region",
        },
        "ExportEndpoint": {
            "Type": "String",
            "Default": "",
            "AllowedPattern": "^(https://[^/@\\s]+(/\\S*)?)?$",
            "Description": 'The case-management system\'s import endpoint (https://...). Empty: exports are dropped in the export bucket under case-system/ for its SFTP to pick up (README "Export to the case-management system")',
        },
        "ExportHmacSecretName": {
            "Type": "String",
            "Default": f"{PREFIX}/export-hmac-secret",
            "Description": "Secrets Manager secret (SecretString, 32+ characters) signing each export sent to ExportEndpoint (HMAC-SHA256); shared with the case system. Create it first when ExportEndpoint is set",
        },
        **alarms.parameters(),
    }


# The council's own facts on /privacy and /accessibility-statement (chalicelib/settings.py). Empty:
# the page says "not yet set" (README "Information governance"), so a deploy never waits on a line of text.
GOVERNANCE_SETTINGS = {
    "DataProtectionOfficer": "MASH_DATA_PROTECTION_OFFICER",
    "IcoRegistrationNumber": "MASH_ICO_REGISTRATION_NUMBER",
    "AccessibilityStatementPreparedOn": "MASH_ACCESSIBILITY_STATEMENT_PREPARED_ON",
    "AccessibilityTestedOn": "MASH_ACCESSIBILITY_TESTED_ON",
    "AccessibilityContactEmail": "MASH_ACCESSIBILITY_CONTACT_EMAIL",
    "AccessibilityEnforcement": "MASH_ACCESSIBILITY_ENFORCEMENT",
}
ISO_DATE_OR_EMPTY = r"^(\d{4}-\d{2}-\d{2})?$"


def governance_parameters() -> dict[str, Any]:
    return {
        "DataProtectionOfficer": {
            "Type": "String",
            "Default": "",
            "Description": "How to reach the council's data protection officer (an email or postal address), on /privacy",
        },
        "IcoRegistrationNumber": {
            "Type": "String",
            "Default": "",
            "Description": "The council's entry in the ICO's register of fee payers, on /privacy",
        },
        "AccessibilityStatementPreparedOn": {
            "Type": "String",
            "Default": "",
            "AllowedPattern": ISO_DATE_OR_EMPTY,
            "Description": "When the accessibility statement was prepared (YYYY-MM-DD)",
        },
        "AccessibilityTestedOn": {
            "Type": "String",
            "Default": "",
            "AllowedPattern": ISO_DATE_OR_EMPTY,
            "Description": "When the service was last tested for accessibility (YYYY-MM-DD)",
        },
        "AccessibilityContactEmail": {
            "Type": "String",
            "Default": "",
            "Description": "Where to report an accessibility problem; empty: MashEmail",
        },
        "AccessibilityEnforcement": {
            "Type": "String",
            "AllowedValues": ["great_britain", "northern_ireland"],
            "Default": "great_britain",
            "Description": "Who enforces the accessibility regulations where the council is (the statement's enforcement words)",
        },
    }


def conditions() -> dict[str, Any]:
    return {
        "ReceiveMail": {"Fn::Equals": [ref("InboundMailEnabled"), "true"]},
        "ExportsOverHttps": {"Fn::Not": [{"Fn::Equals": [ref("ExportEndpoint"), ""]}]},
        "HasCustomDomain": {
            "Fn::And": [
                {"Fn::Not": [{"Fn::Equals": [ref("CustomDomainName"), ""]}]},
                {"Fn::Not": [{"Fn::Equals": [ref("CustomDomainCertificateArn"), ""]}]},
            ]
        },
    }


# -- KMS ----------------------------------------------------------------------------------------

# Everything an administrator needs to manage a key, and none of Encrypt/Decrypt/GenerateDataKey
# or CreateGrant (a grant could give its maker decryption). Changing this policy to allow
# decryption is itself a PutKeyPolicy, which CloudTrail records.
KEY_ADMIN_ACTIONS = [
    "kms:DescribeKey",
    "kms:GetKeyPolicy",
    "kms:PutKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:EnableKeyRotation",
    "kms:DisableKeyRotation",
    "kms:ListKeyPolicies",
    "kms:ListGrants",
    "kms:ListResourceTags",
    "kms:RevokeGrant",
    "kms:RetireGrant",
    "kms:EnableKey",
    "kms:DisableKey",
    "kms:UpdateKeyDescription",
    "kms:CreateAlias",
    "kms:UpdateAlias",
    "kms:DeleteAlias",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
]


def administer_key() -> dict[str, Any]:
    return {
        "Sid": "AccountAdministersKey",
        "Effect": "Allow",
        "Principal": {"AWS": ACCOUNT_ROOT},
        "Action": KEY_ADMIN_ACTIONS,
        "Resource": "*",
    }


def field_key() -> dict[str, Any]:
    function_roles = [sub(f"{PARTITION_ARN}:iam::${{AWS::AccountId}}:role/{f.role_name_sub}") for f in FIELD_KEY_USERS]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            administer_key(),
            {
                # The roles are named by aws:PrincipalArn rather than as principals: a principal must
                # exist when the key policy is set, and the roles are made after the key.
                "Sid": "FunctionsUseKeyForHubRecordsOnly",
                "Effect": "Allow",
                "Principal": {"AWS": ACCOUNT_ROOT},
                "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                "Resource": "*",
                "Condition": {
                    "ArnEquals": {"aws:PrincipalArn": function_roles},
                    "StringEquals": {"kms:EncryptionContext:service": ENCRYPTION_CONTEXT_SERVICE},
                },
            },
        ],
    }
    return {
        "Type": "AWS::KMS::Key",
        **RETAIN,  # without it every referral ever stored is unreadable
        "Properties": {
            "Description": "MASH hub: envelope encryption of personal fields",
            "EnableKeyRotation": True,
            "PendingWindowInDays": 30,
            "KeyPolicy": policy,
        },
    }


def storage_key() -> dict[str, Any]:
    via_services = [sub(f"{service}.${{AWS::Region}}.amazonaws.com") for service in ("dynamodb", "s3", "sns")]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            administer_key(),
            {
                # What AWS documents for at-rest encryption with a customer managed key: any
                # principal of this account, only through these services; the table, bucket and
                # topic policies and the principals' IAM decide who reaches the data.
                "Sid": "AccountUsesKeyThroughStorageServices",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": [
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncryptFrom",
                    "kms:ReEncryptTo",
                    "kms:GenerateDataKey",
                    "kms:GenerateDataKeyWithoutPlaintext",
                    "kms:CreateGrant",
                    "kms:DescribeKey",
                ],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"kms:CallerAccount": ref("AWS::AccountId"), "kms:ViaService": via_services}
                },
            },
            {
                # SES writes received mail into the encrypted bucket and publishes sending events
                # to the encrypted topic: both need a data key.
                "Sid": "SesWritesMailAndEvents",
                "Effect": "Allow",
                "Principal": {"Service": "ses.amazonaws.com"},
                "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}},
            },
            # The hub's alarms publish to the operations topic, which this key encrypts.
            alarms.cloudwatch_uses_storage_key(),
        ],
    }
    return {
        "Type": "AWS::KMS::Key",
        **RETAIN,
        "Properties": {
            "Description": "MASH hub: encryption at rest of the table, buckets and topics",
            "EnableKeyRotation": True,
            "PendingWindowInDays": 30,
            "KeyPolicy": policy,
        },
    }


def kms_resources() -> dict[str, Any]:
    return {
        FIELD_KEY: field_key(),
        "FieldKeyAlias": {
            "Type": "AWS::KMS::Alias",
            "Properties": {"AliasName": FIELD_KEY_ALIAS, "TargetKeyId": ref(FIELD_KEY)},
        },
        STORAGE_KEY: storage_key(),
        "StorageKeyAlias": {
            "Type": "AWS::KMS::Alias",
            "Properties": {"AliasName": STORAGE_KEY_ALIAS, "TargetKeyId": ref(STORAGE_KEY)},
        },
    }


# -- DynamoDB -----------------------------------------------------------------------------------


def table() -> dict[str, Any]:
    properties = table_definition(TABLE_NAME)  # CreateTable's arguments are CloudFormation's names too
    properties.update(
        {
            "TimeToLiveSpecification": ttl_specification(),
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": ref(STORAGE_KEY)},
            "DeletionProtectionEnabled": True,
        }
    )
    return {TABLE: {"Type": "AWS::DynamoDB::Table", **RETAIN, "Properties": properties}}


# -- SQS and SNS --------------------------------------------------------------------------------


def queue_arn(name: str) -> dict[str, str]:
    return sub(f"{PARTITION_ARN}:sqs:${{AWS::Region}}:${{AWS::AccountId}}:{name}")


def queue_with_dlq(logical_id: str, name: str, senders: list[dict[str, Any]]) -> dict[str, Any]:
    """A queue for an `on_sqs_message` handler, its dead-letter queue, and who may send to it."""
    dlq_id = f"{logical_id}DeadLetters"
    visibility = VISIBILITY_TIMEOUT_FACTOR * longest_function_timeout()
    return {
        logical_id: {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": name,
                "VisibilityTimeout": visibility,
                "SqsManagedSseEnabled": True,  # SQS-owned key: S3 and SNS can send without a key grant
                "RedrivePolicy": {"deadLetterTargetArn": arn_of(dlq_id), "maxReceiveCount": MAX_RECEIVES_BEFORE_DLQ},
            },
        },
        dlq_id: {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": f"{name}-dlq",
                "MessageRetentionPeriod": DLQ_RETENTION_SECONDS,
                "SqsManagedSseEnabled": True,
                # Only its own queue may dead-letter here (by ARN: a Ref would be a cycle).
                "RedriveAllowPolicy": {"redrivePermission": "byQueue", "sourceQueueArns": [queue_arn(name)]},
            },
        },
        f"{logical_id}Policy": {
            "Type": "AWS::SQS::QueuePolicy",
            "Properties": {
                "Queues": [ref(logical_id), ref(dlq_id)],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        deny_insecure_transport("sqs:*", [arn_of(logical_id), arn_of(dlq_id)]),
                        *senders,
                    ],
                },
            },
        },
    }


def service_sends_to_queue(service: str, queue_id: str, source_arn: Any) -> dict[str, Any]:
    return {
        "Sid": f"{service.capitalize()}Sends",
        "Effect": "Allow",
        "Principal": {"Service": f"{service}.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": arn_of(queue_id),
        "Condition": {
            "ArnEquals": {"aws:SourceArn": source_arn},
            "StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")},
        },
    }


def topic(logical_id: str, name: str, publishers: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        logical_id: {
            "Type": "AWS::SNS::Topic",
            "Properties": {"TopicName": name, "KmsMasterKeyId": ref(STORAGE_KEY)},
        },
        f"{logical_id}Policy": {
            "Type": "AWS::SNS::TopicPolicy",
            "Properties": {
                "Topics": [ref(logical_id)],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [deny_insecure_transport("sns:Publish", ref(logical_id)), *publishers],
                },
            },
        },
    }


def subscribe(
    logical_id: str, topic_id: str, queue_id: str, filter_policy: dict[str, Any] | None = None
) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "TopicArn": ref(topic_id),
        "Protocol": "sqs",
        "Endpoint": arn_of(queue_id),
        "RawMessageDelivery": True,  # the handler gets the message and its attributes, not an SNS envelope
    }
    if filter_policy:
        properties["FilterPolicy"] = filter_policy
        properties["FilterPolicyScope"] = "MessageAttributes"
    return {logical_id: {"Type": "AWS::SNS::Subscription", "Properties": properties}}


def agency_filter_policy(agency: str) -> dict[str, list[str]]:
    """Only the messages naming this agency (an exact match on the message attribute)."""
    return {AGENCY_MESSAGE_ATTRIBUTE: [agency]}


def agency_queues() -> dict[str, Any]:
    """A queue and dead-letter queue per agency, each subscribed to the enquiry topic with a filter
    on the `agency` attribute: a broken mailbox or a throttled agency holds up only its own requests,
    and a message naming no known agency reaches no queue."""
    resources: dict[str, Any] = {}
    for agency, function in AGENCY_FUNCTIONS.items():
        queue_id = function.queue_logical_id
        assert function.queue is not None
        resources.update(
            queue_with_dlq(queue_id, function.queue, [service_sends_to_queue("sns", queue_id, ref("AgencyTopic"))])
        )
        resources.update(
            subscribe(f"{queue_id}Subscription", "AgencyTopic", queue_id, agency_filter_policy(agency.value))
        )
    return resources


def messaging_resources() -> dict[str, Any]:
    inbound_bucket_arn = sub(f"{PARTITION_ARN}:s3:::{inbound_bucket_name()}")
    assert INBOUND_MAIL.queue is not None and SES_EVENTS.queue is not None and UPLOADS.queue is not None
    assert CASE_EXPORTS.queue is not None
    return {
        # Agency enquiries: one message per agency, the agency as a message attribute.
        **topic("AgencyTopic", AGENCY_TOPIC, publishers=[]),
        **agency_queues(),
        # SES sending events (delivery, bounce, complaint, reject) through a queue the ses_events
        # function reads, so none is lost while the handler is failing. Raw delivery: each message
        # body is the SES event JSON itself.
        **topic("MailEventsTopic", MAIL_EVENTS_TOPIC, publishers=[ses_publishes_events()]),
        **queue_with_dlq(
            SES_EVENTS.queue_logical_id,
            SES_EVENTS.queue,
            [service_sends_to_queue("sns", SES_EVENTS.queue_logical_id, ref("MailEventsTopic"))],
        ),
        **subscribe("MailEventsSubscription", "MailEventsTopic", SES_EVENTS.queue_logical_id),
        # Inbound mail: the bucket notifies this queue of each new object under inbound/.
        **queue_with_dlq(
            INBOUND_MAIL.queue_logical_id,
            INBOUND_MAIL.queue,
            [service_sends_to_queue("s3", INBOUND_MAIL.queue_logical_id, inbound_bucket_arn)],
        ),
        # Exports to the case-management system: the outbox sweep publishes each (ids only); the
        # topic delivers it raw to the queue the case_exports function reads.
        **topic("ExportTopic", EXPORT_TOPIC, publishers=[]),
        **queue_with_dlq(
            CASE_EXPORTS.queue_logical_id,
            CASE_EXPORTS.queue,
            [service_sends_to_queue("sns", CASE_EXPORTS.queue_logical_id, ref("ExportTopic"))],
        ),
        **subscribe("ExportSubscription", "ExportTopic", CASE_EXPORTS.queue_logical_id),
        # Referrers' documents: the uploads bucket notifies this queue of each new object under uploads/.
        **queue_with_dlq(
            UPLOADS.queue_logical_id,
            UPLOADS.queue,
            [
                service_sends_to_queue(
                    "s3", UPLOADS.queue_logical_id, sub(f"{PARTITION_ARN}:s3:::{uploads_bucket_name()}")
                )
            ],
        ),
    }


def ses_publishes_events() -> dict[str, Any]:
    return {
        "Sid": "SesPublishesSendingEvents",
        "Effect": "Allow",
        "Principal": {"Service": "ses.amazonaws.com"},
        "Action": "sns:Publish",
        "Resource": ref("MailEventsTopic"),
        "Condition": {
            "StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")},
            "ArnEquals": {
                "aws:SourceArn": sub(
                    f"{PARTITION_ARN}:ses:${{AWS::Region}}:${{AWS::AccountId}}:configuration-set/{CONFIGURATION_SET}"
                )
            },
        },
    }


# -- S3 -----------------------------------------------------------------------------------------


def inbound_bucket_name() -> str:
    # Named (not generated) so the queue policy can name the bucket without a dependency cycle.
    return f"{PREFIX}-inbound-mail-${{AWS::AccountId}}-${{AWS::Region}}"


def uploads_bucket_name() -> str:
    # Named for the same reason as the inbound bucket: its queue's policy names it.
    return f"{PREFIX}-uploads-${{AWS::AccountId}}-${{AWS::Region}}"


def bucket(
    logical_id: str, lifecycle_rules: list[dict[str, Any]], extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "Type": "AWS::S3::Bucket",
        **RETAIN,
        "Properties": {
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {
                        "ServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": arn_of(STORAGE_KEY),
                        },
                        "BucketKeyEnabled": True,  # one KMS call per bucket key, not per object
                    }
                ]
            },
            "VersioningConfiguration": {"Status": "Enabled"},
            "LifecycleConfiguration": {"Rules": lifecycle_rules},
            **(extra or {}),
        },
    }


def common_lifecycle() -> list[dict[str, Any]]:
    return [
        {
            "Id": "ForgetOldVersions",
            "Status": "Enabled",
            "NoncurrentVersionExpiration": {"NoncurrentDays": NONCURRENT_VERSION_DAYS},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
            "ExpiredObjectDeleteMarker": True,
        }
    ]


def bucket_policy(logical_id: str, bucket_id: str, more: list[dict[str, Any]]) -> dict[str, Any]:
    objects = sub(f"${{{bucket_id}.Arn}}/*")
    return {
        logical_id: {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": ref(bucket_id),
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [deny_insecure_transport("s3:*", [arn_of(bucket_id), objects]), *more],
                },
            },
        }
    }


def storage_resources() -> dict[str, Any]:
    ses_writes_inbound = {
        "Sid": "SesStoresReceivedMail",
        "Effect": "Allow",
        "Principal": {"Service": "ses.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": sub(f"${{InboundMailBucket.Arn}}/{INBOUND_PREFIX}*"),
        "Condition": {
            "StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")},
            "ArnLike": {
                "aws:SourceArn": sub(
                    f"{PARTITION_ARN}:ses:${{AWS::Region}}:${{AWS::AccountId}}:receipt-rule-set/{RECEIPT_RULE_SET}:receipt-rule/{RECEIPT_RULE}"
                )
            },
        },
    }
    inbound_lifecycle = [
        {
            "Id": "ExpireRawInboundMail",
            "Status": "Enabled",
            "Prefix": INBOUND_PREFIX,
            "ExpirationInDays": INBOUND_MAIL_RETENTION_DAYS,
        },
        {
            # Mail flagged as infected is never opened; its triage item records that it came.
            "Id": "ExpireQuarantinedMail",
            "Status": "Enabled",
            "Prefix": QUARANTINE_PREFIX,
            "ExpirationInDays": INBOUND_MAIL_RETENTION_DAYS,
        },
        *common_lifecycle(),
    ]
    notify_queue = {
        "NotificationConfiguration": {
            "QueueConfigurations": [
                {
                    "Event": "s3:ObjectCreated:*",
                    "Queue": arn_of(INBOUND_MAIL.queue_logical_id),
                    "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": INBOUND_PREFIX}]}},
                }
            ]
        },
        "BucketName": sub(inbound_bucket_name()),
    }
    inbound = bucket("InboundMailBucket", inbound_lifecycle, notify_queue)
    # S3 checks it may send to the queue when the notification is set.
    inbound["DependsOn"] = [f"{INBOUND_MAIL.queue_logical_id}Policy"]
    return {
        "InboundMailBucket": inbound,
        **bucket_policy("InboundMailBucketPolicy", "InboundMailBucket", [ses_writes_inbound]),
        # Files of agency replies and of triage items, under replies/<id>/: SSE-KMS under the storage
        # key, which the inbound function also names in each PutObject (MASH_STORAGE_KEY_ID), so an
        # object never falls back to S3's account-managed key. They go with their reply or triage
        # item (the retention sweep), never by age.
        "AttachmentsBucket": bucket("AttachmentsBucket", common_lifecycle()),
        **bucket_policy("AttachmentsBucketPolicy", "AttachmentsBucket", []),
        **uploads_storage(),
        **export_storage(),
    }


def export_storage() -> dict[str, Any]:
    """The case system's drop folder: exports under case-system/<export id>.json (SSE-KMS under the
    storage key), written by the outbox sweep only, expired once the case system has had time to
    pick them up (its SFTP reads them with its own access, granted by the council)."""
    expire = {
        "Id": "ExpireExportsNotPickedUp",
        "Status": "Enabled",
        "Prefix": EXPORT_PREFIX,
        "ExpirationInDays": EXPORT_DROP_DAYS,
    }
    return {
        "ExportDropBucket": bucket("ExportDropBucket", [expire, *common_lifecycle()]),
        **bucket_policy("ExportDropBucketPolicy", "ExportDropBucket", []),
    }


def uploads_storage() -> dict[str, Any]:
    """Where the public's presigned POSTs put documents for a referral (uploads/<reference>/...).

    Its own bucket, apart from the files the hub keeps: the public can only ever write here (by a
    POST the API signed, for one key, size, type and the storage key), and nothing here is ever
    served: only the uploads function may read an object (the bucket policy refuses every other
    principal, administrators included), to check it by content and move it to the attachments
    bucket or refuse it. What the handler never got to expires after a day; so do old versions.
    """
    uploads_role = sub(f"{PARTITION_ARN}:iam::${{AWS::AccountId}}:role/{UPLOADS.role_name_sub}")
    only_the_handler_reads = {
        "Sid": "OnlyTheUploadsFunctionReadsUploads",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": sub("${UploadsBucket.Arn}/*"),
        "Condition": {"ArnNotEquals": {"aws:PrincipalArn": uploads_role}},
    }
    lifecycle = [
        {
            "Id": "ExpireUnhandledUploads",
            "Status": "Enabled",
            "Prefix": UPLOAD_PREFIX,
            "ExpirationInDays": UPLOAD_RETENTION_DAYS,
        },
        {
            "Id": "ForgetOldVersions",
            "Status": "Enabled",
            "NoncurrentVersionExpiration": {"NoncurrentDays": UPLOAD_RETENTION_DAYS},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
            "ExpiredObjectDeleteMarker": True,
        },
    ]
    notify_queue = {
        "NotificationConfiguration": {
            "QueueConfigurations": [
                {
                    "Event": "s3:ObjectCreated:*",
                    "Queue": arn_of(UPLOADS.queue_logical_id),
                    "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": UPLOAD_PREFIX}]}},
                }
            ]
        },
        "BucketName": sub(uploads_bucket_name()),
    }
    uploads = bucket("UploadsBucket", lifecycle, notify_queue)
    uploads["DependsOn"] = [f"{UPLOADS.queue_logical_id}Policy"]  # S3 checks it may send when it is set
    return {
        "UploadsBucket": uploads,
        **bucket_policy("UploadsBucketPolicy", "UploadsBucket", [only_the_handler_reads]),
    }


# -- SES ----------------------------------------------------------------------------------------


def mail_resources() -> dict[str, Any]:
    domain = ref(MAIL_DOMAIN_PARAMETER)
    return {
        "MailDomainIdentity": {
            "Type": "AWS::SES::EmailIdentity",
            "Properties": {
                "EmailIdentity": domain,
                "DkimSigningAttributes": {"NextSigningKeyLength": "RSA_2048_BIT"},
                "ConfigurationSetAttributes": {"ConfigurationSetName": ref("MailConfigurationSet")},
                "FeedbackAttributes": {"EmailForwardingEnabled": False},  # bounces come as events
            },
        },
        "MailConfigurationSet": {
            "Type": "AWS::SES::ConfigurationSet",
            "Properties": {
                "Name": CONFIGURATION_SET,
                "DeliveryOptions": {"TlsPolicy": "REQUIRE"},  # never hand personal data over plain SMTP
                "ReputationOptions": {"ReputationMetricsEnabled": True},
                "SendingOptions": {"SendingEnabled": True},
            },
        },
        "MailEventDestination": {
            "Type": "AWS::SES::ConfigurationSetEventDestination",
            "DependsOn": ["MailEventsTopicPolicy"],
            "Properties": {
                "ConfigurationSetName": ref("MailConfigurationSet"),
                "EventDestination": {
                    "Name": "to-sns",
                    "Enabled": True,
                    "MatchingEventTypes": [
                        "send",
                        "reject",
                        "bounce",
                        "complaint",
                        "delivery",
                        "deliveryDelay",
                        "renderingFailure",
                    ],
                    "SnsDestination": {"TopicARN": ref("MailEventsTopic")},
                },
            },
        },
        # Receiving is region-limited (see README); the rule set must also be made active by hand.
        "InboundRuleSet": {
            "Type": "AWS::SES::ReceiptRuleSet",
            "Condition": "ReceiveMail",
            "Properties": {"RuleSetName": RECEIPT_RULE_SET},
        },
        "InboundRule": {
            "Type": "AWS::SES::ReceiptRule",
            "Condition": "ReceiveMail",
            "DependsOn": ["InboundMailBucketPolicy"],  # SES checks it may write when the rule is made
            "Properties": {
                "RuleSetName": ref("InboundRuleSet"),
                "Rule": {
                    "Name": RECEIPT_RULE,
                    "Enabled": True,
                    "ScanEnabled": True,  # spam and virus verdicts, which the handler acts on
                    "TlsPolicy": "Require",
                    "Recipients": [domain],
                    "Actions": [
                        {"S3Action": {"BucketName": ref("InboundMailBucket"), "ObjectKeyPrefix": INBOUND_PREFIX}}
                    ],
                },
            },
        },
    }


# -- Cognito ------------------------------------------------------------------------------------

GROUP_DESCRIPTIONS = {
    Role.PRACTITIONER: "Screens referrals, records decisions and opens agency enquiries",
    Role.MANAGER: "Approves decisions, places legal holds; everything a practitioner does",
    Role.AUDITOR: "Reads the audit trail and exports subject-access bundles",
    Role.EDT: "Emergency duty team: opens referrals it is alerted to out of hours and hands them over",
}


def cognito_resources() -> dict[str, Any]:
    groups = {
        f"{role.name.capitalize()}Group": {
            "Type": "AWS::Cognito::UserPoolGroup",
            "Properties": {
                "UserPoolId": ref("StaffUserPool"),
                "GroupName": role.value,
                "Description": GROUP_DESCRIPTIONS[role],
            },
        }
        for role in Role
    }
    return {
        "StaffUserPool": {
            "Type": "AWS::Cognito::UserPool",
            **RETAIN,
            "Properties": {
                "UserPoolName": f"{PREFIX}-staff",
                "DeletionProtection": "ACTIVE",
                # Staff are added by an administrator; nobody signs themselves up.
                "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
                "UsernameAttributes": ["email"],
                "AutoVerifiedAttributes": ["email"],
                "MfaConfiguration": "ON",
                "EnabledMfas": ["SOFTWARE_TOKEN_MFA"],
                "Policies": {
                    "PasswordPolicy": {
                        "MinimumLength": 14,
                        "RequireLowercase": True,
                        "RequireUppercase": True,
                        "RequireNumbers": True,
                        "RequireSymbols": False,
                        "TemporaryPasswordValidityDays": 3,
                    }
                },
                "AccountRecoverySetting": {"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]},
            },
        },
        "StaffAppClient": {
            "Type": "AWS::Cognito::UserPoolClient",
            "Properties": {
                "UserPoolId": ref("StaffUserPool"),
                "ClientName": f"{PREFIX}-staff",
                "GenerateSecret": False,
                "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                "PreventUserExistenceErrors": "ENABLED",
                "EnableTokenRevocation": True,
                # A working day's session at most; the ID token itself lasts an hour.
                "IdTokenValidity": 60,
                "AccessTokenValidity": 60,
                "RefreshTokenValidity": 10,
                "TokenValidityUnits": {"IdToken": "minutes", "AccessToken": "minutes", "RefreshToken": "hours"},
                # The staff console signs in through the hosted UI: authorization code with PKCE
                # (a public client, no secret), back to the console on the hub's own domain.
                "AllowedOAuthFlowsUserPoolClient": True,
                "AllowedOAuthFlows": ["code"],
                "AllowedOAuthScopes": ["openid", "email", "profile"],
                "SupportedIdentityProviders": ["COGNITO"],
                "CallbackURLs": [sub("${PublicUrl}/staff/callback")],
                "LogoutURLs": [sub("${PublicUrl}/staff/signed-out")],
            },
        },
        # The hosted UI's own domain (a Cognito prefix domain, unique per account and region).
        "StaffSignInDomain": {
            "Type": "AWS::Cognito::UserPoolDomain",
            "Properties": {
                "UserPoolId": ref("StaffUserPool"),
                "Domain": sub(f"{PREFIX}-staff-${{AWS::AccountId}}"),
            },
        },
        **groups,
    }


# -- The API ------------------------------------------------------------------------------------


def public_post_throttles() -> list[dict[str, Any]]:
    """A MethodSettings entry per public POST route of the app (`/api/referrals`, `/referral/...`)."""
    from app import app  # the routes as Chalice will publish them

    entries = []
    for path in sorted(app.routes):
        if "POST" not in app.routes[path]:
            continue
        if path == REFERRALS_API_ROUTE:
            rate, burst = REFERRALS_API_RATE_PER_SECOND, REFERRALS_API_BURST
        elif path.startswith(FORM_ROUTE_PREFIX):
            rate, burst = FORM_POST_RATE_PER_SECOND, FORM_POST_BURST
        else:
            continue
        entries.append(
            {
                # CloudFormation's encoding of a resource path: /a/b is /~1a~1b.
                "ResourcePath": "/" + path.replace("/", "~1"),
                "HttpMethod": "POST",
                "ThrottlingRateLimit": rate,
                "ThrottlingBurstLimit": burst,
                "MetricsEnabled": True,
            }
        )
    return entries


def api_resources() -> dict[str, Any]:
    stage = api_stage_name()
    stage_resource = f"RestAPI{stage}Stage"  # the stage SAM makes for Chalice's RestAPI
    stage_arn = sub(f"{PARTITION_ARN}:apigateway:${{AWS::Region}}::/restapis/${{RestAPI}}/stages/{stage}")
    # No sampled requests: the console keeps whole requests for three hours with no way to redact
    # a header, so staff bearer tokens and session cookies would sit there. The WAF's log (below)
    # is where requests are looked at, with those headers redacted.
    visibility = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": True}
    return {
        "RestAPI": {
            "Properties": {
                # Named, so the API 5xx alarm's ApiName dimension is this name (deploy/alarms.py).
                "Name": alarms.api_name(),
                "MethodSettings": [
                    {
                        "ResourcePath": "/*",
                        "HttpMethod": "*",
                        "ThrottlingRateLimit": API_RATE_LIMIT_PER_SECOND,
                        "ThrottlingBurstLimit": API_BURST_LIMIT,
                        "MetricsEnabled": True,
                    },
                    *public_post_throttles(),
                ],
            }
        },
        "PublicWebAcl": {
            "Type": "AWS::WAFv2::WebACL",
            "Properties": {
                "Name": f"{PREFIX}-public",
                "Scope": "REGIONAL",
                "DefaultAction": {"Allow": {}},
                "VisibilityConfig": {**visibility, "MetricName": f"{PREFIX}-public"},
                "Rules": [
                    {
                        "Name": "per-client-rate-limit",
                        "Priority": 0,
                        "Action": {"Block": {}},
                        "Statement": {
                            "RateBasedStatement": {
                                "Limit": WAF_REQUESTS_PER_IP_PER_5_MINUTES,
                                "AggregateKeyType": "IP",
                                "EvaluationWindowSec": 300,
                            }
                        },
                        "VisibilityConfig": {**visibility, "MetricName": "per-client-rate-limit"},
                    }
                ],
            },
        },
        # WAF log group names must start aws-waf-logs-. Blocked requests only: what is worth
        # reading, at a fraction of the cost of logging every request.
        "PublicWebAclLogs": {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {"LogGroupName": f"aws-waf-logs-{PREFIX}-public", "RetentionInDays": WAF_LOG_RETENTION_DAYS},
        },
        "PublicWebAclLogging": {
            "Type": "AWS::WAFv2::LoggingConfiguration",
            "Properties": {
                "ResourceArn": arn_of("PublicWebAcl"),
                "LogDestinationConfigs": [
                    sub(
                        f"{PARTITION_ARN}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:aws-waf-logs-{PREFIX}-public"
                    )
                ],
                "RedactedFields": [{"SingleHeader": {"Name": name}} for name in WAF_REDACTED_HEADERS],
                "LoggingFilter": {
                    "DefaultBehavior": "DROP",
                    "Filters": [
                        {
                            "Behavior": "KEEP",
                            "Requirement": "MEETS_ANY",
                            "Conditions": [{"ActionCondition": {"Action": "BLOCK"}}],
                        }
                    ],
                },
            },
            "DependsOn": ["PublicWebAclLogs"],
        },
        "PublicWebAclAssociation": {
            "Type": "AWS::WAFv2::WebACLAssociation",
            "DependsOn": [stage_resource],
            "Properties": {"ResourceArn": stage_arn, "WebACLArn": arn_of("PublicWebAcl")},
        },
        "ApiDomain": {
            "Type": "AWS::ApiGateway::DomainName",
            "Condition": "HasCustomDomain",
            "Properties": {
                "DomainName": ref("CustomDomainName"),
                "RegionalCertificateArn": ref("CustomDomainCertificateArn"),
                "EndpointConfiguration": {"Types": ["REGIONAL"]},
                "SecurityPolicy": "TLS_1_2",
            },
        },
        "ApiRootMapping": {
            "Type": "AWS::ApiGateway::BasePathMapping",
            "Condition": "HasCustomDomain",
            "DependsOn": [stage_resource],
            "Properties": {"DomainName": ref("ApiDomain"), "RestApiId": ref("RestAPI"), "Stage": stage},
        },
    }


# -- The functions ------------------------------------------------------------------------------


def environment() -> dict[str, Any]:
    """Every MASH_* setting the functions read in AWS (MASH_STAGE comes from config.json)."""
    issuer = sub("https://cognito-idp.${AWS::Region}.amazonaws.com/${StaffUserPool}")
    return {
        "MASH_TABLE_NAME": ref(TABLE),
        "MASH_KMS_KEY_ID": arn_of(FIELD_KEY),
        # Resolved by CloudFormation at deploy time; the template and its history hold only the name.
        "MASH_HMAC_SECRET": sub("{{resolve:secretsmanager:${HmacSecretName}:SecretString}}"),
        "MASH_MAIL_DOMAIN": ref(MAIL_DOMAIN_PARAMETER),
        "MASH_MAIL_SENDER": sub(f"${{MailSenderLocalPart}}@${{{MAIL_DOMAIN_PARAMETER}}}"),
        "MASH_SES_CONFIGURATION_SET": ref("MailConfigurationSet"),
        "MASH_JWT_ISSUER": issuer,
        "MASH_JWT_AUDIENCE": ref("StaffAppClient"),
        "MASH_JWKS_URL": sub("https://cognito-idp.${AWS::Region}.amazonaws.com/${StaffUserPool}/.well-known/jwks.json"),
        # Staff are named on pages from the user pool's MASH groups (cognito-idp:ListUsersInGroup).
        "MASH_STAFF_USER_POOL_ID": ref("StaffUserPool"),
        "MASH_COUNCIL_NAME": ref("CouncilName"),
        **{setting: ref(parameter) for parameter, setting in GOVERNANCE_SETTINGS.items()},
        "MASH_PUBLIC_URL": ref("PublicUrl"),
        # The staff console's sign-in: the hosted UI of the staff user pool (StaffSignInDomain).
        "MASH_CONSOLE_HOSTED_UI_DOMAIN": sub(
            f"https://{PREFIX}-staff-${{AWS::AccountId}}.auth.${{AWS::Region}}.amazoncognito.com"
        ),
        "MASH_MASH_EMAIL": ref("MashEmail"),
        "MASH_MASH_PHONE_OFFICE_HOURS": ref("MashPhoneOfficeHours"),
        "MASH_MASH_PHONE_OUT_OF_HOURS": ref("MashPhoneOutOfHours"),
        # Required outside the local stage: the app refuses to start without it (chalicelib/settings.py).
        "MASH_OUT_OF_HOURS_EMAIL": ref("OutOfHoursEmail"),
        "MASH_MASH_OFFICE_HOURS": ref("MashOfficeHours"),
        # Agency enquiries: who to ask (JSON, chalicelib/domain/agencies.py), the topic they fan
        # out on, the bucket SES stores replies in and the one their attachments are kept in.
        "MASH_AGENCIES": ref("AgencyDirectory"),
        "MASH_AGENCY_TOPIC_ARN": ref("AgencyTopic"),
        "MASH_INBOUND_MAIL_BUCKET": ref("InboundMailBucket"),
        "MASH_ATTACHMENTS_BUCKET": ref("AttachmentsBucket"),
        # Referrers' documents: where their presigned POSTs put them (README "Documents").
        "MASH_UPLOADS_BUCKET": ref("UploadsBucket"),
    }


def sqs_event_properties(function: Function) -> dict[str, Any]:
    """What the merge adds to the function's SQS event (chalice package writes Queue and BatchSize):
    report batch item failures, so one bad message is retried alone (chalicelib/events/batch.py)."""
    return {
        "Events": {
            function.event_source_logical_id: {"Properties": {"FunctionResponseTypes": [REPORT_BATCH_ITEM_FAILURES]}}
        }
    }


def function_environment(function: Function) -> dict[str, Any]:
    """Settings only some functions read, merged over the Globals (SAM merges the two)."""
    variables = {}
    if function in (INBOUND_MAIL, UPLOADS, API_HANDLER):
        # Reply attachments and referrers' documents are put with SSE-KMS under this key
        # (chalicelib/adapters/mail_objects.py), and the API's presigned POSTs require it for each
        # upload; the roles may use it through S3 only (deploy/policies.py storage_key_through_s3).
        variables["MASH_STORAGE_KEY_ID"] = arn_of(STORAGE_KEY)
    if function in (OUTBOX_SWEEP, API_HANDLER):
        # The request that owes an export hands it to the export topic at once, the sweep if that
        # did not happen (chalicelib/services/export_case.py).
        variables["MASH_EXPORT_TOPIC_ARN"] = ref("ExportTopic")
    if function is CASE_EXPORTS:
        # Exports to the case-management system go from the export function only
        # (chalicelib/services/receive_export.py): to its endpoint when one is set, signed with a
        # secret resolved at deploy time, else to the drop folder.
        variables["MASH_STORAGE_KEY_ID"] = arn_of(STORAGE_KEY)
        variables["MASH_EXPORT_TARGET"] = {
            "Fn::If": ["ExportsOverHttps", ref("ExportEndpoint"), sub(f"s3://${{ExportDropBucket}}/{EXPORT_PREFIX}")]
        }
        variables["MASH_EXPORT_HMAC_SECRET"] = {
            "Fn::If": [
                "ExportsOverHttps",
                sub("{{resolve:secretsmanager:${ExportHmacSecretName}:SecretString}}"),
                ref("AWS::NoValue"),
            ]
        }
    return {"Environment": {"Variables": variables}} if variables else {}


def function_resources() -> dict[str, Any]:
    resources: dict[str, Any] = {}
    for function in FUNCTIONS:
        resources[function.logical_id] = {
            "Properties": {
                "FunctionName": function.function_name,
                **function_environment(function),
                **(sqs_event_properties(function) if function in QUEUE_READERS else {}),
            },
            # The log group: so Lambda never makes it without a retention. The queue: chalice
            # names it by ARN, so without this the event source mapping could come before it.
            "DependsOn": [
                f"{function.logical_id}Logs",
                *([function.queue_logical_id] if function in QUEUE_READERS else []),
            ],
        }
        resources[function.role_logical_id] = {"Properties": {"RoleName": sub(function.role_name_sub)}}
        resources[f"{function.logical_id}Logs"] = {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": f"/aws/lambda/{function.function_name}",
                "RetentionInDays": LOG_RETENTION_DAYS,
            },
        }
    return resources


def outputs() -> dict[str, Any]:
    values = {
        "TableName": ref(TABLE),
        "FieldKeyArn": arn_of(FIELD_KEY),
        "UserPoolId": ref("StaffUserPool"),
        "UserPoolClientId": ref("StaffAppClient"),
        "StaffSignInUrl": sub("${PublicUrl}/staff/"),
        "ConfigurationSetName": ref("MailConfigurationSet"),
        "InboundMailBucketName": ref("InboundMailBucket"),
        "AttachmentsBucketName": ref("AttachmentsBucket"),
        "UploadsBucketName": ref("UploadsBucket"),
        "ExportDropBucketName": ref("ExportDropBucket"),
        "InboundMailMxTarget": sub("inbound-smtp.${AWS::Region}.amazonaws.com"),
    }
    for n in (1, 2, 3):
        values[f"DkimRecord{n}"] = {
            "Fn::Join": [
                " ",
                [
                    {"Fn::GetAtt": ["MailDomainIdentity", f"DkimDNSTokenName{n}"]},
                    "CNAME",
                    {"Fn::GetAtt": ["MailDomainIdentity", f"DkimDNSTokenValue{n}"]},
                ],
            ]
        }
    result = {name: {"Value": value} for name, value in values.items()}
    result["CustomDomainTarget"] = {
        "Condition": "HasCustomDomain",
        "Description": "CNAME (or alias) the custom domain to this",
        "Value": {"Fn::GetAtt": ["ApiDomain", "RegionalDomainName"]},
    }
    return result


def merge_template() -> dict[str, Any]:
    resources: dict[str, Any] = {}
    for part in (
        kms_resources(),
        table(),
        messaging_resources(),
        storage_resources(),
        mail_resources(),
        cognito_resources(),
        api_resources(),
        function_resources(),
    ):
        overlap = resources.keys() & part.keys()
        if overlap:
            raise ValueError(f"logical ids declared twice: {sorted(overlap)}")
        resources.update(part)
    # The alarms last: every dead-letter queue declared above gets one.
    operations = alarms.operations_resources(resources)
    overlap = resources.keys() & operations.keys()
    if overlap:
        raise ValueError(f"logical ids declared twice: {sorted(overlap)}")
    resources.update(operations)
    return {
        "Parameters": parameters(),
        "Conditions": conditions(),
        "Globals": {"Function": {"Environment": {"Variables": environment()}}},
        "Resources": resources,
        "Outputs": outputs(),
    }


def write_merge_template(path: Path = MERGE_TEMPLATE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(merge_template(), indent=2) + "\n")
    return path


if __name__ == "__main__":
    print(f"wrote {write_merge_template().relative_to(PROJECT_ROOT)}")
