"""One jinja2 environment for pages and emails, built on first use.

Templates live in `templates/` beside `app.py`. In the Lambda package they arrive there too:
`make package` copies them into `vendor/templates`, and Chalice unpacks `vendor/` at the root.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = PROJECT_ROOT / "static"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(
            [
                jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
                jinja2.PrefixLoader({"govuk_frontend_jinja": jinja2.PackageLoader("govuk_frontend_jinja")}),
            ]
        ),
        # Autoescape everything, including .txt email bodies' HTML twins; plain-text templates
        # opt out per file with {% autoescape false %} where escaping would show entities.
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def render(template_name: str, **context: object) -> str:
    return environment().get_template(template_name).render(**context)
