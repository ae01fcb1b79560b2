"""One handler per agency queue: each message names an enquiry; the handler emails the request.

The topic's filter policies put each agency's messages on its own queue; the handler is the same
code for every agency (Chalice makes one function per queue).
"""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.domain.agencies import AgencyId
from chalicelib.events.batch import each_message
from chalicelib.events.queues import agency_function, agency_queue

agency_requests_events = Blueprint(__name__)


def _handle(record: object) -> None:
    from chalicelib.services.agency_requests import send_request_from_message

    send_request_from_message(record.body)  # type: ignore[attr-defined]


def _register(agency: AgencyId) -> None:
    name = agency_function(agency)

    def handler(event: object) -> dict[str, list]:
        return each_message(event, _handle, handler=name)  # type: ignore[arg-type]

    handler.__name__ = name
    agency_requests_events.on_sqs_message(queue=agency_queue(agency), batch_size=5, name=name)(handler)


for _agency in AgencyId:
    _register(_agency)
