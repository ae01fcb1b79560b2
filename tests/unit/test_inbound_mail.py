"""Agency replies: MIME -> text, quoted history stripped, attachments, SES verdicts (pure Python, no AWS).

The corpus in tests/mail_corpus/ holds real-shaped, synthetic replies; its README says what each case is.
"""

from __future__ import annotations

import base64
import logging
import random
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from chalicelib.mail.inbound import (
    Attachment,
    InboundMessage,
    UnreadableMessage,
    Verdicts,
    html_to_text,
    parse_message,
    read_verdicts,
    visible_reply,
)

CORPUS = Path(__file__).resolve().parents[1] / "mail_corpus"
CASES = sorted(path.stem for path in CORPUS.glob("*.eml"))
REPLY_TO = "reply+k7qf3mrw9-e1-g19-q2mzt7kd4xw5hbn3@mash.example"


def raw(name: str) -> bytes:
    return (CORPUS / f"{name}.eml").read_bytes()


def expected(name: str) -> str:
    return (CORPUS / f"{name}.expected.txt").read_text(encoding="utf-8")


def normalise(text: str) -> str:
    """The corpus's idea of "the same text": each line stripped, runs of blank lines collapsed to one."""
    lines: list[str] = []
    for line in text.split("\n"):
        line = line.strip()
        if line or (lines and lines[-1]):
            lines.append(line)
    return "\n".join(lines).strip()


_parsed: dict[str, InboundMessage] = {}


def parsed(name: str) -> InboundMessage:
    # Parsed once per run: the cases are read-only and the suite stays well under its 2 s budget.
    if name not in _parsed:
        _parsed[name] = parse_message(raw(name))
    return _parsed[name]


def mime(headers: str, body: bytes) -> bytes:
    return headers.strip().replace("\n", "\r\n").encode("ascii") + b"\r\n\r\n" + body


# ---------------------------------------------------------------------------------------------------------------------
# The corpus


def test_the_corpus_has_every_required_shape() -> None:
    assert len(CASES) >= 18
    for name in CASES:
        assert (CORPUS / f"{name}.expected.txt").exists(), name
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    for name in CASES:
        assert name in readme, f"{name} is not described in the corpus README"


@pytest.mark.parametrize("name", CASES)
def test_the_visible_reply_is_the_agencys_own_text(name: str) -> None:
    assert normalise(parsed(name).reply_text) == normalise(expected(name))


@pytest.mark.parametrize("name", CASES)
def test_full_text_still_holds_the_quoted_request(name: str) -> None:
    # Every corpus reply quotes (or forwards) the hub's request; only reply_text drops it.
    message = parsed(name)
    assert "Who to search for" in message.full_text
    assert "Who to search for" not in message.reply_text
    assert normalise(expected(name)).split("\n")[0] in normalise(message.full_text)


@pytest.mark.parametrize("name", CASES)
def test_every_case_threads_on_the_request_and_names_its_sender(name: str) -> None:
    message = parsed(name)
    assert message.sender == message.sender.lower() and "@" in message.sender
    assert message.sender_domain == message.sender.rpartition("@")[2]
    assert "K7Q-F3M-RW9" in message.subject
    if name != "22-ses-verdicts-fail":  # the spoof does not thread
        assert message.in_reply_to is not None
    assert REPLY_TO in message.recipients


def test_identity_headers() -> None:
    message = parsed("15-top-posting-thread")
    assert (
        message.message_id == "<DB9PR07MB8888AAAA1111BBBB2222CCCC3333DDDD@DB9PR07MB8888.eurprd07.prod.outlook.example>"
    )
    assert message.in_reply_to == "<20261124131500.1c2d3e4f.K7QF3MRW9@mash.example>"
    assert message.references == (
        "<request.5f0c2a9e7b1d4c3a8e6f1b2d@mash.example>",
        "<20261124131500.1c2d3e4f.K7QF3MRW9@mash.example>",
    )
    assert message.sender == "nadia.karim@northshire-nhs.example"
    assert message.sender_domain == "northshire-nhs.example"
    assert message.recipients == (REPLY_TO, "paedliaison@northshire-nhs.example")


