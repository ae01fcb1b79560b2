"""One referral's enquiries to all eight agencies, in-process on moto: what the fan-out costs.

Opening is one request (the staff API); SNS delivers to the agencies' queues by their filter
policies; each queue's handler sends its request email. The handlers are fed the messages moto's
SQS holds, as Lambda's poller would (the poller's own SQS calls are AWS's, not the app's).
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.aws_meter import counting_aws
from bench.referrals import app_under_moto, examples, submit
from bench.staff_api import practitioner_token


@dataclass(frozen=True)
class FanOut:
    agencies: int
    open_calls: dict[str, int]
    messages_per_queue: dict[str, int]
    send_calls: dict[str, int]
    emails: int


def measure_fan_out() -> FanOut:
    from chalicelib.domain.agencies import AgencyId
    from chalicelib.events.queues import agency_queue
    from chalicelib.services.agency_requests import send_request_from_message

    with tempfile.TemporaryDirectory(prefix="bench-issuer-") as key_dir:
        token, jwks_path = practitioner_token(Path(key_dir))
        with app_under_moto({"MASH_LOCAL_JWKS_PATH": jwks_path}) as (client, hub):
            protection = next(b for b in examples() if json.loads(b)["route"] == "protection")
            reference = submit(client, protection)
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

            def post(path: str, body: dict[str, Any], expected: int) -> Any:
                answer = client.http.post(path, headers=headers, body=json.dumps(body).encode())
                if answer.status_code != expected:
                    raise RuntimeError(f"POST {path} answered {answer.status_code}: {answer.body[:300]!r}")
                return json.loads(answer.body)

            post(f"/admin/referrals/{reference}/screening", {"rag": "red", "level": 4, "rationale": "Injury"}, 200)
            agencies = [agency.value for agency in AgencyId]
            sqs = hub.aws_client("sqs")
            with counting_aws() as tally:
                post(
                    f"/admin/referrals/{reference}/enquiries",
                    {"agencies": agencies, "question": "Any contact with this family in the last year?"},
                    201,
                )
                open_calls = dict(tally.calls)
                tally.reset()
                per_queue: dict[str, int] = {}
                bodies = []
                for agency in AgencyId:
                    url = sqs.get_queue_url(QueueName=agency_queue(agency))["QueueUrl"]
                    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
                    per_queue[agency.value] = len(messages)
                    bodies += [m["Body"] for m in messages]
                tally.reset()  # the poller's reads above are not the app's
                for body in bodies:
                    send_request_from_message(body)
                send_calls = dict(tally.calls)
            emails = Counter(n.kind.value for n in hub.referrals.fetch(reference).notices)["agency_request"]
    return FanOut(len(agencies), open_calls, per_queue, send_calls, emails)
