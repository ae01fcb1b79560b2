"""The flows driven under faults, each as a client, a member of staff or a parent would:
retrying what the API says may be retried, reading state back rather than guessing it."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from tests.factories import EXAMPLE_NAMES, example
from tests.faults.harness import World, json_body

JSON = {"Content-Type": "application/json"}
FORM = "application/x-www-form-urlencoded"


# --- public submission ------------------------------------------------------------------------


def submit_with_retries(world: World, key: str, body: dict[str, Any], responses: list[Any]) -> str | None:
    """An agency system posting with an Idempotency-Key, retrying 503/5xx/409 with the same key."""

    def send() -> Any:
        return world.client.http.post("/api/referrals", headers={**JSON, "Idempotency-Key": key}, body=json.dumps(body))

    response = world.request(send, ok=lambda r: r.status_code in (200, 201), label=f"POST /api/referrals {key}")
    responses.append(response)
    if response.status_code in (200, 201):
        return json_body(response)["reference"]
    return None


def check_submissions(world: World, sent: dict[str, list[Any]]) -> None:
    """0 lost: every 2xx names a stored referral; each key made exactly one referral."""
    stored = [item["reference"]["S"] for item in world.referral_items()]
    for key, responses in sent.items():
        references = {json_body(r)["reference"] for r in responses if r.status_code in (200, 201)}
        if len(references) != 1:
            world.outcome.lost.append(f"{key}: 2xx references {sorted(references)}")
            continue
        [reference] = references
        if stored.count(reference) != 1:
            world.outcome.lost.append(f"{key}: {reference} stored {stored.count(reference)} times")
    if len(stored) != len(sent):
        world.outcome.lost.append(f"{len(sent)} keys but {len(stored)} referrals stored")


def submission_flow(world: World) -> None:
    rng = world.faults.rng
    bodies = {f"fault-{world.outcome.seed}-{i}": example(rng.choice(EXAMPLE_NAMES)) for i in range(rng.randint(1, 3))}
    sent: dict[str, list[Any]] = {key: [] for key in bodies}
    for key, body in bodies.items():
        submit_with_retries(world, key, body, sent[key])
        world.sweep()  # the schedule may run between requests, faults and all
    # Recovery: the client keeps retrying with the same key until it is told the reference.
    world.faults.enabled = False
    for key, body in bodies.items():
        if sent[key][-1].status_code not in (200, 201):
            submit_with_retries(world, key, body, sent[key])
    world.recover()
    check_submissions(world, sent)
    world.check_mail()


# Saturday 5 December 2026, 2am London (GMT): the office is closed until Monday.
SATURDAY_2AM = dt.datetime(2026, 12, 5, 2, 0, tzinfo=dt.UTC)


def night_submission_flow(world: World) -> None:
    """Protection (or immediate-risk) referrals at 2am on a Saturday: each owes the emergency duty
    team's alert in the same write as the referral, so under faults no alert is lost (a stored
    referral without one, or one never sent nor failed visibly) and none goes twice."""
    from chalicelib.domain.out_of_hours import ALERT_NOTICE_ID

    rng = world.faults.rng
    world.clock.now = SATURDAY_2AM
    bodies = {}
    for i in range(rng.randint(1, 3)):
        body = example("referral-protection.json") if rng.random() < 0.7 else example("referral-support.json")
        body["immediate_risk"] = body["route"] == "support" or rng.random() < 0.5
        bodies[f"night-{world.outcome.seed}-{i}"] = body
    sent: dict[str, list[Any]] = {key: [] for key in bodies}
    for key, body in bodies.items():
        submit_with_retries(world, key, body, sent[key])
        world.sweep()
    world.faults.enabled = False
    for key, body in bodies.items():
        if sent[key][-1].status_code not in (200, 201):
            submit_with_retries(world, key, body, sent[key])
    world.recover()
    check_submissions(world, sent)
    world.check_mail()
    mailbox = world.hub.settings.out_of_hours_mailbox
    alerts = [str(m["Subject"]) for m in _parsed(world) if str(m["To"]) == mailbox]
    for referral in world.referrals():
        notice = next((n for n in referral.notices if n.notice_id == ALERT_NOTICE_ID), None)
        if notice is None:
            world.outcome.lost.append(f"{referral.reference}: stored with no alert owed")
            continue
        count = sum(referral.reference in subject for subject in alerts)
        if notice.status.value in ("sent", "delivered") and count != 1:
            # SES accepted it (the notice says so) but moto holds it `count` times: lost or doubled.
            (world.outcome.lost if count == 0 else world.outcome.duplicated).append(
                f"{referral.reference}: alert sent {count} times"
            )


def _parsed(world: World) -> list[Any]:
    import email
    from email import policy

    return [email.message_from_string(m.raw_data, policy=policy.default) for m in world.ses_messages()]


def submit_for_staff(world: World, name: str) -> str:
    """A referral to work on, stored with faults on (the client retries until it has one)."""
    body = example(name)
    key = f"fault-{world.outcome.seed}-staff"
    responses: list[Any] = []
    reference = submit_with_retries(world, key, body, responses)
    if reference is None:
        world.faults.enabled = False
        reference = submit_with_retries(world, key, body, responses)
        world.faults.enabled = True
    assert reference is not None, f"seed {world.outcome.seed}: no referral even without faults"
    world.submitted[key] = responses
    return reference


# --- staff: screening, decision, approval ----------------------------------------------------


class Staff:
    def __init__(self, world: World, issuer: Any) -> None:
        self.world = world
        self.issuer = issuer

    def __call__(self, who: str, method: str, path: str, body: Any = None) -> Any:
        from local.issuer import SYNTHETIC_STAFF

        token = self.issuer.sign(self.issuer.claims_for(SYNTHETIC_STAFF[who]))
        headers = {"Authorization": f"Bearer {token}", **JSON}
        raw = json.dumps(body).encode() if body is not None else b""
        return self.world.client.http.request(method, path, headers=headers, body=raw)


NEXT_STEP: dict[str, tuple[str, str, dict[str, Any]]] = {
    "received": ("practitioner", "screening", {"rag": "amber", "level": 3, "rationale": "Hunger and absence"}),
    "screened": (
        "practitioner",
        "decision",
        {"outcome": "child_and_family_assessment_s17", "reasons": "Needs an assessment"},
    ),
    "decision_proposed": ("manager", "decision/approval", {"approve": True}),
}


def drive_to_decided(world: World, staff: Staff, reference: str, tries: int) -> str:
    """Read the status, take the next step; a 503 or 409 means read again and carry on."""
    status = "unknown"
    for _ in range(tries):
        picture = staff("practitioner", "GET", f"/admin/referrals/{reference}")
        world._note(picture, f"GET /admin/referrals/{reference}")
        if picture.status_code != 200:
            continue
        status = json_body(picture)["status"]
        if status not in NEXT_STEP:
            return status
        who, step, body = NEXT_STEP[status]
        response = staff(who, "POST", f"/admin/referrals/{reference}/{step}", body)
        world._note(response, f"POST {step}")
    return status


def check_decided(world: World, staff: Staff, reference: str) -> None:
    """Nothing half-written: the change and its audit event are one, and the chain is intact."""
    status = drive_to_decided(world, staff, reference, tries=4)
    if status != "decided":
        world.outcome.invisible.append(f"{reference}: status {status} after recovery")
    events = json_body(staff("auditor", "GET", f"/admin/audit?reference={reference}"))["events"]
    actions = [event["action"] for event in events]
    for once in ("decision.recorded", "decision.approved"):
        if actions.count(once) != 1:
            world.outcome.invisible.append(f"{reference}: {actions.count(once)}x {once} in the audit")
    verify = json_body(staff("auditor", "GET", f"/admin/audit/verify?reference={reference}"))
    if not verify["intact"]:
        world.outcome.invisible.append(f"{reference}: audit chain broken at {verify['first_broken_sequence']}")


def staff_flow(world: World, staff: Staff) -> None:
    rng = world.faults.rng
    reference = submit_for_staff(world, "referral-support.json")
    drive_to_decided(world, staff, reference, tries=rng.randint(2, 6))
    world.sweep()
    world.recover()
    check_decided(world, staff, reference)
    world.recover()  # whatever the decision owes (outcome notices and the export, once they land)
    check_submissions(world, world.submitted)
    world.check_mail()
    world.check_exports()  # the s17 exports to the case system: S3 faults are a receiver outage


# --- consent: staff ask, the parent answers by the link --------------------------------------

LINK = re.compile(r"https?://[^/\s]+(/consent/[A-Za-z0-9_.-]+)")


def consent_flow(world: World, staff: Staff) -> None:
    reference = submit_for_staff(world, "referral-support-no-consent.json")
    ask_parent(world, staff, reference)
    world.sweep()
    world.recover()  # the consent request email goes, or fails visibly
    path = link_in_mail(world)
    if path is not None:
        world.faults.enabled = True
        answered = parent_answers(world, path, tries=world.faults.rng.randint(1, 3))
        world.faults.enabled = False
        if not answered:
            answered = parent_answers(world, path, tries=2)
        check_consent(world, staff, reference, answered)
    world.recover()
    check_submissions(world, world.submitted)
    world.check_mail()


def ask_parent(world: World, staff: Staff, reference: str) -> None:
    """Ask once it is sure the last ask did not land: read the consent state before each try."""
    for enabled in (True, False):
        world.faults.enabled = enabled
        for _ in range(3):
            picture = staff("practitioner", "GET", f"/admin/referrals/{reference}")
            world._note(picture, "GET picture")
            if picture.status_code == 200 and json_body(picture)["consent"] == "requested":
                return
            if picture.status_code != 200:
                continue
            asked = staff(
                "practitioner", "POST", f"/admin/referrals/{reference}/consent", {"state": "requested", "parent": 0}
            )
            world._note(asked, "POST consent requested")
    world.outcome.lost.append(f"{reference}: consent never requested, even without faults")


def link_in_mail(world: World) -> str | None:
    import email
    from email import policy

    for message in world.ses_messages():
        parsed = email.message_from_string(message.raw_data, policy=policy.default)
        if "share information" in str(parsed["Subject"]):
            match = LINK.search(parsed.get_body(preferencelist=("plain",)).get_content())
            return match.group(1) if match else None
    return None


def parent_answers(world: World, path: str, tries: int) -> bool:
    """A parent's browser: load the page (for its CSRF token and cookie), answer yes; a 503 page
    says try again, so they do. True once the hub has taken the answer (303)."""
    for _ in range(tries):
        page = world.client.http.get(path)
        world._note(page, f"GET {path}")
        if page.status_code != 200:
            if page.status_code == 410:
                return False
            continue
        cookie = "; ".join(line.split(";")[0] for line in _set_cookies(page))
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.body.decode())
        form = urlencode({"answer": "yes", "comment": "", "csrf_token": token.group(1) if token else ""})
        sent = world.client.http.post(path, body=form, headers={"content-type": FORM, "cookie": cookie})
        world._note(sent, f"POST {path}")
        if sent.status_code == 303:
            return True
        if sent.status_code == 410:
            return False
    return False


def _set_cookies(response: Any) -> list[str]:
    value = response.headers.get("Set-Cookie") or []
    return [value] if isinstance(value, str) else list(value)


def check_consent(world: World, staff: Staff, reference: str, answered: bool) -> None:
    """The parent's answer is never lost: taken (303) means recorded; refused means it was."""
    picture = json_body(staff("practitioner", "GET", f"/admin/referrals/{reference}"))
    if picture["consent"] != "given":
        how = "taken" if answered else "refused as used"
        world.outcome.lost.append(f"{reference}: parent's answer {how} but consent is {picture['consent']}")
    tasks = [task["kind"] for task in picture["tasks"]]
    if picture["consent"] == "given" and tasks.count("consent_answered") != 1:
        world.outcome.invisible.append(f"{reference}: {tasks.count('consent_answered')} consent_answered tasks")


