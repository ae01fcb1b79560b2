"""HTML responses, redirects and form bodies for the public form."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from chalice.app import Request, Response

from chalicelib.domain.referral import LONG_TEXT
from chalicelib.settings import get_settings
from chalicelib.templating import render
from chalicelib.web.request_parts import body_bytes

HTML = "text/html; charset=utf-8"
FORM_CONTENT_TYPES = ["application/x-www-form-urlencoded"]


class BodyTooLarge(Exception):
    pass


def page(template: str, status: int = 200, cookies: list[str] | None = None, **context: Any) -> Response:
    headers: dict[str, Any] = {"Content-Type": HTML}
    if cookies:
        headers["Set-Cookie"] = cookies
    messages: dict[str, str] = context.get("errors") or {}
    context.setdefault("error_list", [])
    context["values"] = FormValues(context.get("values") or {})
    body = render(
        template,
        settings=get_settings(),
        error=lambda key: _error_message(messages, key),
        # The domain's limit on long answers, for the GOV.UK character count (shown before sending).
        long_text_max=LONG_TEXT,
        **context,
    )
    return Response(body=body, status_code=status, headers=headers)


class FormValues(dict[str, Any]):
    """Input values for a template: an unanswered field is "", never None (a textarea would show "None")."""

    def get(self, key: str, default: Any = "") -> Any:
        value = super().get(key)
        return default if value is None else value


def _error_message(messages: dict[str, str], key: str) -> dict[str, str] | None:
    """The `errorMessage` parameter GOV.UK macros take, or None when the field is fine."""
    return {"text": messages[key]} if key in messages else None


def redirect(location: str, cookies: list[str] | None = None) -> Response:
    # 303 so the browser GETs the next page: a refresh never re-posts personal data.
    headers: dict[str, Any] = {"Location": location, "Content-Type": HTML}
    if cookies:
        headers["Set-Cookie"] = cookies
    return Response(body="", status_code=303, headers=headers)


def form_body(request: Request) -> dict[str, list[str]]:
    raw = body_bytes(request)
    if len(raw) > get_settings().max_body_bytes:
        raise BodyTooLarge()
    return parse_qs(raw.decode("utf-8", errors="replace"), keep_blank_values=True, max_num_fields=200)