def test_recipients_come_from_to_cc_delivered_to_and_x_original_to_once_each() -> None:
    assert parsed("24-reply-with-header-like-lines").recipients == (REPLY_TO,)
    assert parsed("01-outlook-desktop").recipients == (REPLY_TO, "cpu@northshire-police.example")


def test_an_encoded_subject_and_sender_name_are_decoded_and_the_address_lower_cased() -> None:
    message = parsed("19-rfc2047-subject")
    assert message.subject == "Re: K7Q-F3M-RW9 – Zoë (Year 3) – St Brigid’s"
    assert message.sender == "a.nibhriain@st-brigids.example"
    assert message.sender_domain == "st-brigids.example"


# ---------------------------------------------------------------------------------------------------------------------
# Charsets and transfer encodings


def test_windows_1252_eight_bit_body() -> None:
    text = parsed("12-windows-1252").reply_text
    assert "£1,240.50" in text and "“notice seeking possession”" in text and "hasn’t" in text


def test_quoted_printable_and_base64_bodies() -> None:
    assert "I’m the school nurse" in parsed("10-quoted-printable").reply_text
    assert "Northshire 0–19 Service" in parsed("10-quoted-printable").reply_text
    assert "Northshire Women’s Aid" in parsed("11-base64-body").reply_text
    assert "Zoë is in Year 3" in parsed("19-rfc2047-subject").reply_text


def test_a_wrong_charset_gives_replacement_characters_not_an_error() -> None:
    assert "mum owes \ufffd300" in parsed("23-mislabelled-charset").reply_text


def test_an_unknown_charset_label_does_not_raise() -> None:
    message = parse_message(
        mime(
            "From: a@agency.example\nContent-Type: text/plain; charset=x-no-such-charset\nContent-Transfer-Encoding: 8bit",
            "No trace. Caf\u00e9".encode(),
        )
    )
    assert message.full_text == "No trace. Café"


def test_an_iso_8859_1_label_on_windows_1252_bytes_keeps_the_curly_quotes() -> None:
    # Outlook labels Windows-1252 text as iso-8859-1; the bytes 0x93/0x94 are curly quotes, not control codes.
    message = parse_message(
        mime("From: a@agency.example\nContent-Type: text/plain; charset=iso-8859-1", b"\x93No trace\x94 \xa35")
    )
    assert message.full_text == "“No trace” £5"


def test_broken_base64_in_the_body_does_not_raise() -> None:
    message = parse_message(
        mime(
            "From: a@agency.example\nContent-Type: text/plain\nContent-Transfer-Encoding: base64", b"!!not*base64==\r\n"
        )
    )
    assert isinstance(message.full_text, str)


# ---------------------------------------------------------------------------------------------------------------------
# Bodies: text/plain preferred, HTML converted


def test_text_plain_is_preferred_over_the_html_alternative() -> None:
    # The HTML part of the Outlook reply has no "From:" label text in bold; the text part's own wording is used.
    message = parsed("01-outlook-desktop")
    assert message.full_text.startswith("Good morning,\n\nPolice checks")


def test_html_only_replies_are_converted_without_script_or_style() -> None:
    gmail = parsed("13-html-only-gmail")
    assert "trackOpen" not in gmail.full_text and "color:#222" not in gmail.full_text
    assert "> Who to search for" in gmail.full_text  # the gmail_quote blockquote, quoted as a mail client would
    outlook = parsed("14-html-only-outlook")
    assert "P {margin-top:0" not in outlook.full_text
    assert "________________________________\nFrom: MASH referral hub <requests@mash.example>" in outlook.full_text


