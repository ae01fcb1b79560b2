"""Alarms someone sees: the operations topic (email), the CloudWatch alarms on it, and a dashboard.

What fires (each alarm's description says what to do; README "Alarms and metrics"):
- every dead-letter queue holding a message (found from the template's redrive policies, so a queue
  added later gets its alarm without a change here);
- every function's errors (deploy/names.py FUNCTIONS);
- the API's 5xx answers;
- the hub's own metrics (chalicelib/metrics.py, EMF through the functions' logs: no PutMetricData):
  notices failed for good, exports failed for good, Red referrals past their deadline.

TreatMissingData is chosen per alarm: a metric written only when something goes wrong (errors, 5xx,
failures; SQS stops reporting an empty queue that nothing touches) is quiet when all is well, so
missing is not breaching. The Red gauge is written by every outbox sweep, 0 included, so missing
means the sweep stopped: nothing chases agencies, retries notices or counts late Red referrals, and
that is an incident in itself: missing is breaching.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.metrics import NAMESPACE, STAGE_DIMENSION, Metric
from deploy.names import (
    FUNCTIONS,
    PREFIX,
    QUEUE_READERS,
    STORAGE_KEY,
    Function,
    api_stage_name,
    prod_stage_config,
)

OPERATIONS_TOPIC = "OperationsTopic"
OPERATIONS_EMAIL_PARAMETER = "OperationsEmail"
DASHBOARD = "OperationsDashboard"
ALARM_PREFIX = f"{PREFIX}-"  # every alarm's name: the topic and key policies allow these only
FIVE_MINUTES = 300
PARTITION_ARN = "arn:${AWS::Partition}"
ALARM_ARN_PATTERN = f"{PARTITION_ARN}:cloudwatch:${{AWS::Region}}:${{AWS::AccountId}}:alarm:{ALARM_PREFIX}*"
NOT_BREACHING, BREACHING = "notBreaching", "breaching"


def hub_stage() -> str:
    """The stage the functions run as in AWS (config.json's MASH_STAGE): the metrics' dimension."""
    return str(prod_stage_config()["environment_variables"]["MASH_STAGE"])


def api_name() -> str:
    """The REST API's name (template.py sets it on Chalice's RestAPI): API Gateway's metric dimension."""
    from deploy.names import CHALICE_DIR

    return str(json.loads((CHALICE_DIR / "config.json").read_text())["app_name"])


def _sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


# -- The parameter, the topic and who may use it -----------------------------------------------


def parameters() -> dict[str, Any]:
    return {
        OPERATIONS_EMAIL_PARAMETER: {
            "Type": "String",
            "AllowedPattern": r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
            "Description": "Who is told when an alarm fires (and clears): a monitored team mailbox. "
            "AWS emails it a confirmation link after the deploy; the alarms reach nobody until it is followed",
        }
    }


def _from_this_accounts_alarms() -> dict[str, Any]:
    # The confused-deputy guard AWS documents for service principals: only this account's alarms, by name.
    return {
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
        "ArnLike": {"aws:SourceArn": _sub(ALARM_ARN_PATTERN)},
    }


def cloudwatch_uses_storage_key() -> dict[str, Any]:
    """The storage key policy's statement: the operations topic is encrypted with the storage key, and
    CloudWatch cannot publish to an encrypted topic without a data key."""
    return {
        "Sid": "CloudWatchAlarmsPublishToOperationsTopic",
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
        "Resource": "*",
        "Condition": _from_this_accounts_alarms(),
    }


def operations_topic() -> dict[str, Any]:
    topic = {"Ref": OPERATIONS_TOPIC}
    return {
        OPERATIONS_TOPIC: {
            "Type": "AWS::SNS::Topic",
            "Properties": {
                "TopicName": f"{PREFIX}-operations",
                "DisplayName": "MASH hub alarms",
                "KmsMasterKeyId": {"Ref": STORAGE_KEY},
            },
        },
        f"{OPERATIONS_TOPIC}Policy": {
            "Type": "AWS::SNS::TopicPolicy",
            "Properties": {
                "Topics": [topic],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "DenyInsecureTransport",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "sns:Publish",
                            "Resource": topic,
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        },
                        {
                            "Sid": "CloudWatchAlarmsPublish",
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudwatch.amazonaws.com"},
                            "Action": "sns:Publish",
                            "Resource": topic,
                            "Condition": _from_this_accounts_alarms(),
                        },
                    ],
                },
            },
        },
        f"{OPERATIONS_TOPIC}Email": {
            "Type": "AWS::SNS::Subscription",
            "Properties": {"TopicArn": topic, "Protocol": "email", "Endpoint": {"Ref": OPERATIONS_EMAIL_PARAMETER}},
        },
    }


