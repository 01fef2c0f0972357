"""Files in: size limits, what kind of file it is, and which text encoding (GB18030/GBK, Big5, UTF-8, UTF-16, mixed)."""

from __future__ import annotations

import codecs
import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from valuation.i18n.text import TEXT, t

DELIMITERS = (",", "\t", ";", "|")
_SAMPLE_BYTES = 65536
# How many leading records may precede the header (report titles, export dates, blank lines).
_HEADER_SEARCH = 30
_MAX_LINES_IN_WARNING = 10
# Files over this size are refused before they are read: the app's upload limit
# (server.maxUploadSize). VALUATION_MAX_FILE_MB or ``max_mb=`` changes it.
MAX_FILE_MB = 200.0
# A value longer than this rejects its row (Excel's own cell limit): it is a runaway quote or junk,
# and keeping it would cost memory in every later step.
MAX_FIELD_CHARS = 32_767


class IngestError(Exception):
    """A file that cannot be used at all.

    ``str(e)`` is the user-facing English message; ``e.code`` a stable key (``empty_file``,
    ``header_only``, ``not_a_table``, ``old_excel_format``, ``missing_columns``, ``unknown_table``,
    ``bad_mapping``, ``bad_sheet``, ``unreadable_encoding``, ``file_not_found``, ``too_large``,
    ``read_failed``);
    ``e.params`` the values in the message (``file``, ``missing``, ``found`` ...) for translation.
    """

    def __init__(self, code: str, message: str, **params):
        super().__init__(message)
        self.code = code
        self.message = message
        self.params = params


@dataclass(frozen=True)
class Note:
    """A remark on a load for the reader, in either language.

    ``key`` names the text in the i18n table (``valuation/i18n``), ``params``
    fill it: ``Note("note.unit_scaled", {...}).text("zh")``. The English text is also one of the
    load's ``warnings``.
    """

    key: str
    params: dict = field(default_factory=dict)

    def text(self, lang: str = "en") -> str:
        """The text in ``lang``; a parameter that is a Note (a label, a part of a list) is written in
        ``lang`` too, and a list of Notes is joined as that language joins clauses."""
        sep = "；" if lang == "zh" else "; "
        params = {k: (v.text(lang) if isinstance(v, Note)
                      else sep.join(x.text(lang) for x in v) if isinstance(v, (list, tuple)) and v
                      and all(isinstance(x, Note) for x in v) else v)
                  for k, v in self.params.items()}
        return t(self.key, lang, **params)


def label_note(column: str):
    """A canonical column's label as a Note (``feat.*``, else ``export.col.*``), to be written in the
    reader's language; the name itself when it has no label."""
    for prefix in ("feat", "export.col"):
        if f"{prefix}.{column}" in TEXT:
            return Note(f"{prefix}.{column}")
    return column


def max_file_bytes(max_mb: float | None = None) -> int:
    """The size limit in bytes: ``max_mb``, else VALUATION_MAX_FILE_MB, else MAX_FILE_MB."""
    if max_mb is None:
        try:
            max_mb = float(os.environ.get("VALUATION_MAX_FILE_MB") or MAX_FILE_MB)
        except ValueError:
            max_mb = MAX_FILE_MB
    return int(max_mb * 1_000_000)


def _check_size(size: int, name: str, limit: int | None) -> None:
    if limit is not None and size > limit:
        raise IngestError(
            "too_large",
            f"{name} is {size / 1e6:,.1f} MB; files over {limit / 1e6:,.1f} MB are not loaded. "
            "Split it (for example by year), or raise the limit (VALUATION_MAX_FILE_MB).",
            file=name, size_mb=round(size / 1e6, 1), limit_mb=round(limit / 1e6, 1))


