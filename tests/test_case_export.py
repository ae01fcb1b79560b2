"""The export to the case-management system, as a use case against the in-memory twins: owed in the
decision's own write, handed to the export topic by the outbox sweep (never by the request) and
delivered by the export function from its queue; a 4xx failed for good with a task and the metric,
a 5xx or a timeout retried by the queue with a growing backoff, one copy per export at the receiver
whatever is redelivered, and a manager's request owing a new one."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from chalicelib import wiring as wiring_module
from chalicelib.adapters.case_export_target import InMemoryExportTarget
from chalicelib.adapters.export_topic import InMemoryExportTopic
from chalicelib.domain.audit import AuditAction
from chalicelib.domain.case_export import DECISION_EXPORT, export_id, exports_of
from chalicelib.domain.case_export_document import export_schema
from chalicelib.domain.decision import Outcome, Rag
from chalicelib.domain.failures import ExportFailed
from chalicelib.domain.notices import NoticeStatus
from chalicelib.domain.referral_record import ReferralClosed
from chalicelib.domain.staff import Role, StaffMember
from chalicelib.domain.tasks import TaskKind
from chalicelib.events.queues import MAX_RECEIVES_BEFORE_DLQ
from chalicelib.services.decide_referral import approve_decision, record_decision
from chalicelib.services.deliver_notices import dispatch_due
from chalicelib.services.receive_export import NO_TARGET, ExportMessage, ExportRetryLater, receive_export
from chalicelib.services.request_export import request_export
from chalicelib.services.screen_referral import screen_referral
from tests.factories import in_memory_hub, stored_referral
from tests.test_metrics import emf_lines

NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
PRACTITIONER = StaffMember("0b6f7c1e-0000-4000-8000-000000000001", frozenset({Role.PRACTITIONER}))
MANAGER = StaffMember("0b6f7c1e-0000-4000-8000-000000000002", frozenset({Role.MANAGER}))
REFERENCE = "K7Q-F3M-RW9"
DECISION_EXPORT_ID = export_id(REFERENCE, DECISION_EXPORT)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def hub(clock: Clock) -> Iterator[Any]:
    hub = in_memory_hub(NOW)
    hub.clock = clock
    hub.use(case_export_target=InMemoryExportTarget(), export_topic=InMemoryExportTopic())
    stored_referral(hub, NOW, REFERENCE)
    yield hub
    wiring_module.reset()


def decide(outcome: Outcome) -> None:
    screen_referral(REFERENCE, rag=Rag.AMBER, level=3, rationale="Synthetic", staff=PRACTITIONER, request_id=None)
    record_decision(REFERENCE, outcome=outcome, reasons="Synthetic reasons", staff=PRACTITIONER, request_id=None)


QUEUE_ARN = "arn:aws:sqs:eu-west-2:123456789012:mash-hub-case-exports"


def sweep(hub: Any, clock: Clock, after: dt.timedelta = dt.timedelta(0)) -> Any:
    """The outbox sweep, then the export queue delivering what it published, as AWS would."""
    clock.now += after
    report = dispatch_due(hub.referrals, hub.mailer, hub.settings, clock.now)
    deliver_queued(hub)
    return report


def deliver_queued(hub: Any) -> None:
    while hub.export_topic.published:
        receive(hub, hub.export_topic.published.pop(0))


def receive(hub: Any, body: str, receive_count: int = 1) -> None:
    message = ExportMessage(body, receive_count, QUEUE_ARN, f"handle-{receive_count}")
    receive_export(message, last_receive=MAX_RECEIVES_BEFORE_DLQ)


def the_export(hub: Any) -> Any:
    (export,) = exports_of(hub.referrals.fetch(REFERENCE))
    return export


def test_an_s17_that_stands_owes_an_export_in_its_write_and_the_sweep_delivers_it(hub: Any, clock: Clock) -> None:
    decide(Outcome.CHILD_AND_FAMILY_ASSESSMENT)
    assert exports_of(hub.referrals.fetch(REFERENCE)) == [], "a proposal owes nothing: it needs a manager"
    assert hub.case_export_target.received == {}
    approve_decision(REFERENCE, staff=MANAGER, request_id=None)
    # Owed in the approval's write; the request itself never calls the case system.
    assert the_export(hub).status is NoticeStatus.PENDING
    assert hub.case_export_target.attempts == 0
    sweep(hub, clock)
    assert the_export(hub).status is NoticeStatus.SENT
    body = json.loads(hub.case_export_target.received[DECISION_EXPORT_ID])
    jsonschema.validate(body, export_schema())
    assert body["export_id"] == DECISION_EXPORT_ID
    assert (body["decision"]["outcome"], body["decision"]["approved_by"]) == (
        "child_and_family_assessment_s17",
        MANAGER.id,
    )
    assert body["screening"]["rag"] == "amber"


def test_a_decision_that_does_not_stay_with_social_care_exports_nothing(hub: Any, clock: Clock) -> None:
    decide(Outcome.EARLY_HELP)
    sweep(hub, clock, dt.timedelta(minutes=5))
    assert exports_of(hub.referrals.fetch(REFERENCE)) == []
    assert hub.case_export_target.attempts == 0


def test_the_receivers_id_is_recorded_on_the_export(hub: Any, clock: Clock) -> None:
    hub.case_export_target.answer_id = "LCS-0042"
    decide(Outcome.CHILD_AND_FAMILY_ASSESSMENT)
    approve_decision(REFERENCE, staff=MANAGER, request_id=None)
    sweep(hub, clock)
    assert the_export(hub).provider_message_id == "LCS-0042"


def test_a_4xx_is_permanent_a_task_and_the_metric(hub: Any, clock: Clock, capsys: pytest.CaptureFixture[str]) -> None:
    hub.case_export_target.failures = [ExportFailed("http_400", retryable=False)]
    decide(Outcome.CHILD_AND_FAMILY_ASSESSMENT)
    approve_decision(REFERENCE, staff=MANAGER, request_id=None)
    capsys.readouterr()
    sweep(hub, clock)
    export = the_export(hub)
    # Two attempts: the hand-over to the export topic, then the delivery the receiver refused.
    assert (export.status, export.last_error, export.attempts) == (NoticeStatus.FAILED, "http_400", 2)
    referral = hub.referrals.fetch(REFERENCE)
    assert [t.kind for t in referral.tasks if t.about == DECISION_EXPORT] == [TaskKind.EXPORT_FAILED]
    [line] = [line for line in emf_lines(capsys.readouterr().out) if "ExportsFailed" in line]
    assert line["ExportsFailed"] in (1, [1.0])
    sweep(hub, clock, dt.timedelta(hours=2))
    assert hub.case_export_target.attempts == 1, "a permanent failure is not tried again"


def test_5xx_and_timeouts_retry_from_the_queue_with_a_growing_backoff_and_one_copy(hub: Any, clock: Clock) -> None:
    target = hub.case_export_target
    target.failures = [ExportFailed("http_503", retryable=True), ExportFailed("timeout", retryable=True)]
    decide(Outcome.CHILD_AND_FAMILY_ASSESSMENT)
    approve_decision(REFERENCE, staff=MANAGER, request_id=None)
    dispatch_due(hub.referrals, hub.mailer, hub.settings, clock.now)
    (body,) = hub.export_topic.published
    assert json.loads(body) == {"reference": REFERENCE, "export_id": DECISION_EXPORT_ID}, "no personal data"
    for receive_count in (1, 2):
        with pytest.raises(ExportRetryLater):  # the message goes back to the queue
            receive(hub, body, receive_count)
        assert the_export(hub).status is NoticeStatus.PENDING
    assert hub.export_topic.delays == [30, 60], "out of sight longer with each receive"
    receive(hub, body, 3)
    assert the_export(hub).status is NoticeStatus.SENT
    assert list(target.received) == [DECISION_EXPORT_ID]


def test_a_redelivered_message_makes_no_second_export(hub: Any, clock: Clock) -> None:
    decide(Outcome.CHILD_AND_FAMILY_ASSESSMENT)
    approve_decision(REFERENCE, staff=MANAGER, request_id=None)
    dispatch_due(hub.referrals, hub.mailer, hub.settings, clock.now)
    (body,) = hub.export_topic.published
    receive(hub, body)
    receive(hub, body, 2)  # SQS delivers at least once
    assert (hub.case_export_target.attempts, list(hub.case_export_target.received)) == (1, [DECISION_EXPORT_ID])
    # Delivered again regardless (a save lost after the send): the same id, so the receiver holds one.
    target = hub.case_export_target
    target.deliver(DECISION_EXPORT_ID, target.received[DECISION_EXPORT_ID])
    assert list(target.received) == [DECISION_EXPORT_ID]


def test_the_last_receive_fails_the_export_for_good_with_a_task(hub: Any, clock: Clock) -> None:
    hub.case_export_target.failures = [ExportFailed("http_503", retryable=True)]
    decide(Outcome.CHILD_AND_FAMILY_ASSESSMENT)
    approve_decision(REFERENCE, staff=MANAGER, request_id=None)
    dispatch_due(hub.referrals, hub.mailer, hub.settings, clock.now)
    receive(hub, hub.export_topic.published[0], MAX_RECEIVES_BEFORE_DLQ)  # not raised: consumed
    assert (the_export(hub).status, the_export(hub).last_error) == (NoticeStatus.FAILED, "http_503")
    assert [t.kind for t in hub.referrals.fetch(REFERENCE).tasks] == [TaskKind.EXPORT_FAILED]


def test_a_failed_publish_is_owed_still_and_handed_over_by_a_later_sweep(hub: Any, clock: Clock) -> None:
    hub.export_topic.fail_next = 1
    decide(Outcome.CHILD_AND_FAMILY_ASSESSMENT)
    approve_decision(REFERENCE, staff=MANAGER, request_id=None)
    sweep(hub, clock)
    assert (the_export(hub).status, the_export(hub).last_error) == (NoticeStatus.PENDING, "Throttling")
    assert hub.case_export_target.received == {}
    sweep(hub, clock, dt.timedelta(seconds=5))
    assert hub.export_topic.published == [] and hub.case_export_target.received == {}, "not before its backoff"
    sweep(hub, clock, dt.timedelta(seconds=30))
    assert the_export(hub).status is NoticeStatus.SENT
    assert list(hub.case_export_target.received) == [DECISION_EXPORT_ID]


def test_a_handed_over_export_never_settled_is_handed_over_again_after_its_lease(hub: Any, clock: Clock) -> None:
    decide(Outcome.CHILD_AND_FAMILY_ASSESSMENT)
    approve_decision(REFERENCE, staff=MANAGER, request_id=None)
    dispatch_due(hub.referrals, hub.mailer, hub.settings, clock.now)
    hub.export_topic.published.clear()  # the message was lost (or dead-lettered)
    sweep(hub, clock, dt.timedelta(minutes=30))
    assert the_export(hub).status is NoticeStatus.PENDING, "still within its lease"
    sweep(hub, clock, dt.timedelta(minutes=31))
    assert the_export(hub).status is NoticeStatus.SENT


def test_a_manager_asks_for_a_new_export_audited_and_delivered(hub: Any, clock: Clock) -> None:
    decide(Outcome.STRATEGY_DISCUSSION)
    approve_decision(REFERENCE, staff=MANAGER, request_id=None)
    sweep(hub, clock)
    _, asked = request_export(REFERENCE, staff=MANAGER, request_id="req-1")
    assert asked != DECISION_EXPORT_ID
    trail, _ = hub.referrals.audit_trail(REFERENCE)
    assert trail[-1].action is AuditAction.CASE_EXPORT_REQUESTED
    assert trail[-1].details == {"export": asked.split(".")[-1]}
    sweep(hub, clock)
    assert set(hub.case_export_target.received) == {DECISION_EXPORT_ID, asked}


def test_a_closed_referral_exports_nothing_more(hub: Any, clock: Clock) -> None:
    from chalicelib.services.retention import close_referral

    decide(Outcome.EARLY_HELP)
    close_referral(REFERENCE, staff=PRACTITIONER, request_id=None)
    with pytest.raises(ReferralClosed):
        request_export(REFERENCE, staff=MANAGER, request_id=None)


def test_no_target_outside_the_local_stage_fails_the_export_with_a_task(hub: Any, clock: Clock) -> None:
    hub.use(case_export_target=None)
    decide(Outcome.CHILD_AND_FAMILY_ASSESSMENT)
    approve_decision(REFERENCE, staff=MANAGER, request_id=None)
    sweep(hub, clock)
    assert (the_export(hub).status, the_export(hub).last_error) == (NoticeStatus.FAILED, NO_TARGET)


# --- handed over at once by the request that owes it (the sweep is the safety net) ---------------


def test_a_decision_that_stands_hands_its_export_over_at_once(hub: Any, clock: Clock) -> None:
    decide(Outcome.CHILD_AND_FAMILY_ASSESSMENT)
    assert hub.export_topic.published == [], "a proposal owes nothing yet"
    approve_decision(REFERENCE, staff=MANAGER, request_id=None)
    assert [json.loads(body)["export_id"] for body in hub.export_topic.published] == [DECISION_EXPORT_ID]
    assert hub.case_export_target.attempts == 0, "the request never waits on the case system itself"
    assert (the_export(hub).status, the_export(hub).attempts) == (NoticeStatus.PENDING, 1)
    deliver_queued(hub)  # the export function, well before the next sweep
    assert the_export(hub).status is NoticeStatus.SENT
    sweep(hub, clock, dt.timedelta(hours=2))
    assert hub.case_export_target.attempts == 1, "the sweep has nothing left to hand over"


def test_a_managers_request_is_handed_over_at_once(hub: Any, clock: Clock) -> None:
    decide(Outcome.STRATEGY_DISCUSSION)
    approve_decision(REFERENCE, staff=MANAGER, request_id=None)
    deliver_queued(hub)
    _, asked = request_export(REFERENCE, staff=MANAGER, request_id=None)
    assert [json.loads(body)["export_id"] for body in hub.export_topic.published] == [asked]
    deliver_queued(hub)
    assert set(hub.case_export_target.received) == {DECISION_EXPORT_ID, asked}


def test_a_send_now_publish_and_a_sweep_publish_make_one_export(
    hub: Any, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.domain.failures import AwsError

    saves = hub.referrals.save_notices

    def lost(referral: Any) -> Any:  # the hand-over's save fails: the sweep will publish it again
        raise AwsError("dynamodb", "ProvisionedThroughputExceededException", retryable=True)

    decide(Outcome.CHILD_AND_FAMILY_ASSESSMENT)
    monkeypatch.setattr(hub.referrals, "save_notices", lost)
    approve_decision(REFERENCE, staff=MANAGER, request_id=None)  # still succeeds
    monkeypatch.setattr(hub.referrals, "save_notices", saves)
    assert (len(hub.export_topic.published), the_export(hub).attempts) == (1, 0)
    clock.now += dt.timedelta(minutes=3)  # past the send grace
    dispatch_due(hub.referrals, hub.mailer, hub.settings, clock.now)
    assert len(hub.export_topic.published) == 2, "the sweep published it again"
    deliver_queued(hub)
    assert (hub.case_export_target.attempts, list(hub.case_export_target.received)) == (1, [DECISION_EXPORT_ID])
    assert the_export(hub).status is NoticeStatus.SENT


def test_a_failing_topic_leaves_the_export_to_the_sweep_and_the_request_succeeds(hub: Any, clock: Clock) -> None:
    decide(Outcome.CHILD_AND_FAMILY_ASSESSMENT)
    hub.export_topic.fail_next = 1
    approved = approve_decision(REFERENCE, staff=MANAGER, request_id=None)
    assert approved.decision is not None and approved.decision.approved_by == MANAGER.id
    assert hub.export_topic.published == []
    assert (the_export(hub).status, the_export(hub).last_error) == (NoticeStatus.PENDING, "Throttling")
    hub.export_topic.fail_next = 1
    _, asked = request_export(REFERENCE, staff=MANAGER, request_id=None)  # answered all the same
    assert hub.export_topic.published == []
    sweep(hub, clock, dt.timedelta(minutes=3))
    assert set(hub.case_export_target.received) == {DECISION_EXPORT_ID, asked}


# --- a retry is recorded, so staff see it before it fails for good --------------------------------


def test_a_retry_is_recorded_on_the_export_without_settling_it_and_staff_read_it_in_words(
    hub: Any, clock: Clock
) -> None:
    from chalicelib.services.chronology import read_chronology

    hub.case_export_target.failures = [ExportFailed("http_503", retryable=True)]
    decide(Outcome.CHILD_AND_FAMILY_ASSESSMENT)
    approve_decision(REFERENCE, staff=MANAGER, request_id=None)
    (body,) = hub.export_topic.published
    clock.now += dt.timedelta(minutes=1)
    with pytest.raises(ExportRetryLater):
        receive(hub, body, 1)
    export = the_export(hub)
    assert (export.status, export.last_error, export.attempts) == (NoticeStatus.PENDING, "http_503", 2)
    assert export.history == (("delayed", "2026-11-25T10:01:00+00:00"),)
    assert not export.is_due(clock.now + dt.timedelta(minutes=30)), "still the export function's, under its lease"
    said = [e.what for e in read_chronology(REFERENCE, staff=MANAGER, request_id=None).entries]
    assert "Export to the case system: trying again (the receiver answered 503)" in said
    clock.now += dt.timedelta(seconds=30)
    receive(hub, body, 2)  # the queue brings it back: delivered, the retry kept in its history
    export = the_export(hub)
    assert (export.status, export.last_error, export.attempts) == (NoticeStatus.SENT, None, 3)
    said = [e.what for e in read_chronology(REFERENCE, staff=MANAGER, request_id=None).entries]
    assert said[-2:] == [
        "Export to the case system: trying again",
        "The export to the case-management system was delivered",
    ]


def test_a_retry_whose_record_fails_is_retried_all_the_same(
    hub: Any, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.domain.failures import AwsError

    hub.case_export_target.failures = [ExportFailed("timeout", retryable=True)]
    decide(Outcome.CHILD_AND_FAMILY_ASSESSMENT)
    approve_decision(REFERENCE, staff=MANAGER, request_id=None)
    (body,) = hub.export_topic.published
    writes: list[str] = []

    def refused(referral: Any) -> Any:
        writes.append(referral.reference)
        raise AwsError("dynamodb", "ProvisionedThroughputExceededException", retryable=True)

    monkeypatch.setattr(hub.referrals, "save_notices", refused)
    with pytest.raises(ExportRetryLater):
        receive(hub, body, 1)
    assert (len(writes), hub.export_topic.delays) == (1, [30]), "one write per delivery; the backoff asked for"
    monkeypatch.undo()
    assert (the_export(hub).attempts, the_export(hub).last_error) == (1, None), "as it was"
    receive(hub, body, 2)
    assert the_export(hub).status is NoticeStatus.SENT


def test_a_retry_record_never_unsettles_an_export_settled_meanwhile(
    hub: Any, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    decide(Outcome.CHILD_AND_FAMILY_ASSESSMENT)
    approve_decision(REFERENCE, staff=MANAGER, request_id=None)
    (body,) = hub.export_topic.published
    real = hub.case_export_target.deliver
    calls: list[str] = []

    def twin_settles_it_first(the_id: str, document: bytes) -> str | None:
        calls.append(the_id)
        if len(calls) == 1:
            receive(hub, body, 1)  # the same message twice (at least once): this copy delivers and saves
            raise ExportFailed("http_502", retryable=True)
        return real(the_id, document)

    monkeypatch.setattr(hub.case_export_target, "deliver", twin_settles_it_first)
    with pytest.raises(ExportRetryLater):
        receive(hub, body, 1)
    assert (the_export(hub).status, the_export(hub).last_error) == (NoticeStatus.SENT, None)
    assert list(hub.case_export_target.received) == [DECISION_EXPORT_ID]


def test_retry_reasons_in_plain_words() -> None:
    from chalicelib.domain.case_export import retry_reason

    assert retry_reason("http_503") == "the receiver answered 503"
    assert retry_reason("timeout") == "the receiver did not answer in time"
    assert retry_reason("unreachable") == "the receiver could not be reached"
    assert retry_reason("SlowDown") == "it could not be passed on just now"
