"""Raw PDF dictionary syntax, enough to rebuild a damaged file: top-level keys and their values as bytes.

pdf_salvage works on objects no parser would open (their file has no cross-reference table), so it
reads and edits dictionaries itself: a small tokenizer that knows nested dictionaries and arrays,
literal and hex strings and comments, and treats ``12 0 R`` as one value.
"""

from __future__ import annotations

_DELIMITERS = b"()<>[]{}/%"
WHITESPACE = b" \t\r\n\f\x00"


def with_keys(body: bytes, keys: dict[bytes, bytes], replace: tuple[bytes, ...] = ()) -> bytes:
    """``body`` (a dictionary) with ``keys`` added where absent; the keys in ``replace`` are set anew."""
    for key in replace:
        body = _drop_key(body, key)
    present = dictionary(body)
    additions = b"".join(b" /%s %s" % (key, value) for key, value in keys.items() if key not in present)
    start = body.find(b"<<")
    return body[:start + 2] + additions + body[start + 2:] if start >= 0 else body


def _drop_key(body: bytes, key: bytes) -> bytes:
    spans = _top_level_spans(body)
    if key not in spans:
        return body
    start, end = spans[key]
    return body[:start] + body[end:]


def dictionary(body: bytes) -> dict[bytes, bytes]:
    """The top-level keys of the dictionary in ``body`` with their raw values (refs, arrays, dicts...)."""
    return {key: body[start + 1 + len(key):end].strip() for key, (start, end) in _top_level_spans(body).items()}


def _top_level_spans(body: bytes) -> dict[bytes, tuple[int, int]]:
    """For each top-level key of the dictionary: the span from its ``/Key`` to the end of its value."""
    start = body.find(b"<<")
    if start < 0:
        return {}
    spans: dict[bytes, tuple[int, int]] = {}
    position, depth = start + 2, 1
    tokens: list[tuple[int, int, bytes]] = []  # (start, end, token) at depth 1
    while position < len(body) and depth > 0:
        token_start = position
        char = body[position:position + 1]
        if char in b" \t\r\n\f\x00" and char:
            position += 1
            continue
        if body.startswith(b"<<", position) or char == b"[":
            position = _skip_nested(body, position)
        elif body.startswith(b">>", position):
            depth -= 1
            position += 2
            continue
        elif char == b"(":
            position = _skip_string(body, position)
        elif char == b"<":
            position = body.find(b">", position) + 1 or len(body)
        elif char == b"%":
            position = body.find(b"\n", position) + 1 or len(body)
            continue
        else:
            position += 1
            while position < len(body) and body[position] not in WHITESPACE + _DELIMITERS:
                position += 1
        tokens.append((token_start, position, body[token_start:position]))
    index = 0
    while index < len(tokens):
        begin, _, token = tokens[index]
        if token.startswith(b"/") and index + 1 < len(tokens):
            # a value is one token, or three for a reference ("12 0 R")
            size = 3 if index + 3 < len(tokens) and tokens[index + 3][2] == b"R" else 1
            spans[token[1:]] = (begin, tokens[index + size][1])
            index += size + 1
        else:
            index += 1
    return spans


def _skip_nested(body: bytes, position: int) -> int:
    """The position after the array or dictionary that starts at ``position``."""
    depth = 0
    while position < len(body):
        if body.startswith(b"<<", position) or body[position:position + 1] == b"[":
            depth += 1
            position += 2 if body.startswith(b"<<", position) else 1
        elif body.startswith(b">>", position) or body[position:position + 1] == b"]":
            depth -= 1
            position += 2 if body.startswith(b">>", position) else 1
            if depth == 0:
                return position
        elif body[position:position + 1] == b"(":
            position = _skip_string(body, position)
        elif body[position:position + 1] == b"<":
            position = body.find(b">", position) + 1 or len(body)
        else:
            position += 1
    return position


def _skip_string(body: bytes, position: int) -> int:
    """The position after the literal string ``( ... )`` at ``position`` (nested parentheses, escapes)."""
    depth = 0
    while position < len(body):
        char = body[position:position + 1]
        if char == b"\\":
            position += 2
            continue
        if char == b"(":
            depth += 1
        elif char == b")":
            depth -= 1
            if depth == 0:
                return position + 1
        position += 1
    return position
