"""Save and come back later, and quick exit, on the public form: over HTTP (chalice.test) with AWS under moto.

The rules first (codes and passphrases, no AWS), then the saved-draft store against both of its
implementations, then what a person sees: save on each kind of page, resume, wrong details,
the lock, expiry, the per-client limit, what is stored and logged, CSRF, and "Exit this page".
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from chalice.local import LambdaEventConverter

from chalicelib.adapters.drafts import (
    DynamoDraftStore,
    InMemoryDraftStore,
    ResumeAttempt,
    ResumeLocked,
)
from chalicelib.adapters.envelope import FieldCipher, LocalKeyProvider
from chalicelib.domain import resume_codes
from chalicelib.web.assets import GOV_UK_EXIT_PAGE, INIT_JS
from chalicelib.web.form_resume import london_time
from chalicelib.web.security import CONTENT_SECURITY_POLICY
from tests.conftest import table_items
from tests.test_public_form import (
    CHILD,
    CONCERNS,
    CONSENT,
    FORM,
    PARENT,
    REFERRER,
    Browser,
    csrf_token,
    error_messages,
    fill_support_referral,
    h1,
    summary_links,
    text_of,
)

# A Wednesday in March, before the clocks go forward: seven days later London is on BST.
NOW = dt.datetime(2026, 3, 25, 10, 0, 0, tzinfo=dt.UTC)
PASSPHRASE = "purple kettle morning"
CODE_SHAPE = re.compile(r"\b[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}\b")
WRONG_DETAILS = "The resume code or passphrase is not right. Check both and try again"


# --- the rules: codes and passphrases ----------------------------------------------------------


def test_a_code_is_twelve_unambiguous_symbols_in_groups_of_four_with_sixty_bits() -> None:
    codes = {resume_codes.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(CODE_SHAPE.fullmatch(code) for code in codes)
    assert not set("ILOU") & set("".join(codes))
    assert resume_codes.ENTROPY_BITS == 60
    # Every symbol turns up: the codes use the whole alphabet, not a corner of it.
    assert set("".join(codes).replace("-", "")) == set(resume_codes.ALPHABET)


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("K7QF-3MRW-9XZT", "K7QF3MRW9XZT"),
        ("k7qf 3mrw 9xzt", "K7QF3MRW9XZT"),
        ("  K7QF3MRW9XZT ", "K7QF3MRW9XZT"),
        ("K7QF–3MRW–9XZT", "K7QF3MRW9XZT"),  # en dashes, as a word processor makes them
        ("O0I1-L1AB-CDEF", "00111 1ABCDEF".replace(" ", "")),  # O read as 0; I and L as 1
        ("K7QF-3MRW-9XZ", None),  # too short
        ("K7QF-3MRW-9XZTT", None),  # too long
        ("K7QF-3MRW-9XZU", None),  # U is not in the alphabet
        ("K7QF-3MRW-9XZ!", None),
        ("", None),
    ],
)
def test_a_typed_code_is_read_forgivingly_but_never_loosely(typed: str, canonical: str | None) -> None:
    assert resume_codes.normalise(typed) == canonical


def test_the_table_key_is_a_keyed_hash_of_the_code_and_never_the_code() -> None:
    key = resume_codes.code_key("K7QF-3MRW-9XZT", "secret-one")
    assert key == resume_codes.code_key("k7qf 3mrw 9xzt", "secret-one")
    assert key != resume_codes.code_key("K7QF-3MRW-9XZT", "secret-two")
    assert "K7QF" not in key.upper() and len(key) == 64


@pytest.mark.parametrize(
    ("passphrase", "problem"),
    [
        ("", "Enter a passphrase"),
        ("seven77", "Passphrase must be 8 characters or more"),
        ("eight888", None),
        ("x" * 64, None),
        ("x" * 65, "Passphrase must be 64 characters or fewer"),
        # Issue 16: eight spaces, or zero-width characters, are no passphrase at all.
        ("        ", "Passphrase must include letters, numbers or symbols, not only spaces"),
        ("\u200b" * 8, "Passphrase must include letters, numbers or symbols, not only spaces"),
        (
            "\u3000\u00a0\u2009\u200d\ufeff\u202e  ",
            "Passphrase must include letters, numbers or symbols, not only spaces",
        ),
        ("   a    ", None),  # one visible character is enough: no composition rules
        ("ünïcødé!", None),
        ("żółw żółw", None),
    ],
)
def test_a_passphrase_needs_8_to_64_characters_with_something_visible(passphrase: str, problem: str | None) -> None:
    assert resume_codes.passphrase_problem(passphrase) == problem


def test_a_passphrase_is_kept_as_salted_scrypt_and_checked_in_constant_time() -> None:
    stored = resume_codes.hash_passphrase(PASSPHRASE)
    scheme, log_n, r, p, _salt, _digest = stored.split("$")
    assert (scheme, log_n, r, p) == ("scrypt", "15", "8", "1")
    assert PASSPHRASE not in stored
    assert resume_codes.passphrase_matches(PASSPHRASE, stored)
    assert not resume_codes.passphrase_matches(PASSPHRASE + " ", stored)
    assert not resume_codes.passphrase_matches("Purple kettle morning", stored)
    assert resume_codes.hash_passphrase(PASSPHRASE) != stored  # a fresh salt each time
    # The same passphrase typed with a decomposed accent still matches (NFC).
    accented = resume_codes.hash_passphrase("caf\u00e9 au lait")
    assert resume_codes.passphrase_matches("cafe\u0301 au lait", accented)
    for broken in ("", "scrypt$15$8$1$", "bcrypt$x$y$z$a$b", "scrypt$x$8$1$AAAA$AAAA"):
        assert not resume_codes.passphrase_matches(PASSPHRASE, broken)


def test_times_are_shown_in_london_time_the_govuk_way() -> None:
    assert london_time(NOW) == "10:00am on Wednesday 25 March 2026"
    assert london_time(NOW + dt.timedelta(days=7)) == "11:00am on Wednesday 1 April 2026"  # BST
    assert london_time(dt.datetime(2026, 6, 1, 11, 0, tzinfo=dt.UTC)) == "midday on Monday 1 June 2026"
    assert london_time(dt.datetime(2026, 1, 5, 15, 5, tzinfo=dt.UTC)) == "3:05pm on Monday 5 January 2026"


# --- the saved-draft store: one contract, in memory and in DynamoDB under moto ------------------


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Any:
    clock = lambda: NOW  # noqa: E731
    if request.param == "memory":
        return InMemoryDraftStore(FieldCipher(LocalKeyProvider()), dt.timedelta(minutes=60), clock)
    hub = request.getfixturevalue("aws")
    return DynamoDraftStore(
        hub.aws_client("dynamodb"), hub.settings.table_name, hub.cipher, dt.timedelta(minutes=60), clock
    )


KEY = "a" * 64
ANSWERS = {"route": "support", "referrer": {"name": "Priya Example"}}


def test_a_saved_draft_opens_once_and_a_code_is_never_taken_twice(store: Any) -> None:
    until = NOW + dt.timedelta(days=7)
    assert store.save_for_resume(KEY, ANSWERS, "verifier", until)
    assert not store.save_for_resume(KEY, {"other": True}, "verifier", until)  # taken: make another code
    attempt = store.reserve_attempt(KEY, NOW, 5)
    assert attempt == ResumeAttempt(verifier="verifier", saved_until=int(until.timestamp()), attempts=1)
    assert store.open_saved(KEY) == ANSWERS
    assert store.consume(KEY)
    assert not store.consume(KEY)  # a second request with the same code loses
    assert store.open_saved(KEY) is None
    assert store.reserve_attempt(KEY, NOW, 5) is None


def test_tries_are_counted_before_checking_and_a_lock_starts_the_count_again(store: Any) -> None:
    store.save_for_resume(KEY, ANSWERS, "verifier", NOW + dt.timedelta(days=7))
    assert [store.reserve_attempt(KEY, NOW, 5).attempts for _ in range(5)] == [1, 2, 3, 4, 5]
    # A sixth try racing the fifth's lock is refused, not checked.
    assert isinstance(store.reserve_attempt(KEY, NOW, 5), ResumeLocked)
    until = NOW + dt.timedelta(minutes=60)
    store.lock(KEY, until)
    assert store.reserve_attempt(KEY, NOW + dt.timedelta(minutes=59), 5) == ResumeLocked(until=int(until.timestamp()))
    assert store.reserve_attempt(KEY, until, 5).attempts == 1
    store.reset_tries(KEY)
    assert store.reserve_attempt(KEY, until, 5).attempts == 1
    assert store.reserve_attempt("b" * 64, NOW, 5) is None


# --- over HTTP -------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now

    def move(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock(aws: Any) -> Clock:
    moving = Clock()
    aws.clock = moving  # before any adapter is built: the draft store reads this clock
    return moving


@pytest.fixture
def browser(client: Any, clock: Clock) -> Browser:
    return Browser(client)


def save(browser: Browser, path: str, typed: dict[str, Any]) -> None:
    response = browser.post(path, {**typed, "action": "save"})
    assert (response.status_code, response.headers.get("Location")) == (303, "/referral/save"), error_messages(response)


def set_passphrase(browser: Browser, passphrase: str = PASSPHRASE) -> tuple[str, Any]:
    """Set the passphrase on the save page; the code shown, and the page."""
    response = browser.post("/referral/save", {"passphrase": passphrase})
    assert response.status_code == 200, error_messages(response)
    assert h1(response) == "Your answers have been saved"
    codes = CODE_SHAPE.findall(text_of(response))
    assert len(set(codes)) == 1
    return codes[0], response


def resume(client: Any, code: str, passphrase: str = PASSPHRASE) -> tuple[Browser, Any]:
    """Continue a saved referral from a fresh browser (another day, maybe another device)."""
    fresh = Browser(client)
    return fresh, fresh.post("/referral/resume", {"resume_code": code, "passphrase": passphrase})


def to_about_you(browser: Browser) -> None:
    browser.get("/referral/immediate-risk")
    browser.answer("/referral/immediate-risk", {"immediate_risk": "no"})
    browser.answer("/referral/route", {"route": "support"})


def to_child(browser: Browser) -> None:
    to_about_you(browser)
    browser.answer("/referral/about-you", REFERRER)


def to_parents(browser: Browser) -> None:
    to_child(browser)
    browser.answer("/referral/child/1", CHILD)
    browser.answer("/referral/children", {"add_another": "no"})


def to_concerns(browser: Browser) -> None:
    to_parents(browser)
    browser.answer("/referral/parents", {"add_another": "yes"})
    browser.answer("/referral/parent/1", PARENT)
    browser.answer("/referral/parents", {"add_another": "no"})
    browser.answer("/referral/household", {"add_another": "no"})
    browser.answer("/referral/risks", {"add_another": "no"})


def to_consent(browser: Browser) -> None:
    to_concerns(browser)
    browser.answer("/referral/concerns", CONCERNS)


# Each kind of page, reached as a person would, with something typed but not finished (so the
# page itself would refuse it with errors), and what must be shown again after resuming.
UNFINISHED = {
    "radios": (lambda b: b.get("/referral/immediate-risk"), "/referral/immediate-risk", {}, []),
    "text inputs and a select": (
        to_about_you,
        "/referral/about-you",
        {"kind": "professional", "name": "Priya Example", "agency": "education", "email": "priya.example@"},
        ['value="Priya Example"', 'value="priya.example@"', 'value="education" selected'],
    ),
    "a date and an address": (
        to_child,
        "/referral/child/1",
        {"first_name": "Sam", "born": "yes", "date_of_birth-day": "14", "date_of_birth-month": "3",
         "address-line1": "1 Example Road"},
        ['value="Sam"', 'value="14"', 'value="1 Example Road"'],
    ),
    "another item of a list": (
        to_concerns,
        "/referral/parent/2",
        {"name": "Jamie Testcarer", "relationship": "step-father"},
        ['value="Jamie Testcarer"', 'value="step-father"'],
    ),
    "checkboxes and long text": (
        to_consent,
        "/referral/concerns",
        {"categories": ["neglect", "emotional_abuse"], "description": "Sam has arrived hungry most mornings."},
        ['value="neglect" checked', 'value="emotional_abuse" checked', "Sam has arrived hungry most mornings."],
    ),
}  # fmt: skip


@pytest.mark.parametrize("kind", UNFINISHED)
def test_saving_an_unfinished_page_keeps_what_was_typed_and_resuming_opens_it_again(
    browser: Browser, client: Any, kind: str
) -> None:
    reach, path, typed, shown = UNFINISHED[kind]
    if path == "/referral/concerns":
        reach(browser)
        browser.answer("/referral/consent", CONSENT)  # all done but for the page being changed
        browser.get("/referral/check")
    else:
        reach(browser)
    if path == "/referral/parent/2":
        browser.post("/referral/parents", {"add_another": "yes"})
    save(browser, path, typed)
    page = browser.get("/referral/save")
    assert h1(page) == "Save your answers and come back later"
    assert error_messages(page) == []  # a save shows no errors
    code, _ = set_passphrase(browser)

    fresh, resumed = resume(client, code)
    landing = "/referral/immediate-risk" if not typed else path
    assert (resumed.status_code, resumed.headers["Location"]) == (303, landing)
    again = fresh.get(landing)
    assert error_messages(again) == []
    body = again.body.decode()
    for html in shown:
        assert html in body, html


def test_a_finished_page_saved_is_stored_as_an_answer_and_resuming_opens_the_first_gap(
    browser: Browser, client: Any
) -> None:
    to_about_you(browser)
    save(browser, "/referral/about-you", REFERRER)
    code, _ = set_passphrase(browser)
    fresh, resumed = resume(client, code)
    assert resumed.headers["Location"] == "/referral/child/1"
    assert 'value="Priya Example"' in fresh.get("/referral/about-you").body.decode()


@pytest.mark.parametrize("summary", ["/referral/children", "/referral/parents"])
def test_the_list_pages_can_be_saved_too(browser: Browser, client: Any, summary: str) -> None:
    to_parents(browser)
    save(browser, summary, {})
    code, _ = set_passphrase(browser)
    _, resumed = resume(client, code)
    assert resumed.headers["Location"] == "/referral/parents"  # the first page still to answer


def test_a_whole_referral_resumed_opens_check_answers_and_can_be_sent(browser: Browser, client: Any, aws: Any) -> None:
    fill_support_referral(browser)
    save(browser, "/referral/consent", CONSENT)
    code, _ = set_passphrase(browser)
    fresh, resumed = resume(client, code)
    assert resumed.headers["Location"] == "/referral/check"
    check = fresh.get("/referral/check")
    assert "Sam Testchild" in text_of(check)
    sent = fresh.post("/referral/check", {})
    assert sent.headers["Location"] == "/referral/confirmation"
    assert [item for item in table_items(aws) if item["sk"]["S"] == "REFERRAL"]


def test_every_question_page_has_the_save_button_and_the_remove_question_does_not(browser: Browser) -> None:
    fill_support_referral(browser)
    browser.get("/referral/check")
    button = 'value="save" name="action"'
    for path in ("/referral/immediate-risk", "/referral/route", "/referral/about-you", "/referral/child/1",
                 "/referral/children", "/referral/parent/1", "/referral/parents", "/referral/concerns",
                 "/referral/consent"):  # fmt: skip
        body = browser.get(path).body.decode()
        assert button in body, path
        # Continue comes first in the form, so Enter in a field continues.
        assert body.index("Continue\n</button>") < body.index(button), path
    assert button not in browser.get("/referral/child/2/remove").body.decode()
    assert button not in browser.get("/referral/check").body.decode()


def test_the_saved_page_shows_the_code_once_with_its_expiry_in_london_time_and_advice(
    browser: Browser, aws: Any
) -> None:
    to_child(browser)
    session_id = browser.cookies["mash_session"]
    save(browser, "/referral/child/1", {"first_name": "Sam"})
    code, page = set_passphrase(browser)
    shown = text_of(page)
    assert "11:00am on Wednesday 1 April 2026" in shown  # 7 days on, in BST
    assert "Do not write your passphrase next to the code" in shown
    assert "We have not sent it to you by email" in shown
    assert " ".join(code[:4]) in shown  # spelled out for screen readers
    assert page.headers["Cache-Control"] == "no-store"
    # The session is over: its draft is gone and the browser's cookie cleared.
    assert aws.drafts.load(session_id) is None
    assert browser.cookies["mash_session"] == ""
    assert h1(browser.get("/referral/child/1")) == "Your session has ended"


def test_a_passphrase_outside_8_to_64_characters_is_refused_and_never_shown_back(browser: Browser, aws: Any) -> None:
    to_about_you(browser)
    save(browser, "/referral/about-you", {"name": "Priya Example"})
    for passphrase, message in (("", "Enter a passphrase"), ("short", "Passphrase must be 8 characters or more"),
                                ("x" * 65, "Passphrase must be 64 characters or fewer")):  # fmt: skip
        response = browser.post("/referral/save", {"passphrase": passphrase})
        assert error_messages(response) == [message]
        assert summary_links(response) == [(message, "#passphrase")]
        if passphrase:
            assert passphrase not in response.body.decode()
    assert not [item for item in table_items(aws) if item["pk"]["S"].startswith("RESUME#")]


def test_resuming_uses_the_code_up_and_a_new_save_gives_a_new_code(browser: Browser, client: Any) -> None:
    to_child(browser)
    save(browser, "/referral/child/1", {"first_name": "Sam"})
    first, _ = set_passphrase(browser)
    fresh, resumed = resume(client, first)
    assert resumed.status_code == 303
    _, again = resume(client, first)
    assert error_messages(again) == [WRONG_DETAILS, WRONG_DETAILS]
    save(fresh, "/referral/child/1", {"first_name": "Sam", "last_name": "Testchild"})
    second, _ = set_passphrase(fresh)
    assert second != first
    assert resume(client, second)[1].status_code == 303


def test_a_wrong_passphrase_and_a_wrong_code_get_the_same_words(browser: Browser, client: Any) -> None:
    to_child(browser)
    save(browser, "/referral/child/1", {"first_name": "Sam"})
    code, _ = set_passphrase(browser)
    other = "0000-0000-0000" if code != "0000-0000-0000" else "1111-1111-1111"
    _, wrong_passphrase = resume(client, code, "not the passphrase")
    _, wrong_code = resume(client, other)
    for response in (wrong_passphrase, wrong_code):
        assert response.status_code == 200
        assert h1(response) == "Continue a saved referral"
        assert error_messages(response) == [WRONG_DETAILS, WRONG_DETAILS]
        assert summary_links(response) == [(WRONG_DETAILS, "#resume_code")]
        assert "not the passphrase" not in response.body.decode()
    # And the right details still work afterwards.
    assert resume(client, code)[1].status_code == 303


def test_a_code_that_cannot_be_one_is_told_so_without_counting_as_a_try(browser: Browser, client: Any) -> None:
    fresh = Browser(client)
    response = fresh.post("/referral/resume", {"resume_code": "K7QF-3MRW", "passphrase": ""})
    assert error_messages(response) == [
        "Enter the resume code as you were given it: 12 letters and numbers, like K7QF-3MRW-9XZT",
        "Enter your passphrase",
    ]
    assert error_messages(fresh.post("/referral/resume", {"resume_code": "", "passphrase": "x"})) == [
        "Enter your resume code"
    ]


def test_five_wrong_passphrases_lock_the_saved_draft_for_an_hour(browser: Browser, client: Any, clock: Clock) -> None:
    to_child(browser)
    save(browser, "/referral/child/1", {"first_name": "Sam"})
    code, _ = set_passphrase(browser)
    for _ in range(4):
        assert error_messages(resume(client, code, "wrong passphrase")[1]) == [WRONG_DETAILS, WRONG_DETAILS]
    locked = resume(client, code, "wrong passphrase")[1]
    assert h1(locked) == "This saved referral is locked"
    assert "entered wrongly 5 times" in text_of(locked)
    assert "11:00am on Wednesday 25 March 2026" in text_of(locked)  # an hour on, London time (GMT)
    # Locked means locked: the right passphrase is refused too, and says so.
    assert h1(resume(client, code)[1]) == "This saved referral is locked"
    clock.move(minutes=59)
    assert h1(resume(client, code)[1]) == "This saved referral is locked"
    clock.move(minutes=1)
    assert resume(client, code)[1].status_code == 303


def test_an_expired_code_gets_a_page_that_says_so_and_how_long_drafts_are_kept(
    browser: Browser, client: Any, clock: Clock
) -> None:
    to_child(browser)
    save(browser, "/referral/child/1", {"first_name": "Sam"})
    code, _ = set_passphrase(browser)
    clock.move(days=7)
    expired = resume(client, code)[1]
    assert h1(expired) == "This saved referral has expired"
    assert "We keep saved referrals for 7 days" in text_of(expired)
    # Only someone with the passphrase learns the code existed.
    assert error_messages(resume(client, code, "wrong passphrase")[1]) == [WRONG_DETAILS, WRONG_DETAILS]
    # Coming back to look again, with the right passphrase, is not guessing: it never locks.
    for _ in range(6):
        assert h1(resume(client, code)[1]) == "This saved referral has expired"


def test_tries_are_limited_per_client(browser: Browser, client: Any, monkeypatch: pytest.MonkeyPatch, aws: Any) -> None:
    limit = aws.settings.rate_limit_resume_requests
    assert limit == 10
    monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", "198.51.100.7")
    for number in range(limit):
        assert resume(client, f"0000-0000-{number:04d}")[1].status_code == 200
    refused = resume(client, "0000-0000-0099")[1]
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert h1(refused) == "Too many tries to continue a saved referral"
    # Another client is not held up by this one.
    monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", "198.51.100.8")
    assert resume(client, "0000-0000-0099")[1].status_code == 200


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[[], str]]:
    hub_logger = logging.getLogger("mash-hub")
    hub_logger.addHandler(caplog.handler)
    with caplog.at_level(logging.INFO):
        yield lambda: capsys.readouterr().out + "\n".join(json.dumps(vars(r), default=str) for r in caplog.records)
    hub_logger.removeHandler(caplog.handler)


def test_the_code_and_passphrase_appear_nowhere_in_clear(
    browser: Browser, client: Any, aws: Any, logs: Callable[[], str]
) -> None:
    to_child(browser)
    save(browser, "/referral/child/1", {"first_name": "Sam", "last_name": "Testchild"})
    code, _ = set_passphrase(browser)
    resume(client, code, "a wrong passphrase")
    fresh, resumed = resume(client, code)
    assert resumed.status_code == 303
    save(fresh, "/referral/child/1", {"first_name": "Sam", "last_name": "Testchild"})
    set_passphrase(fresh, "another passphrase")

    canonical = resume_codes.normalise(code)
    secrets = [code, canonical, PASSPHRASE, "a wrong passphrase", "another passphrase", "Testchild"]
    table = json.dumps(table_items(aws), default=lambda blob: blob.hex() if isinstance(blob, bytes) else str(blob))
    output = logs()
    urls = " ".join(browser.locations + fresh.locations)
    for secret in secrets:
        assert secret not in table, secret
        assert secret.encode().hex() not in table, secret
        assert secret not in output, secret
        assert secret not in urls, secret
    assert "form draft saved for later" in output and "form draft resumed" in output


def test_saved_drafts_are_sealed_and_expire_by_ttl(browser: Browser, aws: Any) -> None:
    to_child(browser)
    save(browser, "/referral/child/1", {"first_name": "Sam"})
    set_passphrase(browser)
    items = [item for item in table_items(aws) if item["pk"]["S"].startswith("RESUME#")]
    by_kind = {item["sk"]["S"]: item for item in items}
    assert set(by_kind) == {"SAVED", "CODE"}
    week = int((NOW + dt.timedelta(days=7)).timestamp())
    assert int(by_kind["SAVED"]["expires_at"]["N"]) == week
    assert int(by_kind["CODE"]["saved_until"]["N"]) == week
    assert int(by_kind["CODE"]["expires_at"]["N"]) == week + 30 * 86400  # only says "expired" after
    assert set(by_kind["CODE"]) == {"pk", "sk", "verifier", "attempts", "locked_until", "saved_until", "expires_at"}
    assert by_kind["CODE"]["verifier"]["S"].startswith("scrypt$15$8$1$")
    assert not [item for item in table_items(aws) if item["sk"]["S"] == "DRAFT"]  # the session's is gone


NEW_POSTS = ["/referral/save", "/referral/resume", "/referral/exit"]


@pytest.mark.parametrize("path", NEW_POSTS)
def test_every_new_post_needs_the_sessions_csrf_token(browser: Browser, aws: Any, path: str) -> None:
    to_child(browser)
    save(browser, "/referral/child/1", {"first_name": "Sam"})
    before = sorted(
        json.dumps(item, default=str) for item in table_items(aws) if not item["pk"]["S"].startswith("RATE#")
    )
    fields = {"passphrase": PASSPHRASE, "resume_code": "0000-0000-0000"}
    for token in (None, "", "0" * 64, browser.cookies["mash_session"]):
        body = urlencode({**fields, **({"csrf_token": token} if token is not None else {})})
        response = browser.client.http.post(path, body=body, headers=browser._headers({"content-type": FORM}))
        assert response.status_code == 400
        assert "did not come from this service" in response.body.decode()
    after = sorted(
        json.dumps(item, default=str) for item in table_items(aws) if not item["pk"]["S"].startswith("RATE#")
    )
    assert after == before


# --- quick exit ------------------------------------------------------------------------------


def exit_link(response: Any) -> str | None:
    match = re.search(r'<a href="([^"]+)"[^>]*class="[^"]*govuk-exit-this-page__button', response.body.decode())
    return match.group(1) if match else None


def test_every_public_page_has_exit_this_page_to_the_neutral_site(browser: Browser, client: Any) -> None:
    pages = {path: browser.get(path) for path in ("/", "/referral/resume")}
    fill_support_referral(browser)
    for path in ("/referral/immediate-risk", "/referral/call-now", "/referral/about-you", "/referral/child/1",
                 "/referral/children", "/referral/consent", "/referral/check", "/referral/child/1/remove"):  # fmt: skip
        pages[path] = browser.get(path)
    save(browser, "/referral/consent", CONSENT)
    pages["/referral/save"] = browser.get("/referral/save")
    _, pages["saved"] = set_passphrase(browser)
    sender = Browser(client)
    fill_support_referral(sender)
    sender.post("/referral/check", {})
    pages["/referral/confirmation"] = sender.get("/referral/confirmation")
    pages["not found"] = browser.get("/referral/child/99")
    pages["expired"] = browser.get("/referral/concerns")
    assert {name: exit_link(page) for name, page in pages.items()} == {
        name: "https://www.bbc.co.uk/weather" for name in pages
    }
    # Without JavaScript it is a plain link that tells the neutral site nothing about this one.
    assert 'rel="nofollow noreferrer"' in pages["/"].body.decode()


def test_the_neutral_site_is_a_setting(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib import wiring

    monkeypatch.setenv("MASH_EXIT_PAGE_URL", "https://weather.example/today")
    wiring.reset()
    assert exit_link(client.http.get("/")) == "https://weather.example/today"


def test_form_pages_carry_the_token_that_lets_exit_end_the_session(browser: Browser) -> None:
    assert "data-exit-token" not in browser.get("/").body.decode()  # no session, nothing to end
    page = browser.get("/referral/immediate-risk")
    token = re.search(r'data-exit-token="([^"]+)"', page.body.decode()).group(1)
    assert token == csrf_token(page)


def test_exit_ends_the_form_session_so_back_finds_no_answers(browser: Browser, aws: Any) -> None:
    to_child(browser)
    session_id = browser.cookies["mash_session"]
    token = csrf_token(browser.get("/referral/about-you"))
    # What init.js's beacon sends (URLSearchParams: urlencoded, with a charset).
    response = browser.client.http.post(
        "/referral/exit",
        body=urlencode({"csrf_token": token}),
        headers=browser._headers({"content-type": "application/x-www-form-urlencoded;charset=UTF-8"}),
    )
    assert response.status_code == 200
    assert aws.drafts.load(session_id) is None
    assert response.headers["Set-Cookie"] == ["mash_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"]
    browser.cookies["mash_session"] = session_id  # even a browser that ignored the cleared cookie
    assert h1(browser.get("/referral/about-you")) == "Your session has ended"


def test_exit_without_a_session_does_nothing(client: Any, aws: Any) -> None:
    response = client.http.post("/referral/exit", body="csrf_token=x", headers={"content-type": FORM})
    assert (response.status_code, h1(response)) == (200, "Your form session has ended")
    assert "Set-Cookie" not in response.headers


def test_init_js_leaves_with_location_replace_and_the_component_it_changes_is_as_expected(client: Any) -> None:
    served = client.http.get("/assets/init.js").body.decode()
    assert served == INIT_JS
    assert "createAll(ExitThisPageReplacingHistory)" in served
    assert "window.location.replace(this.$button.href)" in served
    assert 'navigator.sendBeacon("/referral/exit"' in served
    # The copy in init.js is of this exitPage: if GOV.UK Frontend changes it, look at the copy again.
    bundle = client.http.get("/assets/govuk-frontend.min.js").body.decode()
    assert GOV_UK_EXIT_PAGE in bundle
    assert "ExitThisPage," in bundle  # exported by the bundle init.js imports from
    # The keys the README names: Shift, 3 presses (within 5 seconds); Escape is not one of them.
    assert '"Shift"!==t.key' in bundle and "this.keypressCounter>=3" in bundle and "timeoutTime=5e3" in bundle


def test_the_csp_stays_strict_with_exit_this_page() -> None:
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert "connect-src 'self'" in CONTENT_SECURITY_POLICY  # the beacon goes to this site only


def test_what_is_typed_as_a_code_or_passphrase_is_inert_when_shown_back(client: Any, aws: Any) -> None:
    from tests.security.test_xss import EVIDENCE_OF_ESCAPING, PAYLOAD, live_payloads

    fresh = Browser(client)
    response = fresh.post("/referral/resume", {"resume_code": PAYLOAD, "passphrase": PAYLOAD})
    body = response.body.decode()
    assert error_messages(response)[0].startswith("Enter the resume code as you were given it")
    assert live_payloads(body) == []
    assert EVIDENCE_OF_ESCAPING in body  # the code box shows what was typed, escaped
    assert body.count(EVIDENCE_OF_ESCAPING) == 1  # and the passphrase is never shown back


def test_saving_twice_says_the_answers_may_be_saved_already_and_shows_no_second_code(
    browser: Browser, aws: Any
) -> None:
    to_about_you(browser)
    session_id = browser.cookies["mash_session"]
    save(browser, "/referral/about-you", {"name": "Priya Example"})
    token = csrf_token(browser.get("/referral/save"))
    set_passphrase(browser)
    # A refresh of the code page re-sends the POST, now without the session's cookie.
    again = browser.post("/referral/save", {"passphrase": PASSPHRASE}, token=token)
    assert (again.status_code, h1(again)) == (200, "There are no answers to save")
    assert "we show a code only once" in text_of(again)
    assert not CODE_SHAPE.search(text_of(again))
    # A double click: the second request still carries the cookie, but the draft has gone.
    browser.cookies["mash_session"] = session_id
    assert h1(browser.post("/referral/save", {"passphrase": PASSPHRASE}, token=token)) == "There are no answers to save"
    assert len([item for item in table_items(aws) if item["sk"]["S"] == "CODE"]) == 1
