"""Composition root: builds each adapter on first use, so importing the app makes no AWS call.

Tests and the local runner call `reset()` (optionally with overrides, e.g. in-memory twins).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chalicelib.settings import Settings, get_settings, reset_settings

if TYPE_CHECKING:
    from chalicelib.adapters.advice_contacts import AdviceContactStore
    from chalicelib.adapters.agency_replies import ReplyStore, TriageStore
    from chalicelib.adapters.agency_topic import AgencyTopic
    from chalicelib.adapters.aws import AwsService
    from chalicelib.adapters.blind_index import BlindIndex
    from chalicelib.adapters.consent_requests import ConsentRequestStore
    from chalicelib.adapters.drafts import DraftStore
    from chalicelib.adapters.emulator_mail import EmulatorOutbox
    from chalicelib.adapters.envelope import FieldCipher
    from chalicelib.adapters.mailer import Mailer
    from chalicelib.adapters.rate_limits import RateLimitStore
    from chalicelib.adapters.referral_attachments import AttachmentRecords, UploadObjects
    from chalicelib.adapters.referrals import ReferralStore
    from chalicelib.adapters.search_cards import SearchCards
    from chalicelib.adapters.staff_audit import StaffAuditLog
    from chalicelib.adapters.staff_directory import StaffDirectory
    from chalicelib.adapters.staff_sessions import StaffSessionStore
    from chalicelib.adapters.suppression import SuppressionList
    from chalicelib.domain.deadlines import DeadlinePolicy


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Wiring:
    settings: Settings
    clock: Callable[[], dt.datetime] = utc_now
    _built: dict[str, Any] = field(default_factory=dict)

    def use(self, **adapters: Any) -> None:
        """Put given adapters in place by name (`use(mailer=InMemoryMailer())`): for tests and the
        local run, which swap one part of the hub and keep the rest."""
        self._built.update(adapters)

    def adapters_in_use(self) -> dict[str, Any]:
        """The adapters built so far, by name (to carry them into a fresh wiring)."""
        return dict(self._built)

    def _once(self, name: str, build: Callable[[], Any]) -> Any:
        if name not in self._built:
            self._built[name] = build()
        return self._built[name]

    @property
    def cipher(self) -> FieldCipher:
        from chalicelib.adapters.envelope import FieldCipher, KmsKeyProvider

        return self._once(
            "cipher",
            lambda: FieldCipher(KmsKeyProvider(self.aws_client("kms"), self.settings.kms_key_id)),
        )

    @property
    def referrals(self) -> ReferralStore:
        from chalicelib.adapters.referrals import DynamoReferralStore

        return self._once(
            "referrals",
            lambda: DynamoReferralStore(self.aws_client("dynamodb"), self.settings.table_name, self.cipher),
        )

    @property
    def advice_contacts(self) -> AdviceContactStore:
        """Records of advice calls, each sealed under its own data key."""
        from chalicelib.adapters.advice_contacts import DynamoAdviceContactStore

        return self._once(
            "advice_contacts",
            lambda: DynamoAdviceContactStore(self.aws_client("dynamodb"), self.settings.table_name, self.cipher),
        )

    @property
    def drafts(self) -> DraftStore:
        from chalicelib.adapters.drafts import DynamoDraftStore

        return self._once(
            "drafts",
            lambda: DynamoDraftStore(
                self.aws_client("dynamodb"),
                self.settings.table_name,
                self.cipher,
                ttl=dt.timedelta(minutes=self.settings.draft_ttl_minutes),
                clock=self.clock,
            ),
        )

    @property
    def mailer(self) -> Mailer:
        from chalicelib.adapters.mailer import SesMailer

        return self._once(
            "mailer",
            lambda: SesMailer(self.aws_client("ses"), self.settings.ses_configuration_set),
        )

    @property
    def blind_index(self) -> BlindIndex:
        from chalicelib.adapters.blind_index import KmsBlindIndexKey

        key = self._once(
            "blind_index_key",
            lambda: KmsBlindIndexKey(
                self.aws_client("dynamodb"), self.aws_client("kms"), self.settings.table_name, self.settings.kms_key_id
            ),
        )
        return key.index()

    @property
    def staff_audit(self) -> StaffAuditLog:
        from chalicelib.adapters.staff_audit import DynamoStaffAuditLog

        return self._once(
            "staff_audit", lambda: DynamoStaffAuditLog(self.aws_client("dynamodb"), self.settings.table_name)
        )

    @property
    def search_cards(self) -> SearchCards:
        """Sealing of search results' cards, under a key derived from the blind-index key."""
        from chalicelib.adapters.search_cards import CARD_PURPOSE, SearchCards

        return self._once("search_cards", lambda: SearchCards(self.blind_index.derived_key(CARD_PURPOSE)))

    @property
    def rate_limits(self) -> RateLimitStore:
        from chalicelib.adapters.rate_limits import DynamoRateLimitStore

        return self._once(
            "rate_limits", lambda: DynamoRateLimitStore(self.aws_client("dynamodb"), self.settings.table_name)
        )

    @property
    def suppressions(self) -> SuppressionList:
        """Addresses not to email again, keyed by an HMAC under a key derived from the stage secret."""
        import hashlib
        import hmac

        from chalicelib.adapters.suppression import DynamoSuppressionList

        key = hmac.new(self.settings.hmac_secret.encode(), b"suppression-list", hashlib.sha256).digest()
        return self._once(
            "suppressions",
            lambda: DynamoSuppressionList(self.aws_client("dynamodb"), self.settings.table_name, key),
        )

    @property
    def audit_key(self) -> bytes:
        """Key of the audit chain's HMAC: derived from the stage secret, never stored in the table."""
        import hashlib
        import hmac

        return hmac.new(self.settings.hmac_secret.encode(), b"audit-chain", hashlib.sha256).digest()

    @property
    def deadline_policy(self) -> DeadlinePolicy:
        from chalicelib.domain.deadlines import DeadlinePolicy

        return DeadlinePolicy(
            red=dt.timedelta(hours=self.settings.rag_red_hours),
            amber_working_days=self.settings.rag_amber_working_days,
            green_working_days=self.settings.rag_green_working_days,
        )

    @property
    def agency_topic(self) -> AgencyTopic:
        from chalicelib.adapters.agency_topic import SnsAgencyTopic

        return self._once(
            "agency_topic", lambda: SnsAgencyTopic(self.aws_client("sns"), self.settings.agency_topic_arn)
        )

    @property
    def reply_token_key(self) -> bytes:
        from chalicelib.domain.reply_tokens import token_key

        return token_key(self.settings.hmac_secret)

    @property
    def replies(self) -> ReplyStore:
        """Agency replies, in their referral's partition, sealed with the referral's key."""
        from chalicelib.adapters.agency_replies import DynamoReplyStore

        return self._once("replies", lambda: DynamoReplyStore(self.aws_client("dynamodb"), self.settings.table_name))

    @property
    def triage(self) -> TriageStore:
        """Mail the hub could not match to an enquiry, each item under its own data key."""
        from chalicelib.adapters.agency_replies import DynamoTriageStore

        return self._once(
            "triage", lambda: DynamoTriageStore(self.aws_client("dynamodb"), self.settings.table_name, self.cipher)
        )

    @property
    def mail_objects(self) -> Any:  # MailObjects (chalicelib/adapters/mail_objects.py)
        """Raw inbound mail and reply attachments in S3."""
        from chalicelib.adapters.mail_objects import S3MailObjects

        return self._once(
            "mail_objects",
            lambda: S3MailObjects(
                self.aws_client("s3"), self.settings.attachments_bucket, self.settings.storage_key_id
            ),
        )

    @property
    def case_export_target(self) -> Any:  # ExportTarget | None (chalicelib/adapters/case_export_target.py)
        """Where exports to the case-management system go; None when no target is set."""

        def build() -> Any:
            from chalicelib.adapters.case_export_target import HttpsExportTarget, S3DropTarget
            from chalicelib.domain.case_export import parse_target

            s = self.settings
            if s.case_export_target is None:
                return None
            kind, where, prefix = parse_target(s.case_export_target)
            if kind == "s3":
                return S3DropTarget(self.aws_client("s3"), where, prefix, s.storage_key_id)
            return HttpsExportTarget(
                where, s.export_hmac_secret or "", s.export_timeout_seconds, ca_bundle=s.export_ca_bundle
            )

        return self._once("case_export_target", build)

    @property
    def export_topic(self) -> Any:  # ExportTopic (chalicelib/adapters/export_topic.py)
        """The export hop: the topic the sweep publishes owed exports to, and the export queue."""
        from chalicelib.adapters.export_topic import SnsExportTopic

        return self._once(
            "export_topic",
            lambda: SnsExportTopic(self.aws_client("sns"), self.aws_client("sqs"), self.settings.export_topic_arn),
        )

    @property
    def consent_requests(self) -> ConsentRequestStore:
        """Consent requests sent by email, one small item each (the link's single use)."""
        from chalicelib.adapters.consent_requests import DynamoConsentRequestStore

        return self._once(
            "consent_requests",
            lambda: DynamoConsentRequestStore(self.aws_client("dynamodb"), self.settings.table_name),
        )

    @property
    def attachment_records(self) -> AttachmentRecords:
        """What is known of each document added to a referral."""
        from chalicelib.adapters.referral_attachments import DynamoAttachmentRecords

        return self._once(
            "attachment_records",
            lambda: DynamoAttachmentRecords(self.aws_client("dynamodb"), self.settings.table_name),
        )

    @property
    def upload_objects(self) -> UploadObjects:
        """Documents in S3: the uploads bucket they arrive in and the attachments bucket they are kept in."""
        from chalicelib.adapters.referral_attachments import S3UploadObjects

        s = self.settings
        return self._once(
            "upload_objects",
            lambda: S3UploadObjects(self.aws_client("s3"), s.uploads_bucket, s.attachments_bucket, s.storage_key_id),
        )

    @property
    def staff_sessions(self) -> StaffSessionStore:
        """The staff console's sessions, each token sealed under a data key of its own."""
        from chalicelib.adapters.staff_sessions import DynamoStaffSessionStore

        return self._once(
            "staff_sessions",
            lambda: DynamoStaffSessionStore(self.aws_client("dynamodb"), self.settings.table_name, self.cipher),
        )

    @property
    def emulator_outbox(self) -> EmulatorOutbox:
        """Local stage only: what the emulator's SES sent, and its feedback replayed on demand."""
        from chalicelib.adapters.emulator_mail import EmulatorOutbox

        return EmulatorOutbox(self.aws_client("sns"), self.settings.ses_configuration_set)

    @property
    def staff_directory(self) -> StaffDirectory:
        """Staff by name: the user pool's MASH groups in AWS, the local issuer's list locally."""
        from pathlib import Path

        from chalicelib.adapters.staff_directory import (
            CognitoStaffDirectory,
            FileStaffDirectory,
            InMemoryStaffDirectory,
        )

        def build() -> StaffDirectory:
            if self.settings.staff_user_pool_id:
                return CognitoStaffDirectory(
                    self.aws_client("cognito-idp"), self.settings.staff_user_pool_id, self.clock
                )
            if self.settings.is_local:
                return FileStaffDirectory(Path(self.settings.local_staff_directory_path))
            return InMemoryStaffDirectory()  # no pool configured: nobody is named

        return self._once("staff_directory", build)

    def aws_client(self, service: AwsService) -> Any:
        def build() -> Any:
            from chalicelib.adapters.aws import make_client

            return make_client(service, self.settings)

        return self._once(f"client:{service}", build)


_current: Wiring | None = None


def wiring() -> Wiring:
    global _current
    if _current is None:
        _current = Wiring(settings=get_settings())
    return _current


def reset(settings: Settings | None = None, **overrides: Any) -> Wiring:
    """Start afresh: new settings from the environment (or given), adapters rebuilt lazily.

    `overrides` replace adapters by name (`referrals=InMemoryReferralStore()`, `clock=...`).
    """
    global _current
    reset_settings()
    clock = overrides.pop("clock", utc_now)
    _current = Wiring(settings=settings or get_settings(), clock=clock)
    _current._built.update(overrides)
    return _current
