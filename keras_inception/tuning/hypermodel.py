"""keras-tuner searches over the width and depth of every generation.

:class:`InceptionHyperModel` is a ``keras_tuner.HyperModel``: give it to
keras-tuner's ``RandomSearch``, ``BayesianOptimization`` or ``Hyperband``
like any other. Each trial is a training run of the package's own runner
(:func:`keras_inception.runner.train`), so recipes, strategies, mixed
precision, the resumable backups and the callbacks keras-tuner adds all
apply, and each trial leaves a run folder that ``evaluate`` and ``export``
read. Its hyperparameters (:data:`HYPERPARAMETERS`):

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

By default the width and the block counts are searched; ``space`` chooses
others and their ranges, and ``fixed`` pins values (a fixed value wins over
a searched one). ``max_params`` and ``max_gmacs`` bound the inference model
(auxiliary heads removed) at the trial's input size: a trial that breaks
them fails with ``keras_tuner.errors.FailedTrialError`` in ``build``, before
any training step, and a budget that even the smallest configuration
breaks is refused when the hypermodel is made.

:func:`search` runs a whole search into one folder -- resumable, one log
line per trial, a table of trials (CSV), a PNG of validation accuracy
against GMACs with the Pareto front, and the best trial as a run folder
(``best/``) that ``keras-inception export --checkpoint`` takes. Distributed
tuning is keras-tuner's: the chief (``KERASTUNER_TUNER_ID=chief``) serves
the oracle at ``KERASTUNER_ORACLE_IP:KERASTUNER_ORACLE_PORT``, workers
(``tuner0``, ``tuner1`` ...) run trials; :func:`launch_local` starts one
chief and N workers on this machine.

Example:
    >>> from keras_inception.tuning import InceptionHyperModel
    >>> InceptionHyperModel("inception_v4", space={"depth": None})
    Traceback (most recent call last):
    ...
    ValueError: `space`: unknown hyperparameter 'depth' for inception_v4; \
inception_v4 has \
width_multiplier, blocks_35x35, blocks_17x17, blocks_8x8, dropout_rate, \
learning_rate, label_smoothing.
"""

from __future__ import annotations

import csv
import dataclasses
import gc
import io
import logging
import math
import numbers
import os
import shutil
import sys
import time

import keras_tuner

from keras_inception.utils import atomic as _io
from keras_inception.models import registry
from keras_inception.training import runner
from keras_inception.utils.checks import check_count

logger = logging.getLogger("keras_inception")

HYPERPARAMETERS = ("width_multiplier", "blocks_35x35", "blocks_17x17",
                   "blocks_8x8", "dropout_rate", "aux_weight",
                   "learning_rate", "label_smoothing")
TUNERS = ("random", "bayesian", "hyperband")
PROJECT = "search"          # keras-tuner's project folder in the output
TRIALS_CSV = "trials.csv"
PARETO_PNG = "pareto.png"
BEST = "best"
HYPERPARAMETERS_JSON = "hyperparameters.json"
TRIAL_RECORD = "inception_trial.json"
RUN = "run"                 # a trial's run folder inside its trial folder
REJECTED = "over budget"    # starts the message of a rejected trial

# TrainConfig fields that are hyperparameters here, and so cannot be given
# as training options.
_CONFIG_FIELDS = ("width_multiplier", "block_counts", "dropout_rate",
                  "aux_weight", "learning_rate", "label_smoothing")
# Set by the hypermodel per trial.
_MANAGED = ("model", "output", "overwrite", *_CONFIG_FIELDS)


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


def _check_value(name, value, arg):
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


def _as_range(name, spec, default):
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
        values = tuple(_check_value(name, v, "space") for v in spec.values)
        if len(set(values)) != len(values):
            raise ValueError(f"`{arg}` lists a value twice: {spec.values}.")
        return Range(values=values)
    low = _check_value(name, spec.low, "space")
    high = _check_value(name, spec.high, "space")
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