Flow = Callable[[World], None]


# --- agency enquiries: staff ask, the agencies' queues send, the agencies reply by email ----------

AGENCIES = ("police", "health", "education", "housing")
PUBLISH_STEP = dt.timedelta(minutes=3)


def enquiry_flow(world: World, staff: Staff) -> None:
    """Staff open enquiries (faults on); SNS fans them out; each agency queue's Lambda sends its
    request; every agency replies and SES's notification reaches the inbound Lambda, sometimes twice.
    After recovery: every enquiry published once and emailed once, every reply stored once."""
    rng = world.faults.rng
    reference = submit_for_staff(world, "referral-protection.json")
    agencies = rng.sample(AGENCIES, rng.randint(1, 3))
    screen_and_ask(world, staff, reference, agencies)
    world.sweep()
    mail = AgencyMail(world)
    mail.pump_agency_queues()
    # Recovery of the asking half: faults off, sweeps publish what was left, queues drained.
    world.faults.enabled = False
    for _ in range(8):
        world.clock.advance(PUBLISH_STEP)  # past the send grace and a publish's backoff
        world.sweep()
        mail.pump_agency_queues()
    world.recover()
    requests = mail.requests()
    # The replying half: each agency answers its request; the notification may come twice.
    world.faults.enabled = True
    for request in requests:
        mail.reply(request, twice=rng.random() < 0.3)
    world.faults.enabled = False
    mail.retry_failed_notifications()
    world.recover()
    check_enquiries(world, staff, reference, agencies, requests)
    check_submissions(world, world.submitted)
    world.check_mail()


