"""Progress of ``fit`` and ``evaluate`` as :class:`~keras_inception.utils.
progress.Progress` bars: images per second, ETA, loss and top-1 inside
each epoch on a terminal; one line per epoch (or evaluation) otherwise.

Keras's own progress bar counts steps, not images, and prints every metric
of every auxiliary head; :class:`ProgressCallback` replaces it (the runner
calls Keras with ``verbose=0``).

Example:
    >>> import io
    >>> import keras, numpy as np
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> out = io.StringIO()
    >>> history = model.fit(np.zeros((8, 2)), np.zeros((8, 1)), epochs=2,
    ...     batch_size=4, verbose=0,
    ...     callbacks=[ProgressCallback(2, batch_size=4, stream=out)])
    >>> [line.split(":")[0] for line in out.getvalue().splitlines()]
    ['epoch 1/2', 'epoch 2/2']
"""

from __future__ import annotations

import keras

from keras_inception.utils.progress import Progress

# The figures shown, and the log keys they are read from (a model with
# auxiliary heads names its main output's metrics predictions_*).
_FIGURES = {"loss": ("loss",), "top1": ("predictions_top1", "top1")}


def _figures(logs, prefix=""):
    logs = logs or {}
    shown = {}
    for name, keys in _FIGURES.items():
        for key in keys:
            if prefix + key in logs:
                shown[prefix + name] = logs[prefix + key]
                break
    return shown


class ProgressCallback(keras.callbacks.Callback):
    """Shows the progress of ``fit`` (each epoch) or ``evaluate``.

    Args:
        verbose: 1 (a bar), 2 (a line per epoch), 0 (nothing), or a
            :class:`~keras_inception.utils.progress.Progress` mode.
        batch_size: images per step (the global batch), so the rate is in
            images per second.
        steps: steps of an evaluation, when Keras cannot tell (a dataset
            of unknown length); ``fit``'s come from Keras.
        images: the images of an evaluation (its last batch may be short).
        desc: what an evaluation is called (default ``"evaluate"``).
        stream: where to write (default: stderr).
    """

    def __init__(self, verbose, *, batch_size, steps=None, images=None,
                 desc="evaluate", stream=None):
        super().__init__()
        self.images = images
        self.verbose, self.batch_size = verbose, batch_size
        self.steps, self.desc, self.stream = steps, desc, stream
        self._progress = None
        self._fitting = False
        self._epoch_desc = ""

    def _start(self, steps, desc, images=None):
        self._progress = Progress(steps, desc=desc, unit="image",
                                  scale=self.batch_size, limit=images,
                                  mode=self.verbose, stream=self.stream)

    # -- fit ----------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._fitting = True

    def on_train_end(self, logs=None):
        self._fitting = False

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_desc = f"epoch {epoch + 1}/{self.params.get('epochs')}"
        self._start(self.params.get("steps"), self._epoch_desc)

    def on_train_batch_end(self, batch, logs=None):
        if self._progress is not None:
            self._progress.update(batch + 1, **_figures(logs))

    def on_epoch_end(self, epoch, logs=None):
        if self._progress is not None:
            self._progress.set_desc(self._epoch_desc)
            self._progress.close(**_figures(logs),
                                 **_figures(logs, "val_"))
            self._progress = None

    # -- evaluate, or fit's validation ---------------------------------------
    def on_test_begin(self, logs=None):
        if self._fitting:
            if self._progress is not None:
                self._progress.stop_clock()     # the rate is training's
                self._progress.set_desc(f"{self._epoch_desc} (validating)")
            return
        self._start(self.steps or self.params.get("steps"), self.desc,
                    self.images)

    def on_test_batch_end(self, batch, logs=None):
        if not self._fitting and self._progress is not None:
            self._progress.update(batch + 1, **_figures(logs))

    def on_test_end(self, logs=None):
        if not self._fitting and self._progress is not None:
            self._progress.close(**_figures(logs))
            self._progress = None
