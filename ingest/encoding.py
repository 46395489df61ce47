"""Telling text from binary data and decoding text whose encoding nobody declared.

Uploaded text files arrive as UTF-8, UTF-16 with or without a byte order mark, or a legacy
single-byte code page such as cp1252. Format detection and every text-based parser share this
one judgement so that a file is never accepted by one and rejected by the other.
"""

from __future__ import annotations

import codecs
import unicodedata

from charset_normalizer import from_bytes

SNIFF_BYTES = 64 * 1024
"""How much of a file is inspected to judge its encoding."""

_BOMS: tuple[tuple[bytes, str], ...] = (
    # UTF-32 first: its little-endian mark starts with the UTF-16 one.
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

_PREFERRED_LEGACY = ("cp1252", "cp1250")
"""Windows code pages tried first, in order of preference when they read equally well."""
_FALLBACK_LEGACY = ("cp1251",)
"""Tried after the statistically proposed ones."""
_MIN_WORD_LETTERS = 4
_WEDGED_CATEGORIES = frozenset({"No", "Po", "Sc", "Sk", "Sm", "So"})

_ALLOWED_CONTROLS = frozenset("\t\n\r\f\v\x1b")
_MAX_CONTROL_RATIO = 0.01
"""Share of control characters above which decoded bytes are judged binary, not text."""


def sniff_encoding(sample: bytes) -> str | None:
    """The codec name to decode ``sample`` (the start of a file) with, or ``None`` if binary.

    An empty sample is text (UTF-8): emptiness is judged elsewhere, with its own message.
    """
    for bom, encoding in _BOMS:
        if sample.startswith(bom):
            # Two bytes of random data match a UTF-16 mark one time in 65,536: the mark names
            # the encoding, the content still has to read as text in it.
            decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
            return encoding if _looks_like_text(decoder.decode(sample, final=False)) else None
    utf16 = _utf16_without_bom(sample)
    if utf16 is not None:
        return utf16
    if b"\x00" in sample:
        return None
    try:
        decoded = codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8" if _looks_like_text(decoded) else None
    legacy = _guess_legacy_encoding(sample)
    if legacy is None:
        return None
    return legacy if _looks_like_text(sample.decode(legacy, errors="replace")) else None


def decode_bytes(data: bytes) -> str | None:
    """``data`` decoded to text, or ``None`` if it is binary.

    The encoding is judged on the start of the data; stray undecodable bytes further on are
    replaced rather than failing the whole file.
    """
    encoding = sniff_encoding(data[:SNIFF_BYTES])
    if encoding is None:
        return None
    return data.decode(encoding, errors="replace")


def _guess_legacy_encoding(sample: bytes) -> str | None:
    """The single-byte code page under which ``sample`` reads most plausibly.

    Statistical detection is unreliable on the short texts users often upload, so the
    candidates it proposes, plus the common Windows code pages, are compared by how many
    implausible words each decoding produces. Ties go to cp1252, the most common of them.
    """
    candidates = list(_PREFERRED_LEGACY)
    candidates.extend(str(match.encoding) for match in from_bytes(sample))
    candidates.extend(_FALLBACK_LEGACY)
    best: str | None = None
    best_score = 0
    for encoding in dict.fromkeys(candidates):
        try:
            decoded = sample.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        score = _implausibility(decoded)
        if best is None or score < best_score:
            best, best_score = encoding, score
    return best


def _implausibility(text: str) -> int:
    """Count of words that look like text decoded with the wrong code page.

    Such words hold symbols wedged between letters ("Za¿ó³æ"), are mostly accented Latin
    letters ("Ïðèâåò" is Cyrillic read as cp1252) or mix Latin with another script.
    """
    score = 0
    for word in text.split():
        if word.isascii():
            continue
        letters = 0
        accented = 0
        plain = 0
        foreign = 0
        for index, char in enumerate(word):
            if char.isalpha():
                letters += 1
                if char.isascii():
                    plain += 1
                elif "LATIN" in unicodedata.name(char, ""):
                    accented += 1
                else:
                    foreign += 1
            elif (
                not char.isascii()
                and unicodedata.category(char) in _WEDGED_CATEGORIES
                and 0 < index < len(word) - 1
                and word[index - 1].isalpha()
                and word[index + 1].isalpha()
            ):
                score += 1
        if (letters >= _MIN_WORD_LETTERS and accented * 2 > letters) or (plain and foreign):
            score += 1
    return score


def _utf16_without_bom(sample: bytes) -> str | None:
    """UTF-16 byte order for text that is mostly ASCII, recognised by its zero high bytes."""
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    even_zeros = sample[0 : pairs * 2 : 2].count(0)
    odd_zeros = sample[1 : pairs * 2 : 2].count(0)
    if odd_zeros >= 0.9 * pairs and even_zeros <= 0.1 * pairs:
        encoding = "utf-16-le"
    elif even_zeros >= 0.9 * pairs and odd_zeros <= 0.1 * pairs:
        encoding = "utf-16-be"
    else:
        return None
    decoded = sample[: pairs * 2].decode(encoding, errors="replace")
    return encoding if _looks_like_text(decoded) else None


def _looks_like_text(decoded: str) -> bool:
    if not decoded:
        return True
    suspicious = sum(
        1
        for char in decoded
        if char == "\ufffd" or (ord(char) < 32 and char not in _ALLOWED_CONTROLS) or char == "\x7f"
    )
    return suspicious <= _MAX_CONTROL_RATIO * len(decoded)
