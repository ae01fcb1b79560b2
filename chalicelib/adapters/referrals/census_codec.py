"""The census figures on the referral item, in clear (domain/census.py): codes, dates and a flag only,
so the figures (and a census return) are counted without decrypting anything."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.referrals.keys import iso
from chalicelib.domain.census import census_fields
from chalicelib.domain.referral_record import Referral

RE_REFERRAL = "re_referral"


def census_attributes(referral: Referral) -> dict[str, Any]:
    fields = census_fields(referral)
    item: dict[str, Any] = {"cin_source": fields.source, "referral_date": fields.referral_date.isoformat()}
    if fields.re_referral is not None:
        item[RE_REFERRAL] = fields.re_referral
    if fields.outcome_code:
        item["outcome_code"] = fields.outcome_code
    if fields.decided_at is not None:
        item["decision_stood_at"] = iso(fields.decided_at)
        item["decision_seconds"] = fields.decision_seconds
    return item


def re_referral_from_item(item: dict[str, Any]) -> bool | None:
    value = item.get(RE_REFERRAL)
    return None if value is None else bool(value)
