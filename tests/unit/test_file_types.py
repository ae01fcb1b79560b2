"""What a file is, by content and structure (chalicelib/domain/file_types.py): each check on its own,
so that no one of them can quietly stop working because another one also refuses the file."""

from __future__ import annotations

import io
import random
import struct
import time
import zipfile
import zlib

import pytest

from chalicelib.domain import file_types
from chalicelib.domain.file_types import DOCX, JPEG, PDF, PNG, TEXT, detect, download_name, download_type
from tests import samples

EXTERNAL = "External"
TEMPLATE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate"
HYPERLINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
IMAGE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"


def test_a_real_file_of_each_kept_type_is_told_by_its_content() -> None:
    assert detect(samples.pdf()) == PDF
    assert detect(samples.docx()) == DOCX
    assert detect(samples.png()) == PNG
    assert detect(samples.jpeg()) == JPEG
    assert detect(samples.TEXT) == TEXT


# -- Word ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        # Each on its own: the relationship type, the content type, the main part's type, OLE content, the name.
        samples.docx(
            document_rels=[(samples.VBA_PROJECT, "media/notes.dat", None)], parts={"word/media/notes.dat": b"x"}
        ),
        samples.docx(overrides={"/word/notes.dat": samples.VBA_TYPE}, parts={"word/notes.dat": b"x"}),
        samples.docx(defaults={"dat": samples.VBA_TYPE}, parts={"word/notes.dat": b"x"}),
        samples.docx(main_type=samples.MACRO_MAIN),
        samples.docx(parts={"word/media/image1.png": samples.CFB}),
        samples.docx(parts={"word/vbaProject.bin": b"not even OLE"}),
        samples.docx(
            overrides={"/word/activeX/activeX1.xml": "application/vnd.ms-office.activeX+xml"},
            parts={"word/activeX/activeX1.xml": b"<ax/>"},
        ),
        samples.docm_with_renamed_vba(),
    ],
    ids=[
        "vba relationship",
        "vba override",
        "vba default",
        "macro main part",
        "OLE bytes",
        "vba name",
        "activeX",
        "probe docm",
    ],
)
def test_a_word_file_with_code_anywhere_is_refused(data: bytes) -> None:
    assert detect(data) is None


def test_a_word_file_with_an_image_and_a_hyperlink_and_a_local_template_is_kept() -> None:
    data = samples.docx(
        defaults={"png": "image/png"},
        document_rels=[
            (IMAGE, "media/image1.png", None),
            (HYPERLINK, "https://council.example/help", EXTERNAL),
            (TEMPLATE, "file:///C:\\Users\\pat\\Templates\\Normal.dotm", EXTERNAL),
        ],
        parts={"word/media/image1.png": samples.png()},
    )
    assert detect(data) == DOCX


@pytest.mark.parametrize(
    "target", ["https://attacker.example/t.dotm", "\\\\attacker.example\\share\\t.dotm", "file://attacker.example/t"]
)
def test_a_remote_template_is_refused(target: str) -> None:
    assert detect(samples.docx(document_rels=[(TEMPLATE, target, EXTERNAL)])) is None


