"""Names of the queues the handlers read, as Chalice needs them at import (`on_sqs_message(queue=...)`).

deploy/names.py builds the deployed resources from these, so the code and the template agree.
"""

from __future__ import annotations

from chalicelib.domain.agencies import AgencyId

PREFIX = "mash-hub"
INBOUND_MAIL_QUEUE = f"{PREFIX}-inbound-mail"
INBOUND_MAIL_FUNCTION = "inbound_mail"
# SES sending events: the configuration set publishes them to a topic (deploy/names.py
# MAIL_EVENTS_TOPIC), which delivers each raw to this queue for the `ses_events` handler.
MAIL_EVENTS_QUEUE = f"{PREFIX}-mail-events"
# Documents a referrer adds: the uploads bucket notifies this queue of each new object under uploads/.
UPLOADS_QUEUE = f"{PREFIX}-uploads"
UPLOADS_FUNCTION = "uploads"
# A message a handler fails this many times goes to its queue's dead-letter queue (every queue's
# redrive policy, deploy/template.py); the export handler gives up on its last receive.
MAX_RECEIVES_BEFORE_DLQ = 5
# Exports to the case-management system: the outbox sweep publishes each to the export topic
# (deploy/names.py EXPORT_TOPIC), which delivers it raw to this queue for the `case_exports` function.
EXPORTS_QUEUE = f"{PREFIX}-case-exports"
EXPORTS_FUNCTION = "case_exports"


def agency_queue(agency: AgencyId) -> str:
    """One queue per agency, subscribed to the enquiry topic with a filter on the agency attribute:
    a broken mailbox or a throttled agency holds up only its own requests."""
    return f"{PREFIX}-agency-requests-{agency.slug}"


def agency_function(agency: AgencyId) -> str:
    return f"agency_requests_{agency.value}"
