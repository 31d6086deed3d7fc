"""Training runs: from a :class:`TrainConfig` to weights, logs and a summary.

:func:`train` puts together the pieces of the package -- a strategy
(:mod:`keras_inception.distribute`), an input pipeline
(:mod:`keras_inception.data`), a model from the registry compiled with a
paper's recipe (:mod:`keras_inception.training`) -- and runs ``model.fit``
with the callbacks that make a run safe to kill:

* :class:`ExactBackupAndRestore`, a ``keras.callbacks.BackupAndRestore``
  that resumes at the exact step. Keras 3.15's restarts the interrupted
  epoch from its first batch with mid-epoch weights (so batches are seen
  twice) and writes its files in place; this one writes the weights, the
  optimizer state and the dropout generators' state under a new name, then
  a small JSON pointing at them (renamed into place), and the runner feeds
  the input stream from the recorded epoch and step. With deterministic ops
  a killed and restarted run ends with the same weights as one that was
  never interrupted.
* :class:`AtomicModelCheckpoint` (best and last weights, renamed into
  place), ``CSVLogger``, ``TensorBoard`` and :class:`NaNGuard` (a
  ``TerminateOnNaN`` that says where the loss diverged and what to try).

A run folder holds::

    run_config.json     what was trained (rebuilds the model for evaluate/export)
    best.weights.h5     weights of the best validation top-1
    last.weights.h5     weights after the last epoch
    history.csv         per-epoch metrics (CSVLogger)
    curves.png          loss and accuracy curves, train and validation
    summary.json        final figures: accuracy, time, images/s
    logs/               TensorBoard
    backup/             the resume point while the run is unfinished

Under ``MultiWorkerMirroredStrategy`` every worker trains; the chief writes
the run folder and the other workers keep their own backups and logs in
``workers/<task>-<index>/`` (each restores from its own copy).

Example:
    >>> from keras_inception.runner import TrainConfig
    >>> TrainConfig(model="inception_v1", epochs=0).validated()
    Traceback (most recent call last):
    ...
    ValueError: `epochs` must be a positive integer; received 0.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import shutil
import time

import keras
import numpy as np

from keras_inception.utils import atomic as _io
from keras_inception.utils.checks import (check_bool, check_count,
                                         check_number, check_str)

logger = logging.getLogger("keras_inception")

RUN_CONFIG = "run_config.json"
SUMMARY = "summary.json"
HISTORY = "history.csv"
CURVES = "curves.png"
BEST = "best.weights.h5"
LAST = "last.weights.h5"
BACKUP = "backup"
LOGS = "logs"
WORKERS = "workers"
# What --overwrite may delete: only what a run writes.
_RUN_FILES = (RUN_CONFIG, SUMMARY, HISTORY, CURVES, BEST, LAST, BACKUP, LOGS,
              WORKERS)

PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")
EMBEDDED = ("default", "inception_shapes")
# The embedded dataset's classes differ in scale (keras_inception.data.shapes.
# shapes), so its crops stay large and evaluation keeps the whole image.
_EMBEDDED_DEFAULTS = {"augment": "light", "min_crop_area": 0.75,
                      "central_fraction": 1.0, "image_size": 64}
_IMAGENET_DEFAULTS = {"augment": "inception", "min_crop_area": 0.08,
                      "central_fraction": 0.875}


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; training stopped."""


