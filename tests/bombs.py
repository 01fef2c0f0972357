"""Small hostile files built in code: workbooks and Parquet tables that grow to gigabytes when read.

Each builder returns bytes a few KB to a few MB long. The workbooks are written by hand (a zip of
a few XML parts), so a part can claim or hold any size: a repeated stretch of XML is deflated once
and its compressed bytes repeated (each piece ends with a full flush, so the pieces join into one
valid deflate stream), which builds a 3 GB part in well under a second.
"""

from __future__ import annotations

import io
import struct
import zlib

import pyarrow as pa
import pyarrow.parquet as pq

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
HEADER = ("customer_id", "order_date", "amount")


def _deflated(data: bytes, final: bool) -> bytes:
    """``data`` as raw deflate blocks that need no earlier bytes (full flush), ending the stream if ``final``."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH)


class _Part:
    """One zip member: head + body * repeat + tail, deflated without ever holding the whole text."""

    def __init__(self, name: str, head: bytes, body: bytes = b"", repeat: int = 0, tail: bytes = b""):
        self.name = name.encode()
        pieces = [_deflated(head, False)]
        if repeat:
            pieces.append(_deflated(body, False) * repeat)
        pieces.append(_deflated(tail, True))
        self.compressed = b"".join(pieces)
        crc = zlib.crc32(head)
        for _ in range(repeat):
            crc = zlib.crc32(body, crc)
        self.crc = zlib.crc32(tail, crc)
        self.size = len(head) + len(body) * repeat + len(tail)


def _zip(parts: list[_Part]) -> bytes:
    """A zip archive (deflated members, sizes under 4 GB) written field by field."""
    out, central = io.BytesIO(), io.BytesIO()
    for p in parts:
        offset = out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, p.crc,
                              len(p.compressed), p.size, len(p.name), 0) + p.name)
        out.write(p.compressed)
        central.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, p.crc,
                                  len(p.compressed), p.size, len(p.name), 0, 0, 0, 0, 0, offset) + p.name)
    start, directory = out.tell(), central.getvalue()
    out.write(directory)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(parts), len(parts), len(directory), start, 0))
    return out.getvalue()


def _cell(ref: str | None, value) -> str:
    r = f' r="{ref}"' if ref else ""
    if isinstance(value, (int, float)):
        return f"<c{r}><v>{value}</v></c>"
    return f'<c{r} t="inlineStr"><is><t>{value}</t></is></c>'


def _row(values, number: int | None = None) -> str:
    r = f' r="{number}"' if number else ""
    return f"<row{r}>" + "".join(_cell(None, v) for v in values) + "</row>"


def workbook(sheets: list[tuple[str, _Part | str]], *, hidden: tuple[str, ...] = (),
             shared_strings: _Part | None = None, styles: _Part | None = None) -> bytes:
    """An .xlsx file: ``sheets`` as (name, sheet XML or a ready part), some of them hidden."""
    names = [name for name, _ in sheets]
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for i in range(1, len(sheets) + 1))
    if shared_strings is not None:
        overrides += ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                      'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
    if styles is not None:
        overrides += ('<Override PartName="/xl/styles.xml" ContentType="application/'
                      'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>')
    content_types = (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        f'spreadsheetml.sheet.main+xml"/>{overrides}</Types>')
    root_rels = (f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL}"><Relationship '
                 f'Id="rId1" Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    sheet_list = "".join(
        f'<sheet name="{name}" sheetId="{i}"{" state=" + chr(34) + "hidden" + chr(34) if name in hidden else ""}'
        f' r:id="rId{i}"/>' for i, name in enumerate(names, 1))
    book = (f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
            f"<sheets>{sheet_list}</sheets></workbook>")
    rels = "".join(f'<Relationship Id="rId{i}" Type="{REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                   for i in range(1, len(sheets) + 1))
    if shared_strings is not None:
        rels += (f'<Relationship Id="rId{len(sheets) + 1}" Type="{REL_NS}/sharedStrings" '
                 'Target="sharedStrings.xml"/>')
    if styles is not None:
        rels += f'<Relationship Id="rId{len(sheets) + 2}" Type="{REL_NS}/styles" Target="styles.xml"/>'
    book_rels = f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL}">{rels}</Relationships>'
    parts = [_Part("[Content_Types].xml", content_types.encode()), _Part("_rels/.rels", root_rels.encode()),
             _Part("xl/workbook.xml", book.encode()), _Part("xl/_rels/workbook.xml.rels", book_rels.encode())]
    for i, (_, sheet) in enumerate(sheets, 1):
        if isinstance(sheet, str):
            sheet = _Part(f"xl/worksheets/sheet{i}.xml", sheet.encode())
        sheet.name = f"xl/worksheets/sheet{i}.xml".encode()
        parts.append(sheet)
    for part, path in ((shared_strings, b"xl/sharedStrings.xml"), (styles, b"xl/styles.xml")):
        if part is not None:
            part.name = path
            parts.append(part)
    return _zip(parts)


def sheet_xml(rows: str, dimension: str | None = None) -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN_NS}">{dim}<sheetData>{rows}</sheetData></worksheet>'


ORDERS_ROWS = _row(HEADER, 1) + _row(("C1", "2024-01-05", 100), 2) + _row(("C2", "2024-01-06", 200), 3)


# ---------------------------------------------------------------------------- the bombs


def xlsx_far_cell() -> bytes:
    """Three rows of orders and one value in the sheet's last cell, XFD1048576 (~1 KB on disk)."""
    rows = ORDERS_ROWS + f'<row r="1048576">{_cell("XFD1048576", 1)}</row>'
    return workbook([("Orders", sheet_xml(rows, "A1:XFD1048576"))])


