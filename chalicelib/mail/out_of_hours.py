"""The emergency duty team's alert: a protection referral came in out of hours.

It goes to a team mailbox that may be read on a phone, forwarded or kept: so it carries the
reference, the route, the flags the EDT judges urgency by and concern codes, and a link to the
referral in the staff console (where reading it is audited). Never a name, an address, the
concerns text or who referred.
"""

from __future__ import annotations

from email.message import EmailMessage

from chalicelib.domain.notices import Notice
from chalicelib.domain.out_of_hours import alert_facts
from chalicelib.domain.referral_record import Referral
from chalicelib.mail.compose import compose
from chalicelib.settings import Settings


def compose_edt_alert(referral: Referral, notice: Notice, settings: Settings) -> EmailMessage:
    facts = alert_facts(referral)
    context = {
        "facts": facts,
        "console_url": f"{settings.public_url}/staff/referrals/{facts.reference}",
        "council_name": settings.council_name,
        "mash_phone_office_hours": settings.mash_phone_office_hours,
        "mash_office_hours": settings.mash_office_hours,
    }
    return compose(
        "edt_alert",
        sender=settings.mail_sender,
        to=settings.out_of_hours_mailbox,
        mail_domain=settings.mail_domain,
        context=context,
    )
