"""``keras-inception``: a thin command line over the library API, the top
of the package (it may import every other subpackage).

- :mod:`~keras_inception.cli.parser`: the commands and their options.
- :mod:`~keras_inception.cli.commands`: one function per command, calling
  the library.
- :mod:`~keras_inception.cli.formatting`: what the commands print.
- :mod:`~keras_inception.cli.errors`: what went wrong, as one line and an
  exit code.
- :mod:`~keras_inception.cli.__main__`: ``python -m keras_inception.cli``.

:func:`main` (here) parses, runs and turns the library's exceptions into
one line and an exit code through :mod:`~keras_inception.cli.errors` (2:
bad input, 1: a fault of the machine). Run it as ``keras-inception`` or
``python -m keras_inception.cli``.

Nothing here imports TensorFlow or Keras at module level: ``--help`` and
the errors that need no model answer at once, and the command sets
TensorFlow's logging environment before TensorFlow loads
(:mod:`keras_inception.utils.quiet`).
"""

from __future__ import annotations

import logging
import sys
import traceback

from keras_inception.cli.errors import describe
from keras_inception.cli.parser import build_parser
from keras_inception.utils.quiet import (quiet_tensorflow,
                                         set_log_environment)

__all__ = ["build_parser", "main"]


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
    """Runs ``keras-inception`` with ``argv``; returns the exit code.

    With ``argv=None`` (the program's own command line, ``sys.argv[1:]``)
    the process's stderr is filtered of TensorFlow's start-up lines for the
    whole command unless ``--verbose``
    (:func:`~keras_inception.utils.quiet.quiet_tensorflow`); a caller that
    passes ``argv`` (a test, a script) keeps its stderr as it is.
    """
    program = argv is None
    argv = sys.argv[1:] if program else [str(a) for a in argv]
    args = build_parser().parse_args(argv)
    args.argv = argv
    stderr_filter = None
    if program:
        stderr_filter = quiet_tensorflow(args.verbose)
    else:
        set_log_environment(args.verbose)
    _show_logs()
    try:
        return args.func(args)
    except (Exception, KeyboardInterrupt) as err:
        if args.verbose:
            traceback.print_exc()
        code, text = describe(err, args.flags)
        print(f"keras-inception {args.command}: error: {text}",
              file=sys.stderr)
        return code
    finally:
        if stderr_filter is not None:
            stderr_filter.stop()
