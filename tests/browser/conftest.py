"""The browser fixtures (the local stack, Chromium, axe, a person at the keyboard), for every
browser test module: they are defined with the form's journeys and shared from here."""

from tests.browser.test_public_form_browser import axe, chromium, referrer, stack  # noqa: F401