def xlsx_declared_dimension() -> bytes:
    """Three rows of orders in a sheet whose declared dimension is the whole sheet, A1:XFD1048576."""
    return workbook([("Orders", sheet_xml(ORDERS_ROWS, "A1:XFD1048576"))])


def xlsx_rows_far_apart() -> bytes:
    """A header, then single values at wide intervals down to the last row and across to column XFD."""
    rows = ORDERS_ROWS + "".join(f'<row r="{r}">{_cell(f"XFD{r}", r)}</row>'
                                 for r in range(100_000, 1_048_577, 100_000))
    return workbook([("Orders", sheet_xml(rows))])


def xlsx_rows_bomb(rows: int = 8_000_000) -> bytes:
    """``rows`` identical order rows (no row numbers, as Excel may write them): a few MB on disk."""
    body = _row(("C1", "2024-01-05", 100)).encode() * 8192
    head = sheet_xml(_row(HEADER) + "{rows}").split("{rows}")
    part = _Part("xl/worksheets/sheet1.xml", head[0].encode(), body, rows // 8192, head[1].encode())
    return workbook([("Orders", part)])


def xlsx_zip_bomb(megabytes: int = 3000) -> bytes:
    """A sheet part that inflates to ``megabytes`` MB of XML (spaces inside the sheet data)."""
    head = sheet_xml(_row(HEADER) + "{rows}").split("{rows}")
    part = _Part("xl/worksheets/sheet1.xml", head[0].encode() + ORDERS_ROWS[ORDERS_ROWS.index("<row r=\"2\""):].encode(),
                 b" " * (1 << 20), megabytes, head[1].encode())
    return workbook([("Orders", part)])


def xlsx_shared_strings_bomb(strings: int = 40_000_000) -> bytes:
    """A tiny sheet and a shared-string table of ``strings`` two-letter strings (openpyxl reads it whole)."""
    head = (f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN_NS}" count="{strings}" '
            f'uniqueCount="{strings}">').encode()
    body = b"<si><t>ab</t></si>" * 8192
    part = _Part("xl/sharedStrings.xml", head, body, strings // 8192, b"</sst>")
    return workbook([("Orders", sheet_xml(ORDERS_ROWS))], shared_strings=part)


def xlsx_styles_bomb(formats: int = 1_200_000) -> bytes:
    """A tiny sheet and ``formats`` cell formats (Excel allows 64,000; openpyxl builds an object for each)."""
    head = f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{MAIN_NS}"><cellXfs count="{formats}">'
    part = _Part("xl/styles.xml", head.encode(), b'<xf numFmtId="14"/>' * 1000, formats // 1000,
                 b"</cellXfs></styleSheet>")
    return workbook([("Orders", sheet_xml(ORDERS_ROWS))], styles=part)


def parquet_rows_bomb(rows: int = 40_000_000, per_group: int = 1 << 22) -> bytes:
    """``rows`` identical orders, dictionary-encoded, in row groups of ``per_group`` (~0.1 MB on disk)."""
    group = pa.table({"customer_id": pa.array(["C1"] * per_group).dictionary_encode(),
                      "order_date": pa.array(["2024-01-05"] * per_group).dictionary_encode(),
                      "amount": pa.array([100.0] * per_group)})
    buffer = io.BytesIO()
    with pq.ParquetWriter(buffer, group.schema, compression="zstd") as writer:
        done = 0
        while done < rows:
            n = min(per_group, rows - done)
            writer.write_table(group.slice(0, n))
            done += n
    return buffer.getvalue()


def parquet_wide_values(rows: int = 40, megabytes_each: int = 64) -> bytes:
    """``rows`` rows whose customer_id is a ``megabytes_each`` MB run of one letter (compresses ~1000:1);
    the footer declares the unpacked size."""
    value = "C" * (megabytes_each << 20)
    table = pa.table({"customer_id": pa.array([value], pa.large_string()),
                      "order_date": ["2024-01-05"], "amount": [100.0]})
    buffer = io.BytesIO()
    with pq.ParquetWriter(buffer, table.schema, compression="zstd", use_dictionary=False) as writer:
        for _ in range(rows):
            writer.write_table(table)
    return buffer.getvalue()


def parquet_dictionary_bomb(rows: int = 200, megabytes: int = 16) -> bytes:
    """``rows`` rows sharing one ``megabytes`` MB customer_id through a dictionary: the footer declares
    ~``megabytes`` MB, the text it decodes to is ``rows`` times that (3.2 GB by default)."""
    value = pa.array(["C" * (megabytes << 20)], pa.large_string())
    ids = pa.DictionaryArray.from_arrays(pa.array([0] * rows, pa.int32()), value)
    table = pa.table({"customer_id": ids, "order_date": pa.array(["2024-01-05"] * rows).dictionary_encode(),
                      "amount": pa.array([100.0] * rows)})
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    return buffer.getvalue()
