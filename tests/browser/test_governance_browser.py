"""The privacy notice, accessibility statement and cookies page in headless Chromium, axe-core on
each: reached from the start page's footer, as a person would find them."""

from __future__ import annotations

import pytest

from tests.browser.test_public_form_browser import CHROMIUM, Referrer

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium: run `make chromium`"
    ),
]


def test_the_three_governance_pages_from_the_footer(referrer: Referrer) -> None:
    for link, path, heading in (
        ("Privacy", "/privacy", "Privacy notice"),
        ("Accessibility statement", "/accessibility-statement", "Accessibility statement"),
        ("Cookies", "/cookies", "Cookies"),
    ):
        referrer.open("/")
        referrer.page.locator("footer").get_by_role("link", name=link, exact=True).click()
        referrer.at(path, heading)
    assert referrer.pages_checked == ["/", "/privacy", "/", "/accessibility-statement", "/", "/cookies"]
