"""Time budgets for parsing one file (or one PDF page), so one hostile file cannot stall a run.

A ``TimeBudget`` holds seconds; ``with budget.running():`` spends them. Only the time inside
``running()`` counts, so a reader that yields documents one by one is not charged for what the
caller does between them (chunking, embedding). Budgets nest (a page budget inside a file budget).

Enforcement: in the main thread a ``SIGALRM`` timer interrupts pure-Python parsing (pypdf, the csv
and json readers' loops) when the earliest running budget is spent; the expiry is a
``BaseException`` inside the parser, so no ``except Exception`` in a library can swallow it, and it
leaves ``running()`` as ``TimeBudgetExceeded``. Elsewhere (a worker thread of the UI or service)
signals are unavailable and ``check()`` between units of work is the bound. A previously armed
``SIGALRM`` handler and timer are put back when the outermost budget stops running.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class TimeBudgetExceeded(Exception):
    """A budget ran out; the message says what took too long and which setting raises the limit."""


class BudgetInterrupt(BaseException):
    """The timer's interruption on its way to ``running()``; only escapes in a microsecond race at exit."""

    def __init__(self, budget: TimeBudget) -> None:
        super().__init__(budget.what)
        self.budget = budget


_active: list[TimeBudget] = []  # running budgets in the main thread, outermost first
_saved: tuple[object, float, float, float] | None = None  # the handler and timer we displaced, and when


class TimeBudget:
    def __init__(self, seconds: float | None, what: str, hint: str = "") -> None:
        self.seconds = seconds
        self.remaining = float("inf") if not seconds or seconds <= 0 else float(seconds)
        self.what = what
        self.hint = hint
        self._started: float | None = None
        self._live = False  # inside the body of running(): the only place the timer may interrupt

    def exceeded(self) -> TimeBudgetExceeded:
        hint = f" ({self.hint})" if self.hint else ""
        return TimeBudgetExceeded(f"{self.what} took longer than {self.seconds:g}s{hint}")

    def left(self) -> float:
        spent = time.monotonic() - self._started if self._started is not None else 0.0
        return self.remaining - spent

    def check(self) -> None:
        """Raise ``TimeBudgetExceeded`` if the budget is spent (the bound where no timer can interrupt)."""
        if self.left() <= 0:
            raise self.exceeded()

    @contextmanager
    def running(self) -> Iterator[TimeBudget]:
        if self.remaining <= 0:
            raise self.exceeded()
        armed = self.remaining != float("inf") and _can_signal()
        self._started = time.monotonic()
        if armed:
            _push(self)
        self._live = True
        try:
            yield self
        except BudgetInterrupt as expired:
            self._live = False
            if expired.budget is not self:
                raise
            raise self.exceeded() from None
        finally:
            self._live = False
            self.remaining -= time.monotonic() - self._started
            self._started = None
            if armed:
                _pop(self)
        if self.remaining <= 0:  # finished, but late (or no timer could interrupt it)
            raise self.exceeded()


def _can_signal() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    live = [b for b in _active if b._live]
    if not live:
        return
    expired = min(live, key=lambda b: b.left())
    if expired.left() <= 0.001:
        raise BudgetInterrupt(expired)
    signal.setitimer(signal.ITIMER_REAL, max(expired.left(), 0.001))  # woke early; sleep again


def _arm() -> None:
    if _active:
        signal.setitimer(signal.ITIMER_REAL, max(min(b.left() for b in _active), 0.001))


def _push(budget: TimeBudget) -> None:
    global _saved
    if not _active:
        handler = signal.signal(signal.SIGALRM, _on_alarm)
        delay, interval = signal.setitimer(signal.ITIMER_REAL, 0)
        _saved = (handler, delay, interval, time.monotonic())
    _active.append(budget)
    _arm()


def _pop(budget: TimeBudget) -> None:
    global _saved
    signal.setitimer(signal.ITIMER_REAL, 0)
    if budget in _active:
        _active.remove(budget)
    if _active:
        _arm()
        return
    if _saved is not None:
        handler, delay, interval, since = _saved
        _saved = None
        # None: the handler was not installed from Python; the default is the best we can restore
        signal.signal(signal.SIGALRM, handler if handler is not None else signal.SIG_DFL)  # type: ignore[arg-type]
        if delay > 0:  # someone else's timer was pending: give it back what is left of it (at least a tick)
            signal.setitimer(signal.ITIMER_REAL, max(delay - (time.monotonic() - since), 0.001), interval)
