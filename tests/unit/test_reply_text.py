"""visible_reply and unflow on their own, one group per category of issue 15 (the corpora cover real-shaped messages;
these pin each rule down on the smallest text that shows it)."""

from __future__ import annotations

import time

import pytest

from bench import reply_parsing
from chalicelib.mail.reply_text import unflow, visible_reply

HUB = "MASH referral hub <requests@mash.example>"
QUOTE = "> Who to search for: Alex Morgan\n> Please reply by 26 November 2026."


# ---------------------------------------------------------------------------------------------------------------------
# Posting styles


def test_top_posting_keeps_the_words_above_the_quote() -> None:
    text = f"No trace.\n\nOn Tue, 24 Nov 2026 at 10:02, {HUB} wrote:\n{QUOTE}\n"
    assert visible_reply(text) == "No trace."


def test_bottom_posting_keeps_the_answer_under_the_quote() -> None:
    text = f"On Tue, 24 Nov 2026 at 10:02, {HUB} wrote:\n{QUOTE}\n\nNo trace on our systems.\n"
    assert visible_reply(text) == "No trace on our systems."


def test_bottom_posting_with_no_attribution() -> None:
    assert visible_reply(f"{QUOTE}\n\nKnown to us since 2024.") == "Known to us since 2024."


def test_inline_answers_are_kept_in_order_one_blank_line_apart() -> None:
    text = (
        f"On Tue, 24 Nov 2026 at 10:02, {HUB} wrote:\n> Who to search for: Alex Morgan\n\nKnown since 2024.\n\n"
        "> Please reply by 26 November 2026.\nRecords attached.\n> Reference K7Q-F3M-RW9\n"
    )
    assert visible_reply(text) == "Known since 2024.\n\nRecords attached."


def test_a_quoted_line_wrapped_without_its_marker_is_not_an_inline_answer() -> None:
    text = f"Fine.\n\nOn Tue, 24 Nov 2026 at 10:02, {HUB} wrote:\n> a very long quoted line that the client\nwrapped here\n> and more\n"
    assert visible_reply(text) == "Fine."


def test_with_a_reply_on_top_an_unquoted_tail_is_a_footer_not_an_answer() -> None:
    text = f"No trace.\n\nOn Tue, 24 Nov 2026 at 10:02, {HUB} wrote:\n{QUOTE}\n\nScanned by MailGuard."
    assert visible_reply(text) == "No trace."


def test_nothing_typed_over_a_quote_is_an_empty_reply() -> None:
    assert visible_reply(f"On Tue, 24 Nov 2026 at 10:02, {HUB} wrote:\n{QUOTE}\n") == ""
    assert visible_reply(f"Sent from my iPhone\n\nOn Tue, 24 Nov 2026 at 10:02, {HUB} wrote:\n{QUOTE}\n") == ""


# ---------------------------------------------------------------------------------------------------------------------
# Attribution lines and header blocks, in the languages agencies' clients write