def is_embedded(dataset):
    """Whether ``dataset`` names the embedded ``inception_shapes`` data."""
    return dataset.split("/")[0].split(":")[0] in EMBEDDED


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything :func:`train` needs; each field is a ``train`` flag.

    Attributes:
        model: registry name (``keras_inception.list_models()``).
        dataset: ``"default"`` (the embedded ``inception_shapes``), a TFDS
            name or a folder of class subfolders (:func:`keras_inception.
            data.load`).
        output: the run folder.
        epochs, batch_size: ``batch_size`` is global, split across replicas.
        image_size: input side; ``None``: 64 for the embedded data, else the
            model's default (299 for Inception-v3).
        width_multiplier: channel width factor (TF-slim's depth multiplier).
        block_counts: repeated blocks per stage, for the generations that
            repeat them (``get_model_info(model).block_stages``); ``None``:
            the paper's.
        aux_logits: train the auxiliary classifiers; ``None``: when the
            model has them.
        dropout_rate: ``None``: the paper's.
        recipe: ``"auto"`` (the paper's) or a name in
            ``keras_inception.training.RECIPES``.
        learning_rate, aux_weight, label_smoothing, warmup_epochs:
            override the recipe's (``None`` keeps it).
        strategy: ``auto``, ``one_device``, ``mirrored``, ``multi_worker``
            or ``tpu`` (:func:`keras_inception.distribute.get_strategy`).
        precision: ``float32``, ``mixed_float16`` or ``mixed_bfloat16``.
        jit_compile: XLA: ``"auto"``, ``True`` or ``False``.
        run_eagerly: run every step eagerly, nothing traced (Keras's
            ``compile(run_eagerly=True)``): for debugging, and faster for
            runs of a few steps, where tracing the graph costs more than
            the steps (a trial of a search on the tiny embedded data).
        steps_per_execution: training steps per ``tf.function`` call.
        seed: seeds weights, data order, augmentation and dropout.
        deterministic: deterministic TensorFlow ops too (slower), so a rerun
            -- or a killed and resumed run -- gives the same weights.
        data_dir: TFDS data folder (``None``: TFDS's default).
        validation_fraction: share of a folder (or of a TFDS dataset without
            a validation split) held out.
        augment, min_crop_area, central_fraction: the input pipeline's
            (``None``: the dataset's defaults; Inception crops for real
            images, mild crops and the whole image for the embedded data).
        cache: keep decoded images in memory after the first epoch.
        backup_every: also back up every this many steps (0: at epoch ends
            only).
        overwrite: delete an existing run in ``output`` first.
        verbose: Keras progress: 0 silent, 1 progress bar, 2 one line per
            epoch.
    """

    model: str = "inception_v3"
    dataset: str = "default"
    output: str = os.path.join("runs", "default")
    epochs: int = 10
    batch_size: int = 32
    image_size: int | None = None
    width_multiplier: float = 1.0
    block_counts: tuple | None = None
    aux_logits: bool | None = None
    dropout_rate: float | None = None
    recipe: str = "auto"
    learning_rate: float | None = None
    aux_weight: float | None = None
    label_smoothing: float | None = None
    warmup_epochs: float | None = None
    strategy: str = "auto"
    precision: str = "float32"
    jit_compile: bool | str = "auto"
    run_eagerly: bool = False
    steps_per_execution: int = 1
    seed: int = 0
    deterministic: bool = False
    data_dir: str | None = None
    validation_fraction: float = 0.1
    augment: str | None = None
    min_crop_area: float | None = None
    central_fraction: float | None = None
    cache: bool = False
    backup_every: int = 0
    overwrite: bool = False
    verbose: int = 1

    def validated(self):
        """Checks every field and fills the dataset-dependent defaults.

        Returns:
            A new config with ``image_size``, ``augment``,
            ``min_crop_area`` and ``central_fraction`` set.

        Raises:
            TypeError, ValueError: naming the field and what it allows.
        """
        from keras_inception.distribute import strategies as distribute
        from keras_inception.models import registry
        from keras_inception.training import recipes as training
        from keras_inception.models.builder import check_block_counts

        info = registry.get_model_info(self.model)   # checks the name
        check_str(self.dataset, "dataset")
        check_str(self.output, "output")
        for arg in ("epochs", "batch_size", "steps_per_execution"):
            check_count(getattr(self, arg), arg)
        check_count(self.backup_every, "backup_every", 0)
        check_count(self.seed, "seed", 0)
        if self.image_size is not None:
            check_count(self.image_size, "image_size")
            if self.image_size < info.min_size:
                raise ValueError(
                    f"`image_size` must be at least {info.min_size} for "
                    f"{info.name}; received {self.image_size}.")
        check_number(self.width_multiplier, "width_multiplier")
        if self.width_multiplier <= 0:
            raise ValueError("`width_multiplier` must be > 0; received "
                             f"{self.width_multiplier}.")
        block_counts = (None if self.block_counts is None else
                        check_block_counts(self.block_counts, info))
        for arg in ("aux_logits",):
            value = getattr(self, arg)
            if value is not None and not isinstance(value, bool):
                raise TypeError(f"`{arg}` must be True, False or None; "
                                f"received {value!r}.")
        if self.aux_logits and not info.aux:
            raise ValueError(f"`aux_logits=True`: {info.name} has no "
                             "auxiliary classifier.")
        for arg in ("deterministic", "cache", "overwrite", "run_eagerly"):
            check_bool(getattr(self, arg), arg)
        if not (isinstance(self.recipe, str) and
                (self.recipe == "auto" or self.recipe in training.RECIPES)):
            raise ValueError(f"`recipe` must be 'auto' or one of "
                             f"{sorted(training.RECIPES)}; received "
                             f"{self.recipe!r}.")
        for arg in ("learning_rate", "aux_weight", "label_smoothing",
                    "warmup_epochs", "dropout_rate"):
            value = getattr(self, arg)
            if value is not None:
                check_number(value, arg)
                if value < 0 or (arg == "learning_rate" and value == 0):
                    raise ValueError(f"`{arg}` must be "
                                     f"{'> 0' if arg == 'learning_rate' else '>= 0'}"
                                     f"; received {value}.")
        if self.strategy not in distribute.STRATEGIES:
            raise ValueError(f"`strategy` must be one of "
                             f"{distribute.STRATEGIES}; received "
                             f"{self.strategy!r}.")
        if self.precision not in PRECISIONS:
            raise ValueError(f"`precision` must be one of {PRECISIONS}; "
                             f"received {self.precision!r}.")
        if not (self.jit_compile == "auto" or
                isinstance(self.jit_compile, bool)):
            raise ValueError("`jit_compile` must be 'auto', True or False; "
                             f"received {self.jit_compile!r}.")
        if self.verbose not in (0, 1, 2):
            raise ValueError("`verbose` must be 0, 1 or 2; received "
                             f"{self.verbose!r}.")
        defaults = (_EMBEDDED_DEFAULTS if is_embedded(self.dataset)
                    else {**_IMAGENET_DEFAULTS,
                          "image_size": info.default_size})
        filled = {k: v for k, v in defaults.items()
                  if getattr(self, k) is None}
        if block_counts is not None:
            filled["block_counts"] = list(block_counts)
        if "image_size" in filled:
            filled["image_size"] = max(filled["image_size"], info.min_size)
        return dataclasses.replace(self, **filled)

    def identity(self):
        """The fields that define what is trained: a run may resume only
        with the same identity."""
        skip = ("output", "overwrite", "verbose", "data_dir", "strategy",
                "jit_compile", "steps_per_execution", "cache", "run_eagerly")
        return {k: v for k, v in dataclasses.asdict(self).items()
                if k not in skip}


# --------------------------------------------------------------------------
# Callbacks
# --------------------------------------------------------------------------
def _seed_states(model):
    """The dropout (and other) random generators' states: not part of
    ``save_weights``, but a resumed run needs them to draw the same masks."""
    return [v for v in model.variables if "seed_generator_state" in v.path]


class ExactBackupAndRestore(keras.callbacks.BackupAndRestore):
    """``BackupAndRestore`` that resumes at the exact step, atomically.

    Saves at every epoch end and, with ``save_freq=N``, every ``N``
    steps: the weights with the optimizer state
    (``step-<global step>.weights.h5``), the random generators' states
    (``.npz``) and last ``training_metadata.json`` -- epoch, step within
    it, global step, the best monitored value -- written under a
    temporary name and renamed, so a kill at any moment leaves the
    previous complete backup in force. :meth:`position` and
    :meth:`restore` are called by the runner before ``fit`` (which then
    starts the input stream and ``initial_epoch`` there);
    ``on_train_begin`` restores nothing itself.
    """

    def __init__(self, backup_dir, steps_per_epoch, save_freq="epoch",
                 checkpoint=None):
        super().__init__(backup_dir, save_freq=save_freq,
                         delete_checkpoint=False)
        self.steps_per_epoch = int(steps_per_epoch)
        self.checkpoint = checkpoint   # its `best` is backed up too
        self._epoch = 0
        self._offset = 0
        self._saved_step = -1

    # -- reading -------------------------------------------------------
    @property
    def metadata_path(self):
        return os.path.join(self.backup_dir, "training_metadata.json")

    def metadata(self):
        meta = _io.read_json(self.metadata_path)
        if meta is None or "global_step" not in meta:
            return None
        return meta

    def position(self):
        """``(epoch, step)`` to resume from; ``(0, 0)`` without backup.

        Raises:
            ValueError: the backup was made with another number of
                steps per epoch (another dataset or batch size).
        """
        meta = self.metadata()
        if meta is None:
            return 0, 0
        if meta["steps_per_epoch"] != self.steps_per_epoch:
            raise ValueError(
                f"the backup in {self.backup_dir} was made with "
                f"{meta['steps_per_epoch']} steps per epoch, this run "
                f"has {self.steps_per_epoch}: same dataset and "
                "batch size are needed to resume (or use --overwrite).")
        return divmod(meta["global_step"], self.steps_per_epoch)

    def restore(self, model):
        """Loads the backed-up weights, optimizer and generator states
        into ``model`` (compiled); returns the metadata or ``None``."""
        meta = self.metadata()
        if meta is None:
            return None
        if model.optimizer is not None and not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
        model.load_weights(os.path.join(self.backup_dir,
                                        meta["weights"]))
        states = np.load(os.path.join(self.backup_dir, meta["seeds"]))
        variables = _seed_states(model)
        if len(variables) == len(states.files):
            for i, var in enumerate(variables):
                var.assign(states[f"s{i}"])
        if self.checkpoint is not None and meta.get("best") is not None:
            self.checkpoint.best = meta["best"]
        self._saved_step = meta["global_step"]
        return meta

    # -- position while fitting ---------------------------------------
    def start_at(self, epoch, step):
        """The next ``fit`` starts at ``step`` of ``epoch``."""
        self._epoch, self._offset = epoch, step

    def on_train_begin(self, logs=None):
        pass   # restored by the runner before fit

    def on_epoch_begin(self, epoch, logs=None):
        if epoch != self._epoch:
            self._offset = 0
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        global_step = (self._epoch * self.steps_per_epoch
                       + self._offset + batch + 1)
        if (global_step // self.save_freq
                > max(self._saved_step, 0) // self.save_freq
                and _finite(logs)):
            self._save(global_step)

    def on_epoch_end(self, epoch, logs=None):
        self._offset = 0
        if _finite(logs):
            self._save((epoch + 1) * self.steps_per_epoch)

    def _save(self, global_step):
        if global_step <= self._saved_step or \
                not _weights_finite(self.model):
            return
        os.makedirs(self.backup_dir, exist_ok=True)
        stem = f"step-{global_step:09d}"
        weights, seeds = f"{stem}.weights.h5", f"{stem}.npz"
        with _io.atomic_path(os.path.join(self.backup_dir, weights),
                             suffix=".weights.h5") as tmp:
            self.model.save_weights(tmp)
        with _io.atomic_path(os.path.join(self.backup_dir, seeds),
                             suffix=".npz") as tmp:
            with open(tmp, "wb") as f:
                np.savez(f, **{f"s{i}": np.asarray(v.numpy())
                               for i, v in
                               enumerate(_seed_states(self.model))})
        best = getattr(self.checkpoint, "best", None)
        epoch, step = divmod(global_step, self.steps_per_epoch)
        _io.write_json(self.metadata_path, {
            "epoch": epoch, "batch": step, "global_step": global_step,
            "steps_per_epoch": self.steps_per_epoch,
            "weights": weights, "seeds": seeds,
            "best": None if best is None or not math.isfinite(best)
            else float(best),
            "time": time.time()})
        self._saved_step = global_step
        for name in os.listdir(self.backup_dir):   # older backups
            if name.startswith("step-") and not name.startswith(stem):
                os.remove(os.path.join(self.backup_dir, name))



def _finite(logs):
    loss = (logs or {}).get("loss")
    return loss is None or math.isfinite(float(loss))


def _weights_finite(model):
    """Whether every weight, batch-norm statistic and optimizer slot is
    finite: a step can overflow them while its loss, computed before the
    update, is still finite."""
    variables = list(model.variables)
    if model.optimizer is not None:
        variables += list(model.optimizer.variables)
    return all(np.isfinite(v.numpy()).all() for v in variables
               if "float" in str(v.dtype))


class AtomicModelCheckpoint(keras.callbacks.ModelCheckpoint):
    """``ModelCheckpoint`` (weights only, once per epoch) that writes
    under a temporary name and renames it over ``filepath``, so a kill
    during the write leaves the previous file whole."""

    def __init__(self, filepath, **kwargs):
        self.final_path = os.fspath(filepath)
        folder, name = os.path.split(self.final_path)
        self.partial_path = os.path.join(folder, f".partial-{name}")
        super().__init__(self.partial_path, save_weights_only=True,
                         **kwargs)

    def on_epoch_end(self, epoch, logs=None):
        if not _finite(logs):
            return
        super().on_epoch_end(epoch, logs)
        if os.path.exists(self.partial_path):
            os.replace(self.partial_path, self.final_path)



class NaNGuard(keras.callbacks.TerminateOnNaN):
    """``TerminateOnNaN`` that remembers where the loss diverged, so
    the runner can raise :class:`TrainingDiverged` with advice."""

    def __init__(self):
        super().__init__()
        self.epoch = 0
        self.diverged = None   # (epoch, batch, loss)

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_batch_end(self, batch, logs=None):
        if not _finite(logs):
            self.diverged = (self.epoch, batch, float(logs["loss"]))
            self.model.stop_training = True



class SyncMovingStatistics(keras.callbacks.Callback):
    """Averages batch norm's moving statistics over the replicas at
    each epoch end, before anything is saved, so every worker holds
    (and checkpoints) the same model
    (:func:`keras_inception.distribute.sync_moving_statistics`)."""

    def __init__(self, strategy):
        super().__init__()
        self.strategy = strategy

    def on_epoch_end(self, epoch, logs=None):
        from keras_inception.distribute.strategies import sync_moving_statistics
        sync_moving_statistics(self.model, self.strategy)



class Clock(keras.callbacks.Callback):
    """Times training batches (not validation, not the first batch of
    each fit, which includes tracing and compilation)."""

    def __init__(self, batch_size):
        super().__init__()
        self.batch_size = batch_size
        self.batches = 0
        self.seconds = 0.0
        self._first = True
        self._start = None

    def on_train_begin(self, logs=None):
        self._first = True

    def on_train_batch_begin(self, batch, logs=None):
        self._start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if self._first:
            self._first = False
            return
        self.seconds += time.perf_counter() - self._start
        self.batches += 1

    @property
    def images_per_second(self):
        if not self.seconds:
            return None
        return self.batches * self.batch_size / self.seconds



# --------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------
def _prepare_output(config, run_dir, chief):
    """Checks ``output`` before anything is trained; returns the saved
    summary when the run is already complete, else ``None``."""
    if os.path.exists(run_dir) and not os.path.isdir(run_dir):
        raise ValueError(f"`output` {run_dir!r} is a file, not a folder.")
    saved = _io.read_json(os.path.join(config.output, RUN_CONFIG))
    if chief and os.path.isdir(config.output) and config.overwrite:
        for name in _RUN_FILES:
            path = os.path.join(config.output, name)
            if os.path.isdir(path):
                shutil.rmtree(path)
            elif os.path.exists(path):
                os.remove(path)
        return None
    if saved is None:
        if chief and os.path.isdir(config.output) and \
                os.listdir(config.output):
            raise ValueError(
                f"`output` {config.output!r} exists and is not a "
                "keras-inception run folder; choose an empty or new one.")
        return None
    if saved.get("identity") != _jsonable(config.identity()):
        changed = sorted(
            k for k in config.identity()
            if _jsonable(config.identity()).get(k)
            != saved.get("identity", {}).get(k))
        raise ValueError(
            f"`output` {config.output!r} holds a run with other settings "
            f"({', '.join(changed)} differ); resume it with the same "
            "arguments, choose another output, or pass overwrite=True "
            "(--overwrite).")
    return _io.read_json(os.path.join(config.output, SUMMARY))


def _jsonable(obj):
    import json
    return json.loads(json.dumps(obj))


def _build_model(config, classes):
    from keras_inception.models import registry
    info = registry.get_model_info(config.model)
    kwargs = {"weights": None, "classes": classes,
              "input_shape": (config.image_size, config.image_size, 3),
              "width_multiplier": config.width_multiplier,
              "classifier_activation": "softmax"}
    if info.aux:
        kwargs["aux_logits"] = (bool(info.aux) if config.aux_logits is None
                                else config.aux_logits)
    if config.dropout_rate is not None:
        kwargs["dropout_rate"] = config.dropout_rate
    if config.block_counts is not None:
        kwargs["block_counts"] = list(config.block_counts)
    return registry.get_model(info.name, **kwargs), kwargs


def model_from_run(run_dir, weights=None):
    """Rebuilds the model of a run folder and loads its weights.

    Args:
        run_dir: a folder written by :func:`train`.
        weights: a weights file; ``None``: the run's best, else its last.

    Returns:
        ``(model, run_config)``.
    """
    from keras_inception.models import registry
    from keras_inception.models.weights import load_weights
    saved = _io.read_json(os.path.join(run_dir, RUN_CONFIG))
    if saved is None:
        raise ValueError(f"`checkpoint` {run_dir!r} is not a run folder "
                         f"(no {RUN_CONFIG}).")
    kwargs = dict(saved["model_kwargs"])
    kwargs["input_shape"] = tuple(kwargs["input_shape"])
    model = registry.get_model(saved["config"]["model"], **kwargs)
    if weights is None:
        weights = run_weights(run_dir)
    load_weights(model, weights)   # checked layer by layer first
    return model, saved


def load_run(checkpoint, weights=None):
    """Rebuilds the model of a run folder, or of a weights file in one.

    Args:
        checkpoint: a run folder (its best weights, else its last) or a
            weights file inside one.
        weights: a weights file to load instead (ignored when
            ``checkpoint`` is a file).

    Returns:
        ``(model, run_config, run_dir, weights_file)``.
    """
    if not isinstance(checkpoint, (str, os.PathLike)):
        raise TypeError("`checkpoint` must be a run folder or a weights "
                        f"file; received {checkpoint!r}.")
    checkpoint = os.fspath(checkpoint)
    if os.path.isfile(checkpoint):
        run_dir, weights = os.path.dirname(checkpoint) or ".", checkpoint
    elif os.path.isdir(checkpoint):
        run_dir = checkpoint
    else:
        raise ValueError(f"`checkpoint` {checkpoint!r} does not exist.")
    model, saved = model_from_run(run_dir, weights)
    return model, saved, run_dir, weights or run_weights(run_dir)


def run_weights(run_dir):
    """The weights file a run folder stands for: its best, else its
    last."""
    for name in (BEST, LAST):
        if os.path.exists(os.path.join(run_dir, name)):
            return os.path.join(run_dir, name)
    raise ValueError(f"`checkpoint` {run_dir!r} holds no weights yet "
                     f"({BEST} or {LAST}).")


def recipe_of(config):
    """The :class:`~keras_inception.training.Recipe` a config trains with:
    its ``recipe`` (``"auto"``: the model's paper's) with its
    ``warmup_epochs`` when set."""
    from keras_inception.training import recipes as training
    recipe = (training.default_recipe(config.model) if config.recipe == "auto"
              else training.RECIPES[config.recipe])
    if config.warmup_epochs is not None:
        recipe = dataclasses.replace(recipe,
                                     warmup_epochs=config.warmup_epochs)
    return recipe


def train(config, *, extra_callbacks=(), initial_weights=None):
    """Trains ``config.model`` on ``config.dataset`` into ``config.output``.

    Started again with the same config after an interruption, it resumes
    from the last backup (logged as ``resuming ... epoch E, step S``); a
    finished run is not trained again (its summary is returned).

    Args:
        config: a :class:`TrainConfig`.
        extra_callbacks: more Keras callbacks for ``fit``.
        initial_weights: weights (``model.get_weights()`` of the same
            architecture) to start from instead of a fresh initialisation;
            a backup, when there is one, still wins (keras-tuner's
            Hyperband continues a trial from another's weights this way).

    Returns:
        The run summary (also in ``<output>/summary.json``).

    Raises:
        TypeError, ValueError: bad configuration, dataset or output folder,
            before any training step.
        TrainingDiverged: the loss became NaN or infinite.
    """
    if not isinstance(config, TrainConfig):
        raise TypeError("`config` must be a TrainConfig; received "
                        f"{type(config).__name__}.")
    config = config.validated()
    from keras_inception.distribute import strategies as distribute

    strategy = distribute.get_strategy(config.strategy)
    distribute.check_global_batch(config.batch_size, strategy)
    task_type, task_id, chief = distribute.task_info(strategy)
    run_dir = (config.output if chief else
               os.path.join(config.output, WORKERS, f"{task_type}-{task_id}"))
    finished = _prepare_output(config, run_dir, chief)
    if finished is not None:
        logger.info("%s is already complete (val top-1 %.4f); nothing to "
                    "train. Pass overwrite=True (--overwrite) to train "
                    "again.", config.output, finished["val_top1"])
        return finished
    policy = keras.mixed_precision.global_policy()
    try:
        return _train(config, strategy, run_dir, chief, extra_callbacks,
                      initial_weights)
    finally:   # the precision policy is process-wide: leave it as found
        keras.mixed_precision.set_global_policy(policy)


def _train(config, strategy, run_dir, chief, extra_callbacks,
           initial_weights):
    import tensorflow as tf

    from keras_inception.data import pipeline as data_lib
    from keras_inception.distribute import strategies as distribute
    from keras_inception.models import registry
    from keras_inception.training import recipes as training

    keras.mixed_precision.set_global_policy(config.precision)
    keras.utils.set_random_seed(config.seed)
    if config.deterministic:
        tf.config.experimental.enable_op_determinism()
    info = registry.get_model_info(config.model)
    backup_dir = os.path.join(run_dir, BACKUP)

    # Where to start: the backup's position decides the input stream.
    meta = _io.read_json(os.path.join(backup_dir, "training_metadata.json"))
    start_epoch, start_step = (meta["epoch"], meta["batch"]) if meta \
        else (0, 0)
    load = dict(image_size=config.image_size, batch_size=config.batch_size,
                preprocessing=info.preprocessing, data_dir=config.data_dir,
                validation_fraction=config.validation_fraction,
                seed=config.seed, deterministic=config.deterministic,
                cache=config.cache, augment=config.augment,
                min_crop_area=config.min_crop_area,
                central_fraction=config.central_fraction)
    try:
        data = data_lib.load(config.dataset, start_epoch=start_epoch,
                             start_step=start_step, **load)
    except ValueError as err:
        if meta and "start_step" in str(err):
            raise ValueError(
                f"the backup in {backup_dir} was made with "
                f"{meta['steps_per_epoch']} steps per epoch; the dataset "
                "now gives fewer: same dataset and batch size are needed "
                "to resume (or use --overwrite).") from None
        raise
    steps = data.steps_per_epoch

    with strategy.scope():
        model, model_kwargs = _build_model(config, len(data.class_names))
        model = distribute.for_strategy(model, strategy)
        training.compile_for_training(
            model, recipe_of(config), steps_per_epoch=steps,
            epochs=config.epochs,
            aux_weight=config.aux_weight,
            label_smoothing=config.label_smoothing,
            learning_rate=config.learning_rate,
            jit_compile=config.jit_compile, run_eagerly=config.run_eagerly,
            steps_per_execution=config.steps_per_execution,
            model_name=config.model)
        checkpoint_monitor = ("val_predictions_top1"
                              if isinstance(model.output, dict)
                              else "val_top1")
        best_cb = AtomicModelCheckpoint(os.path.join(run_dir, BEST),
                                        monitor=checkpoint_monitor,
                                        mode="max", save_best_only=True)
        backup = ExactBackupAndRestore(
            backup_dir, steps, save_freq=config.backup_every or "epoch",
            checkpoint=best_cb)
        epoch, step = backup.position()
        resumed = backup.restore(model)
        if resumed is None and initial_weights is not None:
            model.set_weights(initial_weights)
    if resumed is not None:
        logger.info("resuming %s from its backup: epoch %d, step %d of %d "
                    "(global step %d)", config.output, epoch + 1, step,
                    steps, resumed["global_step"])
    if epoch >= config.epochs:
        logger.info("the backup is at the end of epoch %d: nothing left "
                    "to train.", epoch)

    if chief:
        _io.write_json(os.path.join(config.output, RUN_CONFIG), {
            "identity": _jsonable(config.identity()),
            "config": _jsonable(dataclasses.asdict(config)),
            "model_kwargs": _jsonable(model_kwargs),
            "class_names": list(data.class_names),
            "preprocessing": info.preprocessing,
            "source": data.source,
        })
    if data.skipped:
        logger.warning("%d unreadable image files were left out (listed "
                       "in %s).", len(data.skipped),
                       os.path.join(config.output, SUMMARY))

    def targets(stream):
        return stream.map(lambda x, y: (x, training.targets_for(model, y)))

    nan_guard, clock = NaNGuard(), Clock(config.batch_size)
    callbacks = [
        nan_guard, clock, SyncMovingStatistics(strategy), backup, best_cb,
        AtomicModelCheckpoint(os.path.join(run_dir, LAST)),
        keras.callbacks.CSVLogger(os.path.join(run_dir, HISTORY),
                                  append=True),
        keras.callbacks.TensorBoard(os.path.join(run_dir, LOGS)),
        *extra_callbacks,
    ]
    validation = targets(data.validation)
    fit = dict(validation_data=validation, callbacks=callbacks,
               verbose=config.verbose, shuffle=False)  # the stream shuffles
    start = time.perf_counter()
    if step and epoch < config.epochs:     # finish the interrupted epoch
        backup.start_at(epoch, step)
        model.fit(targets(data.train), epochs=epoch + 1, initial_epoch=epoch,
                  steps_per_epoch=steps - step, **fit)
        epoch, step = epoch + 1, 0
        stream = data_lib.train_stream(data, epoch, 0)
    else:
        stream = data.train
    if epoch < config.epochs and nan_guard.diverged is None:
        backup.start_at(epoch, 0)
        model.fit(targets(stream), epochs=config.epochs, initial_epoch=epoch,
                  steps_per_epoch=steps, **fit)
    seconds = time.perf_counter() - start

    if nan_guard.diverged is not None:
        e, b, loss = nan_guard.diverged
        raise TrainingDiverged(
            f"the loss became {loss} at epoch {e + 1}, step {b + 1}; "
            f"training stopped. The last good weights are backed up in "
            f"{backup_dir} (a rerun resumes from them). Try a lower "
            "learning_rate (--learning-rate), precision 'float32', or a "
            "recipe with gradient clipping ('rmsprop').")
    return _finish(config, run_dir, chief, model, data, clock, seconds,
                   resumed, strategy, backup_dir)


def _finish(config, run_dir, chief, model, data, clock, seconds, resumed,
            strategy, backup_dir):
    from keras_inception.utils.plotting import plot_training_curves, read_history

    history = read_history(os.path.join(run_dir, HISTORY))
    key = ("val_predictions_top1" if "val_predictions_top1" in history
           else "val_top1")
    val = history.get(key, [float("nan")])
    top5 = history.get(key.replace("top1", "top5"), [float("nan")])
    best_epoch = int(np.nanargmax(val)) if np.isfinite(val).any() else None
    summary = {
        "model": config.model,
        "dataset": data.source,
        "classes": len(data.class_names),
        "train_examples": data.num_train,
        "validation_examples": data.num_validation,
        "skipped_files": list(data.skipped),
        "epochs": config.epochs,
        "steps_per_epoch": data.steps_per_epoch,
        "batch_size": config.batch_size,
        "image_size": config.image_size,
        "width_multiplier": config.width_multiplier,
        "parameters": int(model.count_params()),
        "replicas": int(strategy.num_replicas_in_sync),
        "precision": config.precision,
        "val_top1": float(val[-1]),
        "val_top5": float(top5[-1]),
        "best_val_top1": None if best_epoch is None else float(val[best_epoch]),
        "best_epoch": None if best_epoch is None else best_epoch + 1,
        "train_seconds_this_process": round(seconds, 2),
        "images_per_second": (None if clock.images_per_second is None
                              else round(clock.images_per_second, 1)),
        "resumed_from_global_step": (None if resumed is None
                                     else resumed["global_step"]),
    }
    if chief:
        plot_training_curves(os.path.join(run_dir, HISTORY),
                             os.path.join(run_dir, CURVES),
                             title=f"{config.model} on {config.dataset}")
        _io.write_json(os.path.join(run_dir, SUMMARY), summary)
    # Finished: the resume point is no longer needed.
    shutil.rmtree(backup_dir, ignore_errors=True)
    return summary


def evaluate(checkpoint, dataset=None, *, batch_size=64, data_dir=None,
             weights=None, verbose=1):
    """Evaluates a run's model on a dataset's validation split.

    Args:
        checkpoint: a run folder written by :func:`train`, or a weights file
            inside one.
        dataset: ``None``: the run's dataset; else a dataset as in
            :func:`keras_inception.data.load` with the run's classes.
        batch_size: evaluation batch size.
        data_dir: TFDS data folder.
        weights: a weights file to load instead of the run's best.
        verbose: Keras progress (0, 1, 2).

    Returns:
        ``{"top1", "top5", "loss", "images", "seconds",
        "images_per_second", "weights", "dataset"}``.
    """
    from keras_inception.data import pipeline as data_lib
    from keras_inception.training import recipes as training

    check_count(batch_size, "batch_size")
    model, saved, _, weights = load_run(checkpoint, weights)
    cfg = saved["config"]
    data = data_lib.load(
        cfg["dataset"] if dataset is None else dataset,
        image_size=cfg["image_size"], batch_size=batch_size,
        preprocessing=saved["preprocessing"],
        data_dir=data_dir if data_dir is not None else cfg["data_dir"],
        validation_fraction=cfg["validation_fraction"], seed=cfg["seed"],
        augment="none", central_fraction=cfg["central_fraction"],
        evaluation_only=True)
    if list(data.class_names) != saved["class_names"]:
        raise ValueError(
            f"`dataset` has classes {list(data.class_names)[:5]}... but the "
            f"run was trained on {saved['class_names'][:5]}...: evaluate on "
            "data with the same classes.")
    # Only the losses and metrics matter here (unsmoothed cross-entropy).
    training.compile_for_training(model, "auto", steps_per_epoch=1,
                                  label_smoothing=0.0, jit_compile=False,
                                  model_name=cfg["model"])
    start = time.perf_counter()
    logs = model.evaluate(
        data.validation.map(
            lambda x, y: (x, training.targets_for(model, y))),
        verbose=verbose, return_dict=True)
    seconds = time.perf_counter() - start
    top1 = logs.get("predictions_top1", logs.get("top1"))
    top5 = logs.get("predictions_top5", logs.get("top5"))
    loss = logs.get("predictions_loss", logs.get("loss"))
    return {"top1": float(top1), "top5": float(top5), "loss": float(loss),
            "images": data.num_validation, "seconds": round(seconds, 2),
            "images_per_second": round(data.num_validation / seconds, 1),
            "weights": weights,
            "dataset": data.source}
