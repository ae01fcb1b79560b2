"""The one mapping from a domain refusal to the staff API's HTTP answer: the status and a message a person can act on.

Every /admin/ route runs its work through `answer_with`, and so does the console (the same message on both);
an AWS failure ends in `errors.unavailable`, the answer every JSON edge gives.
"""

from __future__ import annotations

from collections.abc import Callable

from chalice import Response

from chalicelib.domain.audit import AccessReason
from chalicelib.web.admin.common import (
    NOT_FOUND,
    NOTICE_NOT_FOUND,
)
from chalicelib.web.errors import problem, unavailable
from chalicelib.web.json_body import BodyRefused


def answer_with(work: Callable[[], Response]) -> Response:
    """Run a route's work; map each domain refusal to the status and message a person can act on."""
    from chalicelib.domain.advice_contacts import AdviceNotFound, AdviceProblem
    from chalicelib.domain.agency_replies import TriageAlreadyDecided, TriageNotFound, TriageRefused
    from chalicelib.domain.allocation import NotStaff
    from chalicelib.domain.audit import ReasonRequired
    from chalicelib.domain.consent import ConsentProblem
    from chalicelib.domain.contact_plan import ContactPlanProblem, ContactRefused
    from chalicelib.domain.decision import NotAllowed
    from chalicelib.domain.enquiries import AgencyNotConfigured, EnquiryRefused
    from chalicelib.domain.failures import AwsError, InvalidCursor, ReferralNotFound, StaleReferral
    from chalicelib.domain.lifecycle import IllegalTransition
    from chalicelib.domain.onward_referral import OnwardReferralProblem, OnwardReferralRefused
    from chalicelib.domain.out_of_hours import HandoverRefused
    from chalicelib.domain.outcome_notices import OutcomeNoticeProblem
    from chalicelib.domain.referral_links import LinkProblem, LinkRefused
    from chalicelib.domain.referral_record import ReferralClosed
    from chalicelib.domain.reply_display import ReplyNotOnReferral
    from chalicelib.domain.search_terms import SearchRefused
    from chalicelib.domain.translations import NotHeld, TranslationProblem
    from chalicelib.services.search_referrals import SearchRateLimited
    from chalicelib.services.tell_outcome import NoticeNotFound
    from chalicelib.web.admin.case_work_refusals import CASE_WORK_REFUSALS, case_work_problem

    try:
        return work()
    except BodyRefused as refused:
        return refused.response
    except CASE_WORK_REFUSALS as refused:  # tasks and case notes (admin/case_work_refusals.py)
        return case_work_problem(refused)
    except ReferralNotFound:
        return problem(404, "not_found", NOT_FOUND)
    except ReferralClosed as closed:
        return problem(409, "referral_closed", str(closed))
    except IllegalTransition as illegal:
        return problem(409, "not_allowed_now", str(illegal))
    except NotAllowed as refused:
        return problem(403, "not_allowed", str(refused))
    except NotStaff as not_staff:
        return problem(422, "not_staff", str(not_staff))
    except ConsentProblem as problem_found:
        return problem(422, "consent_incomplete", str(problem_found))
    except ContactPlanProblem as problem_found:
        return problem(422, "contact_plan_incomplete", str(problem_found))
    except ContactRefused as refused:
        return problem(409, "contact_plan_forbids", str(refused))
    except OutcomeNoticeProblem as refused:
        return problem(422, "outcome_notice_refused", str(refused))
    except NotHeld as refused:
        return problem(409, "not_held", str(refused))
    except TranslationProblem as incomplete:
        return problem(422, "release_incomplete", str(incomplete))
    except NoticeNotFound:
        return problem(404, "notice_not_found", NOTICE_NOT_FOUND)
    except ReplyNotOnReferral:
        return problem(404, "reply_not_found", "This referral has no agency reply with that id: check the reply_id")
    except TriageNotFound as missing:
        return problem(404, "triage_not_found", str(missing))
    except (TriageAlreadyDecided, TriageRefused) as refused:
        return problem(409, "not_allowed_now", str(refused))
    except EnquiryRefused as refused:
        return problem(409, "not_allowed_now", str(refused))
    except AgencyNotConfigured as missing:
        return problem(422, "agency_not_configured", str(missing))
    except OnwardReferralRefused as refused:
        return problem(409, "not_allowed_now", str(refused))
    except OnwardReferralProblem as problem_found:
        return problem(422, "onward_referral_incomplete", str(problem_found))
    except HandoverRefused as refused:
        return problem(409, "not_alerted", str(refused))
    except ReasonRequired:
        reasons = ", ".join(reason.value for reason in AccessReason)
        return problem(
            422,
            "reason_required",
            f"This referral is closed: say why you are opening it, with ?reason= one of: {reasons}",
        )
    except AdviceProblem as problem_found:
        return problem(422, "advice_incomplete", str(problem_found))
    except AdviceNotFound:
        return problem(404, "advice_not_found", "No advice call has that id: take it from the list of advice calls")
    except LinkProblem as problem_found:
        return problem(422, "link_refused", str(problem_found))
    except LinkRefused as refused:
        return problem(409, "not_allowed_now", str(refused))
    except SearchRefused as refused:
        return problem(422, refused.code, refused.message)
    except SearchRateLimited as limited:
        return problem(
            429,
            "too_many_searches",
            f"You have searched many times in a few minutes: wait {limited.retry_after} seconds, then search again",
            headers={"Retry-After": str(limited.retry_after)},
        )
    except InvalidCursor as invalid:
        return problem(422, "invalid_cursor", f"The cursor is not valid: {invalid}")
    except StaleReferral:
        return problem(409, "changed_meanwhile", "Someone else changed this referral just now: reload it and try again")
    except AwsError:
        return unavailable("The hub could not do this just now and nothing was changed: try again in a minute")