def _source_bytes(source, name: str | None, limit: int | None = None) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        shown = name or "uploaded file"
        _check_size(len(source), shown, limit)
        return bytes(source), shown
    if hasattr(source, "getvalue") or hasattr(source, "read"):
        # File-like objects, e.g. Streamlit's UploadedFile.
        data = source.getvalue() if hasattr(source, "getvalue") else source.read()
        if isinstance(data, str):
            data = data.encode("utf-8")
        shown = name or getattr(source, "name", None) or "uploaded file"
        _check_size(len(data), shown, limit)
        return bytes(data), shown
    path = Path(source)
    shown = name or path.name
    try:
        if path.is_file():
            _check_size(path.stat().st_size, shown, limit)  # before reading it into memory
        return path.read_bytes(), shown
    except FileNotFoundError:
        raise IngestError("file_not_found", f"{shown}: file not found ({path}).",
                          file=shown, path=str(path)) from None
    except IsADirectoryError:
        raise IngestError("not_a_table", f"{shown} is a folder, not a table file.",
                          file=shown, detail="a folder") from None


_MAGIC = [
    (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"), (b"\x1f\x8b", "a gzip archive"), (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"), (b"BM", None), (b"SQLite format 3", "an SQLite database"),
    (b"PAR1", "a Parquet file"), (b"DUCK", "a DuckDB database"),
]


def _not_a_table(name: str, detail: str) -> IngestError:
    return IngestError(
        "not_a_table",
        f"{name} is not a table: it looks like {detail}. Upload a CSV, TSV/TXT or .xlsx file.",
        file=name, detail=detail)


def _file_kind(data: bytes, name: str) -> str:
    """``"xlsx"`` or ``"text"``, decided by content; raise for empty and known binary files."""
    if not data.strip():
        raise IngestError("empty_file", f"{name} is empty: there is nothing to load.", file=name)
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise IngestError(
            "old_excel_format",
            f"{name} is an old Excel 97-2003 (.xls) workbook, which cannot be read. Open it in "
            "Excel and save it as .xlsx or as 'CSV UTF-8', then upload that.", file=name)
    for magic, what in _MAGIC:
        if what and data.startswith(magic):
            raise _not_a_table(name, what)
    return "text"


