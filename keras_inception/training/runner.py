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

What a run folder holds (weights, history, curves, summary, the resume
point; under ``MultiWorkerMirroredStrategy``, where every worker trains and
the chief writes the folder, the other workers' backups and logs) is listed
in :mod:`keras_inception.training.run_folder`.

Every name of :mod:`~keras_inception.training.config`,
:mod:`~keras_inception.training.callbacks` and
:mod:`~keras_inception.training.run_folder` that a run's users need is
importable from here too (and from :mod:`keras_inception.runner`).

Example:
    >>> from keras_inception.runner import TrainConfig
    >>> TrainConfig(model="inception_v1", epochs=0).validated()
    Traceback (most recent call last):
    ...
    ValueError: `epochs` must be a positive integer; received 0.
"""

from __future__ import annotations

import logging
import os
import shutil
import time

import keras
import numpy as np

from keras_inception.training.callbacks import (AtomicModelCheckpoint, Clock,
                                                ExactBackupAndRestore,
                                                NaNGuard,
                                                SyncMovingStatistics)
from keras_inception.data.catalog import EMBEDDED_NAMES as EMBEDDED
from keras_inception.data.catalog import is_embedded
from keras_inception.training.config import PRECISIONS, TrainConfig
from keras_inception.training.progress import ProgressCallback
from keras_inception.training.run_folder import (BACKUP, BEST, CURVES,
                                                 HISTORY, LAST, LOGS,
                                                 RUN_CONFIG, SUMMARY,
                                                 WORKERS, load_run,
                                                 model_for_config,
                                                 model_from_run,
                                                 prepare_output, recipe_of,
                                                 run_weights,
                                                 write_run_config)
from keras_inception.utils import atomic as _io
from keras_inception.utils import faults
from keras_inception.utils.checks import check_count

__all__ = [
    "AtomicModelCheckpoint", "BACKUP", "BEST", "CURVES", "Clock", "EMBEDDED",
    "ExactBackupAndRestore", "HISTORY", "LAST", "LOGS", "NaNGuard",
    "PRECISIONS", "RUN_CONFIG", "SUMMARY", "SyncMovingStatistics",
    "TrainConfig", "TrainingDiverged", "WORKERS", "evaluate", "is_embedded",
    "load_run", "model_for_config", "model_from_run", "recipe_of",
    "run_weights", "train",
]

logger = logging.getLogger("keras_inception")


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; training stopped."""


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
        keras_inception.utils.faults.MachineFault: the run folder's disk
            is full (before training when even the weights do not fit) or
            not writable; a rerun with space resumes from the last backup.
    """
    if not isinstance(config, TrainConfig):
        raise TypeError("`config` must be a TrainConfig; received "
                        f"{type(config).__name__}.")
    config = config.validated()
    from keras_inception.distribute import strategies

    strategy = strategies.get_strategy(config.strategy)
    strategies.check_global_batch(config.batch_size, strategy)
    logger.info("training on %s", strategies.describe_devices(strategy))
    task_type, task_id, chief = strategies.task_info(strategy)
    run_dir = (config.output if chief else
               os.path.join(config.output, WORKERS, f"{task_type}-{task_id}"))
    finished = prepare_output(config, run_dir, chief)
    if finished is not None:
        logger.info("%s is already complete (val top-1 %.4f); nothing to "
                    "train. Pass overwrite=True (--overwrite) to train "
                    "again.", config.output, finished["val_top1"])
        return finished
    policy = keras.mixed_precision.global_policy()
    try:
        with faults.writing(run_dir, f"training run {config.output}") as job:
            return _train(config, strategy, run_dir, chief, extra_callbacks,
                          initial_weights, job)
    finally:   # the precision policy is process-wide: leave it as found
        keras.mixed_precision.set_global_policy(policy)


def _train(config, strategy, run_dir, chief, extra_callbacks,
           initial_weights, job):
    import tensorflow as tf

    from keras_inception.data import pipeline as data_lib
    from keras_inception.distribute import multi_worker
    from keras_inception.models import registry
    from keras_inception.training import compiling

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
        model, model_kwargs = model_for_config(config,
                                                len(data.class_names))
        model = multi_worker.for_strategy(model, strategy)
        compiling.compile_for_training(
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
        # Best, last and the backup: each the weights and (about) two
        # optimizer slots per weight; at the least the weights alone.
        weights = faults.variables_bytes(model.weights)
        job.expect(3 * 3 * weights, minimum=3 * weights)
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
        write_run_config(config, model_kwargs, data.class_names,
                         info.preprocessing, data.source)
    if data.skipped:
        logger.warning("%d unreadable image files were left out (listed "
                       "in %s).", len(data.skipped),
                       os.path.join(config.output, SUMMARY))

    def targets(stream):
        return stream.map(lambda x, y: (x, compiling.targets_for(model, y)))

    nan_guard, clock = NaNGuard(), Clock(config.batch_size)
    callbacks = [
        nan_guard, clock, SyncMovingStatistics(strategy), backup, best_cb,
        AtomicModelCheckpoint(os.path.join(run_dir, LAST)),
        keras.callbacks.CSVLogger(os.path.join(run_dir, HISTORY),
                                  append=True),
        keras.callbacks.TensorBoard(os.path.join(run_dir, LOGS)),
        *extra_callbacks,
    ]
    if config.verbose:
        callbacks.append(ProgressCallback(config.verbose,
                                          batch_size=config.batch_size))
    validation = targets(data.validation)
    # Keras's own progress bar is replaced by ProgressCallback's.
    fit = dict(validation_data=validation, callbacks=callbacks, verbose=0,
               shuffle=False)  # the stream shuffles
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
    from keras_inception.training import compiling

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
    compiling.compile_for_training(model, "auto", steps_per_epoch=1,
                                  label_smoothing=0.0, jit_compile=False,
                                  model_name=cfg["model"])
    from keras_inception.distribute.strategies import describe_devices

    logger.info("evaluating on %s", describe_devices())
    progress = ProgressCallback(
        verbose, batch_size=batch_size, desc="evaluating",
        steps=-(-data.num_validation // batch_size),
        images=data.num_validation)
    start = time.perf_counter()
    logs = model.evaluate(
        data.validation.map(
            lambda x, y: (x, compiling.targets_for(model, y))),
        verbose=0, callbacks=[progress] if verbose else [],
        return_dict=True)
    seconds = time.perf_counter() - start
    top1 = logs.get("predictions_top1", logs.get("top1"))
    top5 = logs.get("predictions_top5", logs.get("top5"))
    loss = logs.get("predictions_loss", logs.get("loss"))
    return {"top1": float(top1), "top5": float(top5), "loss": float(loss),
            "images": data.num_validation, "seconds": round(seconds, 2),
            "images_per_second": round(data.num_validation / seconds, 1),
            "weights": weights,
            "dataset": data.source}
