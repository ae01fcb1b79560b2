"""Names shared by the template (deploy/template.py) and the IAM policies (deploy/policies.py).

One hub per AWS account and region: queue, topic and function names are fixed because Chalice's
`on_sqs_message(queue=...)` and `on_sns_message(topic=...)` name them in code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from chalicelib.domain.agencies import AgencyId
from chalicelib.events.queues import (
    EXPORTS_FUNCTION,
    EXPORTS_QUEUE,
    INBOUND_MAIL_FUNCTION,
    UPLOADS_FUNCTION,
    UPLOADS_QUEUE,
    agency_function,
    agency_queue,
)
from chalicelib.events.queues import INBOUND_MAIL_QUEUE as INBOUND_MAIL_QUEUE
from chalicelib.events.queues import MAIL_EVENTS_QUEUE as MAIL_EVENTS_QUEUE
from chalicelib.settings import Settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CHALICE_DIR = PROJECT_ROOT / ".chalice"
STAGE = "prod"
PREFIX = "mash-hub"

# What the app reads by default is what AWS gets: one name for the local stack and for AWS.
_DEFAULTS = Settings(stage="local")  # the default resource names, whatever the stage
TABLE_NAME = _DEFAULTS.table_name
FIELD_KEY_ALIAS = _DEFAULTS.kms_key_id  # alias/mash-hub
STORAGE_KEY_ALIAS = f"alias/{PREFIX}-storage"
# The field key's encryption context always carries this pair (chalicelib/adapters/envelope.py);
# the key policy allows the functions' data-key calls only with it.
ENCRYPTION_CONTEXT_SERVICE = "mash-hub"

# Logical ids in the merge template that the IAM policies refer to.
FIELD_KEY = "FieldKey"
STORAGE_KEY = "StorageKey"
TABLE = "ReferralTable"
MAIL_DOMAIN_PARAMETER = "MailDomain"

CONFIGURATION_SET = PREFIX
RECEIPT_RULE_SET = f"{PREFIX}-inbound"
RECEIPT_RULE = f"{PREFIX}-store-inbound-mail"
INBOUND_PREFIX = "inbound/"
# Where the inbound handler moves mail SES flagged as carrying a virus (same bucket, never parsed),
# and where reply attachments are kept in the attachments bucket.
QUARANTINE_PREFIX = "quarantine/"
ATTACHMENTS_PREFIX = "replies/"
# Documents a referrer adds (chalicelib/domain/attachments.py): posted by the public under uploads/ in
# the uploads bucket, kept (after the check by content) under referrals/ in the attachments bucket.
UPLOAD_PREFIX = "uploads/"
REFERRAL_DOCUMENTS_PREFIX = "referrals/"
# The case-management system's drop folder in the export bucket (its SFTP picks exports up here).
EXPORT_PREFIX = "case-system/"
# How long an export waits in the drop folder for the case system to pick it up (then it expires).
EXPORT_DROP_DAYS = 30

# The enquiry topic fans out to one queue per agency (chalicelib/events/queues.py names them):
# each subscription's filter policy passes only messages whose `agency` attribute is its agency.
AGENCY_TOPIC = f"{PREFIX}-agency-enquiries"
AGENCY_MESSAGE_ATTRIBUTE = "agency"  # chalicelib/adapters/agency_topic.py sets it on every message
# SES sending events: the configuration set publishes to this topic, which delivers them raw to
# MAIL_EVENTS_QUEUE (chalicelib/events/queues.py), read by the ses_events function.
MAIL_EVENTS_TOPIC = f"{PREFIX}-ses-events"
# Exports to the case-management system: the outbox sweep publishes each owed export here; the
# topic delivers it raw to EXPORTS_QUEUE (chalicelib/events/queues.py), read by the case_exports function.
EXPORT_TOPIC = f"{PREFIX}-case-exports"


@dataclass(frozen=True)
class Function:
    """A Lambda function that `chalice package` makes, as the template and its policy name it."""

    chalice_name: str  # the name in config.json's lambda_functions
    logical_id: str  # the function's resource in the packaged template
    role_logical_id: str  # its role (one per function because autogen_policy is false)
    queue: str | None = None  # the SQS queue it reads (`on_sqs_message`), if it reads one
    # The queue's logical id when it is not `<logical id>Queue` (a queue declared before its reader).
    queue_id: str | None = None

    @classmethod
    def reading(cls, chalice_name: str, queue: str, queue_id: str | None = None) -> Function:
        """An `on_sqs_message` handler, named in the template as `chalice package` names it."""
        logical_id = cfn_name(chalice_name)
        return cls(chalice_name, logical_id, f"{logical_id}Role", queue, queue_id)

    @property
    def queue_logical_id(self) -> str:
        """The queue's resource in the merge template (its dead-letter queue adds `DeadLetters`)."""
        if self.queue is None:
            raise ValueError(f"{self.chalice_name} reads no queue")
        return self.queue_id or f"{self.logical_id}Queue"

    @property
    def event_source_logical_id(self) -> str:
        """The SQS event of the function in the packaged template (chalice: `<name>-sqs-event-source`)."""
        return cfn_name(f"{self.chalice_name}-sqs-event-source")

    @property
    def function_name(self) -> str:
        return f"{PREFIX}-{self.chalice_name.replace('_', '-')}"

    @property
    def role_name_sub(self) -> str:
        """The role's name, for Fn::Sub. Named so the KMS key policy can list it without a
        dependency cycle (the role's policy names the key; the key policy names the role)."""
        return f"{PREFIX}-${{AWS::Region}}-{self.chalice_name.replace('_', '-')}"

    @property
    def policy_file(self) -> str:
        return f"policy-{STAGE}-{self.chalice_name.replace('_', '-')}.json"