def test_html_to_text() -> None:
    html = (
        "<html><head><title>t</title><style>p{x:y}</style><script>alert(1)</script></head><body>"
        "<p>First &amp; <b>bold</b></p><p>Second<br>line</p><ul><li>one</li><li>two</li></ul>"
        "<ol><li>a</li><li>b</li></ol><hr><blockquote><div>quoted</div><blockquote>deeper</blockquote></blockquote>"
        "<table><tr><td>cell 1</td><td>cell 2</td></tr></table><pre>  keep\n  spacing</pre></body></html>"
    )
    assert html_to_text(html) == (
        "First & bold\n\nSecond\nline\n\n- one\n- two\n1. a\n2. b\n________________________________\n"
        "> quoted\n> > deeper\ncell 1 cell 2\n  keep\n  spacing"
    )


# ---------------------------------------------------------------------------------------------------------------------
# Attachments


PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def test_a_pdf_attachment_keeps_its_name_type_and_bytes() -> None:
    assert parsed("18-pdf-attachment").attachments == (
        Attachment("Chronology K7Q-F3M-RW9.pdf", "application/pdf", PDF),
    )


def test_an_inline_image_with_a_filename_is_an_attachment_and_the_body_is_not() -> None:
    (logo,) = parsed("14-html-only-outlook").attachments
    assert (logo.filename, logo.declared_type) == ("image001.png", "image/png")
    assert logo.data.startswith(b"\x89PNG\r\n\x1a\n")


def test_the_declared_type_is_what_the_sender_said() -> None:
    (archive,) = parsed("22-ses-verdicts-fail").attachments
    assert archive.filename == "Documents_K7Q-F3M-RW9.zip"
    assert archive.declared_type == "application/zip"
    assert archive.data.startswith(b"PK\x03\x04")


def test_alternatives_are_not_attachments() -> None:
    assert parsed("01-outlook-desktop").attachments == ()
    assert parsed("03-gmail-on-wrote").attachments == ()


def _with_attachment(filename: str) -> bytes:
    message = EmailMessage()
    message["From"] = "a@agency.example"
    message.set_content("See attached.")
    message.add_attachment(b"data", maintype="application", subtype="octet-stream", filename=filename)
    return message.as_bytes()


@pytest.mark.parametrize(
    ("filename", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\sam\\Desktop\\chronology.docx", "chronology.docx"),
        ("report\u202efdp.exe", "reportfdp.exe"),  # a right-to-left override would show "exe.pdf"
        ("bad\x07name\x1b.txt", "badname.txt"),
        ("  ..hidden. ", "hidden"),
        ("..", "attachment"),
        ("Zoë’s plan.pdf", "Zoë’s plan.pdf"),
    ],
)
def test_attachment_filenames_are_sanitised(filename: str, safe: str) -> None:
    (attachment,) = parse_message(_with_attachment(filename)).attachments
    assert attachment.filename == safe


def test_a_long_filename_is_cut_to_100_characters_keeping_its_extension() -> None:
    (attachment,) = parse_message(_with_attachment("minutes " * 40 + ".pdf")).attachments
    assert len(attachment.filename) <= 100 and attachment.filename.endswith(".pdf")


def test_an_attachment_without_a_name_is_called_attachment() -> None:
    body = b"--b\r\nContent-Type: text/plain\r\n\r\nHi\r\n--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    body += base64.b64encode(PDF) + b"\r\n--b--\r\n"
    message = parse_message(mime('From: a@agency.example\nContent-Type: multipart/mixed; boundary="b"', body))
    assert message.attachments == (Attachment("attachment", "application/pdf", PDF),)
    assert message.full_text == "Hi"


def test_a_forwarded_email_attachment_is_kept_whole() -> None:
    inner = EmailMessage()
    inner["From"] = "gp@surgery.example"
    inner["Subject"] = "Earlier note"
    inner.set_content("Seen on 2 September.")
    outer = EmailMessage()
    outer["From"] = "a@agency.example"
    outer.set_content("Forwarding the GP's note.")
    outer.add_attachment(inner, filename="note.eml")
    (attachment,) = parse_message(outer.as_bytes()).attachments
    assert attachment.declared_type == "message/rfc822"
    assert b"Seen on 2 September." in attachment.data


# ---------------------------------------------------------------------------------------------------------------------
# Not an email


