"""Adding documents after sending a referral, in headless Chromium against the local stack.

The form posts the file straight to the emulated bucket (moto's server, another origin), which
sends the browser back; axe-core checks every page, and no CSP violation may be reported (the
page's own policy allows that origin in form-action, and nothing else).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests import samples
from tests.browser.test_public_form_browser import CHROMIUM, Referrer
from tests.factories import example

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium: run `make chromium`"
    ),
]

PDF = samples.pdf()


def sent_referral(referrer: Referrer) -> str:
    """A referral just sent, and the receipt cookie the form's Send would have set, in the browser."""
    from chalicelib.domain.referral import ReferralSubmission
    from chalicelib.services.submit_referral import submit_referral
    from chalicelib.web import form_session

    receipt = submit_referral(ReferralSubmission.model_validate(example("referral-support.json")))
    name, value = form_session.receipt_cookie(receipt.reference, "s" * 43).split(";")[0].split("=", 1)
    referrer.page.context.add_cookies([{"name": name, "value": value, "url": referrer.base_url}])
    return receipt.reference


@pytest.mark.parametrize("referrer", [True, False], indirect=True, ids=["javascript", "no-javascript"])
def test_a_referrer_adds_a_document_and_a_refused_one_is_said_to_be_not_added(referrer: Referrer, stack: Any) -> None:
    reference = sent_referral(referrer)
    referrer.open("/referral/confirmation")
    referrer.click("add documents to your referral", role="link")
    referrer.at("/referral/documents", "Add documents to your referral")
    assert reference in referrer.page.content()

    referrer.page.set_input_files(
        "#file", {"name": "Letter from school.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    referrer.click("Upload document")
    # Back from the bucket, the key (with the file's name) already gone from the address.
    referrer.at("/referral/documents?added=1", "Add documents to your referral")
    assert "Your document was sent" in referrer.page.content()

    stack.pump_once()
    referrer.page.set_input_files(
        "#file", {"name": "setup.pdf", "mimeType": "application/pdf", "buffer": b"MZ\x90\x00"}
    )
    referrer.click("Upload document")
    stack.pump_once()
    referrer.open("/referral/documents")
    added = referrer.page.locator("#documents-added").inner_text()
    assert "Letter from school.pdf" in added and "Added" in added
    assert "setup.pdf" in added and "Not added" in added
