"""TensorFlow's start-up lines kept off a newcomer's screen.

On a machine without a GPU, importing TensorFlow prints lines such as
``Could not find cuda drivers on your machine, GPU will not be used`` and
``failed call to cuInit: ... CUDA error`` from its C++ loggers, and absl's
``WARNING: All log messages before absl::InitializeLog() is called are
written to STDERR``. ``TF_CPP_MIN_LOG_LEVEL`` hides only part of them: the
absl lines are written before that variable is read. Read as failures, they
are not; so :func:`quiet_tensorflow`

* sets ``TF_CPP_MIN_LOG_LEVEL=2`` (unless the caller set it) before
  TensorFlow is imported, which silences TensorFlow's own info and warning
  lines at their source, and
* passes the process's file descriptor 2 through a filter
  (:class:`StderrFilter`) that drops the C++ and absl logger lines at
  info and warning level, and the error lines that only say there is no GPU
  (:data:`NO_GPU_NOISE`), and keeps absl's Python logger to errors.
  Every other line -- a real C++ error, a child
  process's output -- goes through unchanged. Python's ``sys.stderr``
  (our messages, tracebacks, warnings, progress bars) writes to the
  terminal directly, not through the filter.

``quiet_tensorflow(verbose=True)`` does the opposite: every line shows
(``TF_CPP_MIN_LOG_LEVEL=0``).

Example:
    >>> is_tensorflow_noise("I0000 00:00:1796613975.766358    1940 "
    ...     "cudart_stub.cc:31] Could not find cuda drivers on your machine")
    True
    >>> is_tensorflow_noise("E0000 00:00:1.5 12 bfc_allocator.cc:485] "
    ...     "Allocator ran out of memory")
    False
    >>> is_tensorflow_noise("Traceback (most recent call last):")
    False
"""

from __future__ import annotations

import io
import logging
import os
import re
import sys
import threading

# One line of absl's C++ logger (``I1207 03:22:45.123456  1940 file.cc:31]``)
# or of TensorFlow's older one (``2026-12-07 03:22:45.123456: W file.cc:31]``)
# -- group 1 or 2 is the severity -- and absl's preamble before it is set up.
_LOG_LINE = re.compile(
    r"^(?:([IWEF])\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ [\w./+-]+:\d+\]"
    r"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: ([IWEF]) [\w./+-]+:\d+\])")
_PREAMBLE = ("WARNING: All log messages before absl::InitializeLog() is "
             "called are written to STDERR")
# The second line of cpu_feature_guard's info message.
_CONTINUATION = "To enable the following instructions:"
# TFLite's (LiteRT's) own logger writes plain "INFO: " lines as an
# interpreter starts.
_TFLITE_INFO = ("INFO: Created TensorFlow Lite ",
                "INFO: Initialized TensorFlow Lite runtime")
# Error-level lines that only say this machine has no (usable) GPU.
NO_GPU_NOISE = ("failed call to cuInit", "could not retrieve CUDA device",
                "Unable to register cuDNN factory",
                "Unable to register cuFFT factory",
                "Unable to register cuBLAS factory",
                "computation placer already registered")


def is_tensorflow_noise(line):
    """Whether ``line`` (one line of stderr) is TensorFlow start-up noise:
    a C++/absl logger line at info or warning level, absl's preamble,
    TFLite's start-up info lines, or an error line of
    :data:`NO_GPU_NOISE`."""
    text = line.rstrip("\r\n")
    if text.startswith((_PREAMBLE, _CONTINUATION) + _TFLITE_INFO):
        return True
    match = _LOG_LINE.match(text)
    if match is None:
        return False
    severity = match.group(1) or match.group(2)
    if severity in "IW":
        return True
    return severity == "E" and any(s in text for s in NO_GPU_NOISE)


