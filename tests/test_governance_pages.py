"""The privacy notice, accessibility statement and cookies page (issue 14 part 5), and `make ropa`:
each true to the code it describes, so neither can drift from it."""

from __future__ import annotations

import datetime as dt
import html
import re
import typing
from pathlib import Path
from typing import Any

import pydantic
import pytest

from chalicelib.domain.decision import OUTCOME_LABELS
from chalicelib.domain.lawful_basis import BASIS_WORDS
from chalicelib.domain.processing_records import PROCESSORS, SECTIONS
from chalicelib.domain.referral import ReferralSubmission
from chalicelib.settings import Settings
from chalicelib.web.cookie_list import LOCAL_ONLY, duration, public_cookies, staff_cookies
from chalicelib.web.governance_pages import council_facts, missing_facts
from deploy.ropa import records, template_services
from deploy.template import merge_template

ROOT = Path(__file__).resolve().parents[1]
PAGES = ("/privacy", "/accessibility-statement", "/cookies")
ELSEWHERE = {"stage": "prod", "hmac_secret": "a-real-secret", "out_of_hours_email": "edt@council.example"}


def text_of(client: Any, path: str) -> str:
    response = client.http.get(path)
    assert response.status_code == 200
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.body.decode())))


def model_of(annotation: Any) -> type[pydantic.BaseModel] | None:
    """The pydantic model inside an annotation (list[Child], Consent | None), if any."""
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return annotation
    return next((m for arg in typing.get_args(annotation) if (m := model_of(arg))), None)


# --- the declarations, held to the code ---------------------------------------------------------


def test_every_section_and_every_field_of_the_referral_is_declared() -> None:
    assert [s.section for s in SECTIONS] == list(ReferralSubmission.model_fields)
    for section in SECTIONS:
        model = model_of(ReferralSubmission.model_fields[section.section].annotation)
        expected = list(model.model_fields) if model else [section.section]
        assert sorted(section.fields) == sorted(expected), section.section


# --- the pages ----------------------------------------------------------------------------------


def test_every_public_page_links_the_three_from_its_footer(client: Any) -> None:
    for path in ("/", "/referral/immediate-risk", *PAGES):
        footer = client.http.get(path).body.decode().partition('<footer class="govuk-footer"')[2]
        assert all(f'href="{page}"' in footer for page in PAGES), path


def test_the_privacy_notice_names_sections_agencies_services_retention_and_processors(client: Any, aws: Any) -> None:
    text = text_of(client, "/privacy")
    settings = aws.settings
    for section in SECTIONS:
        assert section.title in text
    for agency in settings.agency_directory.agencies:
        assert agency.name in text
    for service in settings.onward_service_directory:
        assert service["name"] in text
    for label in OUTCOME_LABELS.values():
        assert label in text
    assert "Strategy discussion (child protection, section 47) 25" in text
    for words in BASIS_WORDS.values():
        assert words in text
    assert all(processor.name in text for processor in PROCESSORS)
    assert "data-protection@council.example" in text and "not yet set" not in text


def test_retention_on_the_notice_follows_the_stage_setting(client: Any, aws: Any, monkeypatch: Any) -> None:
    from chalicelib import wiring as wiring_module

    monkeypatch.setenv("MASH_RETENTION_YEARS", '{"no_further_action": 3}')
    wiring_module.reset()
    assert "No further action, with advice 3" in text_of(client, "/privacy")


def test_outside_the_local_stage_an_unset_fact_is_said_plainly() -> None:
    bare = Settings(**ELSEWHERE)
    assert set(council_facts(bare).values()) == {None}
    assert "MASH_DATA_PROTECTION_OFFICER" in missing_facts(bare)
    set_up = Settings(**ELSEWHERE, data_protection_officer="dpo@council.example", ico_registration_number="Z1234567")
    assert council_facts(set_up)["data_protection_officer"] == "dpo@council.example"
    assert missing_facts(set_up) == ["MASH_ACCESSIBILITY_STATEMENT_PREPARED_ON", "MASH_ACCESSIBILITY_TESTED_ON"]


def test_the_accessibility_statement_has_the_councils_contact_and_dates(client: Any, aws: Any) -> None:
    text = text_of(client, "/accessibility-statement")
    assert aws.settings.mash_email in text
    assert "This statement was prepared on 2026-11-02" in text
    assert "Equality Advisory and Support Service" in text