# -- The alarms ---------------------------------------------------------------------------------


def alarm(
    name: str,
    description: str,
    *,
    namespace: str,
    metric: str,
    dimensions: dict[str, str],
    statistic: str = "Sum",
    threshold: float = 0,
    missing: str = NOT_BREACHING,
) -> dict[str, Any]:
    """Fires when the statistic over five minutes is above the threshold; tells the topic on firing
    and on clearing (so whoever picked it up knows it is over)."""
    topic = [{"Ref": OPERATIONS_TOPIC}]
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmName": f"{ALARM_PREFIX}{name}",
            "AlarmDescription": description,
            "Namespace": namespace,
            "MetricName": metric,
            "Dimensions": [{"Name": key, "Value": value} for key, value in dimensions.items()],
            "Statistic": statistic,
            "Period": FIVE_MINUTES,
            "EvaluationPeriods": 1,
            "Threshold": threshold,
            "ComparisonOperator": "GreaterThanThreshold",
            "TreatMissingData": missing,
            "AlarmActions": topic,
            "OKActions": topic,
        },
    }


def dead_letter_queues(resources: dict[str, Any]) -> dict[str, str]:
    """Every dead-letter queue of the template (a queue's redrive target), by logical id -> its
    working queue's logical id."""
    found = {}
    for logical_id, resource in resources.items():
        redrive = (
            resource.get("Properties", {}).get("RedrivePolicy") if resource.get("Type") == "AWS::SQS::Queue" else None
        )
        if redrive:
            found[redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]] = logical_id
    return found


def _reader_of(queue_id: str) -> Function | None:
    return next((f for f in QUEUE_READERS if f.queue_logical_id == queue_id), None)


def dead_letter_alarms(resources: dict[str, Any]) -> dict[str, Any]:
    alarms = {}
    for dlq_id, queue_id in sorted(dead_letter_queues(resources).items()):
        dlq_name = resources[dlq_id]["Properties"]["QueueName"]
        reader = _reader_of(queue_id)
        log = f"/aws/lambda/{reader.function_name}" if reader else "the reading function's log group"
        alarms[f"{dlq_id}Alarm"] = alarm(
            f"dlq-{dlq_name}",
            f"A message in {dlq_name} failed every try (5) and waits there (kept 14 days). Something was not "
            f"done: find the error in {log} (by the message id), fix the cause, then redrive the queue "
            f"(SQS console: Start DLQ redrive): handlers are safe to repeat. Messages carry ids, not personal data.",
            namespace="AWS/SQS",
            metric="ApproximateNumberOfMessagesVisible",
            dimensions={"QueueName": dlq_name},
            statistic="Maximum",
        )
    return alarms


def _what_a_failure_means(function: Function) -> str:
    if function.queue is not None:
        return "The message is tried again, then dead-lettered (its queue's DLQ alarm follows)."
    if function.chalice_name == "api_handler":
        return "A referrer or staff member may have seen an error page: check the API 5xx alarm too."
    if function.chalice_name == "staff_token":
        return "Staff may be unable to sign in or use the console."
    if function.chalice_name == "outbox_sweep":
        return "Owed notices, agency chasers and review tasks wait until a sweep succeeds (each minute)."
    return "It runs again on its schedule; a failure every day means records are not being deleted on time."


def function_error_alarms() -> dict[str, Any]:
    return {
        f"{function.logical_id}ErrorsAlarm": alarm(
            f"errors-{function.function_name.removeprefix(ALARM_PREFIX)}",
            f"{function.function_name} failed. {_what_a_failure_means(function)} Read the error in "
            f"/aws/lambda/{function.function_name} (logs carry ids and codes, not personal data), fix "
            "the cause or the setting it names, and redeploy if code or configuration changed.",
            namespace="AWS/Lambda",
            metric="Errors",
            dimensions={"FunctionName": function.function_name},
        )
        for function in FUNCTIONS
    }


