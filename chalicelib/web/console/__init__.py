"""The MASH staff console under /staff/: GOV.UK pages over the same services as the admin JSON API.

Nothing here decides anything: each page calls the service the matching /admin/ route calls, with
that route's roles (read from its `admin_route` declaration) and its pydantic body model, and
domain refusals go through the admin API's own mapping (`answer_with`), so a message reads the same on both.

Every page is made with `console_route` (deny by default: a session, its token re-verified, the
roles, and on POST the CSRF token); `undeclared_console_routes(app)` finds any /staff/ page made
otherwise that is not one of the sign-in pages in `OPEN_PATHS`.

The rooms, each importing only those above it (no module imports this package's `__init__`):

- `formatting`: moments and time left in London time, labels, the wiring clock
- `routing`: the `console` Blueprint, `console_route`, `Visit`, page and problem-page helpers
- `signing_in`: sign in (the hosted UI's code flow), the landing page, sign out
- `queue`: the work queue
- `triage`: replies the hub could not place
- `action_forms`: the `ActionForm` machinery (its docstring says how to add an action)
- `referral`: the referral page, offering the action forms
- `actions`: every registered action form and its service call
- `case_work`: finishing a task (its form sits by each open task on the referral page), adding a case
  note, the chronology page
- `links`: link another referral, mark a duplicate, remove a link (action forms)
- `allocation`: who owns a referral (its action form; offered at the top of the referral page)
- `my_work`: my referrals and my tasks
- `notices_documents`: a notice's preview and a referrer's document
- `advice`: advice calls (not referrals): the list, "Record an advice call", one call
- `advice_referral`: an advice call made into a referral, on a form prefilled from the call (read by `referral_form`)
- `reports`: the timeliness report
- `search`: find a referral by a name, a date of birth, a postcode or a reference
- `performance`: the performance report (outcomes, sources, re-referrals, advice calls; census CSV)

Importing this package imports every room, so all their pages are on `console` before app.py
registers it.
"""

# The rooms in the order the single module registered their pages (so app.routes keeps its order).
# isort: off
from chalicelib.web.console.formatting import (
    LONDON,
    RAG_TAGS,
    REASON_LABELS,
    STATUS_LABELS,
    is_overdue,
    time_left,
    when,
)
from chalicelib.web.console.routing import (
    HOME,
    OPEN_PATHS,
    REPORT_PATH,
    REPORT_ROLES,
    SIGN_IN,
    STAFF_PREFIX,
    Visit,
    _page,
    console,
    console_roles,
    console_route,
    referral_href,
    undeclared_console_routes,
)
from chalicelib.web.console.signing_in import callback, landing_page, sign_in, sign_out, signed_in_redirect, signed_out
from chalicelib.web.console.queue import QUEUE_PAGE_SIZE, TRIAGE_COUNT_LIMIT, work_queue
from chalicelib.web.console.triage import TRIAGE_DONE, triage_attach, triage_item, triage_list, triage_reject
from chalicelib.web.console.action_forms import ACTION_FORMS, ActionForm, Branches, Perform, Reading, register
from chalicelib.web.console.referral import referral_page
from chalicelib.web.console.actions import (
    APPROVAL,
    CLOSURE,
    CONSENT,
    CONTACT_PLAN,
    DECISION,
    ENQUIRIES,
    LEGAL_HOLD,
    ONWARD_REFERRAL,
    OUTCOME_NOTICE,
    PARENTS_TOLD,
    SCREENING,
    TRANSLATION,
    WITHDRAW_ENQUIRY,
)
from chalicelib.web.console.case_work import NOTE, TASK, chronology_page
from chalicelib.web.console.links import DUPLICATE, LINK, UNLINK
from chalicelib.web.console.allocation import ALLOCATION
from chalicelib.web.console.my_work import my_work_page
from chalicelib.web.console.notices_documents import attachment_download, notice_preview
from chalicelib.web.console.advice import advice_form, advice_list_page, advice_page, advice_post
from chalicelib.web.console.advice_referral import advice_referral_form, advice_referral_post
from chalicelib.web.console.reports import (
    BAR_FILLS,
    RANGE_FIELDS,
    REPORT_DEFAULT_DAYS,
    Bar,
    bar_chart,
    report_charts,
    timeliness_report_page,
)
from chalicelib.web.console.search import SEARCH_PATH, search_page, search_results
from chalicelib.web.console.performance import PERFORMANCE_PATH, performance_report_page

# isort: on

__all__ = [
    "ACTION_FORMS",
    "ALLOCATION",
    "APPROVAL",
    "BAR_FILLS",
    "CLOSURE",
    "CONSENT",
    "CONTACT_PLAN",
    "DECISION",
    "DUPLICATE",
    "ENQUIRIES",
    "HOME",
    "LEGAL_HOLD",
    "LINK",
    "LONDON",
    "NOTE",
    "ONWARD_REFERRAL",
    "OPEN_PATHS",
    "OUTCOME_NOTICE",
    "PARENTS_TOLD",
    "PERFORMANCE_PATH",
    "QUEUE_PAGE_SIZE",
    "RAG_TAGS",
    "RANGE_FIELDS",
    "REASON_LABELS",
    "REPORT_DEFAULT_DAYS",
    "REPORT_PATH",
    "REPORT_ROLES",
    "SCREENING",
    "SEARCH_PATH",
    "SIGN_IN",
    "STAFF_PREFIX",
    "STATUS_LABELS",
    "TASK",
    "TRANSLATION",
    "TRIAGE_COUNT_LIMIT",
    "TRIAGE_DONE",
    "UNLINK",
    "WITHDRAW_ENQUIRY",
    "ActionForm",
    "Bar",
    "Branches",
    "Perform",
    "Reading",
    "Visit",
    "_page",
    "advice_form",
    "advice_list_page",
    "advice_page",
    "advice_post",
    "advice_referral_form",
    "advice_referral_post",
    "attachment_download",
    "bar_chart",
    "callback",
    "chronology_page",
    "console",
    "console_roles",
    "console_route",
    "is_overdue",
    "landing_page",
    "my_work_page",
    "notice_preview",
    "performance_report_page",
    "referral_href",
    "referral_page",
    "register",
    "report_charts",
    "search_page",
    "search_results",
    "sign_in",
    "sign_out",
    "signed_in_redirect",
    "signed_out",
    "time_left",
    "timeliness_report_page",
    "triage_attach",
    "triage_item",
    "triage_list",
    "triage_reject",
    "undeclared_console_routes",
    "when",
    "work_queue",
]
