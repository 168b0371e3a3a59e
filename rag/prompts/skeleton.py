"""A one-to-one ASCII skeleton of text, so look-alike spellings match ASCII patterns at the same offsets."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# Look-alikes of the characters and letters our syntax is made of, mapped one-to-one so that a
# match in the skeleton has the same offsets in the text. NFKC covers fullwidth and small forms
# and mathematical letters; the table adds brackets and Cyrillic/Greek letters NFKC keeps apart.
_LOOKALIKES = {
    **dict.fromkeys("\u2039\u02c2\u1438\u2329\u27e8\u3008\u276e\u29fc", "<"),
    **dict.fromkeys("\u203a\u02c3\u1433\u232a\u27e9\u3009\u276f\u29fd", ">"),
    **dict.fromkeys("\u01c0\u2223\u2502\u23d0\u2758\uffe8", "|"),
    **dict.fromkeys("\u2044\u2215\u29f8", "/"),
    **dict(zip("\u0430\u0435\u043e\u0440\u0441\u0443\u0445\u0455\u0456\u0458\u0501\u04bb\u051b\u051d\u0261",
               "aeopcyxsijdhqwg", strict=True)),
    **dict(zip("\u0410\u0412\u0415\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0423\u0425\u0405\u0406\u0408",
               "ABEKMHOPCTYXSIJ", strict=True)),
    **dict(zip("\u03bf\u03b1\u03bd\u03c1\u03c4\u03b9\u03c5\u03ba\u0391\u0392\u0395\u0396\u0397\u0399\u039a\u039c"
               "\u039d\u039f\u03a1\u03a4\u03a5\u03a7", "oavptiukABEZHIKMNOPTYX", strict=True)),
}


@lru_cache(maxsize=4096)
def _skeleton_char(ch: str) -> str:
    if ch in _LOOKALIKES:
        return _LOOKALIKES[ch]
    folded = unicodedata.normalize("NFKC", ch)
    return folded if len(folded) == 1 and folded.isascii() else ch


def skeleton(text: str) -> str:
    """``text`` with look-alikes of ASCII letters and brackets replaced one-to-one (same length)."""
    if text.isascii():
        return text
    return "".join(_skeleton_char(ch) for ch in text)
