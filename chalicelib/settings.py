"""Settings read once from the environment (Chalice stage config sets them in AWS)."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, model_validator

if TYPE_CHECKING:
    from chalicelib.domain.agencies import AgencyDirectory

ENV_PREFIX = "MASH_"
LOCAL_ONLY_SECRET = "local-dev-secret-change-me"  # noqa: S105 - refused outside the local stage
# The local stage's emergency duty team mailbox (synthetic); every other stage must set its own.
LOCAL_OUT_OF_HOURS_EMAIL = "emergency-duty-team@out-of-hours.example"
# The local stage's service directory for onward referrals: synthetic services, .example addresses.
LOCAL_ONWARD_SERVICES = (
    {"id": "early-help-hub", "name": "the Early Help Hub", "email": "early-help-hub@services.example"},
    {"id": "health-visiting", "name": "the Health Visiting Service", "email": "health-visiting@health.example"},
    {"id": "school-nursing", "name": "the School Nursing Service", "email": "school-nursing@health.example"},
    {"id": "another-authority-mash", "name": "the MASH of Another Council", "email": "mash@another-council.example"},
)

# The local stage's case-system drop folder (a bucket the local stack creates in the emulator).
LOCAL_EXPORT_TARGET = "s3://mash-hub-exports/case-system/"


class Settings(BaseModel):
    """Every knob the hub reads at run time; each field `x` is read from env var `MASH_X`.

    Plain pydantic rather than pydantic-settings: it keeps the Lambda cold start lean.
    """

    model_config = ConfigDict(frozen=True)

    # No default: a function deployed without MASH_STAGE must not start as the local stage (with its
    # synthetic sign-in and emulated outbox). The local run, the tests and the bench set it.
    stage: str
    aws_region: str = "eu-west-2"
    # Set only for the emulator (moto server) in the local stage; None means real AWS.
    aws_endpoint_url: str | None = None

    table_name: str = "mash-hub"
    kms_key_id: str = "alias/mash-hub"
    # Secret for HMACs: reference derivation from idempotency keys, CSRF tokens.
    # In AWS it comes from the stage config (SSM / Secrets Manager); locally a fixed dev value.
    hmac_secret: str = LOCAL_ONLY_SECRET

    mail_sender: str = "mash-hub@mash.example"
    mail_domain: str = "mash.example"
    ses_configuration_set: str | None = None
    # The SNS topic the configuration set publishes SES events to (deploy/names.py MAIL_EVENTS_TOPIC);
    # it delivers to the mail events queue that `ses_events` reads. The local stack creates it by this name.
    ses_events_topic: str = "mash-hub-ses-events"

    # What a person must ring before (or instead of) filling the form.
    emergency_number: str = "999"
    police_non_emergency_number: str = "101"
    mash_phone_office_hours: str = "020 7946 0990"
    mash_office_hours: str = "Monday to Thursday 9am to 5:15pm, Friday 9am to 5pm"
    mash_phone_out_of_hours: str = "020 7946 0991"
    mash_email: str = "mash-requests@mash.example"
    # The emergency duty team's mailbox: alerted when a protection (or immediate-risk) referral
    # arrives out of hours (chalicelib/domain/out_of_hours.py). Required outside the local stage.
    out_of_hours_email: str | None = None
    council_name: str = "Example Council"
    # The information-governance pages (/privacy, /accessibility-statement): the council's own
    # facts. Unset, the local stage shows synthetic ones and any other stage says plainly on the
    # page what is not yet set (chalicelib/web/governance_pages.py): a missing line of text must
    # not stop the hub taking referrals.
    data_protection_officer: str | None = None  # how to reach the DPO: an email address or a postal address
    ico_registration_number: str | None = None  # the council's entry in the ICO's register of fee payers
    accessibility_statement_prepared_on: str | None = None  # ISO dates, like 2026-11-02
    accessibility_tested_on: str | None = None
    # Where to report an accessibility problem or ask for another format; unset, the MASH's own
    # address (mash_email), which the statement gives beside the office-hours number either way.
    accessibility_contact_email: str | None = None
    # Who enforces the accessibility regulations where the council is, so which enforcement words the
    # statement carries: great_britain (the EHRC; complaints through the Equality Advisory and
    # Support Service) or northern_ireland (the Equality Commission for Northern Ireland).
    accessibility_enforcement: Literal["great_britain", "northern_ireland"] = "great_britain"

    # Public edge limits.
    max_body_bytes: int = 64 * 1024
    draft_ttl_minutes: int = 60
    cookie_secure: bool = True
    # Per-client (source IP) rate limits on the public POSTs, per fixed window; 0 turns one off.
    # The form is more generous: one referral is about fifteen pages, and a school or council
    # office sends everyone's requests from one address. README "Limits" has the gateway's too.
    rate_limit_api_requests: int = 30
    rate_limit_form_requests: int = 300
    rate_limit_window_seconds: int = 300
    # Searches one member of staff may make per rate-limit window (0 turns the limit off): a day's
    # phone calls need a few an hour; a script walking the index meets the limit at once.
    rate_limit_search_requests: int = 60

    # "Save and come back later" on the public form (README "Save and resume; quick exit"): how
    # long a saved draft is kept, how long five wrong passphrases lock it, and how many tries at
    # "Continue a saved referral" one client may make per rate-limit window (0 turns that off).
    saved_draft_days: int = 7
    resume_lock_minutes: int = 60
    rate_limit_resume_requests: int = 10
    # Where "Exit this page" goes: a neutral site that says nothing about this one.
    exit_page_url: str = "https://www.bbc.co.uk/weather"
    # The council's threshold document (the four levels of need), linked where the form asks for a
    # level. A synthetic address by default: each deployed stage sets the council's own.
    threshold_document_url: str = "https://www.council.example/mash/threshold-document"

    # Staff sign-in (/admin/ routes): a bearer ID token verified against a JWKS. In AWS set all
    # three from the Cognito user pool: issuer https://cognito-idp.<region>.amazonaws.com/<pool id>,
    # audience the app client id, JWKS <issuer>/.well-known/jwks.json. Unset outside the local
    # stage means every token is refused. The local issuer's JWKS file is read in the local stage only.
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwks_url: str | None = None
    local_jwks_path: str = ".local/issuer-jwks.json"
    # Staff are shown by name from the staff user pool's MASH groups (set in AWS). The local stage
    # reads the local issuer's synthetic staff, written beside its JWKS (`local_staff_directory_path`).
    staff_user_pool_id: str | None = None

    # The staff console (/staff/): a session unused this long is signed out. In AWS staff sign in
    # through the user pool's hosted UI at this domain (https://<prefix>.auth.<region>.amazoncognito.com
    # or a custom one), as the app client jwt_audience, called back at <public_url>/staff/callback.
    # Unset: the local stage offers its synthetic staff; any other stage cannot sign in to the console.
    console_idle_minutes: int = 15
    console_hosted_ui_domain: str | None = None

    # How long each RAG rating gives for the MASH decision (typical London practice).
    rag_red_hours: float = 4
    rag_amber_working_days: int = 1
    rag_green_working_days: int = 3

    # Years a closed referral is kept, by outcome, as JSON overriding the defaults in
    # chalicelib/domain/retention.py, e.g. {"no_further_action": 3}.
    retention_years: str = "{}"
    # Years a record of an advice call (not a referral) is kept, from when it was recorded.
    advice_retention_years: int = 2

    # Consent request emails to parents: where the link points (the hub's public address, no
    # trailing slash; in AWS https://<CustomDomainName>) and how long the link works.
    public_url: str = "http://127.0.0.1:8000"
    consent_link_days: int = 14

    # Services a family can be referred on to, as JSON [{"id", "name", "email"}, ...], set per stage
    # (MASH_ONWARD_SERVICES). Unset: the local stage gets LOCAL_ONWARD_SERVICES (synthetic), any
    # other stage none, so no email can go to a made-up address from a real hub.
    onward_services: str | None = None

    # Partner agencies answering information requests (chalicelib/domain/agencies.py), as JSON
    # [{"id", "mailbox", "reply_domains": [...], "escalation_contact"}]. Unset: the local stage gets
    # a synthetic directory, any other stage none (enquiries are refused until it is set).
    agencies: str | None = None
    # Agency enquiries: the SNS topic they fan out on (one message per agency), the bucket SES
    # stores inbound replies in, and the bucket reply attachments are kept in (SSE-KMS).
    agency_topic_arn: str | None = None
    inbound_mail_bucket: str = "mash-hub-inbound-mail"
    attachments_bucket: str = "mash-hub-attachments"
    # The KMS key reply attachments are stored under (SSE-KMS). Unset: the bucket's default
    # encryption applies (locally, moto's); in AWS the template sets the storage key's ARN.
    storage_key_id: str | None = None
    # How long a reply address (reply+<token>@mail_domain) is accepted after the request.
    enquiry_reply_days: int = 30
    # Reply attachments: larger or other types go to triage for a person to look at. The same limit
    # applies to documents a referrer adds (README "Documents").
    attachment_max_bytes: int = 10 * 1024 * 1024
    # Where the public's presigned POSTs put documents added to a referral (uploads/<reference>/...),
    # read only by the uploads handler; what it keeps goes to attachments_bucket under referrals/.
    uploads_bucket: str = "mash-hub-uploads"

    # The export to the case-management system (README "Export to the case-management system"):
    # s3://bucket/prefix/ (a drop folder the case system's SFTP picks up from) or https://... (its
    # import endpoint, each body signed with HMAC-SHA256 under export_hmac_secret). Unset: the local
    # stage drops into LOCAL_EXPORT_TARGET (shown at /_local/exports); any other stage fails each
    # export with a task, so nothing is owed silently.
    export_target: str | None = None
    export_hmac_secret: str | None = None
    export_timeout_seconds: float = 10
    # The export hop (README "Export to the case-management system"): the sweep publishes each owed
    # export to this SNS topic; the export queue subscribed to it feeds the case_exports function.
    export_topic_arn: str | None = None
    # A PEM file of the CA certificates the https:// endpoint is checked against (a council's own
    # CA). Unset: the system's trust store.
    export_ca_bundle: str | None = None

    # Outbox retries: delay doubles from base, capped, until max attempts then 'failed'.
    outbox_max_attempts: int = 8
    outbox_base_delay_seconds: int = 30

    @model_validator(mode="after")
    def _real_secret_outside_local(self) -> Settings:
        if self.stage != "local" and self.hmac_secret == LOCAL_ONLY_SECRET:
            raise ValueError("MASH_HMAC_SECRET must be set to a real secret outside the local stage")
        self._out_of_hours_mailbox_set()
        self._export_target_well_formed()
        if self.agencies is not None:
            from chalicelib.domain.agencies import parse_directory

            parse_directory(self.agencies)  # a broken directory is refused at start-up
        return self

    def _out_of_hours_mailbox_set(self) -> None:
        # At start-up, not at 2am: a hub that cannot alert the emergency duty team must not run.
        from chalicelib.domain.referral import EMAIL_PATTERN

        if self.out_of_hours_email is None and not self.is_local:
            raise ValueError(
                "MASH_OUT_OF_HOURS_EMAIL must be set outside the local stage: the emergency duty team's mailbox, "
                "alerted when a protection referral arrives out of hours"
            )
        if self.out_of_hours_email is not None and not EMAIL_PATTERN.match(self.out_of_hours_email):
            raise ValueError("MASH_OUT_OF_HOURS_EMAIL must be one email address, like edt@council.example")

    def _export_target_well_formed(self) -> None:
        # At start-up, not at the first s47 decision: a malformed target must not wait to be found.
        if self.export_target is None:
            return
        from chalicelib.domain.case_export import parse_target

        kind, _, _ = parse_target(self.export_target)
        if kind == "https" and len(self.export_hmac_secret or "") < 32:
            raise ValueError(
                "MASH_EXPORT_HMAC_SECRET must be set (32 characters or more) when MASH_EXPORT_TARGET is an https:// "
                "endpoint: every export is signed with it"
            )
        if self.export_ca_bundle is not None and not os.path.isfile(self.export_ca_bundle):
            raise ValueError("MASH_EXPORT_CA_BUNDLE must name a PEM file of CA certificates that exists")
        if not 0 < self.export_timeout_seconds <= 30:
            raise ValueError("MASH_EXPORT_TIMEOUT_SECONDS must be more than 0 and at most 30")

    @property
    def case_export_target(self) -> str | None:
        """Where exports go: the setting, or the local stage's drop folder in the emulator."""
        return self.export_target or (LOCAL_EXPORT_TARGET if self.is_local else None)

    @property
    def out_of_hours_mailbox(self) -> str:
        """Where the emergency duty team's alerts go (the local stage's is synthetic)."""
        return self.out_of_hours_email or LOCAL_OUT_OF_HOURS_EMAIL

    @property
    def retention_years_by_outcome(self) -> dict[str, int]:
        import json

        return {str(k): int(v) for k, v in json.loads(self.retention_years).items()}

    @property
    def onward_service_directory(self) -> list[dict[str, str]]:
        import json

        if self.onward_services is None:
            return list(LOCAL_ONWARD_SERVICES) if self.is_local else []
        return [{k: str(v) for k, v in entry.items()} for entry in json.loads(self.onward_services)]

    @property
    def agency_directory(self) -> AgencyDirectory:
        from chalicelib.domain.agencies import LOCAL_DIRECTORY, AgencyDirectory, parse_directory

        if self.agencies is None:
            return AgencyDirectory(LOCAL_DIRECTORY if self.is_local else ())
        return AgencyDirectory(parse_directory(self.agencies))

    @property
    def is_local(self) -> bool:
        return self.stage == "local"

    @property
    def local_staff_directory_path(self) -> str:
        """The local issuer's synthetic staff (local/issuer.py writes it beside its JWKS)."""
        from pathlib import Path

        return str(Path(self.local_jwks_path).with_name("issuer-staff.json"))

    @classmethod
    def from_environ(cls, environ: dict[str, str] | None = None) -> Settings:
        environ = dict(os.environ if environ is None else environ)
        values: dict[str, str] = {
            name: environ[ENV_PREFIX + name.upper()]
            for name in cls.model_fields
            if ENV_PREFIX + name.upper() in environ
        }
        if "aws_region" not in values and "AWS_DEFAULT_REGION" in environ:
            values["aws_region"] = environ["AWS_DEFAULT_REGION"]
        if not values.get("stage"):
            raise ValueError(
                "MASH_STAGE must be set: 'local' for `make run` and the tests, or the deployed stage's name "
                "(.chalice/config.json sets it in AWS)"
            )
        return cls.model_validate(values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_environ()


def reset_settings() -> None:
    get_settings.cache_clear()
