"""One seeded run: a fresh moto world, a fake clock, the app through chalice.test, a fault
injector on the real clients, a retrying client, then recovery (faults off, sweeps until
nothing is due) and the three promises checked from what moto holds."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.faults.injector import FaultInjector

# A Thursday in MASH hours; every run starts here so nothing depends on the wall clock.
START = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
# Past the longest backoff (capped at an hour) and the send grace, so each sweep finds all due.
SWEEP_STEP = dt.timedelta(hours=1, minutes=5)
MAX_SWEEPS = 12
CLIENT_TRIES = 3  # a client's tries while faults are on; after recovery it tries until it works
# "cancelled": a request whose enquiry was withdrawn before it went (never sent, on purpose).
MAX_EXPORT_MESSAGES = 20  # a bound on one round of the export queue's poller
SETTLED = {"sent", "delivered", "failed", "bounced", "complained", "rejected", "cancelled"}


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, delta: dt.timedelta) -> None:
        self.now += delta


@dataclass
class Outcome:
    """What one run found; the counts the suite reports come from these."""

    seed: int
    flow: str
    faults: int = 0
    calls: int = 0
    client_errors: Counter[int] = field(default_factory=Counter)
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    invisible: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)  # a 500: a fault the hub did not handle
    notices: int = 0
    notices_failed_visibly: int = 0
    fault_log: list[str] = field(default_factory=list)

    @property
    def violations(self) -> list[str]:
        return [*self.lost, *self.duplicated, *self.invisible, *self.server_errors]


@dataclass
class World:
    hub: Any
    clock: Clock
    faults: FaultInjector
    client: Any
    outcome: Outcome
    # Idempotency-Key -> every response the client got for it, for the "0 lost" check.
    submitted: dict[str, list[Any]] = field(default_factory=dict)

    def sweep(self) -> None:
        """The scheduled outbox Lambda, as EventBridge invokes it. Under faults it may fail: the
        schedule simply runs it again next minute, so a failure here is not a lost notice."""
        event = self.client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
        )
        try:
            self.client.lambda_.invoke("outbox_sweep", event)
        except Exception:  # a failed scheduled run; raised only once faults are off
            if not self.faults.enabled:
                raise
        self.deliver_exports()

    def deliver_exports(self) -> None:
        """The export queue's poller, as Lambda's: each message to the case_exports function, deleted
        when it succeeds. One it reports failed is made visible again after this round (the clock
        moves past its backoff before the next sweep); SQS faults may fail any of these calls."""
        from chalicelib.events.queues import EXPORTS_QUEUE

        sqs = self.hub.aws_client("sqs")
        url, retry = export_queue_url(self.hub), []
        try:
            for _ in range(MAX_EXPORT_MESSAGES):
                messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, AttributeNames=["All"])
                if not messages.get("Messages"):
                    break
                message = messages["Messages"][0]
                record = {
                    "messageId": message["MessageId"],
                    "receiptHandle": message["ReceiptHandle"],
                    "body": message["Body"],
                    "attributes": message.get("Attributes", {}),
                    "messageAttributes": {},
                    "eventSource": "aws:sqs",
                    "eventSourceARN": f"arn:aws:sqs:{self.hub.settings.aws_region}:123456789012:{EXPORTS_QUEUE}",
                }
                answer = self.client.lambda_.invoke("case_exports", {"Records": [record]}).payload
                if answer.get("batchItemFailures"):
                    retry.append(message["ReceiptHandle"])
                else:
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            for handle in retry:
                sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
        except Exception:  # an SQS fault: what is left is delivered (again) at the next sweep
            if not self.faults.enabled:
                raise

    def request(self, send: Callable[[], Any], *, ok: Callable[[Any], bool], label: str) -> Any:
        """A retrying client: a few tries under faults, then (faults off) until it works."""
        response = None
        for _ in range(CLIENT_TRIES):
            response = send()
            self._note(response, label)
            if ok(response):
                return response
        return response

    def _note(self, response: Any, label: str) -> None:
        status = response.status_code
        if status >= 400:
            self.outcome.client_errors[status] += 1
        if status >= 500 and status != 503:
            self.outcome.server_errors.append(f"{label}: {status} {response.body[:200]!r}")

    def recover(self) -> None:
        """Faults off; the outbox sweeps, the clock moved past every backoff, until nothing is due."""
        self.faults.enabled = False
        for _ in range(MAX_SWEEPS):
            if not self.pending_notices():
                return
            self.clock.advance(SWEEP_STEP)
            self.sweep()

    # --- what moto holds ------------------------------------------------------------------

    def referral_items(self) -> list[dict[str, Any]]:
        from tests.conftest import table_items

        return [i for i in table_items(self.hub) if i["pk"]["S"].startswith("REF#") and i["sk"]["S"] == "REFERRAL"]

    def referrals(self) -> list[Any]:
        return [self.hub.referrals.fetch(item["reference"]["S"]) for item in self.referral_items()]

    def pending_notices(self) -> list[str]:
        return [
            f"{r.reference}/{n.notice_id}" for r in self.referrals() for n in r.notices if n.status.value not in SETTLED
        ]

    def ses_messages(self) -> list[Any]:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ses.models import ses_backends

        return list(ses_backends[DEFAULT_ACCOUNT_ID][self.hub.settings.aws_region].sent_messages)

    def check_mail(self) -> None:
        """0 emails sent twice, every notice settled and every failure visible as a task."""
        import email
        from email import policy

        by_recipient_and_subject: Counter[tuple[str, str]] = Counter()
        for message in self.ses_messages():
            parsed = email.message_from_string(message.raw_data, policy=policy.default)
            by_recipient_and_subject[(str(parsed["To"]), str(parsed["Subject"]))] += 1
        for (to, subject), count in by_recipient_and_subject.items():
            if count > 1:
                self.outcome.duplicated.append(f"{count}x '{subject}' to {to.split('@')[0]}@…")
        for referral in self.referrals():
            tasks = {task.task_id for task in referral.tasks}
            for notice in referral.notices:
                self.outcome.notices += 1
                where = f"{referral.reference}/{notice.notice_id}"
                if notice.status.value not in SETTLED:
                    self.outcome.invisible.append(f"{where} still {notice.status.value} after recovery")
                elif notice.status.value == "failed":
                    # An export to the case system fails with its own task (domain/tasks.py EXPORT_FAILED).
                    kind = "export_failed" if notice.kind.value == "case_export" else "notice_failed"
                    if f"{kind}:{notice.notice_id}" in tasks:
                        self.outcome.notices_failed_visibly += 1
                    else:
                        self.outcome.invisible.append(f"{where} failed with no task")

    def dropped_exports(self) -> list[str]:
        """The export ids in the case system's drop folder (the local stage's S3 target)."""
        from chalicelib.domain.case_export import parse_target

        _kind, bucket, prefix = parse_target(self.hub.settings.case_export_target)
        found = self.hub.aws_client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
        return [o["Key"].removeprefix(prefix).removesuffix(".json") for o in found]

    def check_exports(self) -> None:
        """0 lost, 0 duplicated at the receiver: each export delivered is in the drop folder once
        (its id is its key), each decision owes one, and nothing is there that was not owed."""
        from chalicelib.domain.case_export import export_id, exports_of

        dropped = Counter(self.dropped_exports())
        owed = set()
        for referral in self.referrals():
            exports = exports_of(referral)
            if referral.decision is not None and len([e for e in exports if e.notice_id == "export-decision"]) > 1:
                self.outcome.duplicated.append(f"{referral.reference}: the decision's export owed twice")
            for export in exports:
                the_id = export_id(referral.reference, export.notice_id)
                owed.add(the_id)
                if export.status.value == "sent" and not dropped[the_id]:
                    self.outcome.lost.append(f"{the_id}: delivered but not in the drop folder")
        self.outcome.duplicated += [f"{the_id}: {n}x in the drop folder" for the_id, n in dropped.items() if n > 1]
        self.outcome.invisible += [
            f"{the_id}: in the drop folder, owed by no referral" for the_id in set(dropped) - owed
        ]

    def finish(self) -> Outcome:
        self.outcome.faults = len(self.faults.faults)
        self.outcome.calls = len(self.faults.calls)
        self.outcome.fault_log = [f"step {f.step} {f.service}.{f.operation} {f.code}" for f in self.faults.faults]
        return self.outcome


@contextmanager
def shared_aws() -> Iterator[tuple[Any, Any]]:
    """One moto account for a module of runs: creating its KMS key (an RSA key in moto) and
    clients per run would cost most of the time budget. Each run wipes what the last one left."""
    import os

    from chalice.test import Client

    from app import app
    from chalicelib import wiring as wiring_module
    from local.resources import create_resources
    from tests.emulated_aws import emulated_aws

    with emulated_aws():
        hub = wiring_module.reset()
        created = create_resources(hub.settings, hub.aws_client)
        previous = os.environ.get("MASH_AGENCY_TOPIC_ARN")
        os.environ["MASH_AGENCY_TOPIC_ARN"] = created["agency_topic_arn"]  # as local/stack.py hands it over
        os.environ["MASH_EXPORT_TOPIC_ARN"] = created["export_topic_arn"]
        hub = wiring_module.reset()
        with Client(app) as client:
            yield hub, client
        os.environ.pop("MASH_EXPORT_TOPIC_ARN", None)
        if previous is None:
            os.environ.pop("MASH_AGENCY_TOPIC_ARN", None)
        else:
            os.environ["MASH_AGENCY_TOPIC_ARN"] = previous
    wiring_module.reset()


@contextmanager
def world(seed: int, flow: str, shared: tuple[Any, Any]) -> Iterator[World]:
    hub, client = shared
    _wipe(hub)
    rng = random.Random(seed)  # noqa: S311 - faults, not secrets: the seed must replay
    clock = Clock()
    hub.clock = clock
    injector = FaultInjector(rng, probability=rng.choice((0.05, 0.1, 0.2, 0.3)), reject_mail=rng.random() < 0.2)
    injector.attach(hub)
    try:
        yield World(hub, clock, injector, client, Outcome(seed, flow))
    finally:
        injector.detach(hub)


def _wipe(hub: Any) -> None:
    """Every item but the hub's wrapped blind-index key (its adapter keeps the key in memory),
    and every email moto holds: one run's state never meets another's."""
    from chalicelib.adapters.blind_index import KEY_PK
    from tests.conftest import table_items

    db, table = hub.aws_client("dynamodb"), hub.settings.table_name
    keys = [{"pk": i["pk"], "sk": i["sk"]} for i in table_items(hub) if i["pk"]["S"] != KEY_PK]
    for start in range(0, len(keys), 25):
        batch = [{"DeleteRequest": {"Key": key}} for key in keys[start : start + 25]]
        db.batch_write_item(RequestItems={table: batch})
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    ses_backends[DEFAULT_ACCOUNT_ID][hub.settings.aws_region].sent_messages.clear()
    _empty_drop_folder(hub)
    _empty_export_queue(hub)


def _empty_export_queue(hub: Any) -> None:
    """No message from a run before. Not PurgeQueue: SQS (and moto) allow one a minute per queue."""
    sqs, url = hub.aws_client("sqs"), export_queue_url(hub)
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages"):
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def export_queue_url(hub: Any) -> str:
    from chalicelib.adapters.export_topic import queue_url
    from chalicelib.events.queues import EXPORTS_QUEUE

    return queue_url(f"arn:aws:sqs:{hub.settings.aws_region}:123456789012:{EXPORTS_QUEUE}")


def _empty_drop_folder(hub: Any) -> None:
    """The case system's drop folder starts empty each run, as moto's sent mail does."""
    from chalicelib.domain.case_export import parse_target

    _kind, bucket, prefix = parse_target(hub.settings.case_export_target)
    s3 = hub.aws_client("s3")
    for found in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []):
        s3.delete_object(Bucket=bucket, Key=found["Key"])


def json_body(response: Any) -> Any:
    try:
        return json.loads(response.body)
    except ValueError:
        return None
