"""GOV.UK Frontend's CSS, JavaScript, fonts and images, served from static/ (built by `make assets`).

Chalice has no greedy routes, so the asset tree is served at fixed depths: `/assets/{name}` and
`/assets/{folder}/{name}`. Names are checked against a strict pattern and resolved inside
static/, so no path can climb out of it.
"""

from __future__ import annotations

import re
from pathlib import Path

from chalice import Blueprint
from chalice.app import Response

from chalicelib.templating import STATIC_DIR

assets = Blueprint(__name__)

# Font file names carry a content hash, so they can be cached for a year; the bundles and images
# keep their names across GOV.UK Frontend releases, so they are cached for a day.
LONG_CACHE = "public, max-age=31536000, immutable"
DAY_CACHE = "public, max-age=86400"
SHORT_CACHE = "public, max-age=3600"
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,100}$")
FOLDERS = {"fonts", "images"}
# At the top level: the two bundles beside assets/, plus the web manifest inside it.
TOP_LEVEL = {
    "govuk-frontend.min.css": STATIC_DIR,
    "govuk-frontend.min.js": STATIC_DIR,
    "manifest.json": STATIC_DIR / "assets",
}
CONTENT_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/manifest+json",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
TEXT_SUFFIXES = {".css", ".js", ".json", ".svg"}

# Starts GOV.UK Frontend's components (error summary focus, double-click prevention, ...). A file,
# not an inline script, so the CSP needs no 'unsafe-inline'. GOV.UK's Radios script is replaced by
# a few lines that reveal a chosen radio's follow-up question the same way but without putting
# aria-expanded on the radio input, which ARIA 1.2 does not allow there and axe reports
# (alphagov/govuk-frontend#979): every page must pass axe with no violation at all.
ENHANCED = [
    "Accordion",
    "Button",
    "CharacterCount",
    "Checkboxes",
    "ErrorSummary",
    "NotificationBanner",
    "PasswordInput",
    "SkipLink",
]
REVEAL_JS = """
function syncConditionals(group) {
  for (const input of group.querySelectorAll("input.govuk-radios__input[data-aria-controls]")) {
    const target = document.getElementById(input.dataset.ariaControls);
    if (target) target.classList.toggle("govuk-radios__conditional--hidden", !input.checked);
  }
}
for (const group of document.querySelectorAll('[data-module="govuk-radios"]')) {
  syncConditionals(group);
  group.addEventListener("change", () => syncConditionals(group));
}
"""
# "Exit this page" (button, or Shift pressed 3 times). GOV.UK Frontend 6.3.0's ExitThisPage hides
# the page and then sets `window.location.href`, which keeps the page in the tab's history, so Back
# returns to it. This subclass does the same but leaves with `location.replace`: the neutral site
# takes this page's place in history. Before leaving it ends the form session with a beacon (the
# browser sends it even as the page goes, and the exit never waits for it), so an earlier form page
# reached with Back shows no answers. GOV_UK_EXIT_PAGE below is the component's own exitPage as
# minified in static/govuk-frontend.min.js: a test fails if an upgrade changes it, so this copy is
# looked at again. The keys are the component's own: Shift 3 times within 5 seconds; not Escape,
# which browsers use to stop a page loading (it would cancel the exit itself).
EXIT_JS = """
class ExitThisPageReplacingHistory extends ExitThisPage {
  exitPage() {
    if (!this.$updateSpan) return;
    this.$updateSpan.textContent = "";
    document.body.classList.add("govuk-exit-this-page-hide-content");
    this.$overlay = document.createElement("div");
    this.$overlay.className = "govuk-exit-this-page-overlay";
    this.$overlay.setAttribute("role", "alert");
    document.body.appendChild(this.$overlay);
    this.$overlay.textContent = this.i18n.t("activated");
    // Always: without a token (the pages after sending) it still forgets the receipt.
    const token = this.$root.dataset.exitToken;
    if (navigator.sendBeacon) {
      navigator.sendBeacon("/referral/exit", new URLSearchParams(token ? { csrf_token: token } : {}));
    }
    window.location.replace(this.$button.href);
  }
}
createAll(ExitThisPageReplacingHistory);
"""
GOV_UK_EXIT_PAGE = (
    'exitPage(){this.$updateSpan&&(this.$updateSpan.textContent="",document.body.classList.add('
    '"govuk-exit-this-page-hide-content"),this.$overlay=document.createElement("div"),this.$overlay.className='
    '"govuk-exit-this-page-overlay",this.$overlay.setAttribute("role","alert"),document.body.appendChild('
    'this.$overlay),this.$overlay.textContent=this.i18n.t("activated"),window.location.href=this.$button.href)}'
)
INIT_JS = (
    f'import {{ createAll, ExitThisPage, {", ".join(ENHANCED)} }} from "/assets/govuk-frontend.min.js";\n'
    + "".join(f"createAll({name});\n" for name in ENHANCED)
    + REVEAL_JS
    + EXIT_JS
)


@assets.route("/assets/{name}", methods=["GET"])
def top_level_asset(name: str) -> Response:
    if name == "init.js":
        return _response(INIT_JS, ".js", SHORT_CACHE)
    folder = TOP_LEVEL.get(name)
    return _file(folder / name if folder else None)


@assets.route("/assets/{folder}/{name}", methods=["GET"])
def nested_asset(folder: str, name: str) -> Response:
    if folder not in FOLDERS or not SAFE_NAME.match(name):
        return _not_found()
    return _file(STATIC_DIR / "assets" / folder / name)


def _file(path: Path | None) -> Response:
    if path is None or path.suffix not in CONTENT_TYPES:
        return _not_found()
    # Belt and braces: the resolved file must still be inside static/.
    resolved = path.resolve()
    if not resolved.is_relative_to(STATIC_DIR.resolve()) or not resolved.is_file():
        return _not_found()
    data = resolved.read_bytes()
    body: str | bytes = data.decode("utf-8") if path.suffix in TEXT_SUFFIXES else data
    return _response(body, path.suffix, LONG_CACHE if path.parent.name == "fonts" else DAY_CACHE)


def _response(body: str | bytes, suffix: str, cache: str) -> Response:
    return Response(body=body, status_code=200, headers={"Content-Type": CONTENT_TYPES[suffix], "Cache-Control": cache})


def _not_found() -> Response:
    return Response(body="Not found", status_code=404, headers={"Content-Type": "text/plain; charset=utf-8"})
