"""The packaged CloudFormation (build/sam.json from `chalice package` + deploy/template.py) lints clean
and keeps its promises: least privilege, nothing lost (DLQs), data kept (PITR) and expired (TTL), no
public buckets, secrets by reference."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from chalicelib.adapters.table import TTL_ATTRIBUTE, table_definition
from chalicelib.domain.staff import Role
from chalicelib.settings import Settings
from deploy import names
from local import package

# One worker builds the package once for the whole module (split over two, each built it: ~7 s).
pytestmark = [pytest.mark.package, pytest.mark.xdist_group("deploy_template")]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ZIP_SIZE_GOAL_BYTES = 15_000_000
# Read by the functions in AWS; MASH_STAGE comes from config.json, the rest from the merge template.
REQUIRED_ENVIRONMENT = {
    "MASH_TABLE_NAME",
    "MASH_KMS_KEY_ID",
    "MASH_HMAC_SECRET",
    "MASH_JWT_ISSUER",
    "MASH_JWT_AUDIENCE",
    "MASH_JWKS_URL",
    "MASH_MAIL_DOMAIN",
    "MASH_MAIL_SENDER",
    "MASH_SES_CONFIGURATION_SET",
}
POLICY_HOLDERS = {
    "AWS::IAM::Role": lambda p: [policy["PolicyDocument"] for policy in p.get("Policies", [])],
    "AWS::IAM::Policy": lambda p: [p["PolicyDocument"]],
    "AWS::IAM::ManagedPolicy": lambda p: [p["PolicyDocument"]],
    "AWS::KMS::Key": lambda p: [p["KeyPolicy"]],
    "AWS::S3::BucketPolicy": lambda p: [p["PolicyDocument"]],
    "AWS::SQS::QueuePolicy": lambda p: [p["PolicyDocument"]],
    "AWS::SNS::TopicPolicy": lambda p: [p["PolicyDocument"]],
}


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (PROJECT_ROOT / "static" / "govuk-frontend.min.css").exists():
        pytest.fail("static/ is not built: run `make assets` (make test does)")
    output = tmp_path_factory.mktemp("build")
    package.build(output)
    return output


@pytest.fixture(scope="module")
def template(build: Path) -> dict[str, Any]:
    return json.loads((build / "sam.json").read_text())


@pytest.fixture(scope="module")
def resources_(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"]


def of_type(resources_: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: resource for name, resource in resources_.items() if resource.get("Type") == kind}


def statements(resources_: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, resource in resources_.items():
        documents = POLICY_HOLDERS.get(resource.get("Type"))
        if documents:
            for document in documents(resource["Properties"]):
                for statement in document["Statement"]:
                    yield name, statement


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def cfn_lint() -> str:
    local = Path(sys.executable).parent / "cfn-lint"
    found = str(local) if local.exists() else shutil.which("cfn-lint")
    if not found:
        pytest.fail("cfn-lint is not installed: it is in requirements-dev.txt (make test installs it)")
    return found


# -- cfn-lint ---------------------------------------------------------------------------------


def test_cfn_lint_finds_no_errors_in_the_packaged_template(build: Path) -> None:
    answer = subprocess.run(
        [cfn_lint(), "--format", "json", "--", str(build / "sam.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    findings = json.loads(answer.stdout or "[]")
    errors = [f"{f['Rule']['Id']} {f['Message']} at {f['Location']['Path']}" for f in findings if f["Level"] == "Error"]
    assert errors == [], "\n".join(errors)
    assert answer.returncode in {0, 4, 8, 12}, answer.stderr  # 2 = errors; 4 warnings, 8 informational


def test_the_lambda_runtime_can_still_be_created(resources_: dict[str, Any]) -> None:
    """chalice package takes the runtime from the Python that runs it: local/package.py runs it from
    a Python 3.12+ build venv (AWS blocked creating python3.11 functions on 2026-07-31)."""
    lifecycle = json.loads(
        resources.files("cfnlint").joinpath("data/AdditionalSpecs/LmbdRuntimeLifecycle.json").read_text()
    )
    runtimes = {f["Properties"]["Runtime"] for f in of_type(resources_, "AWS::Serverless::Function").values()}
    today = dt.date.today().isoformat()
    blocked = {runtime for runtime in runtimes if lifecycle.get(runtime, {}).get("create-block", "9999") <= today}
    assert blocked == set()
    assert runtimes <= {"python3.12", "python3.13"}


# -- IAM --------------------------------------------------------------------------------------


def test_no_policy_allows_every_action_or_a_whole_service(resources_: dict[str, Any]) -> None:
    too_wide = [
        (name, action)
        for name, statement in statements(resources_)
        if statement["Effect"] == "Allow"
        for action in as_list(statement.get("Action", []))
        if action == "*" or action.endswith(":*")
    ]
    assert too_wide == []


def test_function_roles_name_their_resources(resources_: dict[str, Any]) -> None:
    wildcard_resources = [
        (name, statement.get("Sid"))
        for name, statement in statements(resources_)
        if resources_[name]["Type"] == "AWS::IAM::Role" and "*" in as_list(statement["Resource"])
    ]
    assert wildcard_resources == []


def test_every_function_has_its_own_role_with_its_own_policy(resources_: dict[str, Any]) -> None:
    functions = of_type(resources_, "AWS::Serverless::Function")
    roles = {name: function["Properties"]["Role"]["Fn::GetAtt"][0] for name, function in functions.items()}
    known = {f.logical_id: f.role_logical_id for f in names.FUNCTIONS}
    assert roles == known, (
        "each Lambda function needs a least-privilege policy: add it to deploy/names.py FUNCTIONS, "
        "deploy/policies.py POLICIES and config.json's prod lambda_functions"
    )


def role_actions(resources_: dict[str, Any], role: str) -> set[str]:
    return {
        action
        for name, statement in statements(resources_)
        if name == role and statement["Effect"] == "Allow"
        for action in as_list(statement["Action"])
    }


def test_the_staff_token_authorizer_can_only_write_logs(resources_: dict[str, Any]) -> None:
    assert role_actions(resources_, names.STAFF_TOKEN.role_logical_id) == {"logs:CreateLogStream", "logs:PutLogEvents"}


def test_the_outbox_sweep_reads_and_sends_but_never_seals_or_deletes(resources_: dict[str, Any]) -> None:
    actions = role_actions(resources_, names.OUTBOX_SWEEP.role_logical_id)
    assert actions == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "dynamodb:Query",
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
        # The MSG#/SENT# items after SES accepts an email are one BatchWriteItem, which IAM
        # authorises as itself (not as PutItem): without it the never-twice marker is lost in AWS.
        "dynamodb:BatchWriteItem",
        "kms:Decrypt",
        "ses:SendRawEmail",
        "sns:Publish",  # enquiries whose publishing failed, again; exports handed to the export topic
    }


def test_the_export_function_reads_its_queue_backs_off_and_records_the_export_only(
    resources_: dict[str, Any],
) -> None:
    assert role_actions(resources_, names.CASE_EXPORTS.role_logical_id) == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ChangeMessageVisibility",  # the backoff before the receiver is tried again
        "dynamodb:GetItem",
        "dynamodb:Query",
        "dynamodb:UpdateItem",
        "kms:Decrypt",
        # Exports to the case system's drop folder, and S3's data key for each (through S3 only).
        "s3:PutObject",
        "kms:GenerateDataKey",
    }


def test_the_export_topic_delivers_raw_to_the_export_queue_with_its_dead_letter_queue_and_alarm(
    resources_: dict[str, Any],
) -> None:
    queue_id = names.CASE_EXPORTS.queue_logical_id
    subscription = resources_["ExportSubscription"]["Properties"]
    assert subscription["TopicArn"] == {"Ref": "ExportTopic"}
    assert (subscription["Endpoint"], subscription["RawMessageDelivery"]) == ({"Fn::GetAtt": [queue_id, "Arn"]}, True)
    redrive = resources_[queue_id]["Properties"]["RedrivePolicy"]
    assert redrive == {"deadLetterTargetArn": {"Fn::GetAtt": [f"{queue_id}DeadLetters", "Arn"]}, "maxReceiveCount": 5}
    alarmed = json.dumps([a for a in of_type(resources_, "AWS::CloudWatch::Alarm").values()])
    assert f"{names.CASE_EXPORTS.queue}-dlq" in alarmed
    # The request that owes an export hands it over at once; the sweep if that did not happen.
    for publisher in (names.OUTBOX_SWEEP, names.API_HANDLER):
        function = next(
            f for f in of_type(resources_, "AWS::Serverless::Function").values()
            if f["Properties"]["Role"] == {"Fn::GetAtt": [publisher.role_logical_id, "Arn"]}
        )  # fmt: skip
        assert function["Properties"]["Environment"]["Variables"]["MASH_EXPORT_TOPIC_ARN"] == {"Ref": "ExportTopic"}


def test_the_export_function_drops_exports_only_in_the_case_systems_folder(resources_: dict[str, Any]) -> None:
    role = names.CASE_EXPORTS.role_logical_id
    puts = [s for name, s in statements(resources_) if name == role and "s3:PutObject" in s["Action"]]
    assert [s["Resource"] for s in puts] == [{"Fn::Sub": f"${{ExportDropBucket.Arn}}/{names.EXPORT_PREFIX}*"}]
    drop = resources_["ExportDropBucket"]["Properties"]
    [expire] = [r for r in drop["LifecycleConfiguration"]["Rules"] if r.get("Prefix") == names.EXPORT_PREFIX]
    assert expire["ExpirationInDays"] == names.EXPORT_DROP_DAYS
    sweep = next(
        f for f in of_type(resources_, "AWS::Serverless::Function").values()
        if f["Properties"]["Role"] == {"Fn::GetAtt": [role, "Arn"]}
    )  # fmt: skip
    variables = sweep["Properties"]["Environment"]["Variables"]
    assert variables["MASH_EXPORT_TARGET"]["Fn::If"][0] == "ExportsOverHttps"
    assert variables["MASH_EXPORT_HMAC_SECRET"]["Fn::If"][1] == {
        "Fn::Sub": "{{resolve:secretsmanager:${ExportHmacSecretName}:SecretString}}"
    }


def test_the_retention_sweep_deletes_with_a_receipt_and_never_decrypts(resources_: dict[str, Any]) -> None:
    actions = role_actions(resources_, names.RETENTION_SWEEP.role_logical_id)
    assert actions == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "dynamodb:Query",
        "dynamodb:GetItem",
        "dynamodb:DeleteItem",
        "dynamodb:PutItem",
        "dynamodb:BatchWriteItem",  # the replies of a deleted referral
        "s3:ListBucket",  # only under replies/ and referrals/ (below)
        "s3:DeleteObject",  # reply attachments and the referrer's documents go with their referral
    }
    (listing,) = role_statements(resources_, names.RETENTION_SWEEP.role_logical_id, "s3:ListBucket")
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["replies/*", "referrals/*"]}}
    (deleting,) = role_statements(resources_, names.RETENTION_SWEEP.role_logical_id, "s3:DeleteObject")
    assert deleting["Resource"] == [
        {"Fn::Sub": "${AttachmentsBucket.Arn}/replies/*"},
        {"Fn::Sub": "${AttachmentsBucket.Arn}/referrals/*"},
    ]
    # replies/ holds both replies' and triage items' files (replies/<reply or triage id>/...): a
    # rejected triage item's files are deleted with it.
    from chalicelib.domain.agency_replies import REPLY_OBJECT_PREFIX, attachment_key

    assert attachment_key("triage-id", "a1").startswith(REPLY_OBJECT_PREFIX) and REPLY_OBJECT_PREFIX == "replies/"


def role_statements(resources_: dict[str, Any], role: str, prefix: str) -> list[dict[str, Any]]:
    """The role's Allow statements with an action of one service (`sqs:`)."""
    return [
        statement
        for name, statement in statements(resources_)
        if name == role
        and statement["Effect"] == "Allow"
        and any(action.startswith(prefix) for action in as_list(statement["Action"]))
    ]


