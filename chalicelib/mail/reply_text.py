"""The visible reply: the agency's own words for this message, with the quoted history, attribution lines,
signatures, device taglines and legal disclaimers removed (issue 15; the definition is in tests/reply_corpus/README.md).

Pure Python, one pass over the lines with bounded look-ahead: linear in the size of the text, whatever it holds
(anyone can email the hub). Every line-level pattern is anchored and bounded, and lines longer than _LONG_LINE
characters are never tested against them (no attribution, header or tagline is that long).

The words it looks for, in every supported language, are in reply_words.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from chalicelib.mail import reply_words as vocab

__all__ = ["unflow", "visible_reply"]

_LONG_LINE = 1000
# Where a reply's history starts is near its top: beyond this many lines no boundary is looked for (the text is kept),
# which caps the work on a hostile body at a fraction of a second.
_MAX_LINES = 20_000

_SIGNATURE_DELIMITER = re.compile(r"^-- ?$")
_MAX_SIGNATURE_LINES = 15
_MAX_FINISH_ROUNDS = 6
_MAX_DISCLAIMER_LINES = 40
_QUOTE_PREFIX = re.compile(r"^[ \t]{0,3}((?:>[ \t]?)+)")


# ---------------------------------------------------------------------------------------------------------------------
# format=flowed (RFC 3676)


def unflow(text: str, delsp: bool = False) -> str:
    """Re-join format=flowed soft line breaks (a line ending in a space continues on the next line of the same quote
    depth); space-stuffing undone; with DelSp=yes the space before a soft break is deleted. "-- " stays a line."""
    out: list[str] = []
    current: str | None = None
    depth = 0
    for raw in text.split("\n"):
        line = raw.rstrip("\r")
        level = 0
        while level < len(line) and line[level] == ">":
            level += 1
        content = line[level:]
        if content.startswith(" "):
            content = content[1:]  # space-stuffing (or the space after the quote marks)
        if current is not None and (level != depth or content == "-- "):
            out.append(_requote(depth, current))  # a soft break never crosses a change of depth or the sig line
            current = None
        soft = content.endswith(" ") and content != "-- "
        if soft and delsp:
            content = content[:-1]
        current = content if current is None else current + content
        depth = level
        if not soft:
            out.append(_requote(depth, current))
            current = None
    if current is not None:
        out.append(_requote(depth, current))
    return "\n".join(out)


def _requote(depth: int, content: str) -> str:
    return (">" * depth + " " + content) if depth else content


# ---------------------------------------------------------------------------------------------------------------------
# Reading the lines


@dataclass(frozen=True)
class _Boundary:
    start: int  # first line of the boundary (attribution, separator, header block, marker, quoted line)
    body: int  # first line after it (after the attribution or header block)
    kind: str  # "quote", "attribution", "header", "forward", "original"


def _depth(line: str) -> int:
    found = _QUOTE_PREFIX.match(line, 0, 256)  # the prefix only: a 1 MB line of ">" is not read whole
    return found.group(1).count(">") if found else 0


def _unquote(line: str) -> str:
    """One level of quoting removed ("> > x" -> "> x", ">x" -> "x")."""
    found = _QUOTE_PREFIX.match(line, 0, 256)
    if not found:
        return line
    rest = line[found.start(1) :]
    rest = rest[1:]
    return rest[1:] if rest.startswith((" ", "\t")) else rest


def _short(line: str) -> str:
    return line.strip() if len(line) <= _LONG_LINE else ""


def _attribution(lines: list[str], index: int) -> int:
    """Lines spanned by an attribution starting at `index` (0 if none): "On …, X <x> wrote:", wrapped over up to
    three lines by Gmail ("… X <" / "x@y> wrote:"), in any supported language."""
    # The cheap test first: which of the (up to) three lines could end one? Most lines are nothing like one.
    ends = [
        span
        for span in (1, 2, 3)
        if index + span <= len(lines) and _could_end_attribution(_short(lines[index + span - 1]))
    ]
    if not ends:
        return 0
    first = _short(lines[index]).strip("-*> \t\u200e\u200f\ufeff")
    if not first or _depth(lines[index]):
        return 0
    may_wrap: bool | None = None
    joined = first
    for span in range(1, ends[-1] + 1):
        if span > 1:
            if may_wrap is None:
                # Wrapped, the first line must start like one (a date, "On", "Le", …) and not end a sentence.
                may_wrap = bool("@" in first or "<" in first or vocab.WROTE_RE.search(first)) or (
                    not first.endswith((".", "!", "?"))
                    and bool(vocab.ATTRIBUTION_START.match(first) or any(char.isdigit() for char in first))
                )
            nxt = _short(lines[index + span - 1])
            # Gmail can wrap the address's ">:" onto a line of its own, which looks quoted.
            if not may_wrap or not nxt or (_depth(lines[index + span - 1]) and not vocab.CLOSING.match(nxt)):
                return 0
            joined = f"{joined}{nxt.strip()}" if vocab.CLOSING.match(nxt) else f"{joined} {nxt.strip('-*> ')}"
        if span not in ends:
            continue
        text = joined.rstrip(" -*\u200e\u200f")
        if len(text) > 400:
            return 0
        if _is_attribution(text, first, lines, index + span):
            return span
    return 0


@lru_cache(maxsize=4096)  # each line is the last of up to three candidate windows: test it once
def _could_end_attribution(line: str) -> bool:
    """`line` stripped and at most _LONG_LINE long (so the cache never holds a long line)."""
    text = line.rstrip(" -*\t\u200e\u200f")
    if text.endswith((":", "：")):
        return True
    words = text.rsplit(None, 1)
    return bool(words) and words[-1].lower() in vocab.WROTE_LAST_WORDS


def _is_attribution(text: str, first: str, lines: list[str], after: int) -> bool:
    ends_colon = text.endswith((":", "："))
    if not ends_colon:
        # Only "… X wrote ----" (the dashes already stripped) ends in the verb itself: its last word is enough.
        words = text.rsplit(None, 1)
        if not words or words[-1].lower() not in vocab.WROTE_LAST_WORDS:
            return False
    wrote = vocab.WROTE_RE.search(text)
    if wrote and (ends_colon or text.endswith(wrote.group(0))):
        # A sentence can say "On 12 May the school wrote:". A client's line is followed by the quote, or names an
        # address, or starts like one and gives a time ("at 10:02") or says "you wrote".
        if "@" in text or "<" in text or _next_is_quoted(lines, after):
            return True
        return bool(vocab.ATTRIBUTION_START.match(first) and (vocab.TIME.search(text) or vocab.YOU_WROTE.search(text)))
    return bool(ends_colon and vocab.ADDRESS_THEN_COLON.search(text) and any(char.isdigit() for char in text))


def _next_is_quoted(lines: list[str], index: int) -> bool:
    for line in lines[index : index + 3]:
        if line.strip():
            return _depth(line) > 0
    return False


def _header_block(lines: list[str], index: int) -> int:
    """End (exclusive) of a mail header block starting at `index` ("From:/Sent:/To:/Subject:" in any supported
    language, Outlook's bold "*From:*" too), or 0. It needs a From-like label: a pasted "Date:" and "Subject:"
    (meeting notes) is not history."""
    line = _short(lines[index])
    found = vocab.LABEL.match(line) if line else None
    if not found or _depth(lines[index]):
        return 0
    has_from = bool(found.group("from"))
    from_has_address = has_from and ("@" in line or "mailto:" in line)
    labels = 1
    if has_from and len(vocab.INLINE_LABELS.findall(line)) >= 2:
        return index + 1  # Yahoo's one-line header
    end = index + 1
    position = index + 1
    while position < len(lines) and position < index + 12:
        text = _short(lines[position])
        if not text:
            break
        label = vocab.LABEL.match(text)
        if label:
            labels += 1
            if label.group("from"):
                has_from = True
                from_has_address = from_has_address or "@" in text or "mailto:" in text
            end = position + 1
        elif not any(vocab.LABEL.match(_short(later)) for later in lines[position + 1 : position + 3] if later.strip()):
            break  # a wrapped value continues only when another label follows
        position += 1
    # "From: March 2019 / To: May 2021" in an answer is two labels without an address: a real block has three or more
    # (From, Sent, To, Subject), or names an address on its From line.
    return end if has_from and (labels >= 3 or (labels == 2 and from_has_address)) else 0


def _marker(line: str) -> str | None:
    text = _short(line)
    if not text or len(text) > 300:
        return None
    found = vocab.MARKER.match(text)
    if not found or not (found.group("lead") or found.group("trail")):
        return None
    return "forward" if found.group("forward") else "original"


def _boundary(lines: list[str], start: int = 0) -> _Boundary | None:
    """The first place from `start` where quoted or forwarded history begins."""
    for index in range(start, min(len(lines), _MAX_LINES)):
        line = lines[index]
        text = line.lstrip()
        if not text:
            continue
        if text[0] == ">" and _depth(line):
            return _Boundary(index, index, "quote")
        # Cheap tests first: a marker, a header or a rule needs a colon or a rule character near its start.
        ruled = text[0] in "-_=*"
        labelled = ":" in text[:60] or "：" in text[:60]
        kind = _marker(line) if ruled or labelled or text.rstrip().endswith((":", "：")) else None
        if kind:
            body = index + 1
            if not vocab.INLINE_LABELS.search(line):
                body = _skip_header(lines, body)
            return _Boundary(index, body, kind)
        span = _attribution(lines, index)
        if span:
            return _Boundary(index, index + span, "attribution")
        end = _header_block(lines, index) if labelled else 0
        if end:
            return _Boundary(index, end, "header")
        if ruled and vocab.SEPARATOR.match(_short(line)):
            following = _next_nonblank(lines, index + 1, 3)
            if following is not None and (end := _header_block(lines, following)):
                return _Boundary(index, end, "header")
    return None


def _next_nonblank(lines: list[str], index: int, limit: int) -> int | None:
    for position in range(index, min(len(lines), index + limit)):
        if lines[position].strip():
            return position
    return None


def _skip_header(lines: list[str], index: int) -> int:
    position = _next_nonblank(lines, index, 4)
    if position is None:
        return index
    end = _header_block(lines, position)
    return end if end else index


# ---------------------------------------------------------------------------------------------------------------------
# The visible reply


def visible_reply(text: str, subject: str = "") -> str:
    """The agency's own words for this message (see the module docstring). `subject` is the message's subject: with
    nothing typed above unquoted history, "Fwd:" (or no subject) means the forwarded words are the answer, "Re:"
    means nothing was typed."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").split("\n")
    return _join(_own_words(lines, subject, nested=False))