@pytest.mark.parametrize(
    "garbage",
    [
        b"",
        b"hello world",
        b"\x00\xff" * 200,
        b"Subject: no sender\r\n\r\nbody",
        b"From: undisclosed recipients\r\n\r\nbody",
        b"From: <>\r\n\r\nbody",
        bytes(random.Random(7).randrange(256) for _ in range(4096)),  # noqa: S311 - seeded: the same bytes every run
    ],
)
def test_garbage_raises_unreadable_message(garbage: bytes) -> None:
    with pytest.raises(UnreadableMessage):
        parse_message(garbage)


def test_unreadable_message_is_a_value_error_and_a_str_is_refused() -> None:
    assert issubclass(UnreadableMessage, ValueError)
    with pytest.raises(TypeError):
        parse_message("From: a@agency.example\n\nhi")  # type: ignore[arg-type]


def test_parsing_logs_no_message_content(caplog: pytest.LogCaptureFixture) -> None:
    # The library logs its own regex patterns at DEBUG; nothing of a message may reach a log.
    with caplog.at_level(logging.DEBUG):
        messages = [parse_message(raw(name)) for name in CASES]
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for message in messages:
        assert message.sender not in logged and message.subject not in logged
        for line in message.full_text.split("\n"):
            assert len(line) < 12 or line not in logged
    assert "K7Q-F3M-RW9" not in logged and "Brennan" not in logged


# ---------------------------------------------------------------------------------------------------------------------
# SES verdicts


def test_verdicts_all_pass() -> None:
    assert read_verdicts(raw("21-ses-verdicts-pass")) == Verdicts("PASS", "PASS", "PASS", "PASS", "PASS")


def test_verdicts_all_fail_and_the_senders_own_lower_copies_are_ignored() -> None:
    # The spoof carries its own "Authentication-Results: amazonses.com; ... pass" and "X-SES-Spam-Verdict: PASS"
    # below SES's: only the topmost copy, the one SES prepended, counts.
    assert read_verdicts(raw("22-ses-verdicts-fail")) == Verdicts("FAIL", "FAIL", "FAIL", "FAIL", "FAIL")


def test_verdicts_missing_when_scanning_was_off() -> None:
    missing = "MISSING"
    assert read_verdicts(raw("01-outlook-desktop")) == Verdicts(missing, missing, missing, missing, missing)


def test_verdict_words_are_mapped_to_ses_values() -> None:
    headers = (
        "X-SES-Spam-Verdict: gray\n"
        "X-SES-Virus-Verdict: PROCESSING_FAILED\n"
        "Authentication-Results: amazonses.com; spf=softfail smtp.mailfrom=x.example;\n"
        " dkim=none; dkim=temperror header.i=@x.example; dmarc=none header.from=x.example\n"
        "From: a@x.example"
    )
    assert read_verdicts(mime(headers, b"hi")) == Verdicts(
        "GRAY", "PROCESSING_FAILED", "FAIL", "PROCESSING_FAILED", "GRAY"
    )


def test_any_passing_dkim_signature_passes() -> None:
    headers = "Authentication-Results: amazonses.com; dkim=fail header.i=@a.example; dkim=pass header.i=@b.example\nFrom: a@b.example"
    assert read_verdicts(mime(headers, b"hi")).dkim == "PASS"


def test_an_unknown_ses_word_is_not_a_pass() -> None:
    assert read_verdicts(mime("X-SES-Spam-Verdict: LOOKS-FINE\nFrom: a@b.example", b"hi")).spam == "PROCESSING_FAILED"


def test_another_servers_authentication_results_are_not_sess() -> None:
    headers = "Authentication-Results: mx.agency.example; spf=pass; dkim=pass; dmarc=pass\nFrom: a@agency.example"
    verdicts = read_verdicts(mime(headers, b"hi"))
    assert (verdicts.spf, verdicts.dkim, verdicts.dmarc) == ("MISSING", "MISSING", "MISSING")


def test_received_spf_is_the_fallback_for_spf() -> None:
    headers = "Received-SPF: neutral (spfCheck: no assertion) client-ip=192.0.2.1;\nFrom: a@b.example"
    assert read_verdicts(mime(headers, b"hi")).spf == "GRAY"