def _same_file(stream, fd):
    """Whether ``stream`` writes to the file open as descriptor ``fd``."""
    try:
        mine, theirs = os.fstat(stream.fileno()), os.fstat(fd)
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation
        return False
    return (mine.st_ino, mine.st_dev) == (theirs.st_ino, theirs.st_dev)


class StderrFilter:
    """File descriptor 2 through a pipe that drops TensorFlow's noise.

    :meth:`start` points descriptor 2 (what C++ code and child processes
    write to) at a pipe read by a thread, which forwards each line that
    :func:`is_tensorflow_noise` lets through to the real stderr, and points
    ``sys.stderr`` at the real stderr directly (where it wrote to
    descriptor 2; one that writes elsewhere, as Jupyter's kernel's does,
    is left as it is). :meth:`stop` flushes and
    restores both. Use it as a context manager.
    """

    def __init__(self):
        self._saved_fd = None
        self._saved_stream = None
        self._thread = None

    def start(self):
        sys.stderr.flush()
        self._saved_fd = os.dup(2)
        read_end, write_end = os.pipe()
        os.dup2(write_end, 2)
        os.close(write_end)
        self._saved_stream = sys.stderr
        # Python's own writes go to the terminal unfiltered, a line at a
        # time (progress bars flush their "\r" redraws themselves). A
        # sys.stderr that does not write to descriptor 2 (Jupyter's kernel
        # sends it to the notebook) is left as it is.
        if _same_file(self._saved_stream, self._saved_fd):
            sys.stderr = io.TextIOWrapper(
                os.fdopen(os.dup(self._saved_fd), "wb"),
                encoding=getattr(self._saved_stream, "encoding", None)
                or "utf-8", errors="backslashreplace", line_buffering=True)
        self._thread = threading.Thread(
            target=self._pump, args=(read_end, os.dup(self._saved_fd)),
            name="stderr-filter", daemon=True)
        self._thread.start()
        return self

    def _pump(self, read_end, out):
        with os.fdopen(read_end, "rb") as pipe:
            for line in pipe:
                if not is_tensorflow_noise(line.decode("utf-8", "replace")):
                    os.write(out, line)
        os.close(out)

    def stop(self):
        if self._saved_fd is None:
            return
        sys.stderr.flush()
        replacement, sys.stderr = sys.stderr, self._saved_stream
        if replacement is not self._saved_stream:
            replacement.close()
        os.dup2(self._saved_fd, 2)     # closes the pipe's write end
        os.close(self._saved_fd)
        self._saved_fd = None
        # A child process still holding the pipe keeps it open: do not wait
        # for it.
        self._thread.join(timeout=2)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _warnings_and_above(record):
    """A logging filter: only records at WARNING or above pass."""
    return record.levelno >= logging.WARNING


def set_log_environment(verbose=False):
    """TensorFlow's C++ log level, before TensorFlow is imported: every
    line with ``verbose``, else errors only unless the caller chose
    (``TF_CPP_MIN_LOG_LEVEL`` already set)."""
    if verbose:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "0"
    else:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def quiet_tensorflow(verbose=False):
    """:func:`set_log_environment` and, unless ``verbose``, a started
    :class:`StderrFilter`; returns it (or ``None``). Call
    :meth:`StderrFilter.stop` when done (the command line does so on
    exit)."""
    set_log_environment(verbose)
    if verbose:
        return None
    # absl's Python logger (TFDS's and TensorFlow's notes on folders and
    # flags): errors only.
    logging.getLogger("absl").setLevel(logging.ERROR)
    # TensorFlow's own Python logger: warnings and above. In an interactive
    # session (Jupyter) TensorFlow sets it to INFO when it first logs, so
    # a filter, not a level, keeps its notes ("Assets written to ...") out.
    tf_logger = logging.getLogger("tensorflow")
    if _warnings_and_above not in tf_logger.filters:
        tf_logger.addFilter(_warnings_and_above)
    try:
        return StderrFilter().start()
    except OSError:   # no descriptor 2 to filter (a closed stderr)
        return None