def rezip(data: bytes, change: dict[str, bytes | None] | None = None, add: dict[str, bytes] | None = None) -> bytes:
    """The package again with parts replaced (None: removed) or added."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            replaced = (change or {}).get(info.filename, source.read(info))
            if replaced is not None:
                out.writestr(info.filename, replaced)
        for name, part in (add or {}).items():
            out.writestr(name, part)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("change", "add"),
    [
        ({}, {"META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\n"}),  # a JAR's
        ({}, {"run.hta": b"<html/>"}),
        ({"_rels/.rels": None}, {}),
        ({"[Content_Types].xml": None}, {}),
        (
            {
                "[Content_Types].xml": b'<?xml version="1.0"?><!DOCTYPE Types [<!ENTITY a "aaaa">]>'
                b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">&a;</Types>'
            },
            {},
        ),
        ({}, {"word/../evil.xml": b"<x/>"}),
    ],
    ids=["jar manifest", "extra top level file", "no package rels", "no content types", "a DTD", "dot dot"],
)
def test_a_package_that_is_not_just_a_word_document_is_refused(
    change: dict[str, bytes | None], add: dict[str, bytes]
) -> None:
    assert detect(rezip(samples.docx(), change, add)) is None
    assert detect(rezip(samples.docx())) == DOCX  # the rezip itself keeps a real one whole


def test_a_word_file_with_the_same_part_twice_is_refused() -> None:
    buffer = io.BytesIO(samples.docx())
    with pytest.warns(UserWarning), zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    assert detect(buffer.getvalue()) is None


def test_an_encrypted_entry_is_refused() -> None:
    data = bytearray(samples.docx())
    # Set the "encrypted" flag on every entry, in the local headers and the central directory.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        while at >= 0:
            (flags,) = struct.unpack("<H", data[at + offset : at + offset + 2])
            data[at + offset : at + offset + 2] = struct.pack("<H", flags | 1)
            at = data.find(signature, at + 4)
    assert detect(bytes(data)) is None


def test_a_part_that_packs_too_well_is_refused_and_one_that_does_not_is_kept() -> None:
    noise = random.Random(16).randbytes(3 * 1024 * 1024)  # noqa: S311 - test data, not a secret
    assert detect(samples.docx(parts={"word/media/noise.bin": noise})) == DOCX
    assert detect(samples.docx(parts={"word/media/zeros.bin": b"\x00" * (3 * 1024 * 1024)})) is None


def test_the_total_unpacked_size_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    noise = random.Random(16).randbytes(2 * 1024 * 1024)  # noqa: S311
    data = samples.docx(parts={"word/media/noise.bin": noise})
    assert detect(data) == DOCX
    monkeypatch.setattr(file_types, "MAX_UNPACKED_BYTES", 1024 * 1024)
    assert detect(data) is None


def test_a_bomb_whose_declared_size_lies_is_refused_cheaply() -> None:
    bomb = bytearray(samples.deflate_bomb())
    # Declare the bomb's entry 100 bytes unpacked (central directory): the bytes still are 200 MB.
    at = bomb.find(b"PK\x01\x02")
    while at >= 0:
        if bomb[at + 46 : at + 46 + 17] == b"word/document.xml":
            bomb[at + 24 : at + 28] = struct.pack("<I", 100)
        at = bomb.find(b"PK\x01\x02", at + 4)
    started = time.perf_counter()
    assert detect(bytes(bomb)) is None
    assert time.perf_counter() - started < 2


# -- PDF -------------------------------------------------------------------------------------------------------


def pdf_with(catalog_extra: bytes, more_objects: tuple[bytes, ...] = ()) -> bytes:
    """samples.pdf's structure with extra catalog entries and objects (6 0 obj onward), offsets right."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
        b"<< /Length 0 >>\nstream\n\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        *more_objects,
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_the_pdf_builder_makes_a_kept_pdf() -> None:
    assert detect(pdf_with(b"")) == PDF


@pytest.mark.parametrize(
    ("catalog", "objects"),
    [
        (b"/OpenAction 6 0 R", (b"<< /S /JavaScript /JS (app.alert(1)) >>",)),
        (b"/OpenAction 6 0 R", (b"<< /S /Launch /F (cmd.exe) >>",)),
        (b"/OpenAction 6 0 R", (b"<< /S /J#61vaScript /J#53 (app.alert(1)) >>",)),  # names #-escaped
        (b"/Names << /EmbeddedFiles 6 0 R >>", (b"<< /Names [(a.exe) 7 0 R] >>", b"<< /Type /Filespec /EF << >> >>")),
        (b"/AcroForm << /XFA 6 0 R >>", (b"<< /Length 0 >>\nstream\n\nendstream",)),
        (b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>", ()),  # inline, not an object of its own
        (b"/AA << /WC [ << /S /Launch /F (cmd.exe) >> ] >>", ()),  # inside an array inside a dictionary
    ],
    ids=["javascript", "launch", "escaped names", "embedded file", "xfa", "inline action", "nested action"],
)
def test_a_pdf_with_content_that_runs_is_refused(catalog: bytes, objects: tuple[bytes, ...]) -> None:
    assert detect(pdf_with(catalog, objects)) is None


@pytest.mark.parametrize(
    "data",
    [
        b"\n" + samples.pdf(),  # header not at offset 0
        samples.pdf().replace(b"%%EOF", b"%%EOX"),
        samples.pdf().replace(b"startxref", b"startxreg"),
        samples.pdf() + b"<html><script>alert(1)</script></html>" + b"\n%%EOF\n",
        samples.pdf().replace(b"(Chronology)", b"(<svg onload=alert(1)>)"),
        samples.pdf().replace(b"(Chronology)", b"(<img src=x onerror=alert(1)>)"),
        samples.PDF_HTML_POLYGLOT,
        b"%PDF-1.7\n" + b"garbage\n" * 10 + b"startxref\n0\n%%EOF\n",  # the markers without a PDF
    ],
    ids=[
        "leading byte",
        "no eof",
        "no startxref",
        "html appended",
        "svg inside",
        "img inside",
        "probe polyglot",
        "not parseable",
    ],
)
def test_a_pdf_that_is_not_only_a_pdf_is_refused(data: bytes) -> None:
    assert detect(data) is None


# -- PNG and JPEG ----------------------------------------------------------------------------------------------


def png_chunks(*chunks: tuple[bytes, bytes]) -> bytes:
    out = b"\x89PNG\r\n\x1a\n"
    for kind, body in chunks:
        out += struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return out


IHDR = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)


