"""``keras-inception``: a thin command line over the library API, the top
of the package (it may import every other subpackage).

- :mod:`~keras_inception.cli.parser`: the commands and their options.
- :mod:`~keras_inception.cli.commands`: one function per command, calling
  the library.
- :mod:`~keras_inception.cli.formatting`: what the commands print.
- :mod:`~keras_inception.cli.__main__`: ``python -m keras_inception.cli``.

:func:`main` (here) parses, runs and turns the library's exceptions into
messages (exit code 2). Run it as ``keras-inception`` or
``python -m keras_inception.cli``.
"""

from __future__ import annotations

import logging
import os
import sys

from keras_inception.cli.parser import build_parser

__all__ = ["build_parser", "main"]


def _quiet_tensorflow():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a message comes, not the
    stream of the first call: a program (or a test) that calls ``main``
    more than once may have replaced and closed that one since."""

    def __init__(self):
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


def _show_logs():
    """Library messages (resume points, skipped files) on stderr, once
    however often ``main`` runs in one process."""
    log = logging.getLogger("keras_inception")
    if any(isinstance(h, _StderrHandler) for h in log.handlers):
        return
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("keras-inception: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


def main(argv=None):
    """Runs ``keras-inception`` with ``argv`` (default: ``sys.argv[1:]``);
    returns the exit code."""
    _quiet_tensorflow()
    argv = sys.argv[1:] if argv is None else [str(a) for a in argv]
    args = build_parser().parse_args(argv)
    args.argv = argv
    _show_logs()
    try:
        return args.func(args)
    except (ValueError, TypeError, RuntimeError, OSError) as err:
        print(f"keras-inception {args.command}: error: {err}",
              file=sys.stderr)
        return 2