def _own_words(lines: list[str], subject: str, nested: bool) -> list[str]:
    boundary = _boundary(lines)
    if boundary is None:
        return _finish(lines)
    top = _finish(lines[: boundary.start])
    if len(top) == 1 and _is_tagline(top[0].strip()):
        top = []  # "Sent from my iPhone" over the quote: nothing was typed
    if nested:
        return top
    if boundary.kind == "quote":
        quoted_forward = _quoted_forward(lines, boundary.start)
        if quoted_forward is not None:
            return _both(top, _own_words(quoted_forward, subject, nested=True))
        return _finish(top + _answers_between_quotes(lines, boundary.start, after_last=not top))
    if boundary.kind == "forward":
        return _both(top, _own_words(_forwarded_lines(lines, boundary), subject, nested=True))
    if boundary.kind == "attribution" and _next_is_quoted(lines, boundary.body):
        return _finish(top + _answers_between_quotes(lines, boundary.body, after_last=not top))
    # A header block, an "Original message" line or an attribution over unquoted history.
    if top:
        return top
    if vocab.REPLY_SUBJECT.match(subject) and not vocab.FORWARD_SUBJECT.match(subject):
        return []  # a reply with nothing typed
    return _own_words(lines[boundary.body :], subject, nested=True)  # forwarded with no comment: its words