def screen_and_ask(world: World, staff: Staff, reference: str, agencies: list[str]) -> None:
    """Read the state before each try, as a practitioner would after an error page."""
    question = {"agencies": agencies, "question": "Any contact with the family in the last year?"}
    for enabled in (True, False):
        world.faults.enabled = enabled
        for _ in range(3):
            picture = staff("practitioner", "GET", f"/admin/referrals/{reference}")
            world._note(picture, "GET picture")
            if picture.status_code != 200:
                continue
            seen = json_body(picture)
            if seen["status"] == "received":
                screened = staff(
                    "practitioner", "POST", f"/admin/referrals/{reference}/screening", NEXT_STEP["received"][2]
                )
                world._note(screened, "POST screening")
                continue
            if {e["agency"] for e in seen["enquiries"]} >= set(agencies):
                world.faults.enabled = True
                return
            asked = staff("practitioner", "POST", f"/admin/referrals/{reference}/enquiries", question)
            world._note(asked, "POST enquiries")
    world.faults.enabled = True
    world.outcome.lost.append(f"{reference}: enquiries never opened, even without faults")


class AgencyMail:
    """What AWS does between the hub's handlers: Lambda's SQS poller on the agency and inbound
    queues (delete on success, redeliver what the handler reports failed), and SES storing each
    reply in the inbound bucket. Its own clients are never faulted: these are AWS's calls."""

    def __init__(self, world: World) -> None:
        import boto3

        self.world = world
        region = world.hub.settings.aws_region
        self.sqs = boto3.client("sqs", region_name=region)
        self.s3 = boto3.client("s3", region_name=region)
        self.failed_notifications: list[str] = []
        self.count = 0

    def pump_agency_queues(self) -> None:
        from chalicelib.domain.agencies import AgencyId
        from chalicelib.events.queues import agency_function, agency_queue

        for agency in AgencyId:
            url = self.sqs.get_queue_url(QueueName=agency_queue(agency))["QueueUrl"]
            for _ in range(5):
                messages = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
                if not messages:
                    break
                failed = self._invoke(agency_function(agency), agency_queue(agency), [m["Body"] for m in messages])
                lost_deletes = 0
                for index, message in enumerate(messages):
                    # SQS's own failure: the poller's DeleteMessage is lost (or the visibility timeout
                    # runs out first), so a message the handler already took is delivered again.
                    redelivered = index not in failed and self._sqs_fault("DeleteMessage")
                    lost_deletes += redelivered
                    if index in failed or redelivered:
                        self.sqs.change_message_visibility(
                            QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                        )
                    else:
                        self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                if failed or lost_deletes:
                    break  # the poller comes back later for those

    def _sqs_fault(self, operation: str) -> bool:
        from tests.faults.injector import InjectedFault

        faults = self.world.faults
        if not faults.enabled or faults.rng.random() >= faults.probability:
            return False
        faults.faults.append(InjectedFault(len(faults.calls), "sqs", operation, "RequestTimeout (redelivered)"))
        return True

    def _invoke(self, function: str, queue: str, bodies: list[str]) -> set[int]:
        """The handler's batch answer: the positions it reports failed (all, if it raised)."""
        event = self.world.client.events.generate_sqs_event(message_bodies=bodies, queue_name=queue)
        ids = [record["messageId"] for record in event["Records"]]
        try:
            answer = self.world.client.lambda_.invoke(function, event).payload
        except Exception:  # the whole batch comes back
            if not self.world.faults.enabled:
                raise
            return set(range(len(bodies)))
        failed = {item["itemIdentifier"] for item in (answer or {}).get("batchItemFailures", [])}
        return {index for index, message_id in enumerate(ids) if message_id in failed}

    def requests(self) -> list[Any]:
        import email
        from email import policy

        parsed = [email.message_from_string(m.raw_data, policy=policy.default) for m in self.world.ses_messages()]
        return [m for m in parsed if str(m["Subject"]).strip().startswith("Information request")]

    def reply(self, request: Any, *, twice: bool) -> None:
        from chalicelib.events.queues import INBOUND_MAIL_FUNCTION, INBOUND_MAIL_QUEUE

        self.count += 1
        key = f"inbound/fault-{self.world.outcome.seed}-{self.count}"
        domain = str(request["To"]).split("@")[1]
        raw = (
            "X-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: PASS\r\n"
            f"Authentication-Results: amazonses.com; spf=pass; dkim=pass; dmarc=pass header.from={domain};\r\n"
            f"From: officer@{domain}\r\nTo: {request['Reply-To']}\r\nSubject: RE: {str(request['Subject']).strip()}\r\n"
            f"Message-ID: <{self.count}.{self.world.outcome.seed}@{domain}>\r\n\r\n"
            "No information held.\r\n\r\n> the request\r\n"
        ).encode()
        self.s3.put_object(Bucket=self.world.hub.settings.inbound_mail_bucket, Key=key, Body=raw)
        notification = json.dumps(
            {
                "Records": [
                    {
                        "eventSource": "aws:s3",
                        "eventName": "ObjectCreated:Put",
                        "s3": {"bucket": {"name": self.world.hub.settings.inbound_mail_bucket}, "object": {"key": key}},
                    }
                ]
            }
        )
        # S3 notifies at least once; SQS may deliver again when the poller's delete is lost.
        for _ in range(2 if twice or self._sqs_fault("DeleteMessage") else 1):
            if self._invoke(INBOUND_MAIL_FUNCTION, INBOUND_MAIL_QUEUE, [notification]):
                self.failed_notifications.append(notification)

    def retry_failed_notifications(self) -> None:
        from chalicelib.events.queues import INBOUND_MAIL_FUNCTION, INBOUND_MAIL_QUEUE

        for notification in self.failed_notifications:
            if self._invoke(INBOUND_MAIL_FUNCTION, INBOUND_MAIL_QUEUE, [notification]):
                self.world.outcome.lost.append("an inbound notification failed even without faults")
        self.failed_notifications.clear()


