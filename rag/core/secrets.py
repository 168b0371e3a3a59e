"""Secrets redacted at the source: values read from the environment are registered, then never shown.

Whoever substitutes a value from the environment into a request (an API spec's ``${TOKEN}``, the
OpenAI key) calls ``register_secret``; every message, exception, report line and log line that
could carry it passes through ``redact``, which replaces each registered value (and its URL-encoded
forms, since it may sit in a URL path or query) with ``***``. Once a secret is registered, every log
record is redacted when it is created, whichever logger or library wrote it.

Values shorter than ``MIN_SECRET_LENGTH`` are not registered: redacting "1" or "ab" everywhere would
garble messages and such values protect nothing.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "***"
MIN_SECRET_LENGTH = 4

_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None
_factory_installed = False


def register_secret(value: str | None) -> str | None:
    """Remember ``value`` as a secret (and its URL-encoded forms); returns it unchanged for chaining."""
    global _pattern
    if not value or len(value) < MIN_SECRET_LENGTH:
        return value
    forms = {value, quote(value, safe=""), quote_plus(value, safe=""), quote(value)}
    with _lock:
        if forms <= _secrets:
            return value
        _secrets.update(form for form in forms if len(form) >= MIN_SECRET_LENGTH)
        # longest first, so a secret that contains another is masked whole
        _pattern = re.compile("|".join(re.escape(s) for s in sorted(_secrets, key=len, reverse=True)))
        _install_log_redaction()
    return value


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by ``***``."""
    pattern = _pattern
    if pattern is None or not text:
        return text
    return pattern.sub(MASK, text)


def redact_value(value: Any) -> Any:
    """``redact`` applied through strings, lists and dict values (for reports and metadata)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: redact_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact_value(item) for item in value)
    return value


def has_secrets() -> bool:
    return _pattern is not None


def _install_log_redaction() -> None:
    """Redact every log record at creation (a logger filter would miss child loggers and libraries)."""
    global _factory_installed
    if _factory_installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if _pattern is not None:
            try:
                message = record.getMessage()
            except Exception:  # noqa: BLE001 - a malformed record is logging's problem, not ours
                return record
            cleaned = redact(message)
            if cleaned != message:
                record.msg, record.args = cleaned, ()
        return record

    logging.setLogRecordFactory(factory)
    _factory_installed = True