def _both(comment: list[str], forwarded: list[str]) -> list[str]:
    if comment and forwarded:
        return [*comment, "", *forwarded]
    return comment or forwarded


def _forwarded_lines(lines: list[str], boundary: _Boundary) -> list[str]:
    """The forwarded message under a forward line; some clients quote it ("Begin forwarded message:" / "> From: …")."""
    first = _next_nonblank(lines, boundary.start + 1, 4)
    if first is None or not _depth(lines[first]):
        return lines[boundary.body :]
    body = [_unquote(line) if _depth(line) else line for line in lines[boundary.start + 1 :]]
    return body[_skip_header(body, 0) :]


def _quoted_forward(lines: list[str], index: int) -> list[str] | None:
    """Apple Mail quotes a forward: "> Begin forwarded message:" / "> From: …". The forwarded lines, unquoted."""
    if _marker(_unquote(lines[index])) != "forward":
        return None
    body = [_unquote(line) if _depth(line) else line for line in lines[index + 1 :]]
    start = _skip_header(body, 0)
    return body[start:]


def _answers_between_quotes(lines: list[str], index: int, after_last: bool) -> list[str]:
    """Unquoted blocks among quoted lines: inline answers, or a bottom-posted answer (`after_last`: text after the
    last quoted line counts too; with a reply on top, an unquoted tail is a gateway's footer, not an answer)."""
    blocks: list[list[str]] = []
    current: list[str] = []
    position = index
    while position < len(lines):
        line = lines[position]
        if _wrapped_quote(lines, position):
            position += 1  # a quoted line wrapped by the client without its ">": part of the quote
            continue
        if _depth(line):
            if any(part.strip() for part in current):
                blocks.append(current)
            current = []
            position += 1
            continue
        if line.strip() and position < _MAX_LINES:
            span = _attribution(lines, position)
            if span:
                position += span
                continue
            if _header_block(lines, position) or _marker(line):
                break  # older history, unquoted: the answers are above it
        current.append(line)
        position += 1
    if any(part.strip() for part in current) and after_last:
        blocks.append(current)
    answers: list[str] = []
    for block in blocks:
        trimmed = _strip_blank_edges(block)
        if trimmed:
            answers.extend(["", *trimmed] if answers else trimmed)
    return ["", *answers] if answers else []