def check_enquiries(world: World, staff: Staff, reference: str, agencies: list[str], requests: list[Any]) -> None:
    picture = json_body(staff("practitioner", "GET", f"/admin/referrals/{reference}"))
    enquiries = {e["agency"]: e for e in picture["enquiries"]}
    if sorted(enquiries) != sorted(agencies):
        world.outcome.lost.append(f"{reference}: enquiries {sorted(enquiries)} for {sorted(agencies)}")
    if len(requests) != len(agencies):
        world.outcome.lost.append(f"{reference}: {len(requests)} request emails for {len(agencies)} agencies")
    for agency, enquiry in enquiries.items():
        if enquiry["published_at"] is None:
            world.outcome.lost.append(f"{reference}/{agency}: never handed to its queue")
        if len(enquiry["reply_ids"]) != 1 or enquiry["state"] != "answered":
            world.outcome.lost.append(f"{reference}/{agency}: {len(enquiry['reply_ids'])} replies, {enquiry['state']}")
    if len(picture["replies"]) != len(requests):
        world.outcome.duplicated.append(f"{reference}: {len(picture['replies'])} replies stored for {len(requests)}")
    actions = [event["action"] for event in picture["history"]]
    if actions.count("enquiry.answered") != len(requests):
        world.outcome.duplicated.append(f"{reference}: {actions.count('enquiry.answered')} answered events")
    reads = [t for t in picture["tasks"] if t["kind"] == "reply_to_read"]
    if len(reads) != len(requests):
        world.outcome.invisible.append(f"{reference}: {len(reads)} reply tasks for {len(requests)} replies")


