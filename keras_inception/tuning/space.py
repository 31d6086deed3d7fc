"""The search space: the hyperparameters, their bounds, the ranges a
search may give them, and their declaration in keras-tuner's ``hp``.

The hyperparameters (:data:`HYPERPARAMETERS`):

====================  =====================================================
``width_multiplier``  channel width (TF-slim's depth multiplier)
``blocks_35x35``      repeated blocks per stage, named by the stage's grid
``blocks_17x17``      at 299 px: Inception-v4's A/B/C, Inception-ResNet's
``blocks_8x8``        A/B/C, Inception-v3's 17x17 modules (those that exist)
``dropout_rate``      before the classifier
``aux_weight``        loss weight of the auxiliary heads (v1, v3)
``learning_rate``     the recipe's peak rate
``label_smoothing``   Rethinking the Inception Architecture, Section 7
====================  =====================================================

Example:
    >>> from keras_inception.tuning.space import as_range
    >>> as_range("blocks_17x17", (1, 7), None)
    Range(low=1, high=7, step=None, sampling='linear', values=None)
    >>> as_range("dropout_rate", [0.0, 1.0], None)
    Traceback (most recent call last):
    ...
    ValueError: `space['dropout_rate']` must be in [0.0, 1.0); received 1.0.
"""

from __future__ import annotations

import dataclasses
import math
import numbers

from keras_inception.utils.checks import check_count

HYPERPARAMETERS = ("width_multiplier", "blocks_35x35", "blocks_17x17",
                   "blocks_8x8", "dropout_rate", "aux_weight",
                   "learning_rate", "label_smoothing")


@dataclasses.dataclass(frozen=True)
class Range:
    """A searched range: ``low`` to ``high`` (both included) by ``step``,
    or the listed ``values``.

    ``sampling`` is keras-tuner's: ``"linear"``, or ``"log"`` (then
    ``step``, if given, multiplies). A tuple ``(low, high)`` or
    ``(low, high, step)`` and a list of values are accepted wherever a
    Range is.
    """

    low: float | None = None
    high: float | None = None
    step: float | None = None
    sampling: str = "linear"
    values: tuple | None = None


# name -> (kind, lower bound, lower bound included, upper bound or None)
_BOUNDS = {
    "width_multiplier": ("float", 0.0, False, None),
    "blocks": ("int", 1, True, None),
    "dropout_rate": ("float", 0.0, True, 1.0),
    "aux_weight": ("float", 0.0, True, None),
    "learning_rate": ("float", 0.0, False, None),
    "label_smoothing": ("float", 0.0, True, 1.0),
}


def _bounds(name):
    return _BOUNDS["blocks" if name.startswith("blocks_") else name]


def check_value(name, value, arg):
    """``value`` of hyperparameter ``name`` within its bounds."""
    kind, low, low_in, high = _bounds(name)
    if kind == "int":
        check_count(value, f"{arg}[{name!r}]", low)
        return int(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or \
            not math.isfinite(value):
        raise TypeError(f"`{arg}[{name!r}]` must be a finite number; "
                        f"received {value!r}.")
    ok = (value >= low if low_in else value > low) and \
        (high is None or value < high)
    if not ok:
        interval = (f"{'[' if low_in else '('}{low}, "
                    f"{high if high is not None else 'inf'})")
        raise ValueError(f"`{arg}[{name!r}]` must be in {interval}; "
                         f"received {value!r}.")
    return float(value)


def as_range(name, spec, default):
    """A checked :class:`Range` from ``spec`` (a Range, tuple, list or
    ``None`` for ``default``)."""
    arg = f"space[{name!r}]"
    if spec is None:
        spec = default
    if isinstance(spec, list):
        spec = Range(values=tuple(spec))
    elif isinstance(spec, tuple):
        if len(spec) not in (2, 3):
            raise ValueError(f"`{arg}` must be (low, high), (low, high, "
                             f"step), a list of values or a Range; received "
                             f"{spec!r}.")
        spec = Range(*spec)
    elif not isinstance(spec, Range):
        raise TypeError(f"`{arg}` must be (low, high), (low, high, step), a "
                        f"list of values, a Range or None (the default "
                        f"range); received {spec!r}.")
    if spec.values is not None:
        if not spec.values:
            raise ValueError(f"`{arg}` is an empty list: give at least one "
                             "value.")
        values = tuple(check_value(name, v, "space") for v in spec.values)
        if len(set(values)) != len(values):
            raise ValueError(f"`{arg}` lists a value twice: {spec.values}.")
        return Range(values=values)
    low = check_value(name, spec.low, "space")
    high = check_value(name, spec.high, "space")
    if low > high:
        raise ValueError(f"`{arg}` is an empty range: low {spec.low!r} > "
                         f"high {spec.high!r}.")
    if spec.sampling not in ("linear", "log"):
        raise ValueError(f"`{arg}` sampling must be 'linear' or 'log'; "
                         f"received {spec.sampling!r}.")
    step = spec.step
    if step is not None:
        if _bounds(name)[0] == "int":
            check_count(step, f"{arg} step")
        elif isinstance(step, bool) or not isinstance(step, numbers.Real) \
                or not (step > (1 if spec.sampling == "log" else 0)):
            raise ValueError(f"`{arg}` step must be a number > "
                             f"{1 if spec.sampling == 'log' else 0}; "
                             f"received {step!r}.")
    return Range(low, high, step, spec.sampling)


def declare(hp, name, spec):
    """Declares ``name`` in keras-tuner's ``hp`` and returns its value."""
    if spec.values is not None:
        return hp.Choice(name, list(spec.values))
    if _bounds(name)[0] == "int":
        return hp.Int(name, int(spec.low), int(spec.high),
                      step=int(spec.step or 1))
    return hp.Float(name, spec.low, spec.high, step=spec.step,
                    sampling=spec.sampling)


def smallest_value(name, spec):
    """The lowest value of ``spec``, a checked :class:`Range`."""
    return min(spec.values) if spec.values is not None else spec.low
