"""Progress of long work: a bar on a terminal, one line per unit in a log.

Training epochs, evaluations, export checks, dataset scans and tuning
trials all report through :class:`Progress`:

* ``"bar"``: a `tqdm <https://tqdm.github.io>`_ bar on stderr, redrawn in
  place, with the count, images (or files) per second, elapsed time, ETA
  and the latest figures (loss, top-1);
* ``"line"``: nothing while it runs, then one line when it ends (count,
  seconds, rate, figures) -- what CI logs and ``| tee`` want;
* ``"none"``: nothing.

``"auto"`` is ``"bar"`` when stderr is a terminal, else ``"line"``; the
library's ``verbose`` integers (Keras's convention) map to them through
:func:`progress_mode` (0 none, 1 bar, 2 line).

Example:
    >>> import io
    >>> out = io.StringIO()
    >>> progress = Progress(4, desc="scan", unit="file", mode="line",
    ...                     stream=out)
    >>> for done in range(1, 5):
    ...     progress.update(done)
    >>> seconds = progress.close(bad=0)
    >>> out.getvalue().split(" in ")[0]
    'scan: 4 files'
"""

from __future__ import annotations

import sys
import time

MODES = ("auto", "bar", "line", "none")


def progress_mode(verbose):
    """The :class:`Progress` mode of a ``verbose`` setting: Keras's 0, 1, 2
    (none, bar, line), ``"auto"`` or a mode name."""
    if verbose in MODES:
        return verbose
    try:
        return {0: "none", 1: "bar", 2: "line"}[verbose]
    except (KeyError, TypeError):
        raise ValueError(f"`verbose` must be 0, 1, 2 or one of {MODES}; "
                         f"received {verbose!r}.") from None


def _resolve(mode, stream):
    mode = progress_mode(mode)
    if mode == "auto":
        isatty = getattr(stream, "isatty", None)
        mode = "bar" if isatty is not None and isatty() else "line"
    return mode


def keras_verbose(mode, stream=None):
    """The ``verbose`` integer (Keras's 0, 1, 2) of a :class:`Progress`
    mode, ``"auto"`` decided for ``stream`` (default: ``sys.stderr``), for
    settings that store an integer (``TrainConfig.verbose``)."""
    resolved = _resolve(mode, sys.stderr if stream is None else stream)
    return {"none": 0, "bar": 1, "line": 2}[resolved]


def format_figures(figures):
    """``loss 1.2346, top1 45.00%``: numbers shortened, fractions named
    ``*top1``/``*top5`` as percentages."""
    parts = []
    for name, value in figures.items():
        if value is None:
            continue
        if hasattr(value, "item"):      # numpy scalars
            value = value.item()
        if isinstance(value, float) and name.endswith(("top1", "top5")):
            parts.append(f"{name} {100 * value:.2f}%")
        elif isinstance(value, float):
            parts.append(f"{name} {value:.4g}")
        else:
            parts.append(f"{name} {value}")
    return ", ".join(parts)


class Progress:
    """Progress of ``total`` steps (``None``: unknown).

    Args:
        total: steps to do, or ``None``.
        desc: what is done (``"epoch 3/15"``), the start of every line.
        unit: what is counted (``"image"``, ``"file"``); plural with ``s``.
        scale: units per step (a batch's images), so rates are in units.
        limit: the units in all, when the last step holds fewer than
            ``scale`` (default: ``total * scale``).
        mode: ``"auto"``, ``"bar"``, ``"line"``, ``"none"`` or a Keras
            ``verbose`` integer (:func:`progress_mode`).
        stream: where to write (default: ``sys.stderr`` when created).
    """

    def __init__(self, total, *, desc, unit="step", scale=1, limit=None,
                 mode="auto", stream=None):
        self.stream = sys.stderr if stream is None else stream
        self.mode = _resolve(mode, self.stream)
        self.total, self.desc, self.unit, self.scale = total, desc, unit, \
            scale
        self.limit = limit
        self.done = 0
        self.start = time.perf_counter()
        self._stopped = None
        self._bar = None
        if self.mode == "bar":
            from tqdm.auto import tqdm

            self._bar = tqdm(
                total=limit if limit is not None else
                None if total is None else total * scale, desc=desc,
                unit=f" {unit}s", file=self.stream, leave=True,
                dynamic_ncols=True, mininterval=0.2)

    def update(self, done, **figures):
        """``done`` steps finished so far (not an increment); ``figures``
        (``loss=1.23``) shown beside the bar."""
        done = int(done)
        if self._bar is not None:
            if figures:
                self._bar.set_postfix_str(format_figures(figures),
                                          refresh=False)
            self._bar.update(self._units(done) - self._units(self.done))
        self.done = done

    def _units(self, done):
        units = done * self.scale
        return units if self.limit is None else min(units, self.limit)

    def stop_clock(self):
        """Ends the timed part: what runs after (a validation pass) is not
        counted in the line's seconds and rate."""
        if self._stopped is None:
            self._stopped = time.perf_counter()

    def set_desc(self, desc):
        """Changes what the bar says it is doing (``"... validating"``)."""
        if self._bar is not None:
            self._bar.set_description_str(desc)

    def close(self, **figures):
        """Ends the bar (or writes the one line) with the final
        ``figures``; returns the seconds timed."""
        seconds = (self._stopped or time.perf_counter()) - self.start
        if self._bar is not None:
            if figures:
                self._bar.set_postfix_str(format_figures(figures),
                                          refresh=False)
            self._bar.close()
            self._bar = None
        elif self.mode == "line":
            count = self._units(self.done)
            rate = count / seconds if seconds > 0 else float("inf")
            text = (f"{self.desc}: {count} {self.unit}s in {seconds:.1f} s "
                    f"({rate:.1f} {self.unit}s/s)")
            shown = format_figures(figures)
            print(text + (f"; {shown}" if shown else ""), file=self.stream,
                  flush=True)
        self.mode = "none"
        return seconds