def test_functions_use_the_field_key_only_with_the_hub_encryption_context(resources_: dict[str, Any]) -> None:
    kms_statements = [
        statement
        for name, statement in statements(resources_)
        if resources_[name]["Type"] == "AWS::IAM::Role"
        and any(action.startswith("kms:") for action in as_list(statement["Action"]))
    ]
    assert kms_statements
    for statement in kms_statements:
        if statement["Resource"] == {"Fn::GetAtt": [names.STORAGE_KEY, "Arn"]}:
            # The buckets' SSE-KMS key: only as S3 asks for it on the role's behalf.
            assert statement["Condition"] == {
                "StringEquals": {"kms:ViaService": {"Fn::Sub": "s3.${AWS::Region}.amazonaws.com"}}
            }
            assert set(as_list(statement["Action"])) <= {"kms:GenerateDataKey", "kms:Decrypt"}
        else:
            assert statement["Resource"] == {"Fn::GetAtt": [names.FIELD_KEY, "Arn"]}
            assert statement["Condition"] == {"StringEquals": {"kms:EncryptionContext:service": "mash-hub"}}


def test_only_the_functions_that_store_or_sign_files_use_the_storage_key(resources_: dict[str, Any]) -> None:
    users = {
        name
        for name, statement in statements(resources_)
        if resources_[name]["Type"] == "AWS::IAM::Role"
        and statement["Resource"] == {"Fn::GetAtt": [names.STORAGE_KEY, "Arn"]}
    }
    # Reply attachments; referrers' documents; the API, whose presigned POSTs and GETs S3 honours
    # as its role (an upload encrypted, a download decrypted under the key on its behalf).
    assert users == {
        names.INBOUND_MAIL.role_logical_id,
        names.UPLOADS.role_logical_id,
        names.API_HANDLER.role_logical_id,
        names.CASE_EXPORTS.role_logical_id,  # exports dropped for the case system (a data key through S3)
    }