@pytest.mark.parametrize(
    "attribution",
    [
        f"On Tue, 24 Nov 2026 at 10:02, {HUB} wrote:",
        f"Ar Maw, 24 Tach 2026 am 10:02, {HUB} ysgrifennodd:",
        f"wt., 24 lis 2026 o 10:02 {HUB} napisał(a):",
        f"În mar., 24 nov. 2026 la 10:02, {HUB} a scris:",
        f"2026-11-24, an, 10:02, {HUB} rašė:",
        f"Em ter., 24 de nov. de 2026 às 10:02, {HUB} escreveu:",
        f"El mar, 24 nov 2026 a las 10:02, {HUB} escribió:",
        f"Il giorno mar 24 nov 2026 alle ore 10:02 {HUB} ha scritto:",
        f"Le mar. 24 nov. 2026 à 10:02, {HUB} a écrit :",
        f"Am Di., 24. Nov. 2026 um 10:02 Uhr schrieb {HUB}:",
        f"Op di 24 nov. 2026 om 10:02 schreef {HUB}:",
        f"{HUB}, 24 Kas 2026 Sal, 10:02 tarihinde şunu yazdı:",
        f"вт, 24 нояб. 2026 г. в 10:02, {HUB}:",
        f"24 нояб. 2026 г., в 10:02, {HUB} написал(а):",
        f"вт, 24 лист. 2026 р. о 10:02 {HUB} пише:",
        f"На вт, 24.11.2026 г. в 10:02 ч. {HUB} написа:",
        f"منگل، 24 نومبر، 2026 کو 10:02 {HUB} نے لکھا:",
        f"মঙ্গল, ২৪ নভে, ২০২৬ এ ১০:০২ AM এ {HUB} লিখেছেন:",
        f"في الثلاثاء، 24 نوفمبر 2026 في 10:02 ص، كتب {HUB}:",
        "On Tue, 24 Nov 2026 at 10:02, MASH referral hub <\nrequests@mash.example> wrote:",
        'Am 24.11.2026 10:02 schrieb "MASH" <requests@mash.example\n>:',
    ],
)
def test_attribution_lines_in_every_supported_language(attribution: str) -> None:
    assert visible_reply(f"Not known to us.\n\n{attribution}\n{QUOTE}\n") == "Not known to us."


@pytest.mark.parametrize(
    "header",
    [
        "From: MASH <requests@mash.example>\nSent: 24 November 2026 10:02\nTo: CPU\nSubject: K7Q-F3M-RW9",
        "________________________________\nFrom: MASH\nSent: 24 November 2026 10:02\nSubject: K7Q-F3M-RW9",
        "-----Original Message-----\nFrom: MASH\nSent: 24 November 2026 10:02",
        "*From:* MASH\n*Sent:* 24 November 2026 10:02\n*To:* CPU",
        "Von: MASH\nGesendet: Dienstag, 24. November 2026 10:02\nAn: Jugendamt\nBetreff: K7Q-F3M-RW9",
        "De : MASH\nEnvoyé : mardi 24 novembre 2026 10:02\nÀ : Ecole\nObjet : K7Q-F3M-RW9",
        "Od: MASH\nWysłano: wtorek, 24 listopada 2026 10:02\nDo: Szkoła\nTemat: K7Q-F3M-RW9",
        "De la: MASH\nTrimis: marți, 24 noiembrie 2026 10:02\nCătre: Școala\nSubiect: K7Q-F3M-RW9",
        "Kimden: MASH\nGönderildi: 24 Kasım 2026 Salı 10:02\nKime: Okul\nKonu: K7Q-F3M-RW9",
        "От: MASH\nОтправлено: 24 ноября 2026 г. 10:02\nКому: Школа\nТема: K7Q-F3M-RW9",
        "Oddi wrth: MASH\nAnfonwyd: 24 Tachwedd 2026 10:02\nAt: Ysgol\nPwnc: K7Q-F3M-RW9",
        "Nuo: MASH\nIšsiųsta: 2026 m. lapkričio 24 d. 10:02\nKam: Mokykla\nTema: K7Q-F3M-RW9",
        "من: MASH\nتاريخ الإرسال: 24 نوفمبر 2026 10:02\nإلى: العيادة\nالموضوع: K7Q-F3M-RW9",
    ],
)
def test_header_blocks_in_every_supported_language(header: str) -> None:
    assert visible_reply(f"Not known to us.\n\n{header}\n\nWho to search for: Alex Morgan\n") == "Not known to us."