def hub_metric_alarms() -> dict[str, Any]:
    stage = {STAGE_DIMENSION: hub_stage()}
    return {
        "ApiServerErrorsAlarm": alarm(
            "api-5xx",
            "The API answered with a 5xx: a referral, a parent's answer or a staff action may not have gone "
            "through (a 503 says AWS refused a call). Look in /aws/lambda/mash-hub-api-handler at the time, fix "
            "the cause; the JSON API's senders retry with the same Idempotency-Key, form users may need a call back.",
            namespace="AWS/ApiGateway",
            metric="5XXError",
            dimensions={"ApiName": api_name(), "Stage": api_stage_name()},
        ),
        "NoticesFailedAlarm": alarm(
            "notices-failed",
            "An email the hub owed failed for good (out of attempts, refused by SES, or to a suppressed address). "
            "Each one raised a task on its referral: open the console's queue with 'undelivered', reach the person "
            "another way (phone), and fix any cause shown (e.g. SES sending paused or the domain unverified).",
            namespace=NAMESPACE,
            metric=Metric.NOTICES_FAILED.value,
            dimensions=stage,
        ),
        "ExportsFailedAlarm": alarm(
            "exports-failed",
            "An export to the case-management system failed for good (the receiver refused it, or retries ran "
            "out). The practitioner must not retype it: read the export function's log for the status, fix the "
            "endpoint or its settings with the receiver's team, then export the referral again.",
            namespace=NAMESPACE,
            metric=Metric.EXPORTS_FAILED.value,
            dimensions=stage,
        ),
        "RedReferralsPastDeadlineAlarm": alarm(
            "red-referral-past-deadline",
            "A Red referral (a child at risk of significant harm) has no decision and its 4-hour deadline has "
            "passed: tell the MASH manager on duty now (out of hours, the emergency duty team) and open the "
            "console's queue filtered to Red. If no data: the outbox sweep has stopped (see its errors alarm), so "
            "notices, chasers and this count have stopped too.",
            namespace=NAMESPACE,
            metric=Metric.RED_REFERRALS_PAST_DEADLINE.value,
            dimensions=stage,
            statistic="Maximum",
            missing=BREACHING,
        ),
    }


# -- The dashboard ------------------------------------------------------------------------------


def _metric_line(properties: dict[str, Any], label: str | None = None) -> list[Any]:
    line: list[Any] = [properties["Namespace"], properties["MetricName"]]
    for dimension in properties["Dimensions"]:
        line += [dimension["Name"], dimension["Value"]]
    options = {"stat": properties["Statistic"], **({"label": label} if label else {})}
    return [*line, options]


def _graph(title: str, lines: list[list[Any]], x: int, y: int, width: int = 12) -> dict[str, Any]:
    return {
        "type": "metric",
        "x": x,
        "y": y,
        "width": width,
        "height": 6,
        "properties": {
            "title": title,
            "region": "${AWS::Region}",
            "view": "timeSeries",
            "period": FIVE_MINUTES,
            "metrics": lines,
        },
    }


def dashboard(alarms: dict[str, Any]) -> dict[str, Any]:
    """Every alarm's state, then a graph of every alarm's metric, and the counts that have no alarm."""
    by_kind: dict[str, list[list[Any]]] = {}
    for resource in alarms.values():
        properties = resource["Properties"]
        by_kind.setdefault(properties["Namespace"], []).append(_metric_line(properties))
    stage = hub_stage()
    counts = [
        [NAMESPACE, metric.value, STAGE_DIMENSION, stage, {"stat": "Sum"}]
        for metric in (Metric.REFERRALS_RECEIVED, Metric.ENQUIRIES_OVERDUE, Metric.REPLIES_TRIAGED)
    ]
    arns = [
        f"{PARTITION_ARN}:cloudwatch:${{AWS::Region}}:${{AWS::AccountId}}:alarm:{resource['Properties']['AlarmName']}"
        for resource in alarms.values()
    ]
    widgets = [
        {
            "type": "alarm",
            "x": 0,
            "y": 0,
            "width": 24,
            "height": 6,
            "properties": {"title": "Alarms", "alarms": arns, "sortBy": "stateUpdatedTimestamp"},
        },
        _graph("Failed notices and exports; Red referrals past deadline", by_kind.get(NAMESPACE, []), 0, 6),
        _graph("Referrals received, enquiries overdue, replies triaged", counts, 12, 6),
        _graph("Dead-letter queues: messages waiting", by_kind.get("AWS/SQS", []), 0, 12),
        _graph("API 5xx answers", by_kind.get("AWS/ApiGateway", []), 12, 12),
        _graph("Function errors", by_kind.get("AWS/Lambda", []), 0, 18, width=24),
    ]
    return {
        DASHBOARD: {
            "Type": "AWS::CloudWatch::Dashboard",
            "Properties": {
                "DashboardName": f"{PREFIX}-operations",
                # Fn::Sub fills in the region, account and partition; the JSON has no other `${`.
                "DashboardBody": _sub(json.dumps({"widgets": widgets}, separators=(",", ":"))),
            },
        }
    }


def operations_resources(resources: dict[str, Any]) -> dict[str, Any]:
    """The topic, the alarms (the DLQs found in `resources`, the template so far) and the dashboard."""
    alarms = {**dead_letter_alarms(resources), **function_error_alarms(), **hub_metric_alarms()}
    return {**operations_topic(), **alarms, **dashboard(alarms)}
