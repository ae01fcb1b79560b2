"""MASH referral hub: wiring only. Routes live in chalicelib/web, event handlers in chalicelib/events."""

from chalice import Chalice

from chalicelib.events.agency_requests import agency_requests_events
from chalicelib.events.case_exports import case_exports_events
from chalicelib.events.inbound_mail import inbound_mail_events
from chalicelib.events.outbox import outbox_events
from chalicelib.events.retention import retention_events
from chalicelib.events.ses_events import ses_events
from chalicelib.events.uploads import uploads_events
from chalicelib.settings import get_settings
from chalicelib.web import console_out_of_hours  # noqa: F401 - its form joins the console before registering
from chalicelib.web.admin import admin
from chalicelib.web.admin_enquiries import admin_enquiries
from chalicelib.web.admin_out_of_hours import admin_out_of_hours
from chalicelib.web.admin_reports import admin_reports
from chalicelib.web.api import api
from chalicelib.web.assets import assets
from chalicelib.web.auth import staff_auth
from chalicelib.web.console import console
from chalicelib.web.governance_pages import governance_pages
from chalicelib.web.not_found import not_found
from chalicelib.web.parent_consent import parent_consent
from chalicelib.web.parent_consent_change import parent_consent_change
from chalicelib.web.public_form import public_form
from chalicelib.web.rate_limit import public_rate_limit
from chalicelib.web.security import security_headers

app = Chalice(app_name="mash-referral-hub")
app.api.binary_types = [*app.api.binary_types, "font/woff2", "font/woff", "image/x-icon"]

app.register_middleware(security_headers, "http")
app.register_middleware(public_rate_limit, "http")  # after the headers: a 429 gets them too
app.register_blueprint(api)
app.register_blueprint(public_form)
app.register_blueprint(parent_consent)  # the parent's answer to a consent request
app.register_blueprint(parent_consent_change)  # the parent changes that answer by the same link
app.register_blueprint(governance_pages)  # the privacy notice, accessibility statement and cookies page
app.register_blueprint(assets)
app.register_blueprint(outbox_events)
app.register_blueprint(retention_events)
app.register_blueprint(ses_events)
app.register_blueprint(agency_requests_events)  # one handler per agency queue: the request emails
app.register_blueprint(inbound_mail_events)  # agency replies, from the inbound bucket's queue
app.register_blueprint(uploads_events)  # documents referrers add, from the uploads bucket's queue
app.register_blueprint(case_exports_events)  # exports to the case-management system, from the export queue
app.register_blueprint(staff_auth)  # the staff token authorizer that admin routes use
app.register_blueprint(admin)
app.register_blueprint(admin_out_of_hours)  # the emergency duty team's handover
app.register_blueprint(console)  # the staff console's pages (/staff/), over the admin API's services
app.register_blueprint(admin_reports)  # figures from clear metadata (timeliness)
app.register_blueprint(admin_enquiries)  # withdrawing an agency enquiry
app.register_blueprint(not_found)  # "Page not found" for any other address (greedy routes)

if get_settings().is_local:
    # Local-only pages (the emulated outbox); the module is never imported in AWS stages.
    from chalicelib.web.local_outbox import local_outbox

    app.register_blueprint(local_outbox)

    # The case system's receiver: the exports dropped for it (README "Export to the case-management system").
    from chalicelib.web.local_exports import local_exports

    app.register_blueprint(local_exports)

    # Sign in to the console as a synthetic staff member (the local issuer): local stage only. It
    # lives in local/ with the issuer it uses: nothing in chalicelib/ imports the local harness.
    from local.console_sign_in import console_local_sign_in

    app.register_blueprint(console_local_sign_in)

    # The local gateway matches greedy routes (`{proxy+}`) as API Gateway does.
    from local.greedy_routes import install as match_greedy_routes

    match_greedy_routes()