@pytest.mark.parametrize(
    "data",
    [
        samples.png() + b"<html><script>alert(1)</script></html>",
        samples.png()[:-1] + b"\x00",  # IEND's CRC wrong
        png_chunks((b"IHDR", IHDR), (b"IEND", b"")),  # no image data
        png_chunks((b"IDAT", zlib.compress(b"\x00\x80")), (b"IHDR", IHDR), (b"IEND", b"")),  # IHDR not first
        png_chunks((b"IHDR", struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)), (b"IEND", b"")),
        samples.png()[:-12],  # no IEND
    ],
    ids=["trailing html", "bad crc", "no idat", "ihdr not first", "pixel flood", "truncated"],
)
def test_a_png_that_is_not_a_whole_png_is_refused(data: bytes) -> None:
    assert detect(data) is None


def test_jpegs_back_to_back_and_zero_padding_are_kept() -> None:
    assert detect(samples.jpeg() + samples.jpeg()) == JPEG  # a phone's preview after the photo
    assert detect(samples.jpeg() + b"\x00" * 64) == JPEG


@pytest.mark.parametrize(
    "data",
    [
        samples.jpeg()[:-2],  # no EOI
        samples.jpeg() + b"<html><script>alert(1)</script></html>",
        samples.jpeg().replace(b"\xff\xc0", b"\xff\xfe", 1),  # no frame header: not an image
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 10,  # magic bytes only
    ],
    ids=["truncated", "trailing html", "no frame", "magic only"],
)
def test_a_jpeg_that_is_not_a_whole_jpeg_is_refused(data: bytes) -> None:
    assert detect(data) is None


# -- plain text ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Seen on 3 March.\tAll well.\r\nNext visit\x0cbooked.\n",
        "Mum's email is <parent@family.example>; 3 < 4 and 5 > 2.",
        "\ufeffNotes with a byte order mark",
        "Notes in Welsh: Bore da, diolch yn fawr; ŵ ŷ",
        "PK and JB attended; the zip code magic is PK\\x03\\x04, not these letters",  # "PK" alone is not a zip
    ],
)
def test_plain_text_is_kept(text: str) -> None:
    assert detect(text.encode()) == TEXT


@pytest.mark.parametrize(
    "data",
    [
        samples.HTA,
        samples.SVG_ONLOAD,
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        "\ufeff  \n<html><body>hi</body></html>".encode(),
        b"Notes first, then <script>alert(1)</script>",
        b"Notes first, then <HTA:APPLICATION> and VBScript",
        b"   <p>a paragraph</p>",
        b'Click <a href="https://attacker.example/">here</a> to see the notes',
        b"text with a NUL\x00 in it",
        b"an escape \x1b[31m sequence",
        "café".encode("latin-1"),
    ],
    ids=["hta", "svg", "xml svg", "bom html", "script", "hta tag", "leading tag", "link", "nul", "escape", "latin-1"],
)
def test_markup_script_and_binary_are_not_plain_text(data: bytes) -> None:
    assert detect(data) is None


# -- the name and type a staff download gets ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content_type", "saved_as"),
    [
        ("Referral notes.hta", TEXT, "Referral notes.txt"),
        ("scan.html", PDF, "scan.pdf"),
        ("minutes.docm", DOCX, "minutes.docx"),
        ("photo.PNG", PNG, "photo.png"),
        ("camera", JPEG, "camera.jpg"),
        ("report.pdf.exe", PDF, "report.pdf.pdf"),
        (".hta", TEXT, "document.txt"),
        ("", PDF, "document.pdf"),
        ('C:\\Users\\pat\\"x".hta', TEXT, "x.txt"),
        ("notes.hta. . ", TEXT, "notes.hta.txt"),
        ("Referral notes.txt", TEXT, "Referral notes.txt"),  # already ours: unchanged
    ],
)
def test_a_download_is_saved_under_our_extension_for_the_detected_type(
    name: str, content_type: str, saved_as: str
) -> None:
    assert download_name(name, content_type) == saved_as


def test_a_download_is_served_as_the_detected_type() -> None:
    assert download_type(TEXT) == "text/plain; charset=utf-8"
    assert download_type(PDF) == PDF
    assert download_type("text/html") == "application/octet-stream"
    assert download_name("page.html", "text/html") == "page.bin"
