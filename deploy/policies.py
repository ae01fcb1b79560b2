"""Least-privilege IAM policy of each Lambda function, written where Chalice reads them.

`autogen_policy` is false in the prod stage, so Chalice gives each function its own role with the
policy file that config.json names for it (`lambda_functions.<name>.iam_policy_file`), and any
function without one gets `.chalice/policy-prod.json`: logs only, so a new handler can touch no
data until someone writes down what it needs (tests/test_deploy_template.py fails until then).

The documents hold CloudFormation intrinsics (Fn::GetAtt, Fn::Sub) naming resources of the merge
template; `chalice package` copies them into the template as they are. So they only work through
`chalice package` + CloudFormation, never `chalice deploy` (which this project does not use).

Run `python -m deploy.policies` (`make package` does) after changing this file; a test checks the
files in .chalice/ match it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chalicelib.adapters.table import OUTBOX_INDEX, OWNER_INDEX, QUEUE_INDEX
from deploy.names import (
    AGENCY_FUNCTIONS,
    API_HANDLER,
    ATTACHMENTS_PREFIX,
    CASE_EXPORTS,
    CHALICE_DIR,
    CONFIGURATION_SET,
    ENCRYPTION_CONTEXT_SERVICE,
    EXPORT_PREFIX,
    FIELD_KEY,
    FUNCTIONS,
    INBOUND_MAIL,
    INBOUND_PREFIX,
    MAIL_DOMAIN_PARAMETER,
    OUTBOX_SWEEP,
    PREFIX,
    QUARANTINE_PREFIX,
    REFERRAL_DOCUMENTS_PREFIX,
    RETENTION_SWEEP,
    SES_EVENTS,
    STAFF_TOKEN,
    STAGE,
    STORAGE_KEY,
    TABLE,
    UPLOAD_PREFIX,
    UPLOADS,
    Function,
)

Statement = dict[str, Any]

DEFAULT_POLICY_FILE = f"policy-{STAGE}.json"
TABLE_ARN = {"Fn::GetAtt": [TABLE, "Arn"]}
# Logical ids of the merge template's topic and buckets (deploy/template.py).
AGENCY_TOPIC_ID = "AgencyTopic"
EXPORT_TOPIC_ID = "ExportTopic"
INBOUND_BUCKET_ID = "InboundMailBucket"
ATTACHMENTS_BUCKET_ID = "AttachmentsBucket"
UPLOADS_BUCKET_ID = "UploadsBucket"
EXPORT_BUCKET_ID = "ExportDropBucket"


def _index_arn(index: str) -> dict[str, str]:
    return {"Fn::Sub": f"${{{TABLE}.Arn}}/index/{index}"}


def _arn(service: str, resource: str) -> dict[str, str]:
    return {"Fn::Sub": f"arn:${{AWS::Partition}}:{service}:${{AWS::Region}}:${{AWS::AccountId}}:{resource}"}


def write_logs(function: Function) -> Statement:
    # The log group is declared in the template (with a retention period), so no CreateLogGroup.
    return {
        "Sid": "WriteOwnLogs",
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": _arn("logs", f"log-group:/aws/lambda/{function.function_name}:*"),
    }


def field_key(*actions: str) -> Statement:
    # Only with the hub's encryption context, as the key policy also insists: the role cannot use
    # the key for anything but the hub's envelope encryption.
    return {
        "Sid": "UseFieldKeyForHubRecordsOnly",
        "Effect": "Allow",
        "Action": [f"kms:{action}" for action in actions],
        "Resource": {"Fn::GetAtt": [FIELD_KEY, "Arn"]},
        "Condition": {"StringEquals": {"kms:EncryptionContext:service": ENCRYPTION_CONTEXT_SERVICE}},
    }


def send_mail() -> Statement:
    # SendRawEmail is authorised against the sending identity and the configuration set named in the call.
    return {
        "Sid": "SendMailFromHubDomainThroughConfigurationSet",
        "Effect": "Allow",
        "Action": ["ses:SendRawEmail"],
        "Resource": [
            _arn("ses", f"identity/${{{MAIL_DOMAIN_PARAMETER}}}"),
            _arn("ses", f"configuration-set/{CONFIGURATION_SET}"),
        ],
    }


def read_own_queue(function: Function) -> Statement:
    # What Lambda's SQS poller does with the function's role: its own queue, nothing else.
    return {
        "Sid": "ReadOwnQueue",
        "Effect": "Allow",
        "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
        "Resource": {"Fn::GetAtt": [function.queue_logical_id, "Arn"]},
    }


def objects(bucket_id: str, prefix: str) -> dict[str, str]:
    return {"Fn::Sub": f"${{{bucket_id}.Arn}}/{prefix}*"}


def storage_key_through_s3(*actions: str) -> Statement:
    # The buckets are SSE-KMS under the storage key: reading an object needs Decrypt, writing one a
    # data key. Only as S3 asks on the role's behalf, never directly.
    return {
        "Sid": "UseStorageKeyThroughS3Only",
        "Effect": "Allow",
        "Action": [f"kms:{action}" for action in actions],
        "Resource": {"Fn::GetAtt": [STORAGE_KEY, "Arn"]},
        "Condition": {"StringEquals": {"kms:ViaService": {"Fn::Sub": "s3.${AWS::Region}.amazonaws.com"}}},
    }


def api_handler_policy() -> list[Statement]:
    return [
        write_logs(API_HANDLER),
        {
            # GetItem: a referral or a draft; BatchGetItem: the timeliness report's metadata (projected).
            # PutItem: a new referral (conditional) with its "known before" and search index entries
            # (one TransactWriteItems, authorised as PutItem), a draft. BatchGetItem: search results' status.
            # UpdateItem: notices after the immediate send. DeleteItem: a draft once it is sent.
            # Staff changes are TransactWriteItems, which IAM authorises as PutItem + UpdateItem.
            # BatchWriteItem: the SES message markers after a send.
            "Sid": "ReadAndWriteHubItems",
            "Effect": "Allow",
            "Action": [
                "dynamodb:GetItem",
                "dynamodb:BatchGetItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:DeleteItem",
                "dynamodb:BatchWriteItem",
            ],
            "Resource": TABLE_ARN,
        },
        {
            # The table (a referral's audit events share its partition), the staff work queue and
            # each person's own work (the owner index).
            "Sid": "QueryReferralPartitionsAndWorkQueue",
            "Effect": "Allow",
            "Action": ["dynamodb:Query"],
            "Resource": [TABLE_ARN, _index_arn(QUEUE_INDEX), _index_arn(OWNER_INDEX)],
        },
        # GenerateDataKey: one per referral or draft write. Decrypt: reading one back.
        field_key("GenerateDataKey", "Decrypt"),
        # The acknowledgement goes out at once after a referral is stored.
        send_mail(),
        # Staff open agency enquiries: one message per agency on the enquiry topic (PublishBatch is
        # authorised as sns:Publish). An export a
        # decision or a manager's request owes is handed to the export topic at once after the write.
        {
            "Sid": "PublishAgencyEnquiriesAndExports",
            "Effect": "Allow",
            "Action": ["sns:Publish"],
            "Resource": [{"Ref": AGENCY_TOPIC_ID}, {"Ref": EXPORT_TOPIC_ID}],
        },
        {
            # A referrer's document: the presigned POST this role signs is authorised, when the
            # browser sends it, as this role's PutObject, so it may put under uploads/ and nowhere else.
            "Sid": "SignUploadsOfReferrersDocuments",
            "Effect": "Allow",
            "Action": ["s3:PutObject"],
            "Resource": objects(UPLOADS_BUCKET_ID, UPLOAD_PREFIX),
        },
        {
            # Staff's 60-second download links (presigned GETs) to kept documents and reply files.
            "Sid": "SignDownloadsForStaff",
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": [
                objects(ATTACHMENTS_BUCKET_ID, REFERRAL_DOCUMENTS_PREFIX),
                objects(ATTACHMENTS_BUCKET_ID, ATTACHMENTS_PREFIX),
            ],
        },
        # The same two through S3: an upload is encrypted under the storage key on the signer's
        # behalf (a data key), a download decrypted (S3 asks KMS as the signing role).
        storage_key_through_s3("GenerateDataKey", "Decrypt"),
        {
            # Staff shown by name: the members of each MASH group of the staff user pool (read only).
            "Sid": "ReadStaffDirectory",
            "Effect": "Allow",
            "Action": ["cognito-idp:ListUsersInGroup"],
            "Resource": {"Fn::GetAtt": ["StaffUserPool", "Arn"]},
        },
    ]


def outbox_sweep_policy() -> list[Statement]:
    return [
        write_logs(OUTBOX_SWEEP),
        {
            # The outbox index: notices due. The queue index: Red referrals past their deadline, for
            # the operations alarm (chalicelib/services/overdue_referrals.py; clear metadata only).
            "Sid": "FindNoticesDueAndLateRedReferrals",
            "Effect": "Allow",
            "Action": ["dynamodb:Query"],
            "Resource": [_index_arn(OUTBOX_INDEX), _index_arn(QUEUE_INDEX)],
        },
        {
            # GetItem: the referral with a notice due, its SENT# marker, the suppression list.
            # UpdateItem: claim it, then record the outcome. BatchWriteItem: the MSG# and SENT#
            # items once SES accepted an email (IAM authorises a batch as BatchWriteItem, not PutItem).
            "Sid": "ClaimAndRecordNotices",
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem"],
            "Resource": TABLE_ARN,
        },
        # Decrypt only: the email is composed from the stored referral; the sweep never seals data.
        field_key("Decrypt"),
        send_mail(),
        # Enquiries whose publishing failed when staff opened them are published again; exports
        # owed are handed to the export topic (the case_exports function delivers them).
        {
            "Sid": "PublishAgencyEnquiriesAndExports",
            "Effect": "Allow",
            "Action": ["sns:Publish"],
            "Resource": [{"Ref": AGENCY_TOPIC_ID}, {"Ref": EXPORT_TOPIC_ID}],
        },
    ]


def case_exports_policy() -> list[Statement]:
    """Exports to the case-management system, one per message off the export queue."""
    return [
        write_logs(CASE_EXPORTS),
        {
            # The poller's calls, and ChangeMessageVisibility: the backoff before a retry.
            "Sid": "ReadOwnQueueAndBackOff",
            "Effect": "Allow",
            "Action": [
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:ChangeMessageVisibility",
            ],
            "Resource": {"Fn::GetAtt": [CASE_EXPORTS.queue_logical_id, "Arn"]},
        },
        {
            # GetItem: the referral. Query: its partition, for the agencies' replies and the
            # documents' records the export lists. UpdateItem: the export delivered or failed.
            "Sid": "ReadReferralAndRecordExport",
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"],
            "Resource": TABLE_ARN,
        },
        # Decrypt only: the document is built from the stored referral.
        field_key("Decrypt"),
        {
            # Exports to the case-management system, when they go to its drop folder (an https://
            # endpoint needs no AWS permission): case-system/<export id>.json, nothing else.
            "Sid": "DropExportsForTheCaseSystem",
            "Effect": "Allow",
            "Action": ["s3:PutObject"],
            "Resource": objects(EXPORT_BUCKET_ID, EXPORT_PREFIX),
        },
        # The drop folder is SSE-KMS under the storage key: a data key per export, through S3 only.
        storage_key_through_s3("GenerateDataKey"),
    ]


def retention_sweep_policy() -> list[Statement]:
    # Reads clear metadata only (closed-since dates, holds, the audit head, reply ids): no KMS at all.
    return [
        write_logs(RETENTION_SWEEP),
        {
            # The index: referrals closed long enough. The table: a referral's agency replies, and
            # the cleanup marks of replies still to delete.
            "Sid": "FindClosedReferralsAndTheirReplies",
            "Effect": "Allow",
            "Action": ["dynamodb:Query"],
            "Resource": [_index_arn(QUEUE_INDEX), TABLE_ARN],
        },
        {
            # The replies of a deleted referral and their cleanup marks, in batches.
            "Sid": "DeleteRepliesOfDeletedReferrals",
            "Effect": "Allow",
            "Action": ["dynamodb:BatchWriteItem"],
            "Resource": TABLE_ARN,
        },
        {
            # A reply's files are found by its key prefix (replies/<reply id>/), a referral's documents
            # by theirs (referrals/<reference>/); nothing else is listed.
            "Sid": "FindReplyAttachments",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": {"Fn::GetAtt": [ATTACHMENTS_BUCKET_ID, "Arn"]},
            "Condition": {"StringLike": {"s3:prefix": [f"{ATTACHMENTS_PREFIX}*", f"{REFERRAL_DOCUMENTS_PREFIX}*"]}},
        },
        {
            # GetItem: a referral's retention facts. DeleteItem: the referral and its child-index
            # and search-index entries (those too many for the transaction by BatchWriteItem); PutItem: the deletion's audit receipt (one TransactWriteItems, authorised as
            # these), and the mark that its replies are to go.
            "Sid": "DeleteExpiredReferralsWithReceipt",
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:PutItem"],
            "Resource": TABLE_ARN,
        },
        {
            # Agency replies' attachments and the referrer's documents go with their referral (keys
            # name ids, never people).
            "Sid": "DeleteReplyAttachments",
            "Effect": "Allow",
            "Action": ["s3:DeleteObject"],
            "Resource": [
                objects(ATTACHMENTS_BUCKET_ID, ATTACHMENTS_PREFIX),
                objects(ATTACHMENTS_BUCKET_ID, REFERRAL_DOCUMENTS_PREFIX),
            ],
        },
    ]


def ses_events_policy() -> list[Statement]:
    """SES sending events, off the mail events queue (the topic delivers to the queue, not to the function)."""
    return [
        write_logs(SES_EVENTS),
        read_own_queue(SES_EVENTS),
        {
            # GetItem: the MSG# index item and the referral it points to. PutItem: an address
            # onto the suppression list. UpdateItem: the notice's delivery status and any task.
            "Sid": "RecordDeliveryEvents",
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
            "Resource": TABLE_ARN,
        },
        # Decrypt: the referral is read whole to update its notices (one Decrypt per event).
        field_key("Decrypt"),
    ]


def agency_requests_policy(function: Function) -> list[Statement]:
    """One agency's handler: reads an enquiry off its own queue and emails the request."""
    return [
        write_logs(function),
        read_own_queue(function),
        {
            # GetItem: the referral, the enquiry's SENT# marker, the suppression list. UpdateItem:
            # the request owed, then sent or failed (notices only: nothing is re-sealed).
            # BatchWriteItem: the MSG# and SENT# items once SES accepted the email.
            # tests/test_local_enquiry_loop.py checks these cover every call the handler makes.
            "Sid": "ReadReferralAndRecordRequestSent",
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem"],
            "Resource": TABLE_ARN,
        },
        # Decrypt only: the request is composed from the stored referral.
        field_key("Decrypt"),
        send_mail(),
    ]