def _wrapped_quote(lines: list[str], index: int) -> bool:
    """One unquoted line in lower case squeezed between two quoted lines, the one above not empty: the client
    wrapped a long quoted line and lost the ">"."""
    if _depth(lines[index]) or not lines[index].strip() or index == 0 or index + 1 >= len(lines):
        return False
    above, below, text = lines[index - 1], lines[index + 1], lines[index].lstrip()
    # The wrapped rest of a sentence starts in lower case; an answer starts a sentence of its own.
    return bool(text[:1].islower() and _depth(above) and _unquote(above).strip(" >") and _depth(below))


# ---------------------------------------------------------------------------------------------------------------------
# Tidying one block of the writer's own words


def _finish(lines: list[str]) -> list[str]:
    """Trailing taglines, separators, disclaimers, signatures (after "--", or a sign-off with a name) removed; a
    gateway's "this email originated outside" banner at the top removed; blank edges trimmed."""
    lines = _strip_blank_edges(list(lines))
    lines = _drop_banner(lines)
    changed, rounds = True, 0
    # A real reply ends in a handful of these (tagline, signature, disclaimer): a few rounds, never one per line.
    while changed and lines and rounds < _MAX_FINISH_ROUNDS:
        rounds += 1
        before = len(lines)
        _drop_trailing_junk(lines)
        _drop_delimited_signature(lines)
        _drop_sign_off(lines)
        _drop_list_footer(lines)
        lines = _strip_blank_edges(lines)
        changed = len(lines) != before
    return lines