def cfn_name(name: str) -> str:
    """A Chalice resource name as `chalice package` turns it into a logical id."""
    from chalice.utils import to_cfn_resource_name

    return to_cfn_resource_name(name)


API_HANDLER = Function("api_handler", "APIHandler", "ApiHandlerRole")
STAFF_TOKEN = Function("staff_token", "StaffToken", "StaffTokenRole")
OUTBOX_SWEEP = Function("outbox_sweep", "OutboxSweep", "OutboxSweepRole")
RETENTION_SWEEP = Function("retention_sweep", "RetentionSweep", "RetentionSweepRole")
# SES sending events, from the queue subscribed to the events topic. The queue keeps the logical id
# it had before the function read it (MailEventsQueue): a new id would replace a named queue.
SES_EVENTS = Function.reading("ses_events", MAIL_EVENTS_QUEUE, queue_id="MailEventsQueue")
# One function per agency, each reading its own queue (a stuck agency holds up only its requests).
AGENCY_FUNCTIONS: dict[AgencyId, Function] = {
    agency: Function.reading(agency_function(agency), agency_queue(agency)) for agency in AgencyId
}
INBOUND_MAIL = Function.reading(INBOUND_MAIL_FUNCTION, INBOUND_MAIL_QUEUE)
# Documents referrers add, from the queue the uploads bucket notifies.
UPLOADS = Function.reading(UPLOADS_FUNCTION, UPLOADS_QUEUE)
# Exports to the case-management system, from the queue subscribed to the export topic.
CASE_EXPORTS = Function.reading(EXPORTS_FUNCTION, EXPORTS_QUEUE)
FUNCTIONS = (
    API_HANDLER,
    STAFF_TOKEN,
    OUTBOX_SWEEP,
    RETENTION_SWEEP,
    SES_EVENTS,
    *AGENCY_FUNCTIONS.values(),
    INBOUND_MAIL,
    UPLOADS,
    CASE_EXPORTS,
)
QUEUE_READERS = tuple(f for f in FUNCTIONS if f.queue is not None)
# Roles that may ask the field key for data keys (the staff token authorizer never decrypts).
FIELD_KEY_USERS = (
    API_HANDLER,
    OUTBOX_SWEEP,
    SES_EVENTS,
    *AGENCY_FUNCTIONS.values(),
    INBOUND_MAIL,
    UPLOADS,
    CASE_EXPORTS,  # opens the referral to build the document
)


def prod_stage_config() -> dict:
    return json.loads((CHALICE_DIR / "config.json").read_text())["stages"][STAGE]


def api_stage_name() -> str:
    return prod_stage_config().get("api_gateway_stage", "api")


def longest_function_timeout() -> int:
    """Seconds; a queue's visibility timeout is 6x this, so a slow handler never sees its message twice."""
    stage = prod_stage_config()
    timeouts = [stage.get("lambda_timeout", 60)]
    timeouts += [f.get("lambda_timeout", 0) for f in stage.get("lambda_functions", {}).values()]
    return max(timeouts)