def inbound_mail_policy() -> list[Statement]:
    """Agency replies: the raw mail SES stored, the reply and its attachments into the hub."""
    return [
        write_logs(INBOUND_MAIL),
        read_own_queue(INBOUND_MAIL),
        {
            # The raw message SES stored. Read, and left to the bucket's 30-day lifecycle once the
            # reply is kept (sealed) in the table; deleted only when moved to quarantine/ (copy, then
            # delete the original).
            "Sid": "ReadAndRemoveReceivedMail",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:DeleteObject"],
            "Resource": objects(INBOUND_BUCKET_ID, INBOUND_PREFIX),
        },
        {
            # Mail SES flagged as carrying a virus is moved aside, never parsed.
            "Sid": "QuarantineInfectedMail",
            "Effect": "Allow",
            "Action": ["s3:PutObject"],
            "Resource": objects(INBOUND_BUCKET_ID, QUARANTINE_PREFIX),
        },
        {
            # Attachments of a reply; DeleteObject to undo a reply whose save failed.
            "Sid": "StoreReplyAttachments",
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:DeleteObject"],
            "Resource": objects(ATTACHMENTS_BUCKET_ID, ATTACHMENTS_PREFIX),
        },
        {
            # GetItem: the referral a reply answers, a reply or triage item already there.
            # PutItem: the reply, a triage item and its list line, the referral with the enquiry
            # answered and its audit event (conditional puts, some in one TransactWriteItems,
            # which IAM authorises per item). tests/test_local_enquiry_loop.py records the calls.
            "Sid": "RecordRepliesAndTriage",
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
            "Resource": TABLE_ARN,
        },
        # GenerateDataKey: the reply is sealed under a data key. Decrypt: the referral is read.
        field_key("GenerateDataKey", "Decrypt"),
        storage_key_through_s3("GenerateDataKey", "Decrypt"),
    ]