def test_lines_that_merely_look_like_headers_or_attributions_stay() -> None:
    notes = "Notes:\nDate: 12 Nov\nSubject: attendance\nMum upset."
    assert visible_reply(notes) == notes
    sentence = "As the school wrote on 12 May 2026:\nAlex was absent."
    assert visible_reply(sentence) == sentence
    assert visible_reply("On this day\n\nI wrote something.") == "On this day\n\nI wrote something."
    quoting = "Known to us.\n\nOn 12 May 2026 the school wrote:\nAlex was absent all week.\n\nWe visited on 14 May."
    assert visible_reply(quoting) == quoting
    periods = "Open to us twice:\nFrom: March 2019\nTo: May 2021\n\nFrom: June 2024\nTo: now\n\nNo concerns now."
    assert visible_reply(periods) == periods


# ---------------------------------------------------------------------------------------------------------------------
# Forwarded messages


FORWARD = (
    "---------- Forwarded message ---------\nFrom: Sam Taylor <sam@police.example>\nDate: Tue, 24 Nov 2026 at 11:40\n"
    "Subject: Re: K7Q-F3M-RW9\nTo: Jo <jo@police.example>\n\nOne caution in 2023.\n\n"
    f"On Tue, 24 Nov 2026 at 10:02, {HUB} wrote:\n{QUOTE}\n"
)


def test_a_forward_with_nothing_above_is_the_forwarded_answer() -> None:
    assert visible_reply(FORWARD) == "One caution in 2023."


def test_a_forward_with_a_comment_keeps_both() -> None:
    assert visible_reply("See below.\n\n" + FORWARD) == "See below.\n\nOne caution in 2023."


def test_apple_mails_quoted_forward_is_unquoted() -> None:
    text = "FYI\n\n> Begin forwarded message:\n>\n> From: Sam <sam@police.example>\n> Subject: K7Q\n>\n> No trace.\n"
    assert visible_reply(text) == "FYI\n\nNo trace."


def test_a_forward_line_over_a_quoted_message_is_unquoted() -> None:
    text = (
        "Hello\n\nForwarded message:\n\n> From: Sam <sam@police.example>\n> Subject: K7Q\n>\n> No trace.\n\nText bottom"
    )
    assert visible_reply(text) == "Hello\n\nNo trace.\n\nText bottom"


def test_unquoted_history_with_nothing_above_is_a_forward_unless_the_subject_says_reply() -> None:
    text = "From: Sam <sam@police.example>\nSent: 24 November 2026\nTo: Jo\nSubject: RE: K7Q\n\nNo trace.\n"
    assert visible_reply(text, subject="FW: RE: K7Q") == "No trace."
    assert visible_reply(text, subject="") == "No trace."
    assert visible_reply(text, subject="RE: K7Q") == ""


def test_original_message_words_in_a_sentence_are_not_a_boundary() -> None:
    assert visible_reply("Original message\nMore text") == "Original message\nMore text"


# ---------------------------------------------------------------------------------------------------------------------
# Signatures, taglines, disclaimers


def test_a_signature_after_a_dash_dash_line_goes() -> None:
    assert visible_reply("No trace.\n\n-- \nJordan\nEWO\n") == "No trace."
    assert visible_reply("No trace.\n--\nJordan") == "No trace."


@pytest.mark.parametrize(
    "signature",
    [
        "-Sam",
        "—Ryan",
        "//Jef",
        "Thanks, Sam\nPC 1234\nSafeguarding Unit",
        "Kind regards,\n\nPC Sam Taylor 4471\nChild Protection Unit | Northshire Police\nTel: 020 7946 0418",
        "Pozdrawiam,\nJan",
        "Mit freundlichen Grüßen\nErika Muster",
        "Best regards,\n\n//Jef",
    ],
)
def test_a_signature_without_a_delimiter_goes(signature: str) -> None:
    assert visible_reply(f"No trace on our systems.\n\n{signature}") == "No trace on our systems."


def test_sign_offs_that_carry_the_answer_stay() -> None:
    assert visible_reply("No trace.\n\nThank you!") == "No trace.\n\nThank you!"
    assert (
        visible_reply("Thanks, we know the family.\nDad: caution 2025.")
        == "Thanks, we know the family.\nDad: caution 2025."
    )
    assert visible_reply("Kind regards,\nSam") == "Kind regards,\nSam"  # never the whole reply
    listed = "Seen on:\n- Monday\n- Tuesday"
    assert visible_reply(listed) == listed