def _utf16_without_bom(data: bytes) -> str | None:
    """Guess UTF-16 without a BOM from the NUL pattern of mostly-ASCII text."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _looks_binary(text: str) -> bool:
    sample = text[:8192]
    return bool(sample) and len(_CONTROL.findall(sample)) > max(2, 0.01 * len(sample))


def _decode(data: bytes, name: str) -> tuple[str, bytes]:
    """Return (encoding, UTF-8 bytes without BOM). Python decodes; DuckDB/Arrow cannot do GBK."""
    if data.startswith(codecs.BOM_UTF8):
        encoding, body = "utf-8-sig", data[len(codecs.BOM_UTF8):]
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise IngestError(
                "unreadable_encoding",
                f"{name} starts with a UTF-8 marker but is not valid UTF-8 text. Save it from "
                "Excel as 'CSV UTF-8' and upload it again.", file=name) from None
        utf8 = body
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise _not_a_table(name, "binary data (a UTF-16 marker but no valid UTF-16 text)") \
                from None
        utf8 = text.encode("utf-8")
    else:
        guess = _utf16_without_bom(data) if b"\x00" in data[:4096] else None
        text = None
        if guess:
            try:
                text, encoding = data.decode(guess), guess
            except UnicodeDecodeError:
                text = None
        if text is None:
            if b"\x00" in data:
                raise _not_a_table(name, "binary data (it contains NUL bytes)")
            try:
                # Strict UTF-8 first: GB18030 would also "decode" most UTF-8 text, wrongly.
                text, encoding = data.decode("utf-8"), "utf-8"
                utf8 = data
            except UnicodeDecodeError:
                try:
                    text, encoding = data.decode("gb18030"), "gb18030"
                except UnicodeDecodeError:
                    if _looks_binary(data[:8192].decode("latin-1")):
                        raise _not_a_table(name, "binary data") from None
                    raise IngestError(
                        "unreadable_encoding",
                        f"{name} is not UTF-8, UTF-16, GB18030/GBK or Big5 text, so its characters "
                        "cannot be read. Save it from Excel as 'CSV UTF-8' and upload it again.",
                        file=name) from None
                else:
                    # Nearly every Big5 file also "decodes" as GB18030, as mojibake.
                    text, encoding = _big5_instead(data, text)
        if encoding != "utf-8":
            utf8 = text.encode("utf-8")
    if _looks_binary(text):
        raise _not_a_table(name, "binary data (control characters, not text)")
    if not text.replace("\ufeff", "").strip():
        raise IngestError("empty_file", f"{name} is empty: there is nothing to load.", file=name)
    return encoding, utf8


# ============================================================================ GBK or Big5

GB18030 = "gb18030"
BIG5 = "big5"              # Windows' Big5 (code page 950): Taiwan exports
BIG5_HKSCS = "big5-hkscs"  # Big5 with the Hong Kong supplement (邨, 𨋢 …)
_BIG5_CODECS = ((BIG5, "cp950"), (BIG5_HKSCS, "big5hkscs"))
_GUESS_SAMPLE_BYTES = 65536
_ASCII_RUN = re.compile(r"[\x00-\x7f]+")


@dataclass(frozen=True)
class ChineseGuess:
    """Which legacy Chinese encoding a file that is not UTF-8 is in, and whether that is sure.

    ``encoding`` is GB18030 (simplified: GBK, GB2312) or BIG5 (traditional); ``by`` says what
    decided: ``"bytes"`` (the characters' byte ranges), ``"charset-normalizer"`` (a tie broken by
    it) or ``"default"`` (nothing could tell: GB18030).
    """

    encoding: str
    sure: bool
    by: str


# Bytes below 0x30 are never part of a GBK, GB18030 or Big5 character: a block may end after one.
_SAFE_ENDS = (b"\n", b",", b"\t", b" ", b'"', b"\r")


def _chinese_sample(data: bytes) -> bytes:
    """The first ~64 KB of the file's blocks that hold non-ASCII bytes (all of a small file).

    Blocks of up to 64 KB end after a line feed, comma, tab, space or quote, which no Chinese
    character contains; ASCII blocks before the first Chinese text (a long English head) are
    skipped.
    """
    parts, size, pos, n = [], 0, 0, len(data)
    while pos < n and size < _GUESS_SAMPLE_BYTES:
        end = min(pos + _GUESS_SAMPLE_BYTES, n)
        if end < n:
            cut = max(data.rfind(b, pos, end) for b in _SAFE_ENDS)
            end = cut + 1 if cut > pos else end  # no such byte in 64 KB: not a table anyway
        block = data[pos:end]
        if not block.isascii():
            parts.append(block)
            size += len(block)
        pos = end
    return b"".join(parts)


def _reads_as_big5(data: bytes) -> str | None:
    """The Big5 decoding of ``data`` (Windows' code page 950, else Big5-HKSCS), or None."""
    for _, codec in _BIG5_CODECS:
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    return None


def _implausible_characters(sample: bytes) -> tuple[int, int] | None:
    """How many two-byte characters of ``sample`` would be odd in simplified text read as GBK, and
    how many in traditional text read as Big5; None when the sample is not two-byte text.

    The same two bytes are a character in both encodings. Common simplified text uses GB2312's
    hanzi rows (lead byte B0-F7) and punctuation rows (A1-A3), always with a second byte from A1;
    common traditional text uses Big5's symbols (A140-A3BF) and frequent hanzi (A440-C67E), 40 %
    of them with a second byte below 7F. A byte pair outside those ranges reads as kana, Cyrillic
    or a rare character in the wrong encoding: "台灣積體電路" in Big5 reads as "芖縩砰筿隔" in
    GBK, "华为" in GBK as "貌峈" in Big5.
    """
    try:
        wide_text = _ASCII_RUN.sub("", sample.decode("gb18030"))
        wide = wide_text.encode("gb18030")
    except (UnicodeDecodeError, UnicodeEncodeError):
        return None
    if len(wide) != 2 * len(wide_text):  # four-byte GB18030 characters: never Big5
        return None
    b = np.frombuffer(wide, dtype=np.uint8)
    lead, trail = b[0::2], b[1::2]
    gbk_common = (((lead >= 0xB0) & (lead <= 0xF7)) | ((lead >= 0xA1) & (lead <= 0xA3))) & (trail >= 0xA1)
    big5_common = (((lead >= 0xA1) & (lead <= 0xC5)) | ((lead == 0xC6) & (trail <= 0x7E))) \
        & ~((lead == 0xA3) & (trail >= 0xC0))
    return int((~gbk_common).sum()), int((~big5_common).sum())


def _charset_normalizer_pick(sample: bytes) -> str | None:
    """GB18030 or BIG5 as charset-normalizer (restricted to those two) prefers; None on a tie."""
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # optional: without it a tie is read as GB18030 (and said to be unsure)
        return None
    chaos: dict[str, float] = {}
    for match in from_bytes(sample, cp_isolation=["gb18030", "cp950", "big5hkscs"]):
        family = GB18030 if match.encoding == "gb18030" else BIG5
        chaos[family] = min(chaos.get(family, 1.0), match.chaos)
    if len(chaos) == 1:
        return next(iter(chaos))
    if len(chaos) == 2 and chaos[GB18030] != chaos[BIG5]:
        return min(chaos, key=chaos.get)
    return None


@functools.lru_cache(maxsize=16)
def _guess_chinese(sample: bytes) -> ChineseGuess:
    """Decide GBK/GB18030 or Big5 for a sample (see ``_chinese_sample``) that reads as GB18030.

    The byte ranges decide (``_implausible_characters``): the encoding in which fewer characters
    are odd. charset-normalizer is asked only on a tie, which is where it decides better.
    Measured by ``bench/bench_encoding.py`` (generated exports: names, addresses, amounts):

    - 1,330 real-shaped files (Big5, GBK, UTF-8 with and without BOM; 3 to 2,000 rows; Chinese or
      English headers): trial decoding (UTF-8, else GB18030) read 1,170 right, all 160 Big5 ones
      as GB18030 mojibake; charset-normalizer 3.4 unrestricted 1,323 (seven 3-row files as
      Japanese or Korean code pages); restricted to GB18030/CP950/Big5-HKSCS 1,330; this
      decision 1,330, all sure.
    - 6,000 tiny files (1-3 rows of 1-6 character names, English headers): Big5 2,928 of 3,000
      right (trial 0, charset-normalizer restricted 2,994), GBK 2,996 (trial 2,996, restricted
      charset-normalizer 1,063: on a tie it takes Big5). The byte ranges settle 5,582 with no
      error; of the 418 ties charset-normalizer settles 5, all right, and 413 are read as
      GB18030 (72 of them Big5, read wrong). Every tie is ``sure=False``: the load says so.
    """
    if not sample or _reads_as_big5(sample) is None:
        return ChineseGuess(GB18030, True, "bytes")
    odd = _implausible_characters(sample)
    if odd is None:
        return ChineseGuess(GB18030, True, "bytes")
    odd_as_gbk, odd_as_big5 = odd
    if odd_as_gbk != odd_as_big5:
        return ChineseGuess(BIG5 if odd_as_big5 < odd_as_gbk else GB18030, True, "bytes")
    picked = _charset_normalizer_pick(sample)
    return ChineseGuess(picked or GB18030, False, "charset-normalizer" if picked else "default")


def _big5_instead(data: bytes, gb_text: str) -> tuple[str, str]:
    """(text, encoding) of a file that decodes as GB18030: its Big5 reading when it looks like
    Big5 and every byte of it is Big5 (else the GB18030 reading, which ``encoding_notes`` flags)."""
    if _guess_chinese(_chinese_sample(data)).encoding == BIG5:
        for encoding, codec in _BIG5_CODECS:
            try:
                return data.decode(codec), encoding
            except UnicodeDecodeError:
                continue
    return gb_text, GB18030


def encoding_notes(data: bytes, encoding: str, name: str) -> list[Note]:
    """What a reader must know about how the text of ``data`` was decoded as ``encoding``.

    A file read as GBK or Big5 on too little Chinese text to be sure, or one that looks like Big5
    but holds bytes that are not, gets a note naming the file and saying how to check and fix it
    (save as CSV UTF-8). Cheap: the decision is cached by sample.
    """
    if encoding not in (GB18030, BIG5, BIG5_HKSCS):
        return []
    guess = _guess_chinese(_chinese_sample(data))
    if encoding == GB18030 and guess.encoding == BIG5:
        return [Note("note.encoding_not_big5", {"file": name})]
    if guess.sure:
        return []
    key = "note.encoding_maybe_big5" if encoding == GB18030 else "note.encoding_maybe_gbk"
    return [Note(key, {"file": name})]


# ============================================================================ mapping


MIXED_ENCODING = "utf-8+gb18030"


def _is_utf8_line(line: bytes) -> bool:
    text = line.decode("utf-8", "replace")
    if "\ufffd" not in text:
        return True
    if b"\xef\xbf\xbd" not in line:  # a real U+FFFD in the line, or a replaced byte?
        return False
    try:
        line.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _plausible_utf8(text: str) -> bool:
    wide = [ord(c) for c in text if ord(c) >= 0x80]
    return any(c >= 0x800 for c in wide) or all(c < 0x250 for c in wide)


def _decode_by_line(data: bytes, whole_gb18030: bool = False) -> tuple[str, bytes, list[Note], bool] | None:
    """Decode a file that is not one encoding (rows pasted from a UTF-8 and a GBK export) line by line.

    Every line with non-ASCII text is UTF-8 if it is valid UTF-8, else GB18030; a line that is
    neither keeps U+FFFD for its undecodable bytes and its row is rejected (``bad_encoding``).
    Returns None when the file is plain GB18030 (no line is valid, non-ASCII UTF-8) or when most
    lines decode in neither encoding (some other encoding: the caller refuses the file).
    ``whole_gb18030``: the whole file decodes as GB18030, so every line does. Costs one lenient
    UTF-8 decode per non-ASCII line, paid only by files that are not UTF-8.
    """
    body = data[len(codecs.BOM_UTF8):] if data.startswith(codecs.BOM_UTF8) else data
    # The pass every GBK file pays: a lenient UTF-8 decode of the whole file (a newline never
    # becomes part of a replaced sequence, so its lines are the byte lines), then two C-level
    # string tests per line. A line holding a real U+FFFD is checked on its own.
    lenient = body.decode("utf-8", "replace").split("\n")  # old-Mac CR-only files: one "line"
    if b"\xef\xbf\xbd" in body:
        utf8_lines = [i for i, (text, line) in enumerate(zip(lenient, body.split(b"\n")))
                      if not text.isascii() and _is_utf8_line(line)]
    else:
        utf8_lines = [i for i, text in enumerate(lenient) if not text.isascii() and "\ufffd" not in text]
    if whole_gb18030:
        # The line reads in both: a short GBK line can be valid UTF-8 by chance ("司" is CB BE,
        # also U+02FE). Take UTF-8 only when it gives Chinese (or any 3-byte character) or Latin.
        utf8_lines = [i for i in utf8_lines if _plausible_utf8(lenient[i])]
    del lenient
    if not utf8_lines and whole_gb18030:
        return None  # plain GB18030: the common case ends here
    lines = body.split(b"\n")
    utf8_set = set(utf8_lines)
    gb_lines, bad_lines = [], []
    for i, line in enumerate(lines):
        if i in utf8_set or line.isascii():
            continue
        try:
            line.decode("gb18030")
            gb_lines.append(i)
        except UnicodeDecodeError:
            bad_lines.append(i)
    if not utf8_lines and not bad_lines:
        return None  # plain GB18030
    if len(bad_lines) * 2 > len(utf8_lines) + len(gb_lines) + len(bad_lines):
        return None  # mostly neither: not a Chinese/UTF-8 text file
    if not gb_lines and not bad_lines:
        return None  # valid UTF-8 after all (not reached: the caller tried UTF-8 first)
    text = "\n".join(line.decode("utf-8") if i in utf8_set
                     else line.decode("gb18030", "replace") for i, line in enumerate(lines))
    if _looks_binary(text):
        return None
    numbers = lambda idx: _line_list(np.asarray(idx, dtype=np.int64) + 1)  # noqa: E731
    notes = []
    if utf8_lines and gb_lines:
        notes.append(Note("load.mixed_encoding", {"utf8": len(utf8_lines), "utf8_lines": numbers(utf8_lines),
                                                  "gb": len(gb_lines), "gb_lines": numbers(gb_lines)}))
    if bad_lines:
        notes.append(Note("load.undecodable_lines", {"n": len(bad_lines), "lines": numbers(bad_lines)}))
    encoding = MIXED_ENCODING if utf8_lines and gb_lines else ("gb18030" if gb_lines else "utf-8")
    return encoding, text.encode("utf-8"), notes, bool(bad_lines)


_SNIFF_HEAD_BYTES = 1 << 20


def _valid_utf8(data: bytes, start: int = 0, stop: int | None = None) -> bool:
    """Whether ``data[start:stop]`` is strict UTF-8: Arrow's validator, no copy and no str built."""
    body = pa.py_buffer(data).slice(start, (len(data) if stop is None else stop) - start)
    offsets = pa.py_buffer(np.array([0, body.size], dtype=np.int64).tobytes())
    try:
        pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, body]).cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