# --- withdrawing enquiries: consent refused after sharing started, or one withdrawn by staff -----

WITHDRAW_REASON = "Asked the wrong agency: the family never lived in this area"
DAYS_LATER = dt.timedelta(days=3)


def withdrawal_flow(world: World, staff: Staff) -> None:
    """Enquiries are asked and emailed; then (faults on) staff record the parent's refusal, or
    withdraw one enquiry with a reason. After recovery and days of sweeps: each withdrawn enquiry's
    agency got exactly one withdrawal email (0 lost, 0 twice), none was chased or escalated, and the
    change was audited once."""
    rng = world.faults.rng
    reference = submit_for_staff(world, "referral-support.json")
    agencies = rng.sample(AGENCIES, rng.randint(1, 3))
    screen_and_ask(world, staff, reference, agencies)
    mail = AgencyMail(world)
    world.faults.enabled = False  # the asking half is enquiry_flow's; here it only has to be done
    for _ in range(8):
        world.clock.advance(PUBLISH_STEP)
        world.sweep()
        mail.pump_agency_queues()
    world.recover()
    refusal = rng.random() < 0.6
    world.faults.enabled = True
    withdrawn = refuse_consent(world, staff, reference) if refusal else withdraw_one(world, staff, reference)
    world.sweep()
    world.faults.enabled = False
    world.recover()
    for _ in range(3):  # days on: the chaser and escalation times pass
        world.clock.advance(DAYS_LATER)
        world.sweep()
    world.recover()
    check_withdrawals(world, staff, reference, withdrawn, refusal)
    check_submissions(world, world.submitted)
    world.check_mail()


