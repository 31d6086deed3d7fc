"""The three Keras layers that keras_inception registers, so that models
save to ``.keras`` and load in safe mode: :class:`ScaledResidual` (the
Inception-ResNet residual scaling), :class:`LocalResponseNormalization`
(GoogLeNet as published) and :class:`Preprocessing` (an export's input
arithmetic). They are registered as ``keras_inception>ScaledResidual`` and so
on, the names saved files carry.

Example:
    >>> import numpy as np
    >>> layer = ScaledResidual(0.5)
    >>> out = layer([np.ones((1, 1, 1, 2)), np.ones((1, 1, 1, 2))])
    >>> np.asarray(out).ravel().tolist()
    [1.5, 1.5]
"""

from __future__ import annotations

import keras
from keras import layers, ops

from keras_inception.models.imagenet import MODES, preprocess_tensor

PACKAGE = "keras_inception"


@keras.saving.register_keras_serializable(package=PACKAGE)
class ScaledResidual(layers.Layer):
    """``shortcut + scale * residual``: the residual scaling of the
    Inception-v4 paper (Section 3.3, Figure 20), which keeps very wide
    Inception-ResNet networks from dying early in training."""

    def __init__(self, scale: float, **kwargs):
        super().__init__(**kwargs)
        self.scale = float(scale)

    def call(self, inputs):
        shortcut, residual = inputs
        return shortcut + ops.cast(self.scale, residual.dtype) * residual

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


@keras.saving.register_keras_serializable(package=PACKAGE)
class LocalResponseNormalization(layers.Layer):
    """Cross-channel local response normalisation (AlexNet, Section 3.3),
    used by GoogLeNet as published:
    ``x / (bias + alpha * sum_{|j-c|<=radius} x_j**2) ** beta``.

    The defaults are those of TensorFlow's ``local_response_normalization``
    as TF-slim's GoogLeNet uses it (radius 2, i.e. 5 channels).
    """

    def __init__(self, depth_radius=2, bias=1.0, alpha=1e-4, beta=0.75,
                 **kwargs):
        super().__init__(**kwargs)
        self.depth_radius = int(depth_radius)
        self.bias = float(bias)
        self.alpha = float(alpha)
        self.beta = float(beta)

    def call(self, inputs):
        r = self.depth_radius
        channels = inputs.shape[-1]
        squared = ops.square(inputs)
        padded = ops.pad(squared, [[0, 0], [0, 0], [0, 0], [r, r]])
        window = sum(padded[..., i:i + channels] for i in range(2 * r + 1))
        return inputs / ops.power(self.bias + self.alpha * window, self.beta)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "depth_radius": self.depth_radius,
                "bias": self.bias, "alpha": self.alpha, "beta": self.beta}


@keras.saving.register_keras_serializable(package=PACKAGE)
class Preprocessing(layers.Layer):
    """A network's input preprocessing as a layer, for models that take
    0-255 RGB pixels (the exports of :mod:`keras_inception.export`).

    The arithmetic is :func:`keras_inception.imagenet.preprocess_input`'s
    (``mode`` one of :data:`keras_inception.models.imagenet.MODES`);
    float32 out.
    """

    def __init__(self, mode="tf", **kwargs):
        if mode not in MODES:
            raise ValueError(f"`mode` must be one of {MODES}; received "
                             f"{mode!r}.")
        super().__init__(**kwargs)
        self.mode = mode

    def call(self, inputs):
        return preprocess_tensor(ops.cast(inputs, "float32"), self.mode)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}
