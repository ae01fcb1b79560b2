"""Agency replies to the hub's information requests: raw MIME (as SES stores it in S3) -> plain data.

Pure Python, no AWS. Never logs message contents (nothing here logs at all).

Quoted-text stripping: mail-parser-reply 1.36 (MIT, no dependencies, 12 KB wheel, 25 KB of source installed),
chosen by measuring on tests/mail_corpus (24 replies; shares whose visible reply is exactly as expected, README
there for the detail and `python -m bench.reply_parsing --candidates` to re-run):
    email-reply-parser 0.5.12  raw 83.3%, with the rules below 91.7%: excluded, no release since 2020 and its
                               "On ... wrote:" regex backtracks catastrophically (10 KB of "On a" lines: 68 s)
    quotequail 0.5.4           raw 66.7%, with the rules below 91.7% (misses Outlook desktop's From/Sent block);
                               needs lxml (+5 MB wheel in the Lambda zip)
    mail-parser-reply 1.36     raw 62.5%, with the rules below 95.8%, with the boundary check too 100%
HTML -> text: the stdlib html.parser below (100% of the 5 replies with HTML; inscriptis 80%, html2text is GPL).
"""

from __future__ import annotations

import codecs
import email
import email.policy
import re
import unicodedata
from dataclasses import dataclass
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser
from html.parser import HTMLParser

from mailparser_reply import EmailReplyParser

__all__ = [
    "Attachment",
    "InboundMessage",
    "UnreadableMessage",
    "Verdicts",
    "html_to_text",
    "parse_message",
    "read_verdicts",
    "visible_reply",
]


class UnreadableMessage(ValueError):
    """The input is not an email at all, or has no usable From address."""


# ---------------------------------------------------------------------------------------------------------------------
# SES verdicts, from the headers only


@dataclass(frozen=True)
class Verdicts:
    spam: str
    virus: str
    spf: str
    dkim: str
    dmarc: str


MISSING = "MISSING"
_SES_VALUES = frozenset({"PASS", "FAIL", "GRAY", "PROCESSING_FAILED"})
# RFC 8601 result words -> SES's verdict words. SES documents GRAY as "no policy / not signed", so "none" and
# "neutral" (no assertion either way) are GRAY; "softfail" is the domain saying "probably not us", so FAIL;
# temperror/permerror mean the check itself could not be made.
_AUTH_RESULT = {
    "pass": "PASS",
    "fail": "FAIL",
    "hardfail": "FAIL",
    "softfail": "FAIL",
    "none": "GRAY",
    "neutral": "GRAY",
    "policy": "GRAY",
    "temperror": "PROCESSING_FAILED",
    "permerror": "PROCESSING_FAILED",
}
_SES_AUTHSERV_ID = "amazonses.com"
_HEADER_END = re.compile(rb"\r?\n\r?\n")


def read_verdicts(raw: bytes) -> Verdicts:
    """SES's scan results. Only the header block is parsed: the body (maybe 40 MB, maybe broken) is never read.

    SES prepends its headers, so only the topmost occurrence of each counts: a copy further down was written by
    the sender and is ignored. These headers mean something only when the receipt rule has scanning on.
    """
    end = _HEADER_END.search(raw)
    head = raw[: end.end()] if end else raw
    headers = BytesHeaderParser(policy=email.policy.compat32).parsebytes(head)

    def first(name: str) -> str | None:
        value = headers.get(name)
        return " ".join(str(value).split()) if value is not None else None

    results = _auth_results(first("Authentication-Results"))
    spf = results.get("spf")
    if spf is None and (received_spf := first("Received-SPF")):
        spf = [received_spf.split(None, 1)[0] if received_spf.split() else ""]
    return Verdicts(
        spam=_ses_word(first("X-SES-Spam-Verdict")),
        virus=_ses_word(first("X-SES-Virus-Verdict")),
        spf=_combine(spf),
        dkim=_combine(results.get("dkim")),
        dmarc=_combine(results.get("dmarc")),
    )


