"""Agency replies to the hub's information requests: raw MIME (as SES stores it in S3) -> plain data.

Pure Python, no AWS. Never logs message contents (nothing here logs at all).

The visible reply (quoted history, signatures, taglines and disclaimers removed) is reply_text.py's; format=flowed
bodies are re-joined there too (issue 15: scored on tests/reply_corpus, `python -m bench.reply_corpus`).
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

from chalicelib.mail.reply_text import unflow, visible_reply

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
    elif body is not None and str(body.get_param("format", "")).lower() == "flowed":
        full_text = unflow(full_text, delsp=str(body.get_param("delsp", "")).lower() == "yes")
    return InboundMessage(
        message_id=_header_text(message, "Message-ID") or None,
        in_reply_to=_first_msg_id(_header_text(message, "In-Reply-To")),
        references=tuple(_MSG_ID.findall(_header_text(message, "References"))),
        sender=sender,
        sender_domain=sender.rpartition("@")[2],
        recipients=_recipients(message),
        subject=" ".join(_header_text(message, "Subject").split()),
        full_text=full_text,
        reply_text=visible_reply(full_text, subject=_header_text(message, "Subject")),
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
        for child in _subparts(part):
            _collect(child, body, found)
        return
    if part is body:
        return
    filename = _filename(part)
    # An attached email (message/rfc822) counts whole, named or not: its own parts are not walked.
    if disposition == "attachment" or filename or part.get_content_maintype() == "message":
        found.append(Attachment(_safe_filename(filename), part.get_content_type(), _part_bytes(part)))


def _subparts(part: Message) -> list[Message]:
    """A multipart's parts: a compat32 Message holds them as its payload, a list."""
    if isinstance(part, EmailMessage):
        return list(part.iter_parts())
    payload = part.get_payload()
    return [child for child in payload if isinstance(child, Message)] if isinstance(payload, list) else []


def _filename(part: Message) -> str:
    try:
        return part.get_filename() or ""
    except (ValueError, IndexError, TypeError, AttributeError, LookupError):
        return ""


def _part_bytes(part: Message) -> bytes:
    if part.get_content_maintype() == "message":  # a forwarded email: keep it whole, as the bytes of that email
        inner = part.get_payload()
        if isinstance(inner, list) and inner and isinstance(inner[0], Message):
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