def test_the_uploads_function_reads_uploads_keeps_documents_and_records_them_only(resources_: dict[str, Any]) -> None:
    role = names.UPLOADS.role_logical_id
    s3 = {
        json.dumps(statement["Resource"], sort_keys=True): set(statement["Action"])
        for statement in role_statements(resources_, role, "s3:")
    }
    assert s3 == {
        json.dumps({"Fn::Sub": "${UploadsBucket.Arn}/uploads/*"}): {"s3:GetObject", "s3:DeleteObject"},
        json.dumps({"Fn::Sub": "${AttachmentsBucket.Arn}/referrals/*"}): {"s3:PutObject"},
    }
    actions = role_actions(resources_, role)
    assert {a for a in actions if a.startswith("dynamodb:")} == {
        "dynamodb:GetItem",
        "dynamodb:Query",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
    }
    # The file's name is sealed with the referral's existing key: Decrypt, never a new data key.
    (field,) = [
        s
        for s in role_statements(resources_, role, "kms:")
        if s["Resource"] == {"Fn::GetAtt": [names.FIELD_KEY, "Arn"]}
    ]
    assert field["Action"] == ["kms:Decrypt"]
    assert not {a for a in actions if a.startswith(("ses:", "sns:"))}
    (sqs,) = role_statements(resources_, role, "sqs:")
    assert sqs["Resource"] == {"Fn::GetAtt": [names.UPLOADS.queue_logical_id, "Arn"]}
    variables = resources_[names.UPLOADS.logical_id]["Properties"]["Environment"]["Variables"]
    assert variables["MASH_STORAGE_KEY_ID"] == {"Fn::GetAtt": [names.STORAGE_KEY, "Arn"]}


def test_the_api_signs_uploads_only_under_uploads_and_downloads_only_of_kept_files(resources_: dict[str, Any]) -> None:
    role = names.API_HANDLER.role_logical_id
    s3 = {
        json.dumps(statement["Resource"], sort_keys=True): set(statement["Action"])
        for statement in role_statements(resources_, role, "s3:")
    }
    assert s3 == {
        json.dumps({"Fn::Sub": "${UploadsBucket.Arn}/uploads/*"}): {"s3:PutObject"},
        json.dumps(
            [{"Fn::Sub": "${AttachmentsBucket.Arn}/referrals/*"}, {"Fn::Sub": "${AttachmentsBucket.Arn}/replies/*"}],
            sort_keys=True,
        ): {"s3:GetObject"},
    }


