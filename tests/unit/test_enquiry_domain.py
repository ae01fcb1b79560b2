"""Agency enquiries without AWS: the directory, reply tokens, deadlines and follow-ups."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from chalicelib.domain.agencies import LOCAL_DIRECTORY, AgencyDirectory, AgencyId, DirectoryProblem, parse_directory
from chalicelib.domain.enquiries import Enquiry, EnquiryState, enquiry_deadlines, next_enquiry_id
from chalicelib.domain.reply_tokens import ReplyToken, TokenRefused, reply_address, sign, token_from_recipients, verify
from chalicelib.settings import Settings

KEY = b"k" * 32
NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
TODAY = NOW.date()


# --- the directory ------------------------------------------------------------------------------


def test_the_local_stage_knows_the_eight_agencies_of_the_guidance_at_example_domains() -> None:
    assert [a.id for a in LOCAL_DIRECTORY] == list(AgencyId)
    assert all(a.mailbox.endswith(".example") and a.escalation_contact.endswith(".example") for a in LOCAL_DIRECTORY)
    assert Settings(stage="local").agency_directory.agencies == LOCAL_DIRECTORY
    # Another stage emails no made-up address: no directory until one is configured.
    assert (
        Settings(
            stage="prod", hmac_secret="s" * 32, out_of_hours_email="edt@out-of-hours.example"
        ).agency_directory.agencies
        == ()
    )


def test_a_configured_directory_is_read_and_a_broken_one_refused_at_start_up() -> None:
    entry = {
        "id": "police",
        "mailbox": "checks@police.example",
        "reply_domains": ["Police.Example."],
        "escalation_contact": "lead@police.example",
    }
    [police] = parse_directory(json.dumps([entry]))
    assert (police.name, police.reply_domains) == ("Police", ("police.example",))
    for text, message in [
        ("{", "MASH_AGENCIES is not JSON"),
        ("{}", "must be a JSON list"),
        (json.dumps([{**entry, "id": "fire"}]), "unknown agency id"),
        (json.dumps([{"id": "police"}]), "needs: mailbox, reply_domains, escalation_contact"),
        (json.dumps([entry, entry]), "names an agency twice"),
        (json.dumps([{**entry, "reply_domains": "police.example"}]), "reply_domains must be a list"),
    ]:
        with pytest.raises(DirectoryProblem, match=message):
            parse_directory(text)
    with pytest.raises(ValueError, match="unknown agency id"):
        Settings(stage="local", agencies=json.dumps([{**entry, "id": "fire"}]))


def test_replies_are_accepted_from_the_agency_domain_and_its_subdomains_only() -> None:
    police = AgencyDirectory(LOCAL_DIRECTORY).get(AgencyId.POLICE)
    assert police is not None
    assert police.may_reply_from("police.example")
    assert police.may_reply_from("MAIL.Police.Example")
    assert not police.may_reply_from("notpolice.example")
    assert not police.may_reply_from("police.example.attacker.example")


# --- reply tokens -------------------------------------------------------------------------------


def token(enquiry_id: str = "e1", issued: dt.date = TODAY) -> str:
    return sign(ReplyToken("K7Q-F3M-RW9", enquiry_id, issued), KEY)


def test_a_token_names_its_enquiry_and_survives_a_mail_system_that_changes_case() -> None:
    text = token()
    assert len(f"reply+{text}") <= 64  # an address's local part
    for seen in (text, text.upper()):
        claimed = verify(seen, KEY, NOW.date(), 30)
        assert (claimed.reference, claimed.enquiry_id, claimed.issued_on) == ("K7Q-F3M-RW9", "e1", NOW.date())


@pytest.mark.parametrize(
    ("tampered", "reason"),
    [
        (lambda t: t.replace("-e1-", "-e2-"), "token_forged"),  # another enquiry
        (lambda t: "k7qf3mrw8" + t[9:], "token_forged"),  # another referral
        (lambda t: t[:-1] + ("a" if t[-1] != "a" else "b"), "token_forged"),
        (lambda t: t + "x", "token_malformed"),
        (lambda t: "", "token_malformed"),
        (lambda t: "../../etc", "token_malformed"),
    ],
)
def test_a_changed_or_made_up_token_is_refused(tampered: object, reason: str) -> None:
    with pytest.raises(TokenRefused) as refused:
        verify(tampered(token()), KEY, NOW.date(), 30)  # type: ignore[operator]
    assert refused.value.reason == reason


def test_a_token_from_another_key_is_forged_and_an_old_one_expired() -> None:
    with pytest.raises(TokenRefused, match="token_forged"):
        verify(token(), b"x" * 32, NOW.date(), 30)
    old = token(issued=NOW.date() - dt.timedelta(days=31))
    with pytest.raises(TokenRefused, match="token_expired"):
        verify(old, KEY, NOW.date(), 30)
    assert verify(old, KEY, NOW.date(), 31).enquiry_id == "e1"


def test_the_token_is_found_among_the_recipients_only_at_the_hub_domain() -> None:
    address = reply_address(ReplyToken("K7Q-F3M-RW9", "e3", NOW.date()), KEY, "mash.example")
    assert (
        token_from_recipients(("officer@police.example", address.upper()), "mash.example")
        == address.split("+")[1].split("@")[0]
    )
    assert token_from_recipients(("reply+abc@elsewhere.example",), "mash.example") is None
    assert token_from_recipients((), "mash.example") is None


# --- deadlines and follow-ups -------------------------------------------------------------------


def test_an_enquiry_is_due_half_way_to_the_decision_and_escalated_at_it() -> None:
    decision_due = NOW + dt.timedelta(hours=4)
    assert enquiry_deadlines(NOW, decision_due) == (NOW + dt.timedelta(hours=2), decision_due)
    # A referral already overdue (or nearly) still gives the agency an hour, then another.
    for late in (NOW - dt.timedelta(hours=1), NOW + dt.timedelta(minutes=30), None):
        assert enquiry_deadlines(NOW, late) == (NOW + dt.timedelta(hours=1), NOW + dt.timedelta(hours=2))


def enquiry(**changes: object) -> Enquiry:
    base = Enquiry(
        "e1",
        AgencyId.POLICE,
        "What do you hold?",
        "pr-1",
        NOW,
        NOW + dt.timedelta(hours=2),
        NOW + dt.timedelta(hours=4),
    )
    return base.__class__(**{**base.__dict__, **changes})


def test_an_enquiry_moves_from_queued_to_answered_and_says_when_the_outbox_must_look_again() -> None:
    queued = enquiry().claimed_for_publish(NOW)
    assert queued.state(NOW) is EnquiryState.QUEUED
    assert queued.next_moment() == NOW + dt.timedelta(minutes=2)
    failed = queued.publish_failed(NOW)
    assert (failed.publish_attempts, failed.next_publish_at) == (1, NOW + dt.timedelta(seconds=30))
    assert failed.publish_failed(NOW).next_publish_at == NOW + dt.timedelta(seconds=60)
    published = queued.published(NOW)
    assert published.state(NOW) is EnquiryState.REQUESTED and published.next_moment() == published.due_at
    assert published.state(published.due_at) is EnquiryState.OVERDUE
    assert published.chase_due(published.due_at) and not published.escalation_due(published.due_at)
    answered = published.answered("r1", NOW).answered("r1", NOW)
    assert answered.reply_ids == ("r1",) and answered.state(NOW) is EnquiryState.ANSWERED
    assert answered.next_moment() is None and not answered.chase_due(answered.escalate_at)
    assert answered.answered("r2", NOW + dt.timedelta(hours=1)).answered_at == NOW  # first answer counts


def test_enquiry_ids_count_up_by_number() -> None:
    assert next_enquiry_id(()) == "e1"
    assert next_enquiry_id((enquiry(enquiry_id="e9"), enquiry(enquiry_id="e10"))) == "e11"


def test_settings_refuse_to_start_without_a_stage() -> None:
    """Issue 12 item 8: no fail-open default; a function deployed without MASH_STAGE is not 'local'."""
    import pytest

    with pytest.raises(ValueError, match="MASH_STAGE must be set"):
        Settings.from_environ({"MASH_HMAC_SECRET": "a-real-secret"})
    assert Settings.from_environ({"MASH_STAGE": "local"}).is_local
