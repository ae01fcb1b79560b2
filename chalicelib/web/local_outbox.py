"""Local stage only: the emails the app has sent, as a page and as JSON, and replies to them.

app.py registers this blueprint only when MASH_STAGE is 'local'; the emulator adapter imports
moto lazily, so neither this module nor moto is loaded in AWS.

"Reply as the agency": an email whose Reply-To is a `reply+…@<mail domain>` address (an agency
information request) gets a small form. Posting it builds the reply an agency's mail client and
SES's receipt rule would produce (the SES verdict headers on top, as SES prepends them) and puts it
in the inbound bucket under `inbound/`, where the bucket's notification hands it to the inbound
mail handler, exactly as in AWS. The verdicts can be chosen, so spam, virus and DMARC failures
can be tried; so can a sender at the wrong domain.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from urllib.parse import parse_qs

from chalice import Blueprint, Response

from chalicelib.templating import render
from chalicelib.web.request_parts import body_bytes, query_of
from chalicelib.wiring import wiring

local_outbox = Blueprint(__name__)

HTML = {"Content-Type": "text/html; charset=utf-8"}
REPLY_KIND = "reply"  # POST /_local/outbox/{message_id}/reply: beside the replay kinds
OUTBOX_COOKIE = "mash_local_outbox"  # holds only a random id the form's CSRF token is tied to
COOKIE_MAX_AGE_SECONDS = 8 * 60 * 60
REPLY_TEXT_MAX = 20_000
ADDRESS = re.compile(r"^[^@\s<>\"]+@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$")
INBOUND_KEY = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class Verdict:
    label: str
    spam: str  # X-SES-Spam-Verdict
    virus: str  # X-SES-Virus-Verdict
    spf: str  # Received-SPF and Authentication-Results spf=
    dkim: str
    dmarc: str


# What SES's receipt rule (scanning on) writes on top of a received message, per choice.
VERDICTS: dict[str, Verdict] = {
    "pass": Verdict("All checks pass", "PASS", "PASS", "pass", "pass", "pass"),
    "spam": Verdict("Marked as spam", "FAIL", "PASS", "pass", "pass", "pass"),
    "virus": Verdict("Carries a virus", "PASS", "FAIL", "pass", "pass", "pass"),
    "dmarc": Verdict("Fails DMARC (SPF and DKIM fail too)", "PASS", "PASS", "fail", "fail", "fail"),
}


@dataclass(frozen=True)
class ReplyForm:
    """What the page needs to offer a reply to one sent email."""

    message_id: str  # SES's id of the sent email
    slug: str  # the id, safe in HTML ids
    reply_to: str  # the reply+…@ address
    default_from: str  # officer@<the domain the request went to>


@dataclass(frozen=True)
class Original:
    """The sent email as the agency received it."""

    message: EmailMessage
    reply_to: str | None

    @property
    def to_domain(self) -> str:
        return parseaddr(str(self.message["To"] or ""))[1].rpartition("@")[2].lower()


# -- pages ---------------------------------------------------------------------------------------


@local_outbox.route("/_local/outbox", methods=["GET"])
def outbox_page() -> Response:
    replied = query_of(local_outbox.current_request).get("replied", "")
    return _outbox(replied=replied if INBOUND_KEY.match(replied) else None)


def _outbox(
    *,
    status: int = 200,
    replied: str | None = None,
    errors: dict[str, dict[str, dict[str, str]]] | None = None,  # message id → field → GOV.UK error item
    values: dict[str, dict[str, str]] | None = None,
    cookie_id: str | None = None,
) -> Response:
    from chalicelib.web import form_session as session

    outbox = wiring().emulator_outbox
    emails = list(reversed(outbox.sent()))  # newest first
    settings = wiring().settings
    cookie_id = cookie_id or _cookie_id() or session.new_session_id()
    errors = errors or {}
    body = render(
        "local/outbox.html",
        emails=emails,
        can_replay=outbox.feedback_topic() is not None,
        feedback_kinds=list(outbox.feedback_kinds),
        reply_forms=_reply_forms(settings.mail_domain),
        verdicts=VERDICTS,
        csrf_token=session.csrf_token(cookie_id),
        replied=replied,
        inbound_bucket=settings.inbound_mail_bucket,
        hub_time=wiring().clock().astimezone(dt.UTC).strftime("%A %-d %B %Y %H:%M UTC"),
        clock_offset_hours=clock_offset().total_seconds() / 3600,
        errors=errors,
        values=values or {},
        error_list=[item for problems in errors.values() for item in problems.values()],
    )
    headers: dict[str, str | list[str]] = {
        **HTML,
        "Set-Cookie": session.set_cookie(OUTBOX_COOKIE, cookie_id, COOKIE_MAX_AGE_SECONDS),
    }
    return Response(body=body, status_code=status, headers=headers)


@local_outbox.route("/_local/outbox.json", methods=["GET"])
def outbox_json() -> Response:
    emails = [sent.as_json() for sent in wiring().emulator_outbox.sent()]
    return Response(body={"emails": emails}, status_code=200)


@local_outbox.route(
    "/_local/outbox/{message_id}/{kind}",
    methods=["POST"],
    content_types=["application/x-www-form-urlencoded", "application/json"],
)
def replay_feedback(message_id: str, kind: str) -> Response:
    """Publish the SES delivery/bounce/complaint event for one sent email, as SES would; or
    (kind `reply`) put an agency's reply to it in the inbound bucket, as SES's receipt rule would."""
    if kind == REPLY_KIND:
        return reply_as_agency(message_id)
    outbox = wiring().emulator_outbox
    if kind not in outbox.feedback_kinds:
        return _problem(404, f"Unknown event kind; use one of {', '.join(outbox.feedback_kinds)}")
    sent = outbox.find(message_id)
    if sent is None:
        return _problem(404, "No sent email has that message id")
    topic = outbox.feedback_topic()
    if topic is None:
        return _problem(
            409, "No SES configuration set with an SNS event destination is set up (MASH_SES_CONFIGURATION_SET)"
        )
    event = outbox.publish_feedback(sent, kind, topic)
    return Response(body={"published": event["eventType"], "message_id": message_id}, status_code=202)


def _problem(status: int, message: str) -> Response:
    return Response(body={"error": message}, status_code=status)


# -- the hub's clock ------------------------------------------------------------------------------
# Deadlines run in hours and days; to see a chaser, an escalation or an expiry locally, the hub's
# clock (what every handler and the pump's schedules read through `wiring().clock`) can be moved
# forward. The emulator's own clock (moto's TTL, SES timestamps) is not moved.

CLOCK_STEPS = {"1h": dt.timedelta(hours=1), "1d": dt.timedelta(days=1)}
_clock_offset = [dt.timedelta(0)]


def _moved_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC) + _clock_offset[0]


def clock_offset() -> dt.timedelta:
    return _clock_offset[0]


@local_outbox.route("/_local/clock", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
def move_clock() -> Response:
    from chalicelib.web import form_session as session

    raw = body_bytes(local_outbox.current_request)[:1024]
    form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", errors="replace")).items()}
    cookie_id = _cookie_id()
    if cookie_id is None or not session.csrf_valid(cookie_id, form.get(session.CSRF_FIELD)):
        return _problem(400, "The form did not come from this page: open /_local/outbox and try again")
    step = CLOCK_STEPS.get(form.get("by", ""))
    if step is None:
        return _problem(422, f"Move the clock by one of: {', '.join(CLOCK_STEPS)}")
    _clock_offset[0] += step
    wiring().clock = _moved_clock
    return Response(body="", status_code=303, headers={**HTML, "Location": "/_local/outbox"})


# -- reply as the agency -------------------------------------------------------------------------


def reply_as_agency(message_id: str) -> Response:
    from chalicelib.web import form_session as session

    request = local_outbox.current_request
    raw_body = body_bytes(request)
    if len(raw_body) > wiring().settings.max_body_bytes:
        return _problem(413, "The reply is too large")
    form = {k: v[0] for k, v in parse_qs(raw_body.decode("utf-8", errors="replace"), keep_blank_values=True).items()}
    cookie_id = _cookie_id()
    if cookie_id is None or not session.csrf_valid(cookie_id, form.get(session.CSRF_FIELD)):
        return _problem(400, "The form did not come from this page: open /_local/outbox and try again")
    original = _original(message_id)
    if original is None or original.reply_to is None or not _is_reply_address(original.reply_to):
        return _problem(404, "No sent email with that message id has a reply+ address to answer")
    sender = form.get("from", "").strip()
    text = form.get("text", "").replace("\r\n", "\n").strip()
    verdict = form.get("verdict", "")
    slug = _slug(message_id)
    problems: dict[str, dict[str, str]] = {}
    if not ADDRESS.match(sender):
        problems["from"] = {
            "text": "Enter the sender’s email address, like officer@police.example",
            "href": f"#from-{slug}",
        }
    if not text:
        problems["text"] = {"text": "Enter the reply text", "href": f"#text-{slug}"}
    elif len(text) > REPLY_TEXT_MAX:
        problems["text"] = {
            "text": f"The reply text must be {REPLY_TEXT_MAX:,} characters or fewer",
            "href": f"#text-{slug}",
        }
    if verdict not in VERDICTS:
        problems["verdict"] = {"text": "Select what SES’s checks say about the reply", "href": f"#verdict-{slug}"}
    if problems:
        values = {message_id: {"from": sender, "text": text, "verdict": verdict}}
        return _outbox(status=400, errors={message_id: problems}, values=values, cookie_id=cookie_id)
    raw = build_reply(original, sender, text, VERDICTS[verdict])
    key = uuid.uuid4().hex
    settings = wiring().settings
    wiring().aws_client("s3").put_object(Bucket=settings.inbound_mail_bucket, Key=f"inbound/{key}", Body=raw)
    return Response(body="", status_code=303, headers={**HTML, "Location": f"/_local/outbox?replied={key}"})


def build_reply(original: Original, sender: str, text: str, verdict: Verdict) -> bytes:
    """The reply as SES stores it: SES's headers on top, then what the agency's client wrote."""
    assert original.reply_to is not None
    source = original.message
    sender_domain = sender.rpartition("@")[2].lower()
    reply = EmailMessage(policy=email.policy.SMTP)
    # SES prepends these (the inbound parser trusts only the topmost of each).
    reply["Return-Path"] = f"<{sender}>"
    reply["Received"] = (
        f"from mail.{sender_domain} (mail.{sender_domain} [203.0.113.25]) by inbound-smtp.eu-west-2.amazonaws.com "
        f"with SMTP id {uuid.uuid4().hex} for {original.reply_to}; {formatdate(usegmt=True)}"
    )
    reply["X-SES-Spam-Verdict"] = verdict.spam
    reply["X-SES-Virus-Verdict"] = verdict.virus
    reply["Received-SPF"] = (
        f"{verdict.spf} (spfCheck: domain of {sender_domain} {'designates' if verdict.spf == 'pass' else 'does not designate'} "
        f"203.0.113.25 as permitted sender) client-ip=203.0.113.25; envelope-from={sender}; helo=mail.{sender_domain};"
    )
    reply["Authentication-Results"] = (
        f"amazonses.com; spf={verdict.spf} (spfCheck: domain of {sender_domain} "
        f"{'designates' if verdict.spf == 'pass' else 'does not designate'} 203.0.113.25 as permitted sender) "
        f"smtp.mailfrom={sender}; dkim={verdict.dkim} header.i=@{sender_domain}; "
        f"dmarc={verdict.dmarc} header.from={sender_domain};"
    )
    # What the agency's mail client wrote.
    reply["From"] = sender
    reply["To"] = original.reply_to
    subject = str(source["Subject"] or "")
    reply["Subject"] = subject if subject.lower().startswith("re:") else f"RE: {subject}"
    reply["Date"] = formatdate(usegmt=True)
    reply["Message-ID"] = make_msgid(domain=sender_domain or None)
    original_id = str(source["Message-ID"] or "").strip()
    if original_id:
        reply["In-Reply-To"] = original_id
        reply["References"] = original_id
    reply.set_content(f"{text}\n\n{_attribution(source)}\n{_quoted(_plain_text(source))}\n")
    return reply.as_bytes()


def _attribution(source: EmailMessage) -> str:
    sender = parseaddr(str(source["From"] or ""))[1]
    return f"On {source['Date'] or 'an earlier date'}, MASH referral hub <{sender}> wrote:"


def _quoted(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.rstrip("\n").splitlines())


def _plain_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""


def _is_reply_address(address: str) -> bool:
    local, _, domain = address.lower().rpartition("@")
    return local.startswith("reply+") and len(local) > len("reply+") and domain == wiring().settings.mail_domain.lower()


def _slug(message_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", message_id)


def _reply_forms(mail_domain: str) -> dict[str, ReplyForm]:
    forms = {}
    for message_id, original in _originals().items():
        if original.reply_to and _is_reply_address(original.reply_to):
            forms[message_id] = ReplyForm(
                message_id=message_id,
                slug=_slug(message_id),
                reply_to=original.reply_to,
                default_from=f"officer@{original.to_domain or 'agency.example'}",
            )
    return forms


def _originals() -> dict[str, Original]:
    """Every raw email the emulator's SES accepted, parsed, by SES message id."""
    from moto.ses.models import ses_backends

    found: dict[str, Original] = {}
    for regions in list(ses_backends.values()):
        for backend in list(regions.values()):
            for sent in list(backend.sent_messages):
                raw = getattr(sent, "raw_data", None)
                if raw is None:
                    continue
                parsed = email.message_from_string(raw, policy=email.policy.default)
                assert isinstance(parsed, EmailMessage)
                reply_to = parseaddr(str(parsed["Reply-To"] or ""))[1] or None
                found[sent.id] = Original(parsed, reply_to)
    return found


def _original(message_id: str) -> Original | None:
    return _originals().get(message_id)


def _cookie_id() -> str | None:
    from chalicelib.web import form_session as session

    value = session.read_cookie(local_outbox.current_request.headers, OUTBOX_COOKIE)
    return value if value and session.SESSION_ID_PATTERN.match(value) else None