def _ses_word(value: str | None) -> str:
    if value is None:
        return MISSING
    word = value.strip().upper()
    # A value SES does not document cannot be trusted as a pass.
    return word if word in _SES_VALUES else "PROCESSING_FAILED"


def _auth_results(value: str | None) -> dict[str, list[str]]:
    """`amazonses.com; spf=pass (...) ...; dkim=pass header.i=@x; dmarc=pass header.from=x;` -> {method: [results]}."""
    if value is None:
        return {}
    authserv_id, _, rest = value.partition(";")
    # Another server's results (or the sender's own) say nothing about what SES checked.
    if authserv_id.strip().lower() != _SES_AUTHSERV_ID:
        return {}
    found: dict[str, list[str]] = {}
    for method, result in re.findall(r"(?:^|;)\s*([a-z-]+)\s*=\s*([a-z]+)", rest, flags=re.IGNORECASE):
        found.setdefault(method.lower(), []).append(result.lower())
    return found


def _combine(results: list[str] | None) -> str:
    """Several results for one method (two DKIM signatures): any pass passes, else the worst one."""
    if not results:
        return MISSING
    words = {_AUTH_RESULT.get(result.lower(), "PROCESSING_FAILED") for result in results}
    for word in ("PASS", "FAIL", "PROCESSING_FAILED", "GRAY"):
        if word in words:
            return word
    return "PROCESSING_FAILED"  # pragma: no cover - every mapped word is listed above


# ---------------------------------------------------------------------------------------------------------------------
# The message


@dataclass(frozen=True)
class Attachment:
    filename: str
    declared_type: str
    data: bytes


@dataclass(frozen=True)
class InboundMessage:
    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    sender: str
    sender_domain: str
    recipients: tuple[str, ...]
    subject: str
    full_text: str
    reply_text: str
    attachments: tuple[Attachment, ...]
    # From headers or addresses beyond one: the sender is then ambiguous (RFC 5322 allows one
    # From header, and a list in it only with a Sender), so the reply goes to a person.
    extra_senders: int = 0


_RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To")
_MSG_ID = re.compile(r"<[^<>\s]+>")


def parse_message(raw: bytes) -> InboundMessage:
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise TypeError("parse_message takes the raw message as bytes")
    message = email.message_from_bytes(bytes(raw), policy=email.policy.default)
    sender = _first_address(message, "From")
    if sender is None or not isinstance(message, EmailMessage):  # the default policy always makes an EmailMessage
        raise UnreadableMessage("not an email with a From address")
    body = _body_part(message)
    full_text = _part_text(body) if body is not None else ""
    if body is not None and body.get_content_subtype() == "html":
        full_text = html_to_text(full_text)
    return InboundMessage(
        message_id=_header_text(message, "Message-ID") or None,
        in_reply_to=_first_msg_id(_header_text(message, "In-Reply-To")),
        references=tuple(_MSG_ID.findall(_header_text(message, "References"))),
        sender=sender,
        sender_domain=sender.rpartition("@")[2],
        recipients=_recipients(message),
        subject=" ".join(_header_text(message, "Subject").split()),
        full_text=full_text,
        reply_text=visible_reply(full_text),
        attachments=tuple(_attachments(message, body)),
        extra_senders=max(len(message.get_all("From") or []), len(_addresses(message, "From"))) - 1,
    )


def _header_text(message: Message, name: str) -> str:
    """The decoded value ("" when absent). A malformed header yields what the parser could make of it."""
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError, AttributeError):  # the stdlib's header parser on hostile input
        return ""
    return str(value).strip() if value is not None else ""


def _first_msg_id(value: str) -> str | None:
    found = _MSG_ID.search(value)
    return found.group(0) if found else (value or None)


def _addresses(message: Message, name: str) -> list[str]:
    """Lower-cased addr-specs from every `name` header; display names dropped, groups flattened."""
    found: list[str] = []
    try:
        headers = message.get_all(name) or []
        for header in headers:
            for address in getattr(header, "addresses", ()):
                spec = address.addr_spec.strip().lower()
                local, at, domain = spec.rpartition("@")
                if at and local and domain and not any(char.isspace() for char in spec):
                    found.append(spec)
    except (ValueError, IndexError, TypeError, AttributeError):  # the stdlib's header parser on hostile input
        return found
    return found


