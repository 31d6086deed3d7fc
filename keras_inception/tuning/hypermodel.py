"""A keras-tuner hypermodel over the width and depth of every generation.

:class:`InceptionHyperModel` is a ``keras_tuner.HyperModel``: give it to
keras-tuner's ``RandomSearch``, ``BayesianOptimization`` or ``Hyperband``
like any other. Each trial is a training run of the package's own runner
(:func:`keras_inception.runner.train`), so recipes, strategies, mixed
precision, the resumable backups and the callbacks keras-tuner adds all
apply, and each trial leaves a run folder that ``evaluate`` and ``export``
read. The hyperparameters, their meanings and bounds are
:mod:`~keras_inception.tuning.space`'s.

By default the width and the block counts are searched; ``space`` chooses
others and their ranges, and ``fixed`` pins values (a fixed value wins over
a searched one). ``max_params`` and ``max_gmacs`` bound the inference model
(auxiliary heads removed) at the trial's input size: a trial that breaks
them fails with ``keras_tuner.errors.FailedTrialError`` in ``build``, before
any training step, and a budget that even the smallest configuration
breaks is refused when the hypermodel is made.

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

import dataclasses
import gc
import logging
import numbers
import os
import time

import keras_tuner

from keras_inception.models import registry
from keras_inception.training import run_folder, runner
from keras_inception.training.config import TrainConfig
from keras_inception.tuning.space import (HYPERPARAMETERS, Range, as_range,
                                          check_value, declare,
                                          smallest_value)
from keras_inception.utils import atomic as _io
from keras_inception.utils.checks import check_count

logger = logging.getLogger("keras_inception")

TRIAL_RECORD = "inception_trial.json"
RUN = "run"                 # a trial's run folder inside its trial folder
REJECTED = "over budget"    # starts the message of a rejected trial

# TrainConfig fields that are hyperparameters here, and so cannot be given
# as training options.
_CONFIG_FIELDS = ("width_multiplier", "block_counts", "dropout_rate",
                  "aux_weight", "learning_rate", "label_smoothing")
# Set by the hypermodel per trial.
_MANAGED = ("model", "output", "overwrite", *_CONFIG_FIELDS)


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
        self.info = registry.get_model_info(model, "model")
        self.model_name = self.info.name
        self.names = self._names()
        unknown = sorted(set(train_options) - {
            f.name for f in dataclasses.fields(TrainConfig)})
        if unknown:
            raise TypeError(f"unknown training option(s) {unknown}; see "
                            "keras_inception.runner.TrainConfig.")
        managed = sorted(set(train_options) & set(_MANAGED))
        if managed:
            raise ValueError(
                f"{managed} are set by the hypermodel per trial: search "
                "them with `space` or pin them with `fixed` (the model is "
                "the first argument, the output the tuner's folder).")
        base = TrainConfig(model=self.model_name, output="unset",
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
                self.fixed[key] = check_value(key, value, "fixed")
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
            run_folder.recipe_of(self.base).build_schedule(1, epochs=epochs)
        except ValueError as err:
            raise ValueError(f"{err}{why} Pass a shorter warmup_epochs "
                             "(--warmup-epochs) or more epochs.") from None

    def _defaults(self):
        lr = run_folder.recipe_of(self.base).learning_rate
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
            out[key] = as_range(key, spec, defaults[key])
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
                out[key] = declare(hp, key, self.space[key])
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
                model, _ = run_folder.model_for_config(
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
        smallest = {k: smallest_value(k, r) for k, r in self.space.items()}
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
        model, _ = run_folder.model_for_config(
            self.train_config(values, "unset"), self.classes)
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
        ``verbose`` is keras-tuner's display setting, which ``search()``
        passes on (0, its display being off): the trial's progress is the
        hypermodel's ``verbose``.

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
            verbose=self.base.verbose)
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
        logger.info("%s: %s -> val top-1 %.2f%% (%.3g GMACs, %d epoch(s),"
                    " %.1f s)", os.path.basename(trial_dir), ", ".join(
                        f"{k}={v}" for k, v in sorted(values.items())),
                    100 * summary["best_val_top1"], gmacs, config.epochs,
                    seconds)
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


def _inference_cost(model):
    """``(parameters, GMACs)`` of ``model`` without its auxiliary heads."""
    from keras_inception.models.builder import strip_aux
    from keras_inception.models.macs import count_macs
    inference = strip_aux(model)
    return int(inference.count_params()), count_macs(inference) / 1e9

