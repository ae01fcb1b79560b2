"""The `ActionForm` machinery: one staff action as a GOV.UK form page over its admin route's service.

The registered forms themselves, and their service calls, are in `actions.py`.

## Adding an action form

One `ActionForm` per action, registered with `register`. It makes GET and POST
`/staff/referrals/{reference}/<slug>`: GET shows `templates/staff/actions/<slug>.html` (which
extends `staff/action.html` and fills `{% block fields %}`); POST checks the CSRF token, reads the
posted fields named like the model's fields, validates them with the model (field errors beside
their inputs and in the error summary), calls `perform`, and redirects to the referral page with
`?done=<slug>`, where `done` is shown in a success banner. A domain refusal (illegal transition,
approving one's own decision, ...) comes back as the error summary with the domain's message.
The referral page offers the action's button when `offered(picture)` is true and the staff member
holds one of its roles. For example, legal hold (admin.py's LegalHoldRequest, manager only):

    LEGAL_HOLD = register(ActionForm(
        slug="legal-hold",
        title="Place or lift a legal hold",
        api_route=admin_api.legal_hold,             # roles: MANAGERS, as the API declares
        model=lambda: admin_api.LegalHoldRequest,   # loaded on first use
        perform=_legal_hold,                         # (reference, body, staff, request_id) -> referral
        done="Legal hold recorded",
        blank_messages={"hold": "Select whether to place or lift the hold", "reason": "Enter why"},
        offered=lambda picture: True,                # placed or lifted at any status
        choices=lambda: {"holds": [("true", "Place a hold"), ("false", "Lift the hold")]},
    ))

    def _legal_hold(reference, body, staff, request_id):   # what admin.legal_hold calls, nothing more
        if body.hold:
            return place_legal_hold(reference, reason=body.reason, staff=staff, request_id=request_id)
        return lift_legal_hold(reference, staff=staff, request_id=request_id)

and `templates/staff/actions/legal-hold.html` with its radios (`hold`: true/false) and textarea
(`reason`), each input's id the field name so the error summary links to it. Choices a template
needs (labels, options) go in `choices`; a field posted as several values (checkboxes) is listed
in `multiple`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chalice.app import Response
from pydantic import BaseModel

from chalicelib.domain.audit import AccessReason
from chalicelib.domain.protective_decisions import ProtectiveDecision, may_make
from chalicelib.domain.staff import Role, StaffMember
from chalicelib.domain.validation import InvalidReferral, validate
from chalicelib.web import admin as admin_api
from chalicelib.web import console_session as sessions
from chalicelib.web.console.formatting import STATUS_LABELS
from chalicelib.web.console.routing import (
    Visit,
    _access_reason,
    _api_roles,
    _page,
    _problem_page,
    _RefusalErrors,
    _refused,
    _request_id,
    console,
    console_route,
    referral_href,
)
from chalicelib.web.form_fields import DATE_PARTS, Form, PageErrors, choices, read_date, text
from chalicelib.web.form_http import redirect
from chalicelib.web.request_parts import query_of

Perform = Callable[[str, Any, StaffMember, "str | None"], Any]


@dataclass(frozen=True)
class Branches:
    """Radios that choose which other questions are asked (each in the chosen radio's reveal).

    Only the chosen branch's fields are sent to the model, so text typed under a radio that was
    then unchosen never reaches the record. Two branches asking the same field (a reason) name its
    input `<choice>-<field>`, so each has its own id for the error summary to link to."""

    selector: str  # the model field the radios set
    asks: dict[str, tuple[str, ...]]  # choice -> the fields asked with it

    def input_name(self, field_name: str, chosen: str) -> str | None:
        """The input a field is read from for this choice; None when this choice does not ask it."""
        askers = [choice for choice, names in self.asks.items() if field_name in names]
        if not askers:
            return field_name  # asked whatever is chosen
        if chosen not in askers:
            return None
        return field_name if len(askers) == 1 else f"{chosen}-{field_name}"


@dataclass
class Reading:
    """A posted action form: what goes to the model, what to show again, and this page's errors."""

    data: dict[str, Any]
    values: dict[str, Any]
    errors: PageErrors
    inputs: dict[str, str]  # model field -> the input it was read from

    def add(self, field_name: str, message: str, dates: frozenset[str]) -> None:
        key = self.inputs.get(field_name, field_name)
        self.errors.add(key, message, f"{key}-day" if field_name in dates else key)


@dataclass(frozen=True)
class ActionForm:
    """One staff action as a GOV.UK form page (see the module docstring for how to add one)."""

    slug: str  # /staff/referrals/{reference}/<slug>; templates/staff/actions/<slug>.html
    title: str  # the page's heading and the referral page's button
    api_route: Callable[..., Any]  # the admin.py route this mirrors: its declared roles apply here
    # That route's body model (the same fields, rules and messages), or a function giving it, so the
    # API's request bodies load when a form is first used, not on the cold start.
    model: type[BaseModel] | Callable[[], type[BaseModel]]
    perform: Perform  # the one service call: (reference, body, staff, request_id)
    done: str  # the success banner on the referral page
    offered: Callable[[dict[str, Any]], bool]  # shown on the referral page when true (the picture)
    blank_messages: dict[str, str] = field(default_factory=dict)  # for a field (or input) left empty
    choices: Callable[[], dict[str, Any]] = dict  # what the template needs to offer (labels, options)
    multiple: frozenset[str] = frozenset()  # fields posted as several values (checkboxes)
    dates: dict[str, str] = field(default_factory=dict)  # date fields (GOV.UK date input) -> label
    branches: Branches | None = None
    # Options that come from the referral itself (the parents to ask), given the page's own audited
    # read (a ReferralView: the referral and its decrypted replies), so nothing is read twice.
    record_choices: Callable[[Any], dict[str, Any]] | None = None
    button: str = "Save"
    # Protective decisions this action could reverse: while one is in force, the form is offered
    # only to the role that made it (the domain refuses anyone else; the page does not tempt them).
    could_reverse: frozenset[str] = frozenset()

    @property
    def body_model(self) -> type[BaseModel]:
        return self.model if isinstance(self.model, type) else self.model()

    def offered_to(self, picture: dict[str, Any], me: sessions.SignedIn) -> bool:
        if not (self.offered(picture) and me.holds_any(self.roles)):
            return False
        holding = {d["decision"]: Role(d["made_by"]) for d in picture.get("protective_decisions", [])}
        return all(me.holds_any(frozenset({holding[d]})) for d in self.could_reverse if d in holding)

    @property
    def roles(self) -> frozenset[Role]:
        return _api_roles(self.api_route)

    @property
    def template(self) -> str:
        return f"staff/actions/{self.slug}.html"

    def read(self, form: Form) -> Reading:
        """The model's fields as posted; blanks left out so the model's 'missing' rules apply."""
        chosen = text(form, self.branches.selector) if self.branches else ""
        reading = Reading({}, {}, PageErrors(), {})
        for name in self.body_model.model_fields:
            source = self.branches.input_name(name, chosen) if self.branches else name
            if source is None:
                continue
            reading.inputs[name] = source
            if name in self.multiple:
                picked = choices(form, source)
                reading.values[source] = picked
                if picked:
                    reading.data[name] = picked
            elif name in self.dates:
                reading.values.update({f"{source}-{part}": text(form, f"{source}-{part}") for part in DATE_PARTS})
                iso = read_date(form, source, self.dates[name], reading.errors)
                if iso:
                    reading.data[name] = iso
            else:
                reading.values[source] = text(form, source)
                if text(form, source):
                    reading.data[name] = text(form, source)
        return reading


ACTION_FORMS: dict[str, ActionForm] = {}


def register(action: ActionForm) -> ActionForm:
    """Add the action's GET and POST pages (roles from its admin route) and its button."""
    if action.slug in ACTION_FORMS:
        raise ValueError(f"two action forms are called {action.slug}")
    ACTION_FORMS[action.slug] = action
    path = f"/staff/referrals/{{reference}}/{action.slug}"

    def show(visit: Visit, reference: str) -> Response:
        known: dict[str, Any] = {}
        refused = _refused(admin_api.answer_with(lambda: _known_reference(reference, known)))
        if refused is not None:
            return _problem_page(*refused, visit.me)
        return _action_page(
            action, visit, known["summary"].reference, status_now=known["summary"].status.value,
            access_reason=_access_reason(query_of(console.current_request)),
        )  # fmt: skip

    def post(visit: Visit, reference: str) -> Response:
        return _post_action(action, visit, reference)

    name = action.slug.replace("-", "_")
    show.__name__, post.__name__ = f"{name}_form", f"{name}_post"
    console_route(path, methods=["GET"], roles=action.roles)(show)
    console_route(path, methods=["POST"], roles=action.roles)(post)
    return action


def _known_reference(reference: str, known: dict[str, Any]) -> Response:
    """The referral's clear metadata (no KMS call, nothing personal): ReferralNotFound if there is none."""
    from chalicelib.wiring import wiring

    # A malformed reference is refused like an unknown one.
    known["summary"] = wiring().referrals.fetch_summary(admin_api._reference(reference))
    return Response(body="", status_code=200)


def protective_choices(roles: frozenset[Role]) -> dict[str, bool]:
    """Which protective decisions (not telling the parents, dispensing with consent, ...) this person
    may make: a form offers such a choice only to them, by the rule the domain enforces."""
    return {decision.value: may_make(decision, roles) for decision in ProtectiveDecision}


def _record_choices(
    action: ActionForm, visit: Visit, reference: str, access_reason: str | None
) -> dict[str, Any] | tuple[int, str]:
    """The options an action takes from the referral itself, read (and audited) as the page reads it;
    (status, message) when that read is refused."""
    from chalicelib.services.view_referral import view_referral

    record_choices = action.record_choices
    if record_choices is None:
        return {}
    found: dict[str, Any] = {}

    def work() -> Response:
        view = view_referral(
            reference, staff=visit.staff, request_id=_request_id(),
            reason=AccessReason(access_reason) if access_reason else None,
        )  # fmt: skip
        found.update(record_choices(view))
        return Response(body="", status_code=200)

    answer = admin_api.answer_with(work)
    return _refused(answer) or found


def _action_page(
    action: ActionForm,
    visit: Visit,
    reference: str,
    *,
    errors: PageErrors | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
    status_now: str | None = None,
    access_reason: str | None = None,
) -> Response:
    errors = errors or PageErrors()
    extra = _record_choices(action, visit, reference, access_reason)
    if isinstance(extra, tuple):
        return _problem_page(*extra, visit.me)
    return _page(
        action.template,
        status_now=STATUS_LABELS.get(status_now or "", status_now),
        status=status,
        me=visit.me,
        nav="queue",
        action=action,
        title=action.title,
        reference=reference,
        back_href=referral_href(reference, access_reason=access_reason),
        access_reason=access_reason,
        values=values or {},
        errors=errors.messages,
        error_list=errors.summary(),
        may_make=protective_choices(visit.staff.roles),
        **action.choices(),
        **extra,
    )


def _post_action(action: ActionForm, visit: Visit, raw_reference: str) -> Response:
    known: dict[str, Any] = {}
    refused = _refused(admin_api.answer_with(lambda: _known_reference(raw_reference, known)))
    if refused is not None:
        return _problem_page(*refused, visit.me)
    reference = known["summary"].reference
    access_reason = _access_reason(visit.form)
    reading = action.read(visit.form)
    body = _validate(action, reading)
    if reading.errors or body is None:
        reading.errors.sort(tuple(reading.inputs.get(name, name) for name in action.body_model.model_fields))
        return _action_page(
            action, visit, reference, errors=reading.errors, values=reading.values, status=400,
            status_now=known["summary"].status.value, access_reason=access_reason,
        )  # fmt: skip

    def work() -> Response:
        action.perform(reference, body, visit.staff, _request_id())
        return redirect(referral_href(reference, done=action.slug, access_reason=access_reason))

    answer = admin_api.answer_with(work)
    refused = _refused(answer)
    if refused is None:
        return answer
    status, message = refused
    if status in (404, 503):
        return _problem_page(status, message, visit.me)
    return _action_page(
        action, visit, reference, errors=_RefusalErrors(message), values=reading.values, status=status,
        status_now=known["summary"].status.value, access_reason=access_reason,
    )  # fmt: skip


def _validate(action: ActionForm, reading: Reading) -> BaseModel | None:
    """The body as the action's model reads it, or None with each problem added to the reading
    (a field left empty gets the action's own message for it, when it has one)."""
    try:
        return validate(action.body_model, reading.data)
    except InvalidReferral as invalid:
        for problem in invalid.errors:
            key = reading.inputs.get(problem.field, problem.field)
            blank = problem.field not in reading.data and problem.field not in action.dates
            message = action.blank_messages.get(key) or action.blank_messages.get(problem.field)
            reading.add(problem.field, message if blank and message else problem.message, frozenset(action.dates))
        return None