def _first_address(message: Message, name: str) -> str | None:
    found = _addresses(message, name)
    return found[0] if found else None


def _recipients(message: Message) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for name in _RECIPIENT_HEADERS:
        for address in _addresses(message, name):
            seen.setdefault(address, None)
    return tuple(seen)


def _body_part(message: EmailMessage) -> EmailMessage | None:
    """text/plain preferred, else text/html: the stdlib's choice of body (skips attachments, follows related)."""
    try:
        part = message.get_body(preferencelist=("plain", "html"))
    except (ValueError, IndexError, TypeError, AttributeError, KeyError):
        return None
    return part if isinstance(part, EmailMessage) else None


# Labels that senders use for Windows-1252 text: WHATWG's encoding standard decodes them as windows-1252 too
# (curly quotes and the euro sign sit at 0x80-0x9F, which ISO-8859-1 leaves as control characters).
_CP1252_ALIASES = frozenset({"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "iso_8859-1", "us-ascii", "ascii"})


def _part_text(part: Message) -> str:
    """Transfer encoding undone, charset decoded; never raises on a wrong or unknown charset."""
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return ""
    charset = (part.get_content_charset() or "us-ascii").strip().lower()
    if charset in _CP1252_ALIASES:
        charset = "cp1252"
    try:
        codecs.lookup(charset)
    except LookupError:
        charset = "utf-8"  # an unknown label: UTF-8 is the best guess, with replacement characters where it is not
    try:
        text = data.decode(charset, errors="replace")
    except (UnicodeError, LookupError):  # e.g. a codec that rejects errors="replace"
        text = data.decode("utf-8", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


def _attachments(message: Message, body: Message | None) -> list[Attachment]:
    found: list[Attachment] = []
    _collect(message, body, found)
    return found


def _collect(part: Message, body: Message | None, found: list[Attachment]) -> None:
    disposition = part.get_content_disposition()
    if part.is_multipart() and part.get_content_maintype() == "multipart":
        for child in part.iter_parts() if isinstance(part, EmailMessage) else part.get_payload():
            _collect(child, body, found)
        return
    if part is body:
        return
    filename = _filename(part)
    # An attached email (message/rfc822) counts whole, named or not: its own parts are not walked.
    if disposition == "attachment" or filename or part.get_content_maintype() == "message":
        found.append(Attachment(_safe_filename(filename), part.get_content_type(), _part_bytes(part)))


def _filename(part: Message) -> str:
    try:
        return part.get_filename() or ""
    except (ValueError, IndexError, TypeError, AttributeError, LookupError):
        return ""


def _part_bytes(part: Message) -> bytes:
    if part.get_content_maintype() == "message":  # a forwarded email: keep it whole, as the bytes of that email
        inner = part.get_payload()
        if isinstance(inner, list) and inner:
            try:
                return inner[0].as_bytes()
            except (ValueError, TypeError, LookupError, UnicodeError):
                return b""
        return b""
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


_MAX_FILENAME = 100


def _safe_filename(name: str) -> str:
    """No path parts, no control or format characters (a right-to-left override can disguise ".exe"), at most
    100 characters with the extension kept; "attachment" when nothing usable is left."""
    name = unicodedata.normalize("NFC", name)
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(char for char in name if unicodedata.category(char) not in {"Cc", "Cf", "Zl", "Zp"})
    name = " ".join(name.split()).strip(" .")
    if not name:
        return "attachment"
    if len(name) > _MAX_FILENAME:
        stem, dot, extension = name.rpartition(".")
        if dot and stem and 0 < len(extension) <= 10:
            name = stem[: _MAX_FILENAME - len(extension) - 1].rstrip(" .") + "." + extension
        else:
            name = name[:_MAX_FILENAME].rstrip(" .")
    return name or "attachment"


# ---------------------------------------------------------------------------------------------------------------------
# HTML -> text (stdlib html.parser)


_BLOCK = frozenset(
    {
        "address", "article", "aside", "center", "dd", "div", "dl", "dt", "figcaption", "figure", "footer",
        "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "li", "main", "nav", "ol", "p", "pre", "section",
        "table", "tbody", "thead", "tfoot", "tr", "ul",
    }
)  # fmt: skip
_SKIP = frozenset({"script", "style", "head", "title", "template", "noscript", "object", "iframe", "svg"})
_VOID = frozenset({"br", "hr", "img", "meta", "link", "input", "wbr", "col", "area", "base", "source"})
# What Outlook itself writes in the text/plain version where the HTML has its reply separator <hr>.
_HR_TEXT = "_" * 32


class _TextBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int, str]] = []  # (blockquote depth, text) per finished line
        self.current = ""
        self.depth = 0  # blockquote nesting
        self.line_depth = 0  # the depth at which the current line started
        self.skip = 0  # inside script/style/head...
        self.pre = 0
        self.lists: list[list[int]] = []  # per open list: [ordered (0/1), counter]
        self.paragraphs: list[tuple[bool, int]] = []  # per open <p>: has it a margin? lines before it

    # -- output helpers
    def _break(self) -> None:
        """End the current line (a <br>: an empty one too, as a browser shows it)."""
        self.lines.append((self.line_depth, self.current.rstrip() if self.pre else self.current.strip()))
        self.current = ""
        self.line_depth = self.depth

    def _ensure_line_start(self) -> None:
        if self.current.strip():
            self._break()
        self.current = ""
        self.line_depth = self.depth

    def _blank(self) -> None:
        self._ensure_line_start()
        if self.lines and self.lines[-1][1] != "":
            self.lines.append((self.depth, ""))

    def _write(self, text: str) -> None:
        if not self.current:
            self.line_depth = self.depth
        self.current += text

    # -- parser callbacks
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            if tag not in _VOID:
                self.skip += 1
            return
        if self.skip:
            return
        classes = (dict(attrs).get("class") or "").split()
        if tag == "br":
            self._break()
        elif tag == "hr":
            self._ensure_line_start()
            self.lines.append((self.depth, _HR_TEXT))
        elif tag == "blockquote":
            self._ensure_line_start()
            self.depth += 1
            self.line_depth = self.depth
        elif tag in {"ul", "ol"}:
            self._ensure_line_start()
            self.lists.append([1 if tag == "ol" else 0, 0])
        elif tag == "li":
            self._ensure_line_start()
            if self.lists and self.lists[-1][0]:
                self.lists[-1][1] += 1
                self._write(f"{self.lists[-1][1]}. ")
            else:
                self._write("- ")
        elif tag == "p":
            # A paragraph has a margin; Outlook's MsoNormal paragraphs are single lines (its CSS sets margin 0).
            margin = "MsoNormal" not in classes
            self._blank() if margin else self._ensure_line_start()
            self.paragraphs.append((margin, len(self.lines)))
        elif tag in _BLOCK:
            self._ensure_line_start()
            if tag == "pre":
                self.pre += 1
        elif tag in {"td", "th"} and self.current.strip():
            self._write(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
            return
        if self.skip:
            return
        if tag == "blockquote":
            self._ensure_line_start()
            self.depth = max(0, self.depth - 1)
            self.line_depth = self.depth
        elif tag in {"ul", "ol"}:
            self._ensure_line_start()
            if self.lists:
                self.lists.pop()
        elif tag == "p":
            margin, lines_before = self.paragraphs.pop() if self.paragraphs else (True, -1)
            if margin:
                self._blank()
            elif not self.current.strip() and len(self.lines) == lines_before:
                self._break()  # Outlook's empty line is a paragraph holding only &nbsp;: it still takes a line
            else:
                self._ensure_line_start()
        elif tag in _BLOCK:
            self._ensure_line_start()
            if tag == "pre":
                self.pre = max(0, self.pre - 1)

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.pre:
            for index, piece in enumerate(data.split("\n")):
                if index:
                    self._break()
                self._write(piece)
            return
        text = re.sub(r"[ \t\r\n\f\v]+", " ", data.replace("\xa0", " "))
        if not self.current.strip() or self.current.endswith(" "):
            text = text.lstrip()
        if text:
            self._write(text)

    def text(self) -> str:
        self._break()
        out = []
        for depth, line in self.lines:
            prefix = "> " * depth
            out.append((prefix + line).rstrip() if line else prefix.rstrip())
        return "\n".join(out).strip("\n")


def html_to_text(html: str) -> str:
    """Visible text of an email's HTML: script/style dropped, blocks as lines, <blockquote> as "> " lines (as
    a mail client quotes in text), lists as "- " items, Outlook's separator <hr> as its underscore line."""
    builder = _TextBuilder()
    builder.feed(html)
    builder.close()
    text = builder.text()
    return re.sub(r"\n{3,}", "\n\n", text)


# ---------------------------------------------------------------------------------------------------------------------
# The visible reply: mail-parser-reply finds where the quoted history starts; the rules below do the rest.

STRIP_LIBRARY = "mail-parser-reply 1.36"

# The library's attribution regex ("On ... wrote:") backtracks quadratically along a line that starts with "On" but
# does not end in "wrote:" (100 lines of 990 characters took 3.7 s); other long lines cost it time too. Such lines
# cannot be an attribution (the next line may finish a wrapped one), so they are swapped for placeholders while the
# library runs and put back afterwards: the library never sees them, the reply keeps them.
_LONG_LINE = 1000
_MAX_SCAN = 512 * 1024
_STARTS_LIKE_ATTRIBUTION = re.compile(r"^(?:> ?)*on\s", flags=re.IGNORECASE)
_ENDS_ATTRIBUTION = re.compile(r"wrote:$", flags=re.IGNORECASE)
_PLACEHOLDER = "\ue000{}\ue001"  # private-use characters: no library regex matches them
_PLACEHOLDER_RE = re.compile("\ue000(\\d+)\ue001")

# Where quoted history really starts. The library also cuts at any two lines such as "Date: ..." and "Subject: ..."
# (meeting notes pasted into a reply); losing a line of an agency's answer is worse than showing a quote, so a cut
# counts only at an attribution ("On ... wrote:"), a header block with a From line, or an "Original/Forwarded
# message" line.
_REAL_BOUNDARY = re.compile(
    r"wrote:\s*$|^[>*\s]*from:|-{2,}\s*(?:original|forwarded)\s+message\s*-{2,}",
    flags=re.IGNORECASE | re.MULTILINE,
)
_QUOTED_LINE = re.compile(r"^\s*>")

# Trailing lines that are not the writer's words. Each is removed only at the end of the reply, so the same words
# inside a sentence or paragraph stay.
_SEPARATOR = re.compile(r"^[_\-=*]{5,}$")
_DEVICE_TAGLINE = re.compile(
    r"^(?:sent from (?:my |the )?[\w .&'-]{1,40}|get outlook for (?:ios|android)|sent from (?:outlook|mail) for \w+)"
    r"\s*(?:<[^>\s]*>)?$",
    flags=re.IGNORECASE,
)
_DISCLAIMER = re.compile(
    r"^(?:this (?:e-?mail|message|communication)\b.{0,80}\b(?:confidential|intended (?:solely |only )?for|privileged)"
    r"|(?:confidentiality|legal|privacy)(?: notice)?\s*:|disclaimer\b|important(?: notice)?\s*:"
    r"|the (?:information|contents?) (?:contained )?in this (?:e-?mail|message)"
    r"|if you (?:are not the intended recipient|have received this (?:e-?mail|message) in error))",
    flags=re.IGNORECASE,
)
_SIGNATURE_DELIMITER = re.compile(r"^--\s*$")  # "-- " (RFC 3676); the library strips the trailing space
_MAX_SIGNATURE_LINES = 15


def visible_reply(text: str) -> str:
    """The agency's own words: quoted history, attribution lines, a "-- " signature, device taglines ("Sent from
    my iPhone") and a trailing legal disclaimer removed. Inline answers between quoted lines are kept. When in
    doubt it keeps text: a signature shown is cosmetic, a lost line of an answer is not."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # The library takes about 1 s per MB: it reads the first 512 KB (a reply is at the top). What lies beyond is
    # quoted history if a boundary was found, else it is kept as it is.
    tail = ""
    if len(text) > _MAX_SCAN:
        cut = text.rfind("\n", 0, _MAX_SCAN)
        cut = cut if cut > 0 else _MAX_SCAN
        text, tail = text[:cut], text[cut:]
    lines = text.split("\n")
    hidden: list[str] = []
    for index, line in enumerate(lines):
        if _hide_from_library(line, lines[index + 1] if index + 1 < len(lines) else ""):
            hidden.append(line)
            lines[index] = _PLACEHOLDER.format(len(hidden) - 1)
    top, rest = _split_at_quote("\n".join(lines))
    reply = _finish(top + tail, "") if not rest else _finish(top, rest + tail)
    return _PLACEHOLDER_RE.sub(lambda found: hidden[int(found.group(1))].strip(), reply) if hidden else reply


def _hide_from_library(line: str, next_line: str) -> bool:
    line = line.strip()
    if len(line) > _LONG_LINE:
        return True
    return bool(
        _STARTS_LIKE_ATTRIBUTION.match(line)
        and not _ENDS_ATTRIBUTION.search(line)
        and not _ENDS_ATTRIBUTION.search(next_line.strip())
    )


def _split_at_quote(text: str) -> tuple[str, str]:
    """(the newest reply, everything from the first real quote boundary on), as the library normalised them."""
    parsed = EmailReplyParser(languages=["en"]).read(text)
    cursor = 0
    for reply in parsed.replies[1:]:
        position = parsed.text.find(reply.headers, cursor) if reply.headers else -1
        if position < 0:
            continue
        cursor = position + 1
        if _REAL_BOUNDARY.search(reply.headers):
            return parsed.text[:position], parsed.text[position:]
    return parsed.text, ""


def _finish(top: str, rest: str) -> str:
    """The rules around the library, given the newest reply and the quoted remainder."""
    lines = top.split("\n") + _inline_answers(rest)
    _trim_trailing(lines)
    for index in range(len(lines) - 1, -1, -1):
        if _SIGNATURE_DELIMITER.match(lines[index]):
            if len(lines) - index - 1 <= _MAX_SIGNATURE_LINES:
                del lines[index:]
                _trim_trailing(lines)
            break
    return _tidy("\n".join(lines))


def _inline_answers(rest: str) -> list[str]:
    """Answers written between the quoted lines of the request ("> question" / answer / "> question" / answer).

    Only when an unquoted line sits between two quoted ones: an unquoted tail under a fully quoted history (a mail
    gateway's footer) is not an answer. The attribution line above the first quoted line is dropped."""
    lines = rest.split("\n")
    quoted = [index for index, line in enumerate(lines) if _QUOTED_LINE.match(line)]
    if not quoted:
        return []
    body = lines[quoted[0] :]
    first_unquoted = next((i for i, line in enumerate(body) if line.strip() and not _QUOTED_LINE.match(line)), None)
    if first_unquoted is None or not any(_QUOTED_LINE.match(line) for line in body[first_unquoted:]):
        return []
    answers: list[str] = [""]
    for line in body:
        if _QUOTED_LINE.match(line):
            if answers[-1].strip():
                answers.append("")
        else:
            answers.append(line)
    return answers


def _trim_trailing(lines: list[str]) -> None:
    """Drop, from the end only: blank lines, separator lines, device taglines, disclaimer paragraphs."""
    while lines:
        last = lines[-1].strip()
        if not last or _SEPARATOR.match(last) or _DEVICE_TAGLINE.match(last):
            lines.pop()
            continue
        start = len(lines) - 1
        while start > 0 and lines[start - 1].strip():
            start -= 1
        if start > 0 and _DISCLAIMER.match(lines[start].strip()):  # never the whole reply
            del lines[start:]
            continue
        return


def _tidy(text: str) -> str:
    return re.sub(r"\n{3,}", "\n\n", text).strip()
