"""The sparse cross-entropy losses of the recipes, label smoothing included.

Labels are integer class ids everywhere (sparse). Keras 3.15's
``SparseCategoricalCrossentropy`` has no ``label_smoothing`` argument, so a
smoothed recipe uses :class:`SparseCategoricalCrossentropyWithSmoothing`,
a registered loss that one-hot encodes inside and applies
``keras.losses.categorical_crossentropy(..., label_smoothing=)``.
"""

from __future__ import annotations

import keras
from keras import ops

from keras_inception.utils.checks import check_in_range


@keras.saving.register_keras_serializable(package="keras_inception")
class SparseCategoricalCrossentropyWithSmoothing(keras.losses.Loss):
    """Categorical cross-entropy on integer labels with label smoothing.

    The target of class ``k`` becomes ``(1 - e) * onehot(k) + e / K``
    (Rethinking, Section 7), for ``K`` classes and
    ``e = label_smoothing``. Keras 3.15's ``SparseCategoricalCrossentropy``
    takes no ``label_smoothing``; this one-hot encodes the labels and calls
    ``keras.losses.categorical_crossentropy``.

    Args:
        label_smoothing: ``e`` in [0, 1).
        from_logits: whether predictions are logits (no softmax).
        reduction, name, dtype: as every ``keras.losses.Loss``.

    Example:
        >>> loss = SparseCategoricalCrossentropyWithSmoothing(0.1)
        >>> round(float(loss([0], [[0.5, 0.25, 0.25]])), 4)
        0.7394
    """

    def __init__(self, label_smoothing=0.0, from_logits=False,
                 reduction="sum_over_batch_size",
                 name="sparse_categorical_crossentropy_with_smoothing",
                 dtype=None):
        check_in_range(label_smoothing, "label_smoothing", 0, 1)
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.label_smoothing = float(label_smoothing)
        self.from_logits = bool(from_logits)

    def call(self, y_true, y_pred):
        y_pred = ops.convert_to_tensor(y_pred)
        y_true = ops.convert_to_tensor(y_true)
        if len(y_true.shape) == len(y_pred.shape):
            y_true = ops.squeeze(y_true, axis=-1)
        labels = ops.one_hot(ops.cast(y_true, "int32"), y_pred.shape[-1],
                             dtype=y_pred.dtype)
        return keras.losses.categorical_crossentropy(
            labels, y_pred, from_logits=self.from_logits,
            label_smoothing=self.label_smoothing)

    def get_config(self):
        config = super().get_config()
        config.update(label_smoothing=self.label_smoothing,
                      from_logits=self.from_logits)
        return config


def sparse_crossentropy(*, label_smoothing=0.0, from_logits=False):
    """Keras's ``SparseCategoricalCrossentropy``, or the smoothed loss
    above where ``label_smoothing`` > 0."""
    if label_smoothing:
        return SparseCategoricalCrossentropyWithSmoothing(
            label_smoothing, from_logits=from_logits)
    return keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits)