def test_verdicts_are_read_from_the_headers_only() -> None:
    # The body is invalid base64 and holds a verdict-looking line: neither is read.
    headers = (
        "From: a@agency.example\nX-SES-Virus-Verdict: PASS\nContent-Type: text/plain\nContent-Transfer-Encoding: base64"
    )
    body = b"X-SES-Spam-Verdict: PASS\r\n%%%% not base64 \xff\xfe" * 1000
    verdicts = read_verdicts(mime(headers, body))
    assert (verdicts.virus, verdicts.spam) == ("PASS", "MISSING")


def test_verdicts_of_a_message_with_no_body_at_all() -> None:
    assert read_verdicts(b"X-SES-Spam-Verdict: FAIL\r\nFrom: a@b.example").spam == "FAIL"


# ---------------------------------------------------------------------------------------------------------------------
# visible_reply on its own: the rules around the library


def test_a_device_tagline_goes_only_at_the_end() -> None:
    text = "Sent from my office: no trace.\n\nSent from my iPhone\n\nOn Tue, 24 Nov 2026 at 10:02, Hub <h@mash.example> wrote:\n> q"
    assert visible_reply(text) == "Sent from my office: no trace."


def test_sign_offs_mid_reply_are_kept_and_the_closing_one_goes_with_its_name() -> None:
    # "Thanks," starting a sentence is the answer; "Kind regards, / Sam" at the end is a signature (issue 15).
    text = "Hi,\n\nThanks, we know the family.\nDad has a caution from 2025.\n\nKind regards,\nSam\n\n-----Original Message-----\nFrom: hub"
    assert visible_reply(text) == "Hi,\n\nThanks, we know the family.\nDad has a caution from 2025."


def test_a_disclaimer_is_removed_only_from_the_end_and_never_the_whole_reply() -> None:
    disclaimer = "This email and any attachments are confidential and intended solely for the addressee."
    assert visible_reply(f"No trace.\n\n{disclaimer}") == "No trace."
    assert visible_reply(disclaimer) == disclaimer


def test_header_like_lines_in_the_reply_do_not_cut_it() -> None:
    text = "Notes:\nDate: 12 Nov\nSubject: attendance\nMum upset.\n\nOn Tue, 24 Nov 2026 at 10:02, Hub <h@mash.example> wrote:\n> q"
    assert visible_reply(text) == "Notes:\nDate: 12 Nov\nSubject: attendance\nMum upset."


def test_a_signature_after_dash_dash_space_is_removed() -> None:
    assert visible_reply("No trace.\n\n-- \nJordan\nEWO\n") == "No trace."


def test_a_gateway_footer_under_a_quoted_history_is_not_an_inline_answer() -> None:
    text = "No trace.\n\nOn Tue, 24 Nov 2026 at 10:02, Hub <h@mash.example> wrote:\n> q1\n> q2\n\nScanned by MailGuard."
    assert visible_reply(text) == "No trace."


def test_hostile_lines_are_fast_and_come_back_unchanged() -> None:
    # Without the placeholder guard the library takes ~4 s on this 100 KB body (quadratic backtracking).
    line = "On " * 330
    start = time.perf_counter()
    result = visible_reply((line + "\n") * 100)
    assert time.perf_counter() - start < 0.5
    assert result.split("\n")[0] == line.strip() and result.count("\n") == 99


def test_a_long_reply_is_kept_whole_when_no_quote_was_found() -> None:
    lines = [f"{number:06d} " + "x" * 193 for number in range(3000)]  # 600 KB
    assert visible_reply("\n".join(lines)).split("\n") == lines


def test_a_long_quoted_history_is_dropped_beyond_the_scanned_part() -> None:
    history = "> " + "q" * 198
    text = "No trace.\n\nOn Tue, 24 Nov 2026 at 10:02, Hub <h@mash.example> wrote:\n" + "\n".join([history] * 3000)
    assert visible_reply(text) == "No trace."
