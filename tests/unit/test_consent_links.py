"""The consent link: signed, expiring, and naming one request (single use is tested through the API)."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.domain.consent_links import (
    LinkExpired,
    LinkTampered,
    link_for,
    link_key,
    sign,
    verify,
)

KEY = link_key("test-secret")
ASKED = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)


def a_link(notice_id: str = "consent-1", reference: str = "K7Q-F3M-RW9") -> str:
    return sign(link_for(reference=reference, notice_id=notice_id, requested_at=ASKED, key=KEY), KEY)


def test_a_link_names_its_request_until_it_expires() -> None:
    link = verify(a_link(), KEY, ASKED + dt.timedelta(days=13))
    assert link == link_for(reference="K7Q-F3M-RW9", notice_id="consent-1", requested_at=ASKED, key=KEY)
    assert link.expires_at == ASKED + dt.timedelta(days=14)


def test_a_link_is_refused_once_expired() -> None:
    with pytest.raises(LinkExpired):
        verify(a_link(), KEY, ASKED + dt.timedelta(days=14))


def test_the_expiry_is_configurable() -> None:
    short = link_for(reference="R", notice_id="n", requested_at=ASKED, key=KEY, lifetime=dt.timedelta(days=2))
    with pytest.raises(LinkExpired):
        verify(sign(short, KEY), KEY, ASKED + dt.timedelta(days=3))


def test_the_same_request_always_gets_the_same_link_so_a_retried_email_carries_it() -> None:
    assert a_link() == a_link()


def test_a_link_for_another_request_names_another_request() -> None:
    now = ASKED + dt.timedelta(hours=1)
    assert verify(a_link("consent-2"), KEY, now).request_id != verify(a_link("consent-1"), KEY, now).request_id
    other_referral = verify(a_link(reference="ABC-DEF-GHJ"), KEY, now)
    assert other_referral.lookup_key != verify(a_link(), KEY, now).lookup_key


def test_the_link_carries_no_reference_or_notice() -> None:
    token = a_link()
    assert "K7Q" not in token and "consent" not in token


def _swap(token: str, part: int, value: str) -> str:
    parts = token.split(".")
    parts[part] = value
    return ".".join(parts)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: _swap(t, 1, str(int(t.split(".")[1]) + 86400)),  # a later expiry
        lambda t: _swap(t, 0, "A" * 22),  # another request id
        lambda t: _swap(t, 2, "A" * 22),  # a made-up signature
        lambda t: t[:-1],  # cut short
        lambda t: t + "x",
        lambda t: "",
        lambda t: "../../admin",
        lambda t: t.replace(".", "²", 1),
        lambda t: sign(
            link_for(reference="K7Q-F3M-RW9", notice_id="consent-1", requested_at=ASKED, key=link_key("another")),
            link_key("another"),
        ),
    ],
    ids=[
        "later expiry",
        "other id",
        "forged signature",
        "cut short",
        "extended",
        "empty",
        "path",
        "unicode",
        "other key",
    ],
)
def test_a_tampered_link_is_refused(tamper: object) -> None:
    with pytest.raises(LinkTampered):
        verify(tamper(a_link()), KEY, ASKED)  # type: ignore[operator]