def _declare(hp, name, spec):
    """Declares ``name`` in keras-tuner's ``hp`` and returns its value."""
    if spec.values is not None:
        return hp.Choice(name, list(spec.values))
    if _bounds(name)[0] == "int":
        return hp.Int(name, int(spec.low), int(spec.high),
                      step=int(spec.step or 1))
    return hp.Float(name, spec.low, spec.high, step=spec.step,
                    sampling=spec.sampling)


def _smallest(name, spec):
    return min(spec.values) if spec.values is not None else spec.low


def resident_memory_mb():
    """This process's resident memory in MiB (``None`` where unknown)."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        try:
            import psutil
            return psutil.Process().memory_info().rss / 2**20
        except ImportError:
            return None


class InceptionHyperModel(keras_tuner.HyperModel):
    """A keras-tuner search space over one generation.

    Args:
        model: registry name (``keras_inception.list_models()``).
        space: the hyperparameters to search: a dict ``name -> range``
            (a :class:`Range`, ``(low, high[, step])``, a list of values, or
            ``None`` for the default range) or a list of names (their
            default ranges). ``None``: ``width_multiplier`` (0.25 to 1.0 by
            0.25) and each ``blocks_<grid>`` (1 to the paper's count).
            Default ranges of the others: ``dropout_rate`` 0-0.5 by 0.1,
            ``aux_weight`` 0-0.6 by 0.1, ``learning_rate`` the recipe's
            /10 to x10 (log), ``label_smoothing`` 0-0.2 by 0.05.
        fixed: ``name -> value`` pinned for every trial (keras-tuner
            ``Fixed``); wins over ``space``.
        max_params, max_gmacs: budget of the inference model (no auxiliary
            heads) at the trial's input size; ``None``: unbounded.
        output: where run folders go when ``fit`` is called outside a
            tuner (inside one, each trial's run goes in its trial folder).
        classes: the number of classes; ``None``: the dataset's.
        **train_options: any other :class:`keras_inception.runner.
            TrainConfig` field, used by every trial (``dataset``,
            ``epochs``, ``batch_size``, ``image_size``, ``recipe``,
            ``seed``, ``strategy``, ``precision``, ``deterministic``, ...).

    Raises:
        TypeError, ValueError: an unknown hyperparameter or option, an empty
            range, a value out of bounds, or a budget that even the smallest
            configuration breaks.
    """

    def __init__(self, model="inception_v3", *, space=None, fixed=None,
                 max_params=None, max_gmacs=None, output=None, classes=None,
                 name=None, tunable=True, **train_options):
        super().__init__(name=name, tunable=tunable)
        self.info = registry.get_model_info(model)
        self.model_name = self.info.name
        self.names = self._names()
        unknown = sorted(set(train_options) - {
            f.name for f in dataclasses.fields(runner.TrainConfig)})
        if unknown:
            raise TypeError(f"unknown training option(s) {unknown}; see "
                            "keras_inception.runner.TrainConfig.")
        managed = sorted(set(train_options) & set(_MANAGED))
        if managed:
            raise ValueError(
                f"{managed} are set by the hypermodel per trial: search "
                "them with `space` or pin them with `fixed` (the model is "
                "the first argument, the output the tuner's folder).")
        base = runner.TrainConfig(model=self.model_name, output="unset",
                                  **train_options).validated()
        self.base = dataclasses.replace(base, verbose=train_options.get(
            "verbose", 0))
        self.check_epochs(self.base.epochs)
        self.space = self._space(space)
        self.fixed = {}
        if fixed is not None:
            if not isinstance(fixed, dict):
                raise TypeError(f"`fixed` must be a dict name -> value; "
                                f"received {fixed!r}.")
            for key, value in fixed.items():
                self._check_name(key, "fixed")
                self.fixed[key] = _check_value(key, value, "fixed")
        for arg, value in (("max_params", max_params),
                           ("max_gmacs", max_gmacs)):
            if value is not None and (isinstance(value, bool) or not
                                      isinstance(value, numbers.Real)
                                      or not value > 0):
                raise ValueError(f"`{arg}` must be a number > 0 or None; "
                                 f"received {value!r}.")
        self.max_params, self.max_gmacs = max_params, max_gmacs
        if output is not None and not isinstance(output, (str, os.PathLike)):
            raise TypeError(f"`output` must be a folder path or None; "
                            f"received {output!r}.")
        self.output = None if output is None else os.fspath(output)
        if classes is not None:
            check_count(classes, "classes")
        self._classes = classes
        self._costs = {}
        self._check_budget_is_reachable()

    # -- the search space --------------------------------------------------
    def _names(self):
        names = ["width_multiplier",
                 *(f"blocks_{stage}" for stage in self.info.block_stages),
                 "dropout_rate"]
        if self.info.aux:
            names.append("aux_weight")
        return tuple(names + ["learning_rate", "label_smoothing"])

    def _check_name(self, key, arg):
        if key not in self.names:
            why = ""
            if key in HYPERPARAMETERS:
                why = (" (it has no auxiliary classifier)" if key ==
                       "aux_weight" else " (it has no such stage of "
                       "repeated blocks)")
            raise ValueError(f"`{arg}`: unknown hyperparameter {key!r} for "
                             f"{self.model_name}{why}; {self.model_name} has "
                             f"{', '.join(self.names)}.")

    def check_epochs(self, epochs, why=""):
        """Raises ValueError unless the recipe's schedule fits ``epochs``
        (a warm-up must end before the run does)."""
        try:
            runner.recipe_of(self.base).build_schedule(1, epochs=epochs)
        except ValueError as err:
            raise ValueError(f"{err}{why} Pass a shorter warmup_epochs "
                             "(--warmup-epochs) or more epochs.") from None

    def _defaults(self):
        lr = runner.recipe_of(self.base).learning_rate
        out = {"width_multiplier": Range(0.25, 1.0, 0.25),
               "dropout_rate": Range(0.0, 0.5, 0.1),
               "aux_weight": Range(0.0, 0.6, 0.1),
               "learning_rate": Range(lr / 10, lr * 10, sampling="log"),
               "label_smoothing": Range(0.0, 0.2, 0.05)}
        for stage, count in zip(self.info.block_stages,
                                self.info.block_counts):
            out[f"blocks_{stage}"] = Range(1, count, 1)
        return out

    def _space(self, space):
        defaults = self._defaults()
        if space is None:
            space = ["width_multiplier",
                     *(f"blocks_{s}" for s in self.info.block_stages)]
        if isinstance(space, (list, tuple)):
            if not all(isinstance(k, str) for k in space):
                raise TypeError("`space` as a list must hold hyperparameter "
                                f"names; received {space!r}.")
            space = dict.fromkeys(space)
        if not isinstance(space, dict):
            raise TypeError("`space` must be a dict name -> range, a list of "
                            f"names or None; received {space!r}.")
        out = {}
        for key, spec in space.items():
            self._check_name(key, "space")
            out[key] = _as_range(key, spec, defaults[key])
        return out

    def declare_hyperparameters(self, hp):
        self.values(hp)

    def values(self, hp):
        """Declares the hyperparameters in ``hp``; returns their values."""
        out = {}
        for key in self.names:
            if key in self.fixed:
                out[key] = hp.Fixed(key, self.fixed[key])
            elif key in self.space:
                out[key] = _declare(hp, key, self.space[key])
        return out

    # -- from values to a training run -------------------------------------
    def train_config(self, values, output):
        """The :class:`~keras_inception.runner.TrainConfig` of one trial."""
        stages = self.info.block_stages
        counts = [values.get(f"blocks_{s}", c)
                  for s, c in zip(stages, self.info.block_counts)]
        changes = {k: values[k] for k in _CONFIG_FIELDS if k in values}
        if stages and counts != list(self.info.block_counts):
            changes["block_counts"] = [int(c) for c in counts]
        return dataclasses.replace(self.base, output=os.fspath(output),
                                   **changes).validated()

    @property
    def objective(self):
        """The ``keras_tuner.Objective`` to pass to a tuner: best validation
        top-1 (``val_predictions_top1`` for models with auxiliary heads,
        the name Keras logs)."""
        name = "val_predictions_top1" if self._has_aux() else "val_top1"
        return keras_tuner.Objective(name, direction="max")

    def _has_aux(self):
        return bool(self.info.aux) and self.base.aux_logits is not False

    @property
    def classes(self):
        if self._classes is None:
            from keras_inception.data import pipeline as data
            d = data.load(self.base.dataset, image_size=self.base.image_size,
                          batch_size=self.base.batch_size,
                          data_dir=self.base.data_dir,
                          validation_fraction=self.base.validation_fraction,
                          evaluation_only=True)
            self._classes = len(d.class_names)
        return self._classes

    def cost(self, values, model=None):
        """``(parameters, GMACs)`` of the inference model for ``values``
        (auxiliary heads removed), at the trial's input size; counted on
        ``model`` when given (the trial's own, built from ``values``),
        else on a model built for the count. Cached by width and depth."""
        config = self.train_config(values, "unset")
        key = (config.width_multiplier, tuple(config.block_counts or ()))
        if key not in self._costs:
            if model is None:
                model, _ = runner._build_model(
                    dataclasses.replace(config, aux_logits=False),
                    self.classes)
            self._costs[key] = _inference_cost(model)
        return self._costs[key]

    def over_budget(self, values):
        """Why ``values`` break the budget (a message), or ``None``."""
        params, gmacs = self.cost(values)
        reasons = []
        if self.max_params is not None and params > self.max_params:
            reasons.append(f"{params:,} parameters > max_params "
                           f"{self.max_params:,}")
        if self.max_gmacs is not None and gmacs > self.max_gmacs:
            reasons.append(f"{gmacs:.4g} GMACs > max_gmacs {self.max_gmacs}")
        return "; ".join(reasons) or None

    def _check_budget_is_reachable(self):
        if self.max_params is None and self.max_gmacs is None:
            return
        smallest = {k: _smallest(k, r) for k, r in self.space.items()}
        smallest.update(self.fixed)
        why = self.over_budget(smallest)
        if why:
            shown = ", ".join(f"{k}={v}" for k, v in smallest.items()
                              if k == "width_multiplier"
                              or k.startswith("blocks_"))
            raise ValueError(
                f"no configuration of the search space meets the budget: "
                f"even the smallest ({shown or 'the only one'}) has {why}. "
                "Raise the budget or lower the search space's minimum "
                "width or block counts.")

    # -- keras-tuner's interface --------------------------------------------
    def build(self, hp):
        """The trial's model (auxiliary heads included when it trains
        them); raises ``keras_tuner.errors.FailedTrialError`` when it
        breaks the budget, before anything is trained."""
        values = self.values(hp)
        model, _ = runner._build_model(self.train_config(values, "unset"),
                                       self.classes)
        self.cost(values, model)
        why = self.over_budget(values)
        if why:
            raise keras_tuner.errors.FailedTrialError(f"{REJECTED}: {why}")
        return model

    def fit(self, hp, model, *args, callbacks=None, epochs=None,
            initial_epoch=0, verbose=None, **kwargs):
        """Trains the trial through :func:`keras_inception.runner.train`.

        Data, batch size and recipe are the hypermodel's; ``epochs`` and
        ``initial_epoch`` (Hyperband's) and ``callbacks`` (keras-tuner's)
        are honoured: a Hyperband trial that continues another starts from
        ``model``'s weights and trains ``epochs - initial_epoch`` epochs.

        Returns:
            ``{objective name: best validation top-1}``.
        """
        if args or kwargs:
            given = ["x/y" if args else None, *sorted(kwargs)]
            raise TypeError(
                "InceptionHyperModel trains on its own `dataset` (a "
                "training option); search() and fit() take no data, "
                f"received {', '.join(g for g in given if g)}.")
        callbacks = list(callbacks or ())
        values = self.values(hp)
        trial_dir, tuner_id = self._trial_dir(callbacks, values)
        config = self.train_config(values, os.path.join(trial_dir, RUN))
        epochs = config.epochs if epochs is None else int(epochs)
        initial_epoch = int(initial_epoch or 0)
        if epochs - initial_epoch < 1:
            raise ValueError(f"`epochs` {epochs} must exceed "
                             f"`initial_epoch` {initial_epoch}.")
        config = dataclasses.replace(
            config, epochs=epochs - initial_epoch,
            verbose=self.base.verbose if verbose is None else verbose)
        warm = model.get_weights() if initial_epoch > 0 else None
        params, gmacs = self.cost(values)
        start = time.perf_counter()
        summary = runner.train(config, extra_callbacks=callbacks,
                               initial_weights=warm)
        seconds = time.perf_counter() - start
        del warm
        gc.collect()
        _io.write_json(os.path.join(trial_dir, TRIAL_RECORD), {
            "hyperparameters": values, "parameters": params,
            "gmacs": gmacs, "val_top1": summary["best_val_top1"],
            "epochs": config.epochs, "seconds": round(seconds, 2),
            "train_steps": summary["epochs"] * summary["steps_per_epoch"],
            "resident_mb": resident_memory_mb(), "tuner_id": tuner_id,
        })
        return {self.objective.name: summary["best_val_top1"]}

    def _trial_dir(self, callbacks, values):
        for cb in callbacks:
            tuner, trial = getattr(cb, "tuner", None), getattr(cb, "trial",
                                                               None)
            if tuner is not None and trial is not None and \
                    hasattr(tuner, "get_trial_dir"):
                return (tuner.get_trial_dir(trial.trial_id),
                        getattr(tuner, "tuner_id", None))
        if self.output is None:
            raise ValueError("`output` is needed to fit outside a tuner "
                             "(InceptionHyperModel(output=...)).")
        key = "_".join(f"{k}-{v:g}" for k, v in sorted(values.items()))
        return os.path.join(self.output, key or "run"), None


# --------------------------------------------------------------------------
# A whole search
# --------------------------------------------------------------------------
class _Reporting:
    """Mixed into keras-tuner's tuners by :func:`make_tuner`: one log line
    as each trial begins and ends, rejections and failures included."""

    def on_trial_begin(self, trial):
        super().on_trial_begin(trial)
        shown = _shown(trial.hyperparameters.values)
        logger.info("trial %s: %s", trial.trial_id, shown)

    def on_trial_end(self, trial):
        super().on_trial_end(trial)
        row = _row(self, trial)
        if row["status"] == "COMPLETED":
            logger.info("trial %s: val top-1 %.4f, %s parameters, %.4g "
                        "GMACs, %.1f s", trial.trial_id, row["val_top1"],
                        f"{row['parameters']:,}", row["gmacs"],
                        row["seconds"])
        else:
            logger.info("trial %s: %s -- %s", trial.trial_id,
                        row["status"].lower(), row["reason"])


def _shown(values):
    return ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                     for k, v in values.items() if not k.startswith("tuner/"))


def make_tuner(hypermodel, tuner="bayesian", *, max_trials=10, output,
               overwrite=False, seed=0, **kwargs):
    """keras-tuner's tuner for ``hypermodel``, writing into ``output``.

    Args:
        hypermodel: an :class:`InceptionHyperModel`.
        tuner: ``"random"`` (``RandomSearch``), ``"bayesian"``
            (``BayesianOptimization``) or ``"hyperband"`` (``Hyperband``
            with ``max_epochs`` the hypermodel's ``epochs``; ``max_trials``
            caps its brackets).
        max_trials: trials in all, rejected ones included.
        output: the search folder (keras-tuner's project is
            ``output/search``).
        overwrite: start afresh; otherwise an existing search resumes.
        seed: the oracle's seed.
        **kwargs: more arguments of the keras-tuner class.
    """
    if not isinstance(hypermodel, InceptionHyperModel):
        raise TypeError("`hypermodel` must be an InceptionHyperModel; "
                        f"received {type(hypermodel).__name__}.")
    if tuner not in TUNERS:
        raise ValueError(f"`tuner` must be one of {TUNERS}; received "
                         f"{tuner!r}.")
    check_count(max_trials, "max_trials")
    check_count(seed, "seed", 0)
    base = {"random": keras_tuner.RandomSearch,
            "bayesian": keras_tuner.BayesianOptimization,
            "hyperband": keras_tuner.Hyperband}[tuner]
    cls = type(base.__name__, (_Reporting, base), {})
    options = dict(hypermodel=hypermodel, objective=hypermodel.objective,
                   directory=os.fspath(output), project_name=PROJECT,
                   overwrite=overwrite, seed=seed,
                   # A rejected configuration is a failed trial: let a
                   # tight budget reject several in a row.
                   max_consecutive_failed_trials=max(3, max_trials))
    if tuner == "hyperband":
        hypermodel.check_epochs(1, " (Hyperband trains trials for as little "
                                "as 1 epoch)")
        options["max_epochs"] = max(hypermodel.base.epochs, 2)
    else:
        options["max_trials"] = max_trials
    options.update(kwargs)
    made = cls(**options)
    if tuner == "hyperband":
        made.oracle.max_trials = max_trials
    return made


def search(hypermodel, tuner="bayesian", *, max_trials=10, output,
           overwrite=False, seed=0, callbacks=None, **kwargs):
    """Runs a search into ``output`` and reports it.

    Started again with the same arguments after an interruption, the
    search resumes: finished trials are kept, an interrupted one resumes
    from its training backup, and only the remaining trials run. Under
    distributed tuning (``KERASTUNER_*`` variables set) the chief serves
    the oracle and writes the report; workers only run trials.

    Args:
        hypermodel, tuner, max_trials, output, overwrite, seed, **kwargs:
            as :func:`make_tuner`.
        callbacks: Keras callbacks for every trial's ``fit`` (keras-tuner
            copies them per trial).

    Returns:
        A :class:`SearchReport` (``None`` on a worker).

    Raises:
        TypeError, ValueError: bad arguments, before any trial.
    """
    output = _check_output(output)
    made = make_tuner(hypermodel, tuner, max_trials=max_trials,
                      output=output, overwrite=overwrite, seed=seed, **kwargs)
    done = sum(t.status in ("COMPLETED", "FAILED")
               for t in getattr(made.oracle, "trials", {}).values())
    if done:
        logger.info("resuming the search in %s: %d of %d trials done",
                    output, done, max_trials)
    made.search(verbose=hypermodel.base.verbose,
                callbacks=list(callbacks or ()))
    if _is_worker():
        return None
    return write_report(made, output)


def _is_worker():
    from keras_tuner.src.distribute import utils
    return utils.has_chief_oracle() and not utils.is_chief_oracle()


def _check_output(output):
    if not isinstance(output, (str, os.PathLike)) or not os.fspath(output):
        raise TypeError("`output` must be a folder path; received "
                        f"{output!r}.")
    output = os.fspath(output)
    if os.path.exists(output) and not os.path.isdir(output):
        raise ValueError(f"`output` {output!r} is a file, not a folder.")
    return output


@dataclasses.dataclass(frozen=True)
class SearchReport:
    """What :func:`search` wrote.

    Attributes:
        rows: one dict per trial (``trial``, ``status``, the
            hyperparameters, ``parameters``, ``gmacs``, ``val_top1``,
            ``seconds``, ``resident_mb``, ``reason`` for a trial that did
            not complete).
        best: the best completed row, or ``None``.
        pareto: trial ids on the accuracy-vs-GMACs Pareto front.
        csv, png, best_dir: the files (``best_dir`` is a run folder).
    """

    rows: list
    best: dict | None
    pareto: list
    csv: str
    png: str | None
    best_dir: str | None

    def table(self):
        """The trials as a text table."""
        return format_table(self.rows, self.pareto)


def _row(made, trial):
    hm = made.hypermodel
    values = {k: v for k, v in trial.hyperparameters.values.items()
              if not k.startswith("tuner/")}
    record = _io.read_json(os.path.join(made.get_trial_dir(trial.trial_id),
                                        TRIAL_RECORD)) or {}
    status = trial.status
    reason = ""
    if status != "COMPLETED":
        message = (trial.message or "").strip().splitlines()
        reason = message[-1] if message else ""
        if REJECTED in reason:
            status = "REJECTED"
            reason = reason[reason.index(REJECTED):]
    if record:
        params, gmacs = record["parameters"], record["gmacs"]
    else:
        params, gmacs = hm.cost(values) if _buildable(hm, values) else \
            (None, None)
    return {"trial": trial.trial_id, "status": status, **values,
            "parameters": params, "gmacs": gmacs,
            "val_top1": record.get("val_top1"),
            "seconds": record.get("seconds"),
            "resident_mb": record.get("resident_mb"), "reason": reason}


def _buildable(hm, values):
    try:
        hm.train_config(values, "unset")
        return True
    except (TypeError, ValueError):
        return False


def pareto_front(rows):
    """Trial ids of the completed rows that no other beats on both
    validation accuracy (higher) and GMACs (lower)."""
    done = [r for r in rows if r["status"] == "COMPLETED"
            and r["val_top1"] is not None]
    front = []
    for r in done:
        beaten = any(
            o["val_top1"] >= r["val_top1"] and o["gmacs"] <= r["gmacs"]
            and (o["val_top1"] > r["val_top1"] or o["gmacs"] < r["gmacs"])
            for o in done)
        if not beaten:
            front.append(r["trial"])
    return front


_COLUMNS_AFTER = ("parameters", "gmacs", "val_top1", "seconds",
                  "resident_mb", "reason")


def _columns(rows):
    names = []
    for r in rows:
        names += [k for k in r if k not in names]
    head = ["trial", "status", "pareto"]
    return head + [k for k in names if k not in head + list(_COLUMNS_AFTER)] \
        + list(_COLUMNS_AFTER)


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def format_table(rows, pareto=()):
    """The trials as an aligned text table."""
    cols = [c for c in _columns(rows) if c != "reason"]
    cells = [[_cell(r.get(c)) if c != "pareto" else
              ("*" if r["trial"] in pareto else "") for c in cols]
             for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells])
              for i, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths))
              for row in cells]
    for r in rows:
        if r["reason"]:
            lines.append(f"trial {r['trial']}: {r['reason']}")
    return "\n".join(lines)


def write_report(made, output):
    """Writes ``trials.csv``, ``pareto.png`` and ``best/`` for a tuner's
    trials; returns the :class:`SearchReport`."""
    rows = [_row(made, t) for _, t in sorted(made.oracle.trials.items())]
    front = pareto_front(rows)
    cols = _columns(rows)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=cols, extrasaction="ignore")
    writer.writeheader()
    for r in rows:
        writer.writerow({**{k: ("" if v is None else v) for k, v in r.items()},
                         "pareto": int(r["trial"] in front)})
    csv_path = os.path.join(output, TRIALS_CSV)
    _io.write_text(csv_path, buffer.getvalue())
    done = [r for r in rows if r["trial"] in front or
            (r["status"] == "COMPLETED" and r["val_top1"] is not None)]
    png = plot_pareto(rows, front, os.path.join(output, PARETO_PNG),
                      title=f"{made.hypermodel.model_name}: validation "
                      "top-1 vs GMACs") if done else None
    best = max(done, key=lambda r: (r["val_top1"], -r["gmacs"]),
               default=None)
    best_dir = None
    if best is not None:
        best_dir = _save_best(made, best, os.path.join(output, BEST))
    return SearchReport(rows, best, front, csv_path, png, best_dir)


def _save_best(made, best, dest):
    """Copies the best trial's run folder (without its TensorBoard logs) to
    ``dest`` with its hyperparameters, replacing an older best whole."""
    source = os.path.join(made.get_trial_dir(best["trial"]), RUN)
    tmp = f"{dest}.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(source, tmp, ignore=shutil.ignore_patterns(
        runner.LOGS, runner.BACKUP, runner.WORKERS))
    values = {k: v for k, v in best.items()
              if k in made.hypermodel.names}
    _io.write_json(os.path.join(tmp, HYPERPARAMETERS_JSON), {
        "model": made.hypermodel.model_name, "trial": best["trial"],
        "hyperparameters": values, "parameters": best["parameters"],
        "gmacs": best["gmacs"], "val_top1": best["val_top1"]})
    old = f"{dest}.old"
    shutil.rmtree(old, ignore_errors=True)
    if os.path.exists(dest):
        os.replace(dest, old)
    os.replace(tmp, dest)
    shutil.rmtree(old, ignore_errors=True)
    return dest


def _inference_cost(model):
    """``(parameters, GMACs)`` of ``model`` without its auxiliary heads."""
    from keras_inception import count_macs, strip_aux
    inference = strip_aux(model)
    return int(inference.count_params()), count_macs(inference) / 1e9


def plot_pareto(rows, front, path, *, title=None, dpi=100):
    """Validation top-1 against GMACs for the completed trials, the
    Pareto front joined and marked; written to the PNG ``path``."""
    from keras_inception.utils.plotting import pyplot, save_png
    plt = pyplot()
    done = [r for r in rows if r["status"] == "COMPLETED"
            and r["val_top1"] is not None]
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    ax.scatter([r["gmacs"] for r in done], [r["val_top1"] for r in done],
               color="C0", label="trial")
    edge = sorted((r for r in done if r["trial"] in front),
                  key=lambda r: r["gmacs"])
    ax.plot([r["gmacs"] for r in edge], [r["val_top1"] for r in edge],
            color="C3", marker="*", markersize=12, drawstyle="steps-post",
            label="Pareto front")
    for r in done:
        ax.annotate(r["trial"], (r["gmacs"], r["val_top1"]), fontsize=7,
                    xytext=(3, 3), textcoords="offset points")
    rejected = [r for r in rows if r["status"] == "REJECTED"
                and r["gmacs"] is not None]
    if rejected:
        ax.scatter([r["gmacs"] for r in rejected], [0.0] * len(rejected),
                   marker="x", color="grey", label="rejected (budget)")
    ax.set_xlabel("GMACs (inference, batch 1)")
    ax.set_ylabel("best validation top-1")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return save_png(fig, path, dpi=dpi)


def load_best(output):
    """The best trial a search saved: ``(hyperparameters record,
    TrainConfig)`` -- the config retrains it (set another ``output``)."""
    best = os.path.join(_check_output(output), BEST)
    record = _io.read_json(os.path.join(best, HYPERPARAMETERS_JSON))
    saved = _io.read_json(os.path.join(best, runner.RUN_CONFIG))
    if record is None or saved is None:
        raise ValueError(f"{output!r} holds no finished search ({BEST}/"
                         f"{HYPERPARAMETERS_JSON} is missing).")
    return record, runner.TrainConfig(**saved["config"])


# --------------------------------------------------------------------------
# Distributed tuning on one machine
# --------------------------------------------------------------------------
def launch_local(num_workers, command, *, timeout=None, stream=None):
    """Runs ``command`` as one keras-tuner chief and ``num_workers``
    workers on this machine, sharing one oracle.

    The chief gets ``KERASTUNER_TUNER_ID=chief``, the workers ``tuner0``,
    ``tuner1`` ...; all get ``KERASTUNER_ORACLE_IP=127.0.0.1`` and a free
    ``KERASTUNER_ORACLE_PORT``. Lines are prefixed ``[chief]``,
    ``[tuner0]`` ... . Returns 0 when all succeeded, else the first failed
    exit code; on a failure the others are stopped.
    """
    from keras_inception.utils import processes

    check_count(num_workers, "num_workers")
    port = processes.free_ports(1)[0]
    shared = {"KERASTUNER_ORACLE_IP": "127.0.0.1",
              "KERASTUNER_ORACLE_PORT": str(port)}
    ids = ["chief"] + [f"tuner{i}" for i in range(num_workers)]
    return processes.run_processes(
        [{**shared, "KERASTUNER_TUNER_ID": i} for i in ids], command,
        labels=ids, timeout=timeout, stream=stream or sys.stdout)