def _picture(world: World, staff: Staff, reference: str) -> dict[str, Any] | None:
    picture = staff("practitioner", "GET", f"/admin/referrals/{reference}")
    world._note(picture, "GET picture")
    return json_body(picture) if picture.status_code == 200 else None


def refuse_consent(world: World, staff: Staff, reference: str) -> list[str]:
    """Record the refusal until the picture shows it (a 503 may or may not have saved it)."""
    for enabled in (True, False):
        world.faults.enabled = enabled
        for _ in range(3):
            seen = _picture(world, staff, reference)
            if seen is None:
                continue
            if seen["consent"] == "refused":
                world.faults.enabled = True
                return [e["enquiry_id"] for e in seen["enquiries"]]
            refused = staff(
                "practitioner", "POST", f"/admin/referrals/{reference}/consent", {"state": "refused", "reason": "No"}
            )
            world._note(refused, "POST consent refused")
    world.outcome.lost.append(f"{reference}: consent refusal never recorded, even without faults")
    return []


def withdraw_one(world: World, staff: Staff, reference: str) -> list[str]:
    """Withdraw the first enquiry with a reason, until the picture shows it withdrawn."""
    for enabled in (True, False):
        world.faults.enabled = enabled
        for _ in range(3):
            seen = _picture(world, staff, reference)
            if seen is None:
                continue
            first = seen["enquiries"][0]
            if first["state"] == "withdrawn":
                world.faults.enabled = True
                return [first["enquiry_id"]]
            body = {"enquiry_id": first["enquiry_id"], "reason": WITHDRAW_REASON}
            answer = staff("practitioner", "POST", f"/admin/referrals/{reference}/enquiries/withdrawal", body)
            world._note(answer, "POST enquiries/withdrawal")
    world.outcome.lost.append(f"{reference}: enquiry never withdrawn, even without faults")
    return []


