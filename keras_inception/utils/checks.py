"""Argument checks shared by every public function of the package.

Each raises ``TypeError`` (wrong kind of value) or ``ValueError`` (right
kind, not allowed) naming the argument, what it allows and what it received,
before any TensorFlow work starts. Bools are never numbers here.

Example:
    >>> from keras_inception.utils.checks import check_count
    >>> check_count(0, "epochs")
    Traceback (most recent call last):
    ...
    ValueError: `epochs` must be a positive integer; received 0.
"""

from __future__ import annotations

import math
import numbers


def check_bool(value, arg):
    """Raise TypeError naming ``arg`` unless ``value`` is True or False."""
    if not isinstance(value, bool):
        raise TypeError(f"`{arg}` must be True or False; received {value!r}.")


def check_count(value, arg, minimum=1):
    """Raise TypeError/ValueError naming ``arg`` unless ``value`` is an
    integer >= ``minimum``."""
    what = {0: "a non-negative integer", 1: "a positive integer"}.get(
        minimum, f"an integer >= {minimum}")
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{arg}` must be {what}; received {value!r}.")
    if value < minimum:
        raise ValueError(f"`{arg}` must be {what}; received {value!r}.")


def check_number(value, arg):
    """Raise TypeError/ValueError naming ``arg`` unless ``value`` is a
    finite real number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{arg}` must be a number; received {value!r}.")
    if not math.isfinite(value):
        raise ValueError(f"`{arg}` must be finite; received {value!r}.")


def check_positive(value, arg):
    """A finite number > 0."""
    check_number(value, arg)
    if value <= 0:
        raise ValueError(f"`{arg}` must be > 0; received {value!r}.")


def check_non_negative(value, arg):
    """A finite number >= 0."""
    check_number(value, arg)
    if value < 0:
        raise ValueError(f"`{arg}` must be >= 0; received {value!r}.")


def check_in_range(value, arg, low, high, closed=False):
    """A finite number in ``[low, high)`` (``[low, high]`` if ``closed``)."""
    check_number(value, arg)
    if not (low <= value <= high if closed else low <= value < high):
        bracket = "]" if closed else ")"
        raise ValueError(f"`{arg}` must be in [{low}, {high}{bracket}; "
                         f"received {value!r}.")


def check_fraction(value, arg, interval):
    """A finite number in ``interval``, ``"(0, 1]"`` or ``"[0, 1)"``."""
    check_number(value, arg)
    inside = 0 < value <= 1 if interval == "(0, 1]" else 0 <= value < 1
    if not inside:
        raise ValueError(f"`{arg}` must be in {interval}; received "
                         f"{value!r}.")


def check_choice(value, arg, choices):
    """One of the strings ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"`{arg}` must be one of {choices}; received "
                         f"{value!r}.")


def check_str(value, arg):
    """A non-empty string."""
    if not isinstance(value, str) or not value:
        raise TypeError(f"`{arg}` must be a non-empty string; received "
                        f"{value!r}.")
