"""What a file is, by its content, when it is one of the few types the hub keeps; and the name staff save it under.

A file's name and declared type are the sender's word (`Referral notes.hta` declared `text/plain`).
The hub keeps a file only when its content is, structurally, one of:

- PDF: `%PDF-` at offset 0, `startxref` and `%%EOF` at the end, no HTML or script markup anywhere in
  the bytes (an HTML/PDF polyglot), parsed by pypdf, with no JavaScript, launch action, embedded file
  or XFA form in any object;
- Word (.docx): a zip holding only what a Word package holds at its top level, every entry stored or
  deflated, unpacked within a total size and a per-entry ratio counted while reading (a zip's
  declared sizes can lie); its main part the macro-free Word type; no macro, VBA or ActiveX content
  type or relationship anywhere, whatever the part's name; no OLE (compound file) part; no external
  relationship but a hyperlink or a local template;
- PNG: chunk by chunk from IHDR to IEND, each CRC right, nothing after;
- JPEG: segment by segment from SOI to EOI (or several JPEGs back to back: phones append previews);
- plain text: UTF-8 without control characters but tab, CR, LF and FF, and no markup or script (it
  must not start with `<`, nor hold `<script`, `<html`, `<svg`, …).

Anything else is refused. puremagic (a maintained magic-number library) says which family a file
claims to be; the structural checks here decide whether it is one. Staff download a kept file under
the uploader's base name with OUR extension for the detected type (`notes.hta` that is text ->
`notes.txt`), so no file is saved or opened as something it was not checked to be.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT = "text/plain"


@dataclass(frozen=True)
class KeptType:
    content_type: str
    extension: str  # what a staff download is saved as: ours, never the uploader's
    download_type: str  # the Content-Type of the download


KEPT_TYPES: dict[str, KeptType] = {
    PDF: KeptType(PDF, ".pdf", PDF),
    DOCX: KeptType(DOCX, ".docx", DOCX),
    PNG: KeptType(PNG, ".png", PNG),
    JPEG: KeptType(JPEG, ".jpg", JPEG),
    TEXT: KeptType(TEXT, ".txt", "text/plain; charset=utf-8"),
}

# -- limits: a hostile file costs little to refuse ------------------------------------------------------

MAX_UNPACKED_BYTES = 64 * 1024 * 1024  # a whole .docx, unpacked
MAX_ENTRY_RATIO = 100  # unpacked / packed, per zip entry (Word's XML packs ~5-20x, a bomb ~1000x)
RATIO_FLOOR_BYTES = 1024 * 1024  # below this an entry may pack as well as it likes (a page of spaces)
MAX_ZIP_ENTRIES = 2000
MAX_XML_PART_BYTES = 2 * 1024 * 1024  # [Content_Types].xml and each .rels: small in any real document
MAX_PDF_OBJECTS = 200_000
MAX_IMAGE_PIXELS = 200_000_000  # beyond any scan or photo: a pixel-flood image
_READ_CHUNK = 64 * 1024


def detect(data: bytes) -> str | None:
    """The type (one of KEPT_TYPES) that `data` structurally is, or None to refuse it."""
    if not data:
        return None
    family = _claimed_family(data)
    if family == PDF:
        return PDF if _is_pdf(data) else None
    if family == PNG:
        return PNG if _is_png(data) else None
    if family == JPEG:
        return JPEG if _is_jpeg(data) else None
    if family == DOCX:
        return DOCX if _is_docx(data) else None
    return TEXT if _is_plain_text(data) else None


def download_name(filename: str, content_type: str) -> str:
    """The uploader's base name with our extension for the detected type: `Referral notes.hta` kept
    as text -> `Referral notes.txt`. Only our extension is ever last, so no OS opens it as anything else."""
    kept = KEPT_TYPES.get(content_type)
    extension = kept.extension if kept else ".bin"
    base = re.split(r"[\\/]", filename or "")[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '"*:<>?|')
    stem, dot, _old = base.rpartition(".")
    stem = (stem if dot else base).strip(" .")
    return f"{(stem or 'document')[:150]}{extension}"


def download_type(content_type: str) -> str:
    kept = KEPT_TYPES.get(content_type)
    return kept.download_type if kept else "application/octet-stream"


# -- which family a file claims -------------------------------------------------------------------------


def _claimed_family(data: bytes) -> str | None:
    """PDF, PNG, JPEG, DOCX (any zip) by puremagic's reading of the magic numbers; None for anything
    else, which can then only be kept as plain text."""
    import puremagic

    try:
        matches = puremagic.magic_string(data[:8192])
    except (puremagic.PureError, ValueError):
        matches = []
    mimes = {match.mime_type for match in matches}
    extensions = {match.extension.lower() for match in matches}
    if data.startswith(b"PK\x03\x04") and (".zip" in extensions or ".docx" in extensions or ".jar" in extensions):
        return DOCX
    if PDF in mimes or ".pdf" in extensions:
        return PDF
    if PNG in mimes:
        return PNG
    if JPEG in mimes:
        return JPEG
    # Magic at offset 0 that puremagic missed (it matches on a prefix): still checked as that type,
    # never as text.
    for magic, family in ((b"%PDF-", PDF), (b"\x89PNG", PNG), (b"\xff\xd8\xff", JPEG), (b"PK\x03\x04", DOCX)):
        if data.startswith(magic):
            return family
    return None


# -- PDF ---------------------------------------------------------------------------------------------------

_PDF_HEADER = re.compile(rb"%PDF-[12]\.[0-9]")
# Markup a browser or mshta would run if the file were opened as HTML: never in a real PDF's bytes.
# Each is four or more characters after `<`, so compressed streams do not hold one by chance.
_MARKUP = re.compile(
    rb"<(?:!doctype|html|head|body|script|iframe|object|embed|style|svg[\s>/]|hta:|img\s|meta\s|link\s"
    rb"|form\s|base\s|a\s+href)"
)  # matched against the lowered bytes: a case-blind regex is ten times slower over 10 MB
_SCRIPT_SCHEMES = (b"javascript:", b"vbscript:")
_ACTIVE_ACTIONS = frozenset({"/JavaScript", "/Launch", "/ImportData", "/RichMediaExecute", "/GoToE", "/SubmitForm"})
_ACTIVE_KEYS = frozenset({"/JS", "/JavaScript", "/EF", "/EmbeddedFiles", "/XFA", "/RichMedia"})


def _is_pdf(data: bytes) -> bool:
    if not _PDF_HEADER.match(data):
        return False
    tail = data[-1024:]
    if b"%%EOF" not in tail or b"startxref" not in data[-4096:]:
        return False
    lowered = data.lower()
    if _MARKUP.search(lowered) or any(scheme in lowered for scheme in _SCRIPT_SCHEMES):
        return False
    return _pdf_parses_without_active_content(data)


def _pdf_parses_without_active_content(data: bytes) -> bool:
    import logging

    from pypdf import PdfReader
    from pypdf.generic import IndirectObject

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # a damaged file's warnings are not our log's business
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted or len(reader.pages) < 1:
            return False
        # Every object, those in object streams too: an action can hang anywhere, not just off the catalog.
        ids = {(num, gen) for gen, table in reader.xref.items() for num in table}
        ids |= {(num, 0) for num in reader.xref_objStm}
        if len(ids) > MAX_PDF_OBJECTS:
            return False
        return not any(_active(reader.get_object(IndirectObject(num, gen, reader))) for num, gen in ids)
    except Exception:
        return False


_MAX_PDF_NESTING = 32


def _active(obj: Any, depth: int = 0) -> bool:
    """JavaScript, a launch action, an embedded file or an XFA form: content that can run. Direct
    dictionaries and arrays are looked into (`/OpenAction << /S /JavaScript … >>` sits inline);
    references are not followed, since every indirect object is looked at on its own."""
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject

    if depth > _MAX_PDF_NESTING:
        return True  # nesting no real file has: refused rather than recursed into
    if isinstance(obj, ArrayObject):
        return any(_active(item, depth + 1) for item in obj)
    if not isinstance(obj, DictionaryObject):
        return False
    if any(key in obj for key in _ACTIVE_KEYS):
        return True
    action = obj.get("/S")
    if isinstance(action, NameObject) and str(action) in _ACTIVE_ACTIONS:
        return True
    if obj.get("/Type") == "/EmbeddedFile":
        return True
    return any(
        _active(value, depth + 1) for value in obj.values() if isinstance(value, (ArrayObject, DictionaryObject))
    )


# -- PNG ---------------------------------------------------------------------------------------------------

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _is_png(data: bytes) -> bool:
    if not data.startswith(_PNG_SIGNATURE):
        return False
    position, first, seen_data = len(_PNG_SIGNATURE), True, False
    while position + 12 <= len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        end = position + 12 + length
        if length > 0x7FFFFFFF or end > len(data) or not kind.isalpha():
            return False
        body = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if zlib.crc32(kind + body) != crc:
            return False
        if first:
            if kind != b"IHDR" or length != 13:
                return False
            width, height = struct.unpack(">II", body[:8])
            if not (width > 0 and height > 0 and width * height <= MAX_IMAGE_PIXELS):
                return False
            first = False
        seen_data = seen_data or kind == b"IDAT"
        if kind == b"IEND":
            return seen_data and end == len(data)  # nothing hidden after the image
        position = end
    return False


# -- JPEG --------------------------------------------------------------------------------------------------

_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})


def _is_jpeg(data: bytes) -> bool:
    """One JPEG from SOI to EOI; after it only more whole JPEGs (a phone's previews) or zero padding."""
    position = _jpeg_end(data, 0)
    while position is not None and position < len(data):
        if not data[position:].strip(b"\x00"):
            return True
        position = _jpeg_end(data, position)
    return position is not None


def _jpeg_end(data: bytes, start: int) -> int | None:
    """Where the JPEG starting at `start` ends (after its EOI), or None if it is not one."""
    if data[start : start + 2] != b"\xff\xd8":
        return None
    position, frame, scanned = start + 2, False, False
    size = len(data)
    while position < size:
        if data[position] != 0xFF:
            return None
        while position < size and data[position] == 0xFF:  # fill bytes
            position += 1
        if position >= size:
            return None
        marker = data[position]
        position += 1
        if marker == 0xD9:
            return position if frame and scanned else None
        if marker in _STANDALONE:
            continue
        if marker in (0x00, 0xD8) or position + 2 > size:
            return None
        (length,) = struct.unpack(">H", data[position : position + 2])
        if length < 2 or position + length > size:
            return None
        if marker in _SOF:
            frame = True
            if length >= 8:
                height, width = struct.unpack(">HH", data[position + 3 : position + 7])
                if width * height > MAX_IMAGE_PIXELS:
                    return None
        position += length
        if marker == 0xDA:  # start of scan: entropy-coded data runs to the next real marker
            if not frame:
                return None
            scanned = True
            after_scan = _after_scan(data, position)
            if after_scan is None:
                return None
            position = after_scan
    return None


def _after_scan(data: bytes, position: int) -> int | None:
    while True:
        found = data.find(b"\xff", position)
        if found < 0 or found + 1 >= len(data):
            return None
        following = data[found + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
            position = found + 1 if following == 0xFF else found + 2
            continue
        return found


# -- Word (.docx) ------------------------------------------------------------------------------------------

# What an OOXML Word package holds at its top level; anything else (META-INF/ of a JAR, a script) refuses.
_DOCX_TOP = frozenset({"[content_types].xml", "_rels", "docprops", "word", "customxml"})
_MAIN_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_OFFICE_DOCUMENT = "/officedocument"
# Any of these in a content type or a relationship type, anywhere in the package, is code.
_CODE_WORDS = ("macroenabled", "vbaproject", "vbadata", "activex", "oleobject", "keymapcustomizations", "ms-office.vba")
_HYPERLINK = "/hyperlink"
_LOCAL_FILE = re.compile(r"^file:///[a-z]:[\\/]", re.IGNORECASE)
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an OLE compound file: how VBA and OLE objects are stored
_CONTENT_TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"


class _Refused(Exception):
    pass


def _is_docx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = _read_package(archive)
    except (_Refused, zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError,
            NotImplementedError, RuntimeError, zlib.error):  # fmt: skip
        return False
    try:
        return _word_package_is_macro_free(parts)
    except (_Refused, ValueError, SyntaxError):  # SyntaxError: ElementTree's ParseError
        return False


def _read_package(archive: zipfile.ZipFile) -> dict[str, bytes]:
    """Every part, unpacked under the limits. Only the XML the checks read is kept in memory."""
    entries = archive.infolist()
    if not entries or len(entries) > MAX_ZIP_ENTRIES:
        raise _Refused
    seen: set[str] = set()
    kept: dict[str, bytes] = {}
    total = 0
    for entry in entries:
        name = entry.filename
        lowered = name.lower()
        if (
            lowered in seen  # two entries one name: readers disagree on which one counts
            or name.startswith("/")
            or "\\" in name
            or ".." in name.split("/")
            or lowered.split("/", 1)[0] not in _DOCX_TOP
            or entry.flag_bits & 0x1  # encrypted
            or entry.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
            or any(word in lowered.rsplit("/", 1)[-1] for word in ("vbaproject", "vbadata"))  # by name too
        ):
            raise _Refused
        seen.add(lowered)
        if entry.is_dir():
            continue
        keep = lowered == "[content_types].xml" or lowered.endswith(".rels")
        chunks: list[bytes] = []
        unpacked = 0
        # Counted while reading: the declared size is the sender's word, the bytes are not.
        with archive.open(entry) as stream:
            while chunk := stream.read(_READ_CHUNK):
                if unpacked == 0 and chunk.startswith(_CFB_MAGIC):
                    raise _Refused  # VBA or an OLE object, whatever the part is called
                unpacked += len(chunk)
                total += len(chunk)
                if total > MAX_UNPACKED_BYTES:
                    raise _Refused
                if unpacked > RATIO_FLOOR_BYTES and unpacked > MAX_ENTRY_RATIO * max(entry.compress_size, 1):
                    raise _Refused
                if keep:
                    if unpacked > MAX_XML_PART_BYTES:
                        raise _Refused
                    chunks.append(chunk)
        if keep:
            kept[lowered] = b"".join(chunks)
    return kept


def _xml(data: bytes) -> Any:
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    # No DTD at all: entity expansion (billion laughs) and external entities never reach the parser.
    try:
        return fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise _Refused from None


def _word_package_is_macro_free(parts: dict[str, bytes]) -> bool:
    types = parts.get("[content_types].xml")
    package_rels = parts.get("_rels/.rels")
    if types is None or package_rels is None:
        return False
    root = _xml(types)
    overrides: dict[str, str] = {}
    for element in root:
        content_type = (element.get("ContentType") or "").lower()
        if any(word in content_type for word in _CODE_WORDS):
            return False
        if element.tag == f"{{{_CONTENT_TYPES_NS}}}Override":
            overrides[(element.get("PartName") or "").lstrip("/").lower()] = content_type
    main_parts = []
    for rels_name, rels in parts.items():
        if not rels_name.endswith(".rels"):
            continue
        for relationship in _xml(rels):
            kind = (relationship.get("Type") or "").lower()
            target = relationship.get("Target") or ""
            if any(word in kind for word in _CODE_WORDS):
                return False
            external = (relationship.get("TargetMode") or "").lower() == "external"
            if external and not kind.endswith(_HYPERLINK) and not _LOCAL_FILE.match(target):
                return False  # a remote template or object: fetched and run when the file opens
            if rels_name == "_rels/.rels" and kind.endswith(_OFFICE_DOCUMENT):
                main_parts.append(target.lstrip("/").lower())
    return len(main_parts) == 1 and main_parts[0].startswith("word/") and overrides.get(main_parts[0]) == _MAIN_TYPE


# -- plain text --------------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_TEXT_MARKUP = re.compile(
    r"<\s*(?:!doctype|!\[cdata|\?xml|html|head|body|script|iframe|object|embed|svg|hta:|meta|link|style|xml"
    r"|img\s|form\s|base\s|a\s+href)",
    re.IGNORECASE,
)


def _is_plain_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    text = text.removeprefix("\ufeff")
    if _CONTROL.search(text):
        return False
    # Markup is not plain text: a browser, mshta or an SVG viewer would run it.
    return not text.lstrip().startswith("<") and _TEXT_MARKUP.search(text) is None