def check_withdrawals(world: World, staff: Staff, reference: str, withdrawn: list[str], refusal: bool) -> None:
    import email
    from email import policy

    picture = json_body(staff("practitioner", "GET", f"/admin/referrals/{reference}"))
    enquiries = {e["enquiry_id"]: e for e in picture["enquiries"]}
    notices = {n["notice_id"] for n in picture["notices"]}
    if not withdrawn or not enquiries:
        world.outcome.lost.append(f"{reference}: nothing withdrawn ({len(enquiries)} enquiries)")
    mailboxes = {agency.id.value: agency.mailbox for agency in world.hub.settings.agency_directory.agencies}
    sent = [email.message_from_string(m.raw_data, policy=policy.default) for m in world.ses_messages()]
    for enquiry_id, enquiry in enquiries.items():
        to = mailboxes[enquiry["agency"]]
        subjects = [str(m["Subject"]).strip() for m in sent if str(m["To"]) == to]
        withdrawals = [s for s in subjects if s.startswith("Withdrawn")]
        if enquiry_id not in withdrawn:
            if withdrawals or enquiry["state"] == "withdrawn":
                world.outcome.invisible.append(f"{reference}/{enquiry_id}: withdrawn, but it was not to be")
            continue
        if enquiry["state"] != "withdrawn":
            world.outcome.lost.append(f"{reference}/{enquiry_id}: {enquiry['state']} after the withdrawal")
        # The agency was emailed the request (its notice is owed): exactly one withdrawal follows it.
        expected = 1 if f"request:{enquiry_id}" in notices else 0
        if len(withdrawals) < expected:
            world.outcome.lost.append(f"{reference}/{enquiry_id}: no withdrawal email")
        if len(withdrawals) > expected:
            world.outcome.duplicated.append(f"{reference}/{enquiry_id}: {len(withdrawals)} withdrawal emails")
        followed_up = [s for s in subjects if s.startswith(("Reminder", "Escalation"))]
        if followed_up:
            world.outcome.invisible.append(f"{reference}/{enquiry_id}: chased after withdrawal: {followed_up}")
    actions = [event["action"] for event in picture["history"]]
    audited = actions.count("consent.recorded") if refusal else actions.count("enquiry.withdrawn")
    if audited != 1:
        world.outcome.duplicated.append(f"{reference}: {audited} audit events for one withdrawal")


# --- the export to the case-management system, through an outage of its drop folder ----------------

OUTAGE_STEP = dt.timedelta(minutes=7)


def export_flow(world: World, staff: Staff) -> None:
    """An s17 decided and approved (faults on) owes an export; a manager asks for another. The drop
    folder (S3) is down for a few sweeps, then faults stop: every export owed is in the folder once,
    none lost, none twice, and any that failed for good has its task."""
    rng = world.faults.rng
    reference = submit_for_staff(world, "referral-support.json")
    drive_to_decided(world, staff, reference, tries=rng.randint(3, 6))
    world.request(
        lambda: staff("manager", "POST", f"/admin/referrals/{reference}/export"),
        ok=lambda r: r.status_code in (202, 409),
        label="POST export",
    )
    world.faults.down.add("s3")
    for _ in range(rng.randint(1, 4)):
        world.clock.advance(OUTAGE_STEP)
        world.sweep()
    world.faults.down.clear()
    world.recover()
    check_decided(world, staff, reference)
    world.recover()
    check_submissions(world, world.submitted)
    world.check_mail()
    world.check_exports()