def _strip_blank_edges(lines: list[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and _is_blank(lines[start]):
        start += 1
    while end > start and _is_blank(lines[end - 1]):
        end -= 1
    return lines[start:end]


def _is_blank(line: str) -> bool:
    return not line.strip() or (len(line) < 50 and not line.strip("\u1427\u200b\u200c\u200d\ufeff \t"))


def _drop_banner(lines: list[str]) -> list[str]:
    if lines and vocab.BANNER.match(_short(lines[0])[:300]):
        end = 1
        while end < len(lines) and lines[end].strip():
            end += 1
        rest = _strip_blank_edges(lines[end:])
        return rest if rest else lines
    return lines


def _drop_trailing_junk(lines: list[str]) -> None:
    while len(lines) > 1:
        last = _short(lines[-1])
        if _is_blank(lines[-1]) or (last and len(last) <= 3 and vocab.JUNK.match(last)) or vocab.SEPARATOR.match(last):
            lines.pop()
            continue
        if last and _is_tagline(last):
            lines.pop()
            continue
        if last and (len(last) <= 40 and vocab.JUNK.match(last)):
            lines.pop()
            continue
        start = len(lines) - 1
        limit = max(0, start - _MAX_DISCLAIMER_LINES)  # a disclaimer is a paragraph, not a whole long body
        while start > limit and lines[start - 1].strip():
            start -= 1
        if (
            start > 0 and not lines[start - 1].strip() and vocab.DISCLAIMER.match(_short(lines[start])[:300])
        ):  # never the whole reply
            del lines[start:]
            continue
        return


def _is_tagline(text: str) -> bool:
    return bool(vocab.TAGLINE.match(vocab.LINK.sub(r"\1", text).strip()[:200]))


def _drop_delimited_signature(lines: list[str]) -> None:
    for index in range(len(lines) - 1, max(-1, len(lines) - _MAX_SIGNATURE_LINES - 2), -1):
        if _SIGNATURE_DELIMITER.match(lines[index].rstrip(" \t") + (" " if lines[index].endswith(" ") else "")):
            if index > 0 and any(line.strip() for line in lines[:index]):
                del lines[index:]
            return


def _namelike(line: str) -> bool:
    """A line of a signature block: a name, a role, a team, a phone number, an address; not a sentence."""
    text = line.strip()
    words = len(text.split())
    return len(text) <= 80 and words <= 12 and not text.endswith("?") and not (text.endswith(".") and words > 3)


def _drop_sign_off(lines: list[str]) -> None:
    """ "Kind regards, / Sam Taylor / PC 1234" at the end (a sign-off followed by a name); a last line "-Sam"."""
    tail = max(0, len(lines) - 40)  # a signature block is short: only the end is read
    content = [index for index in range(tail, len(lines)) if lines[index].strip()]
    if len(content) < 2:
        return
    for position in range(len(content) - 1, max(-1, len(content) - 10), -1):
        index = content[position]
        text = _short(lines[index])
        sign_off = vocab.SIGN_OFF_LINE.match(text) if len(text) <= 60 else None
        if sign_off and position > 0:
            named = sign_off.group("name") and sign_off.group("name")[0].isupper()
            if position < len(content) - 1 or named:
                del lines[index:]
                return
        if not _namelike(text):
            break
    last = content[-1]
    dash = vocab.DASH_NAME.match(_short(lines[last]))
    previous = lines[content[-2]].strip()
    if dash and dash.group("name")[0].isupper() and not previous.startswith(("-", "—", "–", "*", "•")):
        del lines[last:]


def _drop_list_footer(lines: list[str]) -> None:
    for index in range(len(lines) - 1, max(-1, len(lines) - 8), -1):
        if vocab.SEPARATOR.match(_short(lines[index])):
            if index > 0 and any(vocab.LIST_FOOTER.search(_short(line)) for line in lines[index + 1 :]):
                del lines[index:]
            return


def _join(lines: list[str]) -> str:
    return "\n".join(line.rstrip() for line in lines).strip("\n")
