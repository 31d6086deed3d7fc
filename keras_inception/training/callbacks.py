"""The callbacks that make a training run safe to kill, and its clock.

:class:`ExactBackupAndRestore` (a resume point at the exact step, written
atomically), :class:`AtomicModelCheckpoint` (best and last weights, renamed
into place), :class:`NaNGuard` (stops where the loss diverged),
:class:`SyncMovingStatistics` (batch norm's statistics averaged over the
replicas) and :class:`Clock` (training images per second).
:func:`keras_inception.training.runner.train` passes them all to ``fit``.
"""

from __future__ import annotations

import math
import os
import time

import keras
import numpy as np

from keras_inception.utils import atomic as _io


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
        try:
            super().on_epoch_end(epoch, logs)
        except BaseException:   # a full disk: no half-written file stays
            if os.path.exists(self.partial_path):
                os.remove(self.partial_path)
            raise
        if os.path.exists(self.partial_path):
            os.replace(self.partial_path, self.final_path)


class NaNGuard(keras.callbacks.TerminateOnNaN):
    """``TerminateOnNaN`` that remembers where the loss diverged, so
    the runner can raise
    :class:`~keras_inception.training.runner.TrainingDiverged` with advice."""

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
        from keras_inception.distribute.multi_worker import (
            sync_moving_statistics)
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