@pytest.mark.parametrize(
    "tagline",
    [
        "Sent from my iPhone",
        "Sent from my Galaxy",
        "Get Outlook for iOS<https://aka.ms/o0ukef>",
        "Sent from Outlook for Android",
        "Sent from Mail for Windows",
        "Sent from Yahoo Mail on Android",
        "Envoyé de mon iPhone",
        "Von meinem iPhone gesendet",
        "Wysłane z iPhone'a",
        "Enviado desde mi iPhone",
        "iPhone'umdan gönderildi",
        "Sent from my cell, please excuse any typos.",
    ],
)
def test_a_mobile_tagline_at_the_end_goes(tagline: str) -> None:
    assert visible_reply(f"Not known.\n\n{tagline}") == "Not known."


def test_a_sentence_that_starts_sent_from_my_stays() -> None:
    text = "Sent from my office, as the van's tablet is broken: no trace."
    assert visible_reply(f"{text}\n\nSent from my iPhone") == text
    assert visible_reply("Here it is.\n\nSent from my desk, is much easier then my mobile phone.").endswith("phone.")


def test_a_trailing_disclaimer_goes_but_never_the_whole_reply() -> None:
    disclaimer = "This email and any attachments are confidential and intended solely for the addressee."
    assert visible_reply(f"No trace.\n\n{disclaimer}") == "No trace."
    assert visible_reply(disclaimer) == disclaimer


def test_an_external_sender_banner_at_the_top_goes() -> None:
    text = "CAUTION: This email originated from outside of the organisation. Do not click links.\n\nNo trace."
    assert visible_reply(text) == "No trace."


# ---------------------------------------------------------------------------------------------------------------------
# Layout


def test_indentation_and_blank_lines_are_kept_as_written() -> None:
    text = "Attendance:\n\n    Date        Mark\n    03/11/2026  N\n\n\n\tRun: report --pupil 4471\n  - item"
    assert visible_reply(f"{text}\n\nOn Tue, 24 Nov 2026 at 10:02, {HUB} wrote:\n{QUOTE}") == text


def test_unflow_joins_soft_breaks_and_undoes_space_stuffing() -> None:
    assert unflow("one two \nthree\n From here\n") == "one two three\nFrom here\n"


def test_unflow_with_delsp_deletes_the_space_before_the_break() -> None:
    assert unflow("add \nress", delsp=True) == "address"


def test_unflow_keeps_quote_depths_apart_and_the_signature_line() -> None:
    assert unflow("> quoted \n> on\nnot \n-- \nSam") == "> quoted on\nnot \n-- \nSam"


# ---------------------------------------------------------------------------------------------------------------------
# Hostile input: linear, bounded generously (anyone can email the hub)


@pytest.mark.parametrize("name", list(reply_parsing.hostile_bodies()))
def test_one_megabyte_of_hostile_input_takes_under_two_seconds(name: str) -> None:
    body = reply_parsing.hostile_bodies()[name]
    start = time.perf_counter()
    visible_reply(body)
    assert time.perf_counter() - start < 2.0


@pytest.mark.parametrize(
    "name", ["1 MB of sign-off lines", "1 MB of '>' lines", "1 MB of distinct 'x: y' / 'On n wrote' lines"]
)
def test_the_whole_parse_of_a_hostile_flowed_megabyte_takes_under_two_seconds(name: str) -> None:
    body = reply_parsing.hostile_bodies()[name]
    start = time.perf_counter()
    reply_parsing.parse_body(body)
    assert time.perf_counter() - start < 2.0


def test_hostile_lines_come_back_unchanged() -> None:
    line = "On " * 330
    assert visible_reply((line + "\n") * 100).split("\n")[0] == line.rstrip()
