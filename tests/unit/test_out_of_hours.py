"""Nights, weekends and bank holidays in plain Python: which referrals alert the emergency duty
team, and what the referrer is told, by the same working-hours clock as the deadlines."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.decision import NotAllowed
from chalicelib.domain.handover import HANDED_OVER_RANK
from chalicelib.domain.notices import NoticeKind
from chalicelib.domain.out_of_hours import (
    ALERT_NOTICE_ID,
    EMERGENCY_DUTY_TEAM,
    HandoverRefused,
    WhatHappensNext,
    alert_facts,
    check_may_open,
    needs_alert,
    owe_alert,
    record_handover,
)
from chalicelib.domain.referral import ReferralSubmission, Route
from chalicelib.domain.referral_record import Channel, Referral
from chalicelib.domain.staff import Role
from tests.factories import protection_referral, support_referral

LONDON = ZoneInfo("Europe/London")


def london(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=LONDON)


# December 2026 is GMT (London = UTC); June and August 2026 are BST (London = UTC + 1).
FRIDAY_1701 = london(2026, 12, 4, 17, 1)
SATURDAY_0200 = london(2026, 12, 5, 2, 0)
MONDAY_0859 = london(2026, 12, 7, 8, 59)
MONDAY_0900 = london(2026, 12, 7, 9, 0)
SUMMER_BANK_HOLIDAY = london(2026, 8, 31, 11, 0)  # Monday 31 August 2026, BST
BST_FRIDAY_1701 = london(2026, 6, 5, 17, 1)  # 16:01 UTC: out of hours in London, not by a UTC clock
BST_MONDAY_0859 = london(2026, 6, 8, 8, 59)  # 07:59 UTC

OUT_OF_HOURS = [
    (FRIDAY_1701, "Monday 7 December"),
    (SATURDAY_0200, "Monday 7 December"),
    (MONDAY_0859, "Monday 7 December"),
    (SUMMER_BANK_HOLIDAY, "Tuesday 1 September"),
    (BST_FRIDAY_1701, "Monday 8 June"),
    (BST_MONDAY_0859, "Monday 8 June"),
]
PHONES = {"office_phone": "020 7946 0990", "out_of_hours_phone": "020 7946 0991"}


@pytest.mark.parametrize(("moment", "opens"), OUT_OF_HOURS)
def test_out_of_hours_a_protection_referral_alerts_and_is_told_the_emergency_duty_team_was(
    moment: dt.datetime, opens: str
) -> None:
    assert needs_alert(moment.astimezone(dt.UTC), Route.PROTECTION, immediate_risk=False)
    told = WhatHappensNext.at(moment.astimezone(dt.UTC), Route.PROTECTION, immediate_risk=False)
    assert (told.out_of_hours, told.emergency_duty_team_told, told.opens_on_text) == (True, True, opens)
    text = told.summary(**PHONES)
    assert "the emergency duty team has been told" in text
    assert "ring the out-of-hours number now: 020 7946 0991" in text
    assert f"when the office opens on {opens}" in text
    assert "today" not in text and "020 7946 0990" not in text


@pytest.mark.parametrize(("moment", "opens"), OUT_OF_HOURS)
def test_out_of_hours_a_support_referral_with_immediate_risk_alerts_too(moment: dt.datetime, opens: str) -> None:
    assert needs_alert(moment, Route.SUPPORT, immediate_risk=True)
    assert WhatHappensNext.at(moment, Route.SUPPORT, immediate_risk=True).emergency_duty_team_told


@pytest.mark.parametrize(("moment", "opens"), OUT_OF_HOURS)
def test_out_of_hours_a_support_referral_is_told_the_next_working_day_and_alerts_no_one(
    moment: dt.datetime, opens: str
) -> None:
    assert not needs_alert(moment, Route.SUPPORT, immediate_risk=False)
    text = WhatHappensNext.at(moment, Route.SUPPORT, immediate_risk=False).summary(**PHONES)
    assert f"on the next working day, {opens}," in text
    assert "emergency duty team" not in text


@pytest.mark.parametrize("moment", [MONDAY_0900, london(2026, 12, 4, 16, 59), london(2026, 6, 5, 16, 59)])
def test_in_hours_nothing_alerts_and_the_words_are_the_office_hours_ones(moment: dt.datetime) -> None:
    assert not needs_alert(moment, Route.PROTECTION, immediate_risk=True)
    protection = WhatHappensNext.at(moment, Route.PROTECTION, immediate_risk=False).summary(**PHONES)
    assert protection.startswith("A MASH social worker will screen the referral today.")
    assert "ring now on 020 7946 0990" in protection
    support = WhatHappensNext.at(moment, Route.SUPPORT, immediate_risk=False).summary(**PHONES)
    assert support.startswith(
        "A MASH practitioner will screen the referral and decide on next steps within one working day."
    )


def test_bst_friday_five_pm_is_closed_in_london_though_it_is_four_pm_utc() -> None:
    assert BST_FRIDAY_1701.astimezone(dt.UTC).hour == 16
    assert needs_alert(BST_FRIDAY_1701, Route.PROTECTION, immediate_risk=False)
    assert not needs_alert(london(2026, 6, 5, 16, 59), Route.PROTECTION, immediate_risk=False)


def referral_at(moment: dt.datetime, data: dict) -> Referral:
    submission = ReferralSubmission.model_validate(data)
    return Referral.receive(
        "K7Q-F3M-RW9", submission, channel=Channel.API, now=moment.astimezone(dt.UTC),
        request_fingerprint="f" * 32, idempotency_key_hash=None,
    )  # fmt: skip


def test_the_alert_is_owed_beside_the_acknowledgement_by_role_never_by_address() -> None:
    referral = owe_alert(referral_at(SATURDAY_0200, protection_referral()))
    kinds = {n.notice_id: (n.kind, n.recipient) for n in referral.notices}
    assert kinds[ALERT_NOTICE_ID] == (NoticeKind.EDT_ALERT, EMERGENCY_DUTY_TEAM)
    assert owe_alert(referral).notices == referral.notices  # owed once
    assert len(owe_alert(referral_at(MONDAY_0900, protection_referral())).notices) == 1
    assert len(owe_alert(referral_at(SATURDAY_0200, support_referral())).notices) == 1


def test_the_alert_carries_flags_and_codes_only() -> None:
    facts = alert_facts(owe_alert(referral_at(SATURDAY_0200, protection_referral(immediate_risk=True))))
    assert (facts.reference, facts.route, facts.immediate_risk, facts.proposed_level, facts.children) == (
        "K7Q-F3M-RW9", "protection", True, 4, 1,
    )  # fmt: skip
    assert facts.categories == ("physical_abuse",)
    assert facts.received_text == "Saturday 5 December 2026 at 2:00am"


def test_a_handover_needs_an_alert_and_hands_over_once_putting_it_first_until_screened() -> None:
    with pytest.raises(HandoverRefused):
        record_handover(referral_at(MONDAY_0900, protection_referral()), "Rang police", by="edt-1",
                        at=MONDAY_0900, hand_over=True)  # fmt: skip
    alerted = owe_alert(referral_at(SATURDAY_0200, protection_referral()))
    noted = record_handover(alerted, "Rang police", by="edt-1", at=SATURDAY_0200, hand_over=False)
    assert noted.edt_handover is not None and not noted.edt_handover.handed_over
    assert noted.urgency_rank == 2  # unscreened protection, not handed over yet
    later = SATURDAY_0200 + dt.timedelta(hours=3)
    handed = record_handover(noted, "Visited; child safe with grandparent", by="edt-2", at=later, hand_over=True)
    again = record_handover(handed, "One more thing", by="edt-3", at=later + dt.timedelta(hours=1), hand_over=True)
    assert [n.text for n in again.edt_handover.notes] == ["Rang police", "Visited; child safe with grandparent",
                                                         "One more thing"]  # fmt: skip
    assert (again.edt_handover.handed_over_by, again.edt_handover.handed_over_at) == ("edt-2", later)
    assert again.urgency_rank == HANDED_OVER_RANK
    assert f"{HANDED_OVER_RANK}#" < "0#"  # the queue key sorts before an unscreened immediate risk


def test_the_emergency_duty_team_opens_only_what_it_was_alerted_to() -> None:
    alerted = owe_alert(referral_at(SATURDAY_0200, protection_referral()))
    in_hours = referral_at(MONDAY_0900, protection_referral())
    check_may_open(alerted, frozenset({Role.EDT}))
    with pytest.raises(NotAllowed):
        check_may_open(in_hours, frozenset({Role.EDT}))
    check_may_open(in_hours, frozenset({Role.EDT, Role.PRACTITIONER}))
    check_may_open(in_hours, frozenset({Role.MANAGER}))


def test_the_out_of_hours_mailbox_is_required_outside_the_local_stage_and_named_when_missing() -> None:
    from pydantic import ValidationError

    from chalicelib.settings import LOCAL_OUT_OF_HOURS_EMAIL, Settings

    with pytest.raises(ValidationError, match="MASH_OUT_OF_HOURS_EMAIL must be set outside the local stage"):
        Settings.from_environ({"MASH_STAGE": "prod", "MASH_HMAC_SECRET": "a-real-secret"})
    with pytest.raises(ValidationError, match="MASH_OUT_OF_HOURS_EMAIL must be one email address"):
        Settings(stage="prod", hmac_secret="a-real-secret", out_of_hours_email="edt team")
    prod = Settings.from_environ(
        {"MASH_STAGE": "prod", "MASH_HMAC_SECRET": "a-real-secret", "MASH_OUT_OF_HOURS_EMAIL": "edt@council.example"}
    )
    assert prod.out_of_hours_mailbox == "edt@council.example"
    assert Settings(stage="local").out_of_hours_mailbox == LOCAL_OUT_OF_HOURS_EMAIL
    assert LOCAL_OUT_OF_HOURS_EMAIL.endswith(".example")


def test_the_app_does_not_start_outside_local_without_the_mailbox() -> None:
    """Start-up as Lambda does it: importing app.py reads the settings and stops, naming the setting."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "MASH_STAGE": "prod", "MASH_HMAC_SECRET": "a-test-secret-not-the-local-default"}
    env.pop("MASH_OUT_OF_HOURS_EMAIL", None)
    env.pop("MASH_AWS_ENDPOINT_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", "import app"], cwd=root, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode != 0
    assert "MASH_OUT_OF_HOURS_EMAIL must be set outside the local stage" in result.stderr


def test_the_deploy_template_has_the_edt_group_and_a_required_mailbox_parameter() -> None:
    import re

    from deploy.template import merge_template

    template = merge_template()
    parameter = template["Parameters"]["OutOfHoursEmail"]
    assert "Default" not in parameter  # no made-up mailbox in a real hub: the stack asks for it
    assert re.match(parameter["AllowedPattern"], "edt@council.example")
    assert not re.match(parameter["AllowedPattern"], "edt team")
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["MASH_OUT_OF_HOURS_EMAIL"] == {"Ref": "OutOfHoursEmail"}
    assert template["Resources"]["EdtGroup"]["Properties"]["GroupName"] == Role.EDT.value == "mash-edt"