def _sniff_head(data: bytes) -> bytes:
    """What :func:`sniff` decodes: a big text file's first megabyte, cut after a line end; else all.

    A preview needs the first 64 KB of text, but decoding a 100 MB GB18030 file took seconds.
    The cut is after a line feed: byte 0x0A is never part of a UTF-8 or GB18030/GBK multi-byte
    character, so no character is split. The head gives the encoding of the whole file:

    - a head that is not UTF-8 is GB18030/GBK from its first lines on (or mixes encodings within
      the head, which its decoding reports); ``read_table`` decodes every byte and reports lines
      further on in another encoding;
    - a head that reads as UTF-8 (plain ASCII included) is used only when the rest of the file
      is valid UTF-8 too (a validation, not a decode); otherwise the file is GBK after an ASCII
      head, or mixed, and is decoded whole, as before.

    Workbooks, Parquet, UTF-16 (NUL bytes), small files and files whose first megabyte holds
    fewer than 64 KB of whole lines are returned whole.
    """
    if (len(data) <= _SNIFF_HEAD_BYTES or data[:4] in (b"PK\x03\x04", b"PAR1")
            or b"\x00" in data[:4096] or data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))):
        return data
    cut = data.rfind(b"\n", 0, _SNIFF_HEAD_BYTES)
    if cut < _SAMPLE_BYTES:  # very long lines (or CR-only line ends): the preview needs more
        return data
    head = data[:cut + 1]
    if not _valid_utf8(data, len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0, cut + 1):
        return head
    return head if _valid_utf8(data, cut + 1) else data


def _line_list(lines: np.ndarray) -> str:
    shown = ", ".join(str(int(x)) for x in lines[:_MAX_LINES_IN_WARNING])
    return shown + (", ..." if len(lines) > _MAX_LINES_IN_WARNING else "")