def test_the_uploads_bucket_notifies_its_queue_expires_leftovers_in_a_day_and_only_the_handler_reads_it(
    resources_: dict[str, Any],
) -> None:
    bucket = resources_["UploadsBucket"]["Properties"]
    (notification,) = bucket["NotificationConfiguration"]["QueueConfigurations"]
    assert notification["Queue"] == {"Fn::GetAtt": [names.UPLOADS.queue_logical_id, "Arn"]}
    assert notification["Filter"] == {"S3Key": {"Rules": [{"Name": "prefix", "Value": "uploads/"}]}}
    rules = bucket["LifecycleConfiguration"]["Rules"]
    assert {r["Prefix"]: r["ExpirationInDays"] for r in rules if "ExpirationInDays" in r} == {"uploads/": 1}
    assert [
        r["NoncurrentVersionExpiration"]["NoncurrentDays"] for r in rules if "NoncurrentVersionExpiration" in r
    ] == [1]
    policy = resources_["UploadsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    (deny_read,) = [s for s in policy if s["Sid"] == "OnlyTheUploadsFunctionReadsUploads"]
    assert deny_read["Effect"] == "Deny" and deny_read["Action"] == "s3:GetObject"
    assert deny_read["Condition"]["ArnNotEquals"]["aws:PrincipalArn"] == {
        "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/" + names.UPLOADS.role_name_sub
    }
    queue_policy = resources_[f"{names.UPLOADS.queue_logical_id}Policy"]["Properties"]["PolicyDocument"]
    (allow,) = [s for s in queue_policy["Statement"] if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "s3.amazonaws.com"}
    assert allow["Condition"]["ArnEquals"]["aws:SourceArn"] == {
        "Fn::Sub": "arn:${AWS::Partition}:s3:::mash-hub-uploads-${AWS::AccountId}-${AWS::Region}"
    }


@pytest.mark.parametrize("agency", list(names.AGENCY_FUNCTIONS), ids=str)
def test_each_agency_function_reads_only_its_own_queue_and_sends_mail(resources_: dict[str, Any], agency: Any) -> None:
    function = names.AGENCY_FUNCTIONS[agency]
    (sqs,) = role_statements(resources_, function.role_logical_id, "sqs:")
    assert set(sqs["Action"]) == {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}
    assert sqs["Resource"] == {"Fn::GetAtt": [function.queue_logical_id, "Arn"]}
    queue = resources_[function.queue_logical_id]["Properties"]
    assert queue["QueueName"] == function.queue == f"mash-hub-agency-requests-{agency.slug}"
    assert role_actions(resources_, function.role_logical_id) == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
        "dynamodb:BatchWriteItem",
        "kms:Decrypt",
        "ses:SendRawEmail",
    }
    (ses,) = role_statements(resources_, function.role_logical_id, "ses:")
    assert any("configuration-set/mash-hub" in json.dumps(arn) for arn in ses["Resource"])


def test_only_queue_readers_receive_and_each_from_its_own_queue(resources_: dict[str, Any]) -> None:
    readers = {f.role_logical_id: f for f in names.QUEUE_READERS}
    for name, statement in statements(resources_):
        if resources_[name]["Type"] != "AWS::IAM::Role" or statement["Effect"] != "Allow":
            continue
        if any(action.startswith("sqs:") for action in as_list(statement["Action"])):
            assert name in readers, name
            assert statement["Resource"] == {"Fn::GetAtt": [readers[name].queue_logical_id, "Arn"]}, name


def test_only_the_api_and_the_outbox_sweep_publish_to_the_agency_and_export_topics(
    resources_: dict[str, Any],
) -> None:
    publishers = {}
    for name, statement in statements(resources_):
        is_role = resources_[name]["Type"] == "AWS::IAM::Role" and statement["Effect"] == "Allow"
        if is_role and any(action.startswith("sns:") for action in as_list(statement["Action"])):
            assert as_list(statement["Action"]) == ["sns:Publish"], name
            publishers[name] = statement["Resource"]
    assert publishers == {
        names.API_HANDLER.role_logical_id: [{"Ref": "AgencyTopic"}, {"Ref": "ExportTopic"}],
        names.OUTBOX_SWEEP.role_logical_id: [{"Ref": "AgencyTopic"}, {"Ref": "ExportTopic"}],
    }


def test_the_ses_events_function_reads_its_queue_and_records_delivery_only(resources_: dict[str, Any]) -> None:
    role = names.SES_EVENTS.role_logical_id
    assert role_actions(resources_, role) == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "dynamodb:GetItem",
        "dynamodb:PutItem",  # the suppression list
        "dynamodb:UpdateItem",
        "kms:Decrypt",
    }
    (sqs,) = role_statements(resources_, role, "sqs:")
    assert sqs["Resource"] == {"Fn::GetAtt": ["MailEventsQueue", "Arn"]}


def test_sending_events_reach_the_function_through_their_queue_never_straight_from_the_topic(
    resources_: dict[str, Any],
) -> None:
    function = resources_[names.SES_EVENTS.logical_id]["Properties"]
    assert [event["Type"] for event in function["Events"].values()] == ["SQS"]
    assert function["Events"][names.SES_EVENTS.event_source_logical_id]["Properties"]["Queue"]["Fn::Sub"].endswith(
        ":mash-hub-mail-events"
    )
    assert resources_["MailEventsQueue"]["Properties"]["QueueName"] == names.MAIL_EVENTS_QUEUE
    # The topic's one subscription is the queue, raw (the body is SES's JSON); no function is subscribed.
    subscriptions = [
        s["Properties"]
        for s in of_type(resources_, "AWS::SNS::Subscription").values()
        if s["Properties"]["TopicArn"] == {"Ref": "MailEventsTopic"}
    ]
    assert subscriptions == [
        {
            "TopicArn": {"Ref": "MailEventsTopic"},
            "Protocol": "sqs",
            "Endpoint": {"Fn::GetAtt": ["MailEventsQueue", "Arn"]},
            "RawMessageDelivery": True,
        }
    ]
    for name, resource in resources_.items():
        events = (resource.get("Properties") or {}).get("Events") or {}
        assert all(event["Type"] != "SNS" for event in events.values()), name
    policy = resources_["MailEventsQueuePolicy"]["Properties"]["PolicyDocument"]
    (allow,) = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert allow["Condition"]["ArnEquals"] == {"aws:SourceArn": {"Ref": "MailEventsTopic"}}


