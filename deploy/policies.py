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
from typing import Any

from chalicelib.adapters.table import OUTBOX_INDEX, QUEUE_INDEX
from deploy.names import (
    API_HANDLER,
    CHALICE_DIR,
    CONFIGURATION_SET,
    ENCRYPTION_CONTEXT_SERVICE,
    FIELD_KEY,
    FUNCTIONS,
    MAIL_DOMAIN_PARAMETER,
    OUTBOX_SWEEP,
    PREFIX,
    RETENTION_SWEEP,
    SES_EVENTS,
    STAFF_TOKEN,
    STAGE,
    TABLE,
    Function,
)

Statement = dict[str, Any]

DEFAULT_POLICY_FILE = f"policy-{STAGE}.json"
TABLE_ARN = {"Fn::GetAtt": [TABLE, "Arn"]}


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


def api_handler_policy() -> list[Statement]:
    return [
        write_logs(API_HANDLER),
        {
            # GetItem: a referral or a draft. PutItem: a new referral (conditional), a draft.
            # UpdateItem: notices after the immediate send. DeleteItem: a draft once it is sent.
            # Staff changes are TransactWriteItems, which IAM authorises as PutItem + UpdateItem.
            # BatchWriteItem: the "known before" blind-index entries, written together.
            "Sid": "ReadAndWriteHubItems",
            "Effect": "Allow",
            "Action": [
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:DeleteItem",
                "dynamodb:BatchWriteItem",
            ],
            "Resource": TABLE_ARN,
        },
        {
            # The table (a referral's audit events share its partition) and the staff work queue.
            "Sid": "QueryReferralPartitionsAndWorkQueue",
            "Effect": "Allow",
            "Action": ["dynamodb:Query"],
            "Resource": [TABLE_ARN, _index_arn(QUEUE_INDEX)],
        },
        # GenerateDataKey: one per referral or draft write. Decrypt: reading one back.
        field_key("GenerateDataKey", "Decrypt"),
        # The acknowledgement goes out at once after a referral is stored.
        send_mail(),
    ]


def outbox_sweep_policy() -> list[Statement]:
    return [
        write_logs(OUTBOX_SWEEP),
        {
            "Sid": "FindNoticesDue",
            "Effect": "Allow",
            "Action": ["dynamodb:Query"],
            "Resource": _index_arn(OUTBOX_INDEX),
        },
        {
            # GetItem: the referral with a notice due. UpdateItem: claim it, then record the outcome.
            "Sid": "ClaimAndRecordNotices",
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:UpdateItem"],
            "Resource": TABLE_ARN,
        },
        # Decrypt only: the email is composed from the stored referral; the sweep never seals data.
        field_key("Decrypt"),
        send_mail(),
    ]


def retention_sweep_policy() -> list[Statement]:
    # Reads clear metadata only (closed-since dates, holds, the audit head): no KMS at all.
    return [
        write_logs(RETENTION_SWEEP),
        {
            "Sid": "FindClosedReferrals",
            "Effect": "Allow",
            "Action": ["dynamodb:Query"],
            "Resource": _index_arn(QUEUE_INDEX),
        },
        {
            # GetItem: a referral's retention facts. DeleteItem: the referral and its child-index
            # entries; PutItem: the deletion's audit receipt (one TransactWriteItems, authorised as these).
            "Sid": "DeleteExpiredReferralsWithReceipt",
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:PutItem"],
            "Resource": TABLE_ARN,
        },
    ]


def ses_events_policy() -> list[Statement]:
    return [
        write_logs(SES_EVENTS),
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
}


def policy_documents() -> dict[str, dict[str, Any]]:
    """File name in .chalice/ -> IAM policy document."""
    documents = {DEFAULT_POLICY_FILE: default_policy()}
    for function in FUNCTIONS:
        documents[function.policy_file] = POLICIES[function.chalice_name]()
    return {name: {"Version": "2012-10-17", "Statement": statements} for name, statements in documents.items()}


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2) + "\n"


def write_policy_files() -> list[str]:
    names = []
    for name, document in policy_documents().items():
        (CHALICE_DIR / name).write_text(render(document))
        names.append(name)
    return names


if __name__ == "__main__":
    for written in write_policy_files():
        print(f"wrote .chalice/{written}")
