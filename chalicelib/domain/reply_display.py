"""Which text of an agency's reply a practitioner reads first (issue 15 item 3).

The hub shortens every reply to the agency's own words and keeps the whole email beside it. When
the shortening gets a reply wrong (an answer cut, history left in), a member of staff marks it, and
from then on that reply is shown whole: the whole email is read first, for everyone. The mark is
kept on the referral (who, when, why: the reason sealed) and audited; it can be taken back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class ReplyTextMark:
    reply_id: str
    marked_by: str
    marked_at: dt.datetime
    reason: str  # sealed: may quote the reply


class ReplyNotOnReferral(Exception):
    """No reply with that id is on this referral."""