@pytest.mark.parametrize(
    ("setting", "value", "path", "shown"),
    [
        ("MASH_COUNCIL_NAME", "Synthetic Borough Council", "/privacy", "Synthetic Borough Council is the data controller"),
        ("MASH_DATA_PROTECTION_OFFICER", "dpo@borough.example", "/privacy", "Data protection officer: dpo@borough.example"),
        ("MASH_ICO_REGISTRATION_NUMBER", "Z9999999", "/privacy", "registration number: Z9999999"),
        ("MASH_ACCESSIBILITY_STATEMENT_PREPARED_ON", "2027-01-15", "/accessibility-statement", "prepared on 2027-01-15"),
        ("MASH_ACCESSIBILITY_TESTED_ON", "2027-01-14", "/accessibility-statement", "last tested on 2027-01-14"),
        ("MASH_ACCESSIBILITY_CONTACT_EMAIL", "access@borough.example", "/accessibility-statement", "email access@borough.example"),
        ("MASH_ACCESSIBILITY_ENFORCEMENT", "northern_ireland", "/accessibility-statement",
         "The Equality Commission for Northern Ireland is responsible for enforcing"),
        ("MASH_COUNCIL_NAME", "Synthetic Borough Council", "/cookies", "Synthetic Borough Council"),
    ],
)  # fmt: skip
def test_each_council_fact_on_the_pages_is_its_setting(
    client: Any, aws: Any, monkeypatch: Any, setting: str, value: str, path: str, shown: str
) -> None:
    from chalicelib import wiring as wiring_module

    assert shown not in text_of(client, path)
    monkeypatch.setenv(setting, value)
    wiring_module.reset()
    assert shown in text_of(client, path)


def test_the_enforcement_words_default_to_great_britains(client: Any, aws: Any) -> None:
    text = text_of(client, "/accessibility-statement")
    assert "The Equality and Human Rights Commission (EHRC) is responsible for enforcing" in text
    assert f"email {aws.settings.mash_email}" in text  # no accessibility contact set: the MASH's own


# --- cookies ------------------------------------------------------------------------------------


def cookie_names_in_code() -> set[str]:
    """Every `*_COOKIE = "name"` the web edge declares."""
    found: set[str] = set()
    for path in (ROOT / "chalicelib" / "web").rglob("*.py"):
        found |= set(re.findall(r'^\w+_COOKIE = "(\w+)"', path.read_text(), re.M))
    return found


def test_the_cookies_page_lists_every_cookie_the_code_sets(client: Any, aws: Any) -> None:
    listed = {c.name for c in public_cookies(aws.settings) + staff_cookies(aws.settings)}
    assert cookie_names_in_code() - LOCAL_ONLY == listed  # cookies are not Secure in the tests: no prefix
    text = text_of(client, "/cookies")
    assert all(name in text for name in listed)
    assert "We do not use cookies to measure how you use the service" in text


def test_the_expiry_shown_is_the_max_age_the_form_sends(client: Any, aws: Any) -> None:
    cookie = client.http.get("/referral/immediate-risk").headers["Set-Cookie"][0]
    max_age = int(re.search(r"Max-Age=(\d+)", cookie).group(1))  # type: ignore[union-attr]
    assert f"mash_session Keeps your answers together while you fill in the form {duration(max_age)}" in text_of(
        client, "/cookies"
    )


# --- make ropa ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return merge_template()


def test_the_ropa_names_every_section_every_agency_and_every_aws_service(template: dict[str, Any]) -> None:
    settings = Settings(stage="local")
    written = records(settings, template, dt.date(2026, 12, 7))
    for section in ReferralSubmission.model_fields:
        assert f"(`{section}`)" in written
    for agency in settings.agency_directory.agencies:
        assert f"| {agency.name} | `{agency.id.value}` |" in written
    for service in template_services(template):
        assert f"| `{service}` |" in written
    assert "| Strategy discussion (child protection, section 47) | `strategy_discussion_s47` | 25 |" in written
    assert "## Not yet set" not in written


def test_the_ropa_refuses_a_service_it_does_not_describe(template: dict[str, Any]) -> None:
    from deploy.ropa import UndeclaredProcessor

    grown = {**template, "Resources": {**template["Resources"], "Db": {"Type": "AWS::RDS::DBInstance"}}}
    with pytest.raises(UndeclaredProcessor, match="RDS"):
        records(Settings(stage="local"), grown, dt.date(2026, 12, 7))


def test_the_ropa_lists_what_a_live_stage_has_not_set(template: dict[str, Any]) -> None:
    written = records(Settings(**ELSEWHERE), template, dt.date(2026, 12, 7))
    assert "| Data protection officer | NOT SET |" in written
    assert "- `MASH_ICO_REGISTRATION_NUMBER`" in written


def test_make_ropa_writes_the_records() -> None:
    """As `make ropa` runs it: the module as a script, in a fresh process (a script defines its
    functions in order, so one defined below the `__main__` call was missing there, not on import)."""
    import os
    import subprocess
    import sys

    from deploy.ropa import PROJECT_ROOT

    env = {**os.environ, "MASH_STAGE": "local", "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "deploy.ropa"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "wrote build/ropa.md"
    written = (PROJECT_ROOT / "build" / "ropa.md").read_text()
    assert "## Processors, by AWS service" in written and "case-management system receives" in written