def uploads_policy() -> list[Statement]:
    """Documents referrers add: each upload read, checked by content, kept or refused, then deleted."""
    return [
        write_logs(UPLOADS),
        read_own_queue(UPLOADS),
        {
            # The upload a presigned POST put: read once to check it, then deleted either way.
            "Sid": "ReadAndRemoveUploads",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:DeleteObject"],
            "Resource": objects(UPLOADS_BUCKET_ID, UPLOAD_PREFIX),
        },
        {
            # A file kept: the bytes that were checked, put under referrals/<reference>/.
            "Sid": "KeepCheckedDocuments",
            "Effect": "Allow",
            "Action": ["s3:PutObject"],
            "Resource": objects(ATTACHMENTS_BUCKET_ID, REFERRAL_DOCUMENTS_PREFIX),
        },
        {
            # GetItem: the referral (its data key and audit head). Query: its documents so far (and,
            # on a retry, its audit trail). PutItem: the document's record. UpdateItem + PutItem: the
            # audit event (one TransactWriteItems, authorised per item).
            "Sid": "RecordDocumentsOnTheReferral",
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem"],
            "Resource": TABLE_ARN,
        },
        # Decrypt only: the file's name is sealed with the referral's existing data key.
        field_key("Decrypt"),
        # The upload is decrypted as it is read, the kept file encrypted as it is put.
        storage_key_through_s3("GenerateDataKey", "Decrypt"),
    ]


