"""hypothesis over search (issue 13): whatever is typed, in the staff API's query or the console's
form, the answer is a result list or a refusal saying what to add, never a 5xx, and no refusal
echoes what was typed. (The OpenAPI run in test_api_fuzz also generates GET /admin/search.)

Terms are names from several scripts, control and bidi characters, lone surrogates' neighbours,
huge values, dates and postcodes nearly right. Deterministic: derandomized, no example database.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.fuzz.conftest import fuzz_examples
from tests.fuzz.tally import tally
from tests.test_console import Browser
from tests.test_staff_api import example_with_child

THURSDAY_10AM = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
FIELDS = ("name", "dob", "postcode", "reference")
# Long enough to be recognised if echoed; short ones (a letter, "20") occur in any message.
ECHO_CHECKED_FROM = 8

nearly = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.sampled_from(["Łukasiewicz", "O'Brien", "Smith-Jones", "Nguyễn", "İbrahim", "\u202eevil", "a\x00b", " "]),
    st.sampled_from(["2019-03", "2019-3", "2019", "14/3/2019", "31/02/2019", "2019-13", "0000-00-00", "9" * 40]),
    st.sampled_from(["E17 1AA", "e171aa", "E17", "ZZ99 9ZZ", "K7Q-F3M-RW9", "k7qf3mrw9", "K7Q-F3M-RW"]),
)
queries = st.dictionaries(st.sampled_from(FIELDS), nearly, max_size=4)


@pytest.fixture
def seeded(client: Any, aws: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(aws, "clock", lambda: THURSDAY_10AM)
    aws.settings = aws.settings.model_copy(update={"rate_limit_search_requests": 0})
    body = json.dumps(example_with_child("Oliwia", "Łukasiewicz", "2019-03-14"))
    assert (
        client.http.post("/api/referrals", headers={"Content-Type": "application/json"}, body=body).status_code == 201
    )
    return client


def _not_echoed(query: dict[str, str], text: str) -> bool:
    return not [value for value in query.values() if len(value.strip()) >= ECHO_CHECKED_FROM and value in text]


def _settings() -> Any:
    return settings(
        max_examples=fuzz_examples(),
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )


def test_any_search_through_the_api_is_results_or_a_refusal(seeded: Any, issuer: Any) -> None:
    counts = tally("search (staff API and console)")
    headers = {"Authorization": f"Bearer {issuer.token_for('practitioner')}"}

    @_settings()
    @given(query=queries)
    def send(query: dict[str, str]) -> None:
        path = "/admin/search?" + urllib.parse.urlencode(query, encoding="utf-8", errors="surrogatepass")
        response = seeded.http.get(path, headers=headers)
        counts.count(response.status_code)
        assert response.status_code in (200, 400, 422), (query, response.status_code)
        answer = json.loads(response.body)
        if response.status_code == 200:
            assert set(answer) == {"referrals", "more"}
        else:
            assert answer["message"] and _not_echoed(query, response.body.decode())

    send()


def test_any_search_through_the_console_is_a_page(seeded: Any, aws: Any) -> None:
    counts = tally("search (staff API and console)")
    person = Browser(seeded).sign_in("practitioner")
    person.get("/staff/search")
    token = person.csrf()

    @_settings()
    @given(query=queries)
    def send(query: dict[str, str]) -> None:
        response = person.post("/staff/search", {**query}, csrf=token)
        counts.count(response.status_code)
        assert response.status_code in (200, 400, 413), (query, response.status_code)
        assert response.headers["Content-Type"].startswith("text/html")
        if response.status_code == 400:
            summary = response.body.decode().split('class="govuk-error-summary__list">')[-1].split("</ul>")[0]
            assert _not_echoed(query, summary)

    send()