def test_the_inbound_function_stores_attachments_under_the_storage_key_through_s3_only(
    template: dict[str, Any], resources_: dict[str, Any]
) -> None:
    storage_key = {"Fn::GetAtt": [names.STORAGE_KEY, "Arn"]}
    inbound = resources_[names.INBOUND_MAIL.logical_id]["Properties"]["Environment"]["Variables"]
    assert inbound["MASH_STORAGE_KEY_ID"] == storage_key
    assert "MASH_STORAGE_KEY_ID" not in template["Globals"]["Function"]["Environment"]["Variables"]
    assert "MASH_STORAGE_KEY_ID" in {"MASH_" + field.upper() for field in Settings.model_fields}
    # The attachments bucket's own default is that key too.
    (rule,) = resources_["AttachmentsBucket"]["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] == storage_key
    # IAM: data keys and decryption of that key only as S3 asks on the role's behalf.
    (kms,) = [
        s
        for s in role_statements(resources_, names.INBOUND_MAIL.role_logical_id, "kms:")
        if s["Resource"] == storage_key
    ]
    assert set(kms["Action"]) == {"kms:GenerateDataKey", "kms:Decrypt"}
    assert kms["Condition"] == {"StringEquals": {"kms:ViaService": {"Fn::Sub": "s3.${AWS::Region}.amazonaws.com"}}}
    # The key policy lets the account's principals use it through the storage services only.
    key_policy = resources_[names.STORAGE_KEY]["Properties"]["KeyPolicy"]["Statement"]
    (account_use,) = [s for s in key_policy if s["Sid"] == "AccountUsesKeyThroughStorageServices"]
    assert {"kms:GenerateDataKey", "kms:Decrypt"} <= set(account_use["Action"])
    via = account_use["Condition"]["StringEquals"]["kms:ViaService"]
    assert {"Fn::Sub": "s3.${AWS::Region}.amazonaws.com"} in via


def test_the_inbound_mail_handler_touches_only_its_prefixes(resources_: dict[str, Any]) -> None:
    role = names.INBOUND_MAIL.role_logical_id
    s3 = {
        json.dumps(statement["Resource"], sort_keys=True): set(statement["Action"])
        for statement in role_statements(resources_, role, "s3:")
    }
    assert s3 == {
        json.dumps({"Fn::Sub": "${InboundMailBucket.Arn}/inbound/*"}): {"s3:GetObject", "s3:DeleteObject"},
        json.dumps({"Fn::Sub": "${InboundMailBucket.Arn}/quarantine/*"}): {"s3:PutObject"},
        json.dumps({"Fn::Sub": "${AttachmentsBucket.Arn}/replies/*"}): {"s3:PutObject", "s3:DeleteObject"},
    }
    actions = role_actions(resources_, role)
    assert {a for a in actions if a.startswith("dynamodb:")} == {"dynamodb:GetItem", "dynamodb:PutItem"}
    assert not {a for a in actions if a.startswith(("ses:", "sns:"))}


def test_the_field_key_policy_lets_only_the_function_roles_use_it_and_only_with_the_context(
    resources_: dict[str, Any],
) -> None:
    key = resources_[names.FIELD_KEY]["Properties"]
    assert key["EnableKeyRotation"] is True
    crypto = {"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:CreateGrant", "kms:ReEncryptFrom"}
    for statement in key["KeyPolicy"]["Statement"]:
        granted = crypto & set(as_list(statement["Action"]))
        if granted:
            assert granted <= {"kms:GenerateDataKey", "kms:Decrypt"}
            assert statement["Condition"]["StringEquals"] == {"kms:EncryptionContext:service": "mash-hub"}
            assert len(statement["Condition"]["ArnEquals"]["aws:PrincipalArn"]) == len(names.FIELD_KEY_USERS)


def test_the_councils_own_facts_are_parameters_the_functions_read(template: dict[str, Any]) -> None:
    from deploy.template import GOVERNANCE_SETTINGS

    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    for parameter, setting in GOVERNANCE_SETTINGS.items():
        assert variables[setting] == {"Ref": parameter}
        # A default, so a first deploy never waits on a line of text: the page says "not yet set".
        assert "Default" in template["Parameters"][parameter], parameter
    assert template["Parameters"]["AccessibilityEnforcement"]["AllowedValues"] == ["great_britain", "northern_ireland"]


def test_the_hmac_secret_is_a_reference_resolved_at_deploy_time(template: dict[str, Any]) -> None:
    secret = template["Globals"]["Function"]["Environment"]["Variables"]["MASH_HMAC_SECRET"]
    assert secret == {"Fn::Sub": "{{resolve:secretsmanager:${HmacSecretName}:SecretString}}"}


def test_the_functions_get_every_setting_they_need_in_aws(template: dict[str, Any]) -> None:
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert set(variables) >= REQUIRED_ENVIRONMENT
    # Every MASH_* name the template sets is one the settings read.
    settings_names = {"MASH_" + field.upper() for field in Settings.model_fields}
    assert set(variables) - settings_names == set()
    assert {
        "MASH_AGENCIES",
        "MASH_AGENCY_TOPIC_ARN",
        "MASH_INBOUND_MAIL_BUCKET",
        "MASH_ATTACHMENTS_BUCKET",
        "MASH_UPLOADS_BUCKET",
    } <= set(variables)
    for function in of_type(template["Resources"], "AWS::Serverless::Function").values():
        assert function["Properties"]["Environment"]["Variables"]["MASH_STAGE"] == "prod"


# -- Data: table, queues, buckets ---------------------------------------------------------------


def test_the_table_is_the_one_table_py_defines_with_pitr_ttl_and_kms(resources_: dict[str, Any]) -> None:
    table = resources_[names.TABLE]
    properties = table["Properties"]
    for key, value in table_definition(names.TABLE_NAME).items():
        assert properties[key] == value, key
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["TimeToLiveSpecification"] == {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}
    assert properties["SSESpecification"]["SSEType"] == "KMS"
    assert properties["DeletionProtectionEnabled"] is True
    assert table["DeletionPolicy"] == "Retain"


def test_every_queue_has_a_dead_letter_queue_and_a_long_enough_visibility_timeout(resources_: dict[str, Any]) -> None:
    queues = of_type(resources_, "AWS::SQS::Queue")
    dead_letter_queues = {
        queue["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        for queue in queues.values()
        if "RedrivePolicy" in queue["Properties"]
    }
    longest = max(f["Properties"]["Timeout"] for f in of_type(resources_, "AWS::Serverless::Function").values())
    working = {name: queue for name, queue in queues.items() if name not in dead_letter_queues}
    # one per agency, mail events, inbound mail, uploads, exports
    assert len(working) == len(names.AGENCY_FUNCTIONS) + 4
    for name, queue in working.items():
        assert "RedrivePolicy" in queue["Properties"], name
        assert queue["Properties"]["VisibilityTimeout"] >= 6 * longest, name
    for name in queues:
        assert queues[name]["Properties"].get("SqsManagedSseEnabled") or queues[name]["Properties"].get(
            "KmsMasterKeyId"
        ), name


def sqs_events(resources_: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every SQS event source of the packaged functions, by the function's logical id."""
    found = {}
    for name, function in of_type(resources_, "AWS::Serverless::Function").items():
        for event in (function["Properties"].get("Events") or {}).values():
            if event["Type"] == "SQS":
                found[name] = event["Properties"]
    return found


def queue_names(resources_: dict[str, Any]) -> dict[str, str]:
    return {q["Properties"]["QueueName"]: name for name, q in of_type(resources_, "AWS::SQS::Queue").items()}


def test_every_sqs_handler_reads_a_queue_of_the_template_and_reports_batch_item_failures(
    resources_: dict[str, Any],
) -> None:
    from chalice.app import SQSEventConfig

    from app import app

    handlers = {s.name: s.queue for s in app.event_sources if isinstance(s, SQSEventConfig)}
    assert handlers == {f.chalice_name: f.queue for f in names.QUEUE_READERS}
    events = sqs_events(resources_)
    assert set(events) == {f.logical_id for f in names.QUEUE_READERS}
    assert not of_type(resources_, "AWS::Lambda::EventSourceMapping")  # none made outside SAM's events
    declared = queue_names(resources_)
    for function in names.QUEUE_READERS:
        event = events[function.logical_id]
        assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"], function.chalice_name
        assert event["Queue"]["Fn::Sub"].endswith(f":{function.queue}"), function.chalice_name
        assert declared[function.queue] == function.queue_logical_id
        # The queue exists before the mapping (chalice names it by ARN, not by reference).
        assert function.queue_logical_id in resources_[function.logical_id]["DependsOn"]
        timeout = resources_[function.logical_id]["Properties"]["Timeout"]
        assert resources_[function.queue_logical_id]["Properties"]["VisibilityTimeout"] >= 6 * timeout


@pytest.mark.parametrize("agency", list(names.AGENCY_FUNCTIONS), ids=str)
def test_each_agency_queue_gets_only_its_agencys_enquiries_raw(resources_: dict[str, Any], agency: Any) -> None:
    queue_id = names.AGENCY_FUNCTIONS[agency].queue_logical_id
    subscriptions = [
        s["Properties"]
        for s in of_type(resources_, "AWS::SNS::Subscription").values()
        if s["Properties"]["Endpoint"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    ]
    assert subscriptions == [
        {
            "TopicArn": {"Ref": "AgencyTopic"},
            "Protocol": "sqs",
            "Endpoint": {"Fn::GetAtt": [queue_id, "Arn"]},
            "RawMessageDelivery": True,
            "FilterPolicy": {"agency": [agency.value]},
            "FilterPolicyScope": "MessageAttributes",
        }
    ]
    # Only the agency topic may send to it.
    policy = resources_[f"{queue_id}Policy"]["Properties"]["PolicyDocument"]
    (allow,) = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "sns.amazonaws.com"}
    assert allow["Condition"]["ArnEquals"] == {"aws:SourceArn": {"Ref": "AgencyTopic"}}
    redrive = resources_[queue_id]["Properties"]["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": [f"{queue_id}DeadLetters", "Arn"]}


def test_the_agency_topic_fans_out_to_exactly_one_queue_per_agency(resources_: dict[str, Any]) -> None:
    filters = [
        s["Properties"]["FilterPolicy"]["agency"]
        for s in of_type(resources_, "AWS::SNS::Subscription").values()
        if s["Properties"]["TopicArn"] == {"Ref": "AgencyTopic"}
    ]
    assert sorted(value for (value,) in filters) == sorted(agency.value for agency in names.AGENCY_FUNCTIONS)


def test_the_inbound_bucket_notifies_the_inbound_queue_of_new_mail_only(resources_: dict[str, Any]) -> None:
    (notification,) = resources_["InboundMailBucket"]["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    assert notification["Queue"] == {"Fn::GetAtt": [names.INBOUND_MAIL.queue_logical_id, "Arn"]}
    assert notification["Filter"] == {"S3Key": {"Rules": [{"Name": "prefix", "Value": "inbound/"}]}}


def test_every_topic_is_encrypted(resources_: dict[str, Any]) -> None:
    topics = of_type(resources_, "AWS::SNS::Topic")
    assert len(topics) >= 2
    assert all("KmsMasterKeyId" in topic["Properties"] for topic in topics.values())


def test_buckets_block_public_access_encrypt_with_kms_and_refuse_plain_http(resources_: dict[str, Any]) -> None:
    buckets = of_type(resources_, "AWS::S3::Bucket")
    assert len(buckets) >= 2
    policies = {
        policy["Properties"]["Bucket"]["Ref"]: policy
        for policy in of_type(resources_, "AWS::S3::BucketPolicy").values()
    }
    for name, bucket in buckets.items():
        properties = bucket["Properties"]
        assert set(properties["PublicAccessBlockConfiguration"].values()) == {True}, name
        (rule,) = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms", name
        denies = [s for s in policies[name]["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
        assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in denies), name


def test_raw_and_quarantined_inbound_mail_expire_after_30_days(resources_: dict[str, Any]) -> None:
    rules = resources_["InboundMailBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    expiring = {rule["Prefix"]: rule["ExpirationInDays"] for rule in rules if rule.get("ExpirationInDays")}
    assert expiring == {names.INBOUND_PREFIX: 30, names.QUARANTINE_PREFIX: 30}
    assert all(rule["Status"] == "Enabled" for rule in rules)


# -- Mail, staff, API ---------------------------------------------------------------------------


def test_inbound_mail_is_scanned_and_stored_under_inbound(resources_: dict[str, Any]) -> None:
    rule = resources_["InboundRule"]["Properties"]["Rule"]
    assert rule["ScanEnabled"] is True
    assert rule["Actions"] == [
        {"S3Action": {"BucketName": {"Ref": "InboundMailBucket"}, "ObjectKeyPrefix": names.INBOUND_PREFIX}}
    ]


def test_sending_events_go_to_sns(resources_: dict[str, Any]) -> None:
    destination = resources_["MailEventDestination"]["Properties"]["EventDestination"]
    assert destination["SnsDestination"] == {"TopicARN": {"Ref": "MailEventsTopic"}}
    assert {"bounce", "complaint", "delivery", "reject"} <= set(destination["MatchingEventTypes"])


def test_the_user_pool_has_a_group_per_role(resources_: dict[str, Any]) -> None:
    groups = {g["Properties"]["GroupName"] for g in of_type(resources_, "AWS::Cognito::UserPoolGroup").values()}
    assert groups == {role.value for role in Role}
    assert resources_["StaffUserPool"]["Properties"]["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True


def test_the_staff_console_signs_in_through_the_hosted_ui_with_the_code_flow_and_pkce(
    resources_: dict[str, Any], template: dict[str, Any]
) -> None:
    client = resources_["StaffAppClient"]["Properties"]
    assert client["GenerateSecret"] is False  # a public client: PKCE, no secret in the Lambda
    assert (client["AllowedOAuthFlows"], client["AllowedOAuthFlowsUserPoolClient"]) == (["code"], True)
    assert "openid" in client["AllowedOAuthScopes"] and "implicit" not in client["AllowedOAuthFlows"]
    assert client["CallbackURLs"] == [{"Fn::Sub": "${PublicUrl}/staff/callback"}]
    assert client["LogoutURLs"] == [{"Fn::Sub": "${PublicUrl}/staff/signed-out"}]
    domain = resources_["StaffSignInDomain"]
    assert (domain["Type"], domain["Properties"]["UserPoolId"]) == (
        "AWS::Cognito::UserPoolDomain",
        {"Ref": "StaffUserPool"},
    )
    hosted = template["Globals"]["Function"]["Environment"]["Variables"]["MASH_CONSOLE_HOSTED_UI_DOMAIN"]["Fn::Sub"]
    assert hosted.startswith("https://" + domain["Properties"]["Domain"]["Fn::Sub"] + ".auth.")


def test_the_api_stage_and_each_public_post_are_throttled_as_readme_limits_says(resources_: dict[str, Any]) -> None:
    from app import app

    settings = {(s["ResourcePath"], s["HttpMethod"]): s for s in resources_["RestAPI"]["Properties"]["MethodSettings"]}
    limits = {key: (s["ThrottlingRateLimit"], s["ThrottlingBurstLimit"]) for key, s in settings.items()}
    assert limits[("/*", "*")] == (50, 100)
    assert limits[("/~1api~1referrals", "POST")] == (5, 10)
    form_posts = [path for path, methods in app.routes.items() if path.startswith("/referral/") and "POST" in methods]
    assert form_posts
    for path in form_posts:
        assert limits["/" + path.replace("/", "~1"), "POST"] == (20, 40), path


# -- The zip (test_package.py checks its contents) ------------------------------------------------


def test_the_zip_is_within_its_size_goal_and_holds_no_build_tooling(build: Path) -> None:
    zip_path = build / "deployment.zip"
    size = zip_path.stat().st_size
    print(f"deployment.zip: {size / 1e6:.1f} MB (goal {ZIP_SIZE_GOAL_BYTES / 1e6:.0f} MB)")
    assert size <= ZIP_SIZE_GOAL_BYTES
    with zipfile.ZipFile(zip_path) as built:
        top = {name.split("/", 1)[0] for name in built.namelist()}
    # Not "tests": govuk-frontend-jinja's wheel ships a top-level tests/utils/app.py of its own.
    assert top & {"deploy", "local", "bench", "cfnlint", "samtranslator"} == set()


def test_the_waf_keeps_no_bearer_token_or_cookie(resources_: dict[str, Any]) -> None:
    """Issue 16: sampled requests cannot redact headers, so they are off; the WAF's log redacts
    `authorization` and `cookie` and keeps blocked requests only, in a log group WAF accepts."""
    [acl] = of_type(resources_, "AWS::WAFv2::WebACL").values()
    configs = [acl["Properties"]["VisibilityConfig"]] + [r["VisibilityConfig"] for r in acl["Properties"]["Rules"]]
    assert [config["SampledRequestsEnabled"] for config in configs] == [False] * len(configs)
    [logging] = of_type(resources_, "AWS::WAFv2::LoggingConfiguration").values()
    redacted = {field["SingleHeader"]["Name"] for field in logging["Properties"]["RedactedFields"]}
    assert redacted == {"authorization", "cookie"}
    [destination] = logging["Properties"]["LogDestinationConfigs"]
    group = of_type(resources_, "AWS::Logs::LogGroup")["PublicWebAclLogs"]
    name = group["Properties"]["LogGroupName"]
    assert name.startswith("aws-waf-logs-") and destination["Fn::Sub"].endswith(f":log-group:{name}")
    assert logging["Properties"]["LoggingFilter"]["DefaultBehavior"] == "DROP"


# -- Alarms and the dashboard (deploy/alarms.py) -----------------------------------------------


def alarms_of(resources_: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: alarm["Properties"] for name, alarm in of_type(resources_, "AWS::CloudWatch::Alarm").items()}


def watched(alarm: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    return alarm["Namespace"], alarm["MetricName"], {d["Name"]: d["Value"] for d in alarm["Dimensions"]}


def test_every_dead_letter_queue_has_an_alarm_on_any_message_in_it(resources_: dict[str, Any]) -> None:
    queues = of_type(resources_, "AWS::SQS::Queue")
    dead_letter_names = {
        queues[queue["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]]["Properties"]["QueueName"]
        for queue in queues.values()
        if "RedrivePolicy" in queue["Properties"]
    }
    assert len(dead_letter_names) == len(names.QUEUE_READERS)
    on_queues = {
        watched(alarm)[2]["QueueName"]: alarm
        for alarm in alarms_of(resources_).values()
        if watched(alarm)[:2] == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    }
    assert set(on_queues) == dead_letter_names
    for alarm in on_queues.values():
        assert (alarm["Statistic"], alarm["ComparisonOperator"], alarm["Threshold"]) == (
            "Maximum",
            "GreaterThanThreshold",
            0,
        )


def test_every_function_has_an_errors_alarm(resources_: dict[str, Any]) -> None:
    function_names = {
        f["Properties"]["FunctionName"] for f in of_type(resources_, "AWS::Serverless::Function").values()
    }
    assert function_names == {f.function_name for f in names.FUNCTIONS}
    on_errors = {
        watched(alarm)[2]["FunctionName"]
        for alarm in alarms_of(resources_).values()
        if watched(alarm)[:2] == ("AWS/Lambda", "Errors")
    }
    assert on_errors == function_names


def test_the_api_failed_notices_exports_and_late_red_referrals_have_alarms_on_the_stage(
    resources_: dict[str, Any],
) -> None:
    from chalicelib.metrics import NAMESPACE, Metric

    stage = json.loads((PROJECT_ROOT / ".chalice" / "config.json").read_text())["stages"]["prod"]
    found = {watched(alarm)[:2]: alarm for alarm in alarms_of(resources_).values()}
    for metric in (Metric.NOTICES_FAILED, Metric.EXPORTS_FAILED, Metric.RED_REFERRALS_PAST_DEADLINE):
        assert watched(found[NAMESPACE, metric.value])[2] == {"stage": stage["environment_variables"]["MASH_STAGE"]}
    api = resources_["RestAPI"]["Properties"]
    assert watched(found["AWS/ApiGateway", "5XXError"])[2] == {"ApiName": api["Name"], "Stage": api["StageName"]}
    # Written by every sweep: no value means the sweep stopped, which is itself an incident.
    assert found[NAMESPACE, Metric.RED_REFERRALS_PAST_DEADLINE.value]["TreatMissingData"] == "breaching"


def test_every_alarm_tells_the_operations_topic_says_what_to_do_and_chose_its_missing_data(
    template: dict[str, Any], resources_: dict[str, Any]
) -> None:
    alarms = alarms_of(resources_)
    assert len(alarms) >= len(names.FUNCTIONS) + len(names.QUEUE_READERS) + 4
    for name, alarm in alarms.items():
        assert alarm["AlarmActions"] == [{"Ref": "OperationsTopic"}], name
        assert alarm["OKActions"] == [{"Ref": "OperationsTopic"}], name
        assert alarm["TreatMissingData"] in {"breaching", "notBreaching"}, name
        assert len(alarm["AlarmDescription"]) > 80, name
        assert alarm["AlarmName"].startswith("mash-hub-"), name  # the topic and key policies allow these only
    topic = resources_["OperationsTopic"]["Properties"]
    assert topic["KmsMasterKeyId"] == {"Ref": "StorageKey"}
    [subscription] = [
        s["Properties"]
        for s in of_type(resources_, "AWS::SNS::Subscription").values()
        if s["Properties"]["TopicArn"] == {"Ref": "OperationsTopic"}
    ]
    assert subscription == {
        "TopicArn": {"Ref": "OperationsTopic"},
        "Protocol": "email",
        "Endpoint": {"Ref": "OperationsEmail"},
    }
    assert "Default" not in template["Parameters"]["OperationsEmail"]  # alarms nobody reads are the problem


def test_only_this_accounts_alarms_may_publish_to_the_operations_topic_and_use_its_key(
    resources_: dict[str, Any],
) -> None:
    cloudwatch = [
        (name, statement)
        for name, statement in statements(resources_)
        if statement.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert sorted(name for name, _ in cloudwatch) == ["OperationsTopicPolicy", "StorageKey"]
    for _, statement in cloudwatch:
        assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
        assert statement["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"].endswith(":alarm:mash-hub-*")
    # Metrics reach CloudWatch as EMF log lines: no role may put metric data.
    assert [
        name for name, s in statements(resources_) for a in as_list(s.get("Action", [])) if "PutMetricData" in a
    ] == []


def test_the_dashboard_shows_every_alarm_and_graphs_every_alarm_metric(resources_: dict[str, Any]) -> None:
    [dashboard] = of_type(resources_, "AWS::CloudWatch::Dashboard").values()
    body = json.loads(dashboard["Properties"]["DashboardBody"]["Fn::Sub"])
    graphed = [
        line for widget in body["widgets"] if widget["type"] == "metric" for line in widget["properties"]["metrics"]
    ]
    [status] = [widget for widget in body["widgets"] if widget["type"] == "alarm"]
    for alarm in alarms_of(resources_).values():
        namespace, metric, dimensions = watched(alarm)
        expected = [namespace, metric, *[part for pair in dimensions.items() for part in pair]]
        assert any(line[: len(expected)] == expected for line in graphed), alarm["AlarmName"]
        assert any(arn.endswith(f":alarm:{alarm['AlarmName']}") for arn in status["properties"]["alarms"])
