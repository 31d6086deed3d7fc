"""Timing contenders side by side on a shared, noisy machine.

Two models timed one after the other are compared across whatever else the
machine did in between; timed in alternating rounds, both see the same
noise. :func:`time_side_by_side` warms every contender up, sizes a round to
last about ``round_seconds`` (several calls when one call is short, so a
batch-1 latency is not one timer tick), then runs ``repeats`` rounds in
which every contender takes its turn, the order rotated each round so none
is always first. Each contender's figures are the per-call times of its
rounds: median, min and max.

Peak resident memory is sampled on a thread (every 5 ms, and at the start
and end of every round) while a contender runs: the process's resident set,
which holds every model built so far, not the contender's alone.

Example:
    >>> timings = time_side_by_side({"sleep": lambda: time.sleep(0.001)},
    ...                             repeats=3, warmup=1, round_seconds=0.01)
    >>> t = timings["sleep"]
    >>> len(t.seconds), t.low <= t.median <= t.high, t.peak_rss > 0
    (3, True, True)
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import statistics
import threading
import time

import psutil

from keras_inception.utils.checks import check_count, check_positive
from keras_inception.utils.progress import Progress

_SAMPLE_SECONDS = 0.005


@dataclasses.dataclass(frozen=True)
class Timing:
    """One contender's rounds.

    Attributes:
        seconds: per-call seconds of each round (a round's time divided by
            its calls).
        calls_per_round: calls in each round.
        peak_rss: highest resident set size (bytes) of the process seen
            while this contender ran.
    """

    seconds: tuple
    calls_per_round: int
    peak_rss: int

    @property
    def median(self):
        return statistics.median(self.seconds)

    @property
    def low(self):
        return min(self.seconds)

    @property
    def high(self):
        return max(self.seconds)


class PeakMemory:
    """The peak resident memory of the process while each label is active.

    Example:
        >>> memory = PeakMemory()
        >>> with memory.sampling():
        ...     with memory.active("a"):
        ...         block = bytearray(1 << 20)
        >>> memory.peak["a"] > 1 << 20
        True
    """

    def __init__(self):
        self.peak = {}
        self._label = None
        self._process = psutil.Process()
        self._stop = threading.Event()

    def _sample(self):
        label = self._label
        if label is not None:
            rss = self._process.memory_info().rss
            self.peak[label] = max(self.peak.get(label, 0), rss)

    def _loop(self):
        while not self._stop.wait(_SAMPLE_SECONDS):
            self._sample()

    @contextlib.contextmanager
    def sampling(self):
        """Runs the sampling thread for the block."""
        self._stop.clear()
        thread = threading.Thread(target=self._loop, daemon=True,
                                  name="keras_inception-rss")
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join()

    @contextlib.contextmanager
    def active(self, label):
        """Counts the samples taken in the block towards ``label``."""
        self._label = label
        self._sample()
        try:
            yield
        finally:
            self._sample()
            self._label = None


def _timed(fn, calls):
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def time_side_by_side(contenders, *, repeats, warmup=1, round_seconds=1.0,
                      on_round=None):
    """Times ``contenders`` in alternating rounds.

    Args:
        contenders: ``{label: fn}``; one call of ``fn()`` is one unit of
            work (a batch), finished when it returns.
        repeats: timed rounds per contender (>= 1).
        warmup: untimed calls per contender first (>= 1: the first call
            also sizes the rounds; tracing and allocation happen there).
        round_seconds: about how long one round of a contender lasts (> 0);
            a round is at least one call.
        on_round: called with no argument after each contender's round
            (a progress bar's tick).

    Returns:
        ``{label: Timing}``, in the order of ``contenders``.

    Raises:
        TypeError, ValueError: for a bad argument, naming it.
    """
    if not isinstance(contenders, dict) or not contenders or \
            not all(callable(fn) for fn in contenders.values()):
        raise TypeError(f"`contenders` must be a non-empty dict of label to "
                        f"callable; received {contenders!r}.")
    check_count(repeats, "repeats")
    check_count(warmup, "warmup")
    check_positive(round_seconds, "round_seconds")
    labels = list(contenders)
    memory = PeakMemory()
    calls, seconds = {}, {label: [] for label in labels}
    with memory.sampling():
        for label in labels:
            with memory.active(label):
                for _ in range(warmup - 1):
                    contenders[label]()
                once = _timed(contenders[label], 1)
            calls[label] = max(1, math.ceil(round_seconds / max(once, 1e-6)))
        for r in range(repeats):
            turn = labels[r % len(labels):] + labels[:r % len(labels)]
            for label in turn:
                with memory.active(label):
                    seconds[label].append(_timed(contenders[label],
                                                 calls[label]))
                if on_round is not None:
                    on_round()
    return {label: Timing(tuple(seconds[label]), calls[label],
                          memory.peak.get(label, 0)) for label in labels}


class Rounds:
    """The progress bar over every timed round of a run: ``start(what)``
    names the step, ``tick`` (``on_round`` of :func:`time_side_by_side`)
    counts a round."""

    def __init__(self, total, mode, desc="benchmark"):
        self.desc = desc
        self.bar = Progress(total, desc=desc, unit="round", mode=mode)
        self.done = 0

    def start(self, what):
        self.bar.set_desc(f"{self.desc}: {what}")

    def tick(self):
        self.done += 1
        self.bar.update(self.done)
