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

# File names are hashed by GOV.UK Frontend's build, so they can be cached for a year.
LONG_CACHE = "public, max-age=31536000, immutable"
SHORT_CACHE = "public, max-age=3600"
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,100}$")
FOLDERS = {"fonts", "images"}
# At the top level: the two bundles beside assets/, plus the web manifest inside it.
TOP_LEVEL = {"govuk-frontend.min.css": STATIC_DIR, "govuk-frontend.min.js": STATIC_DIR, "manifest.json": STATIC_DIR / "assets"}
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

# Starts GOV.UK Frontend's components (conditional reveals, error summary focus, double-click
# prevention). A file, not an inline script, so the CSP needs no 'unsafe-inline'.
INIT_JS = 'import { initAll } from "/assets/govuk-frontend.min.js";\ninitAll();\n'


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
    return _response(body, path.suffix, LONG_CACHE)


def _response(body: str | bytes, suffix: str, cache: str) -> Response:
    return Response(body=body, status_code=200, headers={"Content-Type": CONTENT_TYPES[suffix], "Cache-Control": cache})


def _not_found() -> Response:
    return Response(body="Not found", status_code=404, headers={"Content-Type": "text/plain; charset=utf-8"})