def staff_token_policy() -> list[Statement]:
    # The authorizer verifies ID tokens against the user pool's public JWKS (HTTPS, no IAM).
    return [write_logs(STAFF_TOKEN)]


def default_policy() -> list[Statement]:
    """For a function config.json gives no policy file: it can log, and nothing else."""
    return [
        {
            "Sid": "WriteLogsOnly",
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": _arn("logs", f"log-group:/aws/lambda/*{PREFIX}*"),
        }
    ]


POLICIES = {
    API_HANDLER.chalice_name: api_handler_policy,
    OUTBOX_SWEEP.chalice_name: outbox_sweep_policy,
    RETENTION_SWEEP.chalice_name: retention_sweep_policy,
    SES_EVENTS.chalice_name: ses_events_policy,
    STAFF_TOKEN.chalice_name: staff_token_policy,
    INBOUND_MAIL.chalice_name: inbound_mail_policy,
    UPLOADS.chalice_name: uploads_policy,
    CASE_EXPORTS.chalice_name: case_exports_policy,
    **{f.chalice_name: (lambda f=f: agency_requests_policy(f)) for f in AGENCY_FUNCTIONS.values()},
}


def policy_documents() -> dict[str, dict[str, Any]]:
    """File name in .chalice/ -> IAM policy document."""
    documents = {DEFAULT_POLICY_FILE: default_policy()}
    for function in FUNCTIONS:
        documents[function.policy_file] = POLICIES[function.chalice_name]()
    return {name: {"Version": "2012-10-17", "Statement": statements} for name, statements in documents.items()}


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2) + "\n"


def write_policy_files(directory: Path = CHALICE_DIR) -> list[str]:
    """Into .chalice/ (the files in git), or a package build's own copy of it (local/package.py)."""
    names = []
    for name, document in policy_documents().items():
        (directory / name).write_text(render(document))
        names.append(name)
    return names


if __name__ == "__main__":
    for written in write_policy_files():
        print(f"wrote .chalice/{written}")
