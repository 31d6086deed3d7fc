"""What went wrong, as one line and an exit code: the one place the command
line turns exceptions into messages.

=====  ======================================================================
code   meaning
=====  ======================================================================
2      bad input: an argument out of range, a missing or wrong kind of file
       (``ValueError``, ``TypeError``; TensorFlow's ``InvalidArgumentError``;
       argparse's usage errors)
1      a fault of the machine or of a tool: a full disk, no permission, a
       lost file, a dead worker, Graphviz missing (``OSError`` and
       :class:`~keras_inception.utils.faults.MachineFault`,
       ``RuntimeError``, TensorFlow's other errors), and anything unforeseen
130    interrupted (Ctrl-C)
=====  ======================================================================

The library names its arguments as Python does (`` `batch_size` ``); the
line names them as the user typed them (``--batch-size``). ``--verbose``
adds the traceback.

Example:
    >>> describe(ValueError("`batch_size` must be positive"),
    ...          {"batch_size": "--batch-size"})
    (2, '--batch-size must be positive')
"""

from __future__ import annotations

import re
import sys

from keras_inception.utils.faults import MachineFault, fault_errno

BAD_INPUT = 2
MACHINE_FAULT = 1
INTERRUPTED = 130


def _tf_errors():
    """TensorFlow's error module when TensorFlow is loaded (an error from
    it can only come then), else ``None``."""
    tf = sys.modules.get("tensorflow")
    return getattr(tf, "errors", None) if tf is not None else None


def exit_code(err):
    """The exit code of ``err`` (see the module table)."""
    if isinstance(err, KeyboardInterrupt):
        return INTERRUPTED
    if isinstance(err, (ValueError, TypeError)):
        return BAD_INPUT
    errors = _tf_errors()
    if errors is not None and isinstance(err, errors.InvalidArgumentError) \
            and fault_errno(err) is None:
        return BAD_INPUT
    return MACHINE_FAULT


def _one_line(text):
    lines = [line.strip() for line in str(text).splitlines()]
    return " ".join(line for line in lines if line)


def _text(err):
    if isinstance(err, KeyboardInterrupt):
        return "interrupted"
    if isinstance(err, MachineFault):
        return str(err)
    if isinstance(err, OSError):
        # TensorFlow-style text puts the path first: "path; No space...".
        what = (err.strerror or str(err).split(";")[-1]).strip().rstrip(".")
        return what + (f": {err.filename}" if err.filename else "")
    errors = _tf_errors()
    if errors is not None and isinstance(err, errors.OpError):
        from keras_inception.deploy.serving import error_message
        return error_message(err)
    if isinstance(err, (ValueError, TypeError, RuntimeError)):
        return str(err)
    return (f"unexpected {type(err).__name__}: {err} (rerun with --verbose "
            "for the traceback, and please report it)")


def describe(err, flags=None):
    """``(exit code, one line)`` for ``err``; ``flags`` maps the library's
    argument names to the command's options (``{"batch_size":
    "--batch-size"}``)."""
    text = _one_line(_text(err)) or type(err).__name__
    for name, flag in (flags or {}).items():
        text = re.sub(rf"`{re.escape(name)}`", flag, text)
    return exit_code(err), text
