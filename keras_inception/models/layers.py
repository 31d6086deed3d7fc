"""Shared layer factories from which every Inception generation is composed.

A generation module describes its network as data -- a stem and a list of
blocks, each block a tuple of branches, each branch a tuple of steps -- and
calls the factories below to turn that data into Keras layers:

- :func:`conv_bn`: convolution, batch normalisation, activation (the unit of
  every Inception network since BN-Inception; with ``batch_norm=False`` a
  biased convolution and ReLU, as in GoogLeNet).
- :func:`branch` and :func:`inception_block`: the branch-and-concatenate
  Inception module (Going Deeper, Figure 2b) and, with strided steps, the grid
  reductions (Rethinking, Figure 10; Inception-v4, Figures 7 and 8).
- :func:`residual_block`: the Inception-ResNet unit with residual scaling
  (Inception-v4 paper, Section 3.3 and Figure 20).
- :func:`aux_head` and :func:`classifier_head`: the auxiliary classifiers
  and the final pooling/dropout/linear head.

Only ``keras.layers`` and ``keras.ops`` are used, so every model built here
runs on any Keras 3 backend. Layout is channels-last.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Union

import keras
from keras import layers, ops

from keras_inception.models.imagenet import MODES, preprocess_tensor

PACKAGE = "keras_inception"


# --------------------------------------------------------------------------
# Block specifications: plain data read from the papers' tables.
# --------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Conv:
    """A convolution step: ``filters`` of ``kernel_size``, then BN and ReLU."""

    filters: int
    kernel_size: Union[int, tuple[int, int]]
    strides: int = 1
    padding: str = "same"

    @property
    def kernel(self) -> tuple[int, int]:
        k = self.kernel_size
        return (k, k) if isinstance(k, int) else tuple(k)

    @property
    def tag(self) -> str:
        kh, kw = self.kernel
        return f"{kh}x{kw}"


@dataclasses.dataclass(frozen=True)
class Pool:
    """A pooling step (``kind`` is ``"avg"`` or ``"max"``)."""

    kind: str
    pool_size: int = 3
    strides: int = 1
    padding: str = "same"

    @property
    def tag(self) -> str:
        return f"{self.kind}pool_{self.pool_size}x{self.pool_size}"


@dataclasses.dataclass(frozen=True)
class Split:
    """Parallel sub-branches whose outputs are concatenated.

    This is the "expanded filter bank" of Rethinking, Figure 7: a 1x3 and a
    3x1 convolution applied side by side to the same tensor.
    """

    branches: tuple[tuple["Step", ...], ...]


Step = Union[Conv, Pool, Split]
Branch = tuple[Step, ...]

# Shorthands used in the generations' tables.
AVG = Pool("avg")
MAX = Pool("max")
MAX_S2 = Pool("max", 3, 2, "valid")


def split(*convs: Conv) -> Split:
    """One :class:`Split` whose sub-branches are single convolutions."""
    return Split(tuple((c,) for c in convs))


# --------------------------------------------------------------------------
# Style: how a generation builds its convolutions.
# --------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Style:
    """The per-network conventions shared by every :func:`conv_bn` call.

    Attributes:
        width_multiplier: scales every convolution's filter count, as
            TF-slim's ``depth_multiplier`` does.
        min_depth: no scaled filter count falls below this (nor below the
            unscaled count, when that is smaller).
        batch_norm: ``False`` builds biased convolutions without BN
            (GoogLeNet as published).
        bn_scale: whether BN learns a scale (gamma). The released TensorFlow
            networks leave it out because a ReLU follows.
        bn_epsilon: BN epsilon (1e-3 in TF-slim and keras.applications).
        conv_bias: force a bias on convolutions that are followed by BN (the
            Caffe BN-Inception model has both).
    """

    width_multiplier: float = 1.0
    min_depth: int = 16
    batch_norm: bool = True
    bn_scale: bool = False
    bn_epsilon: float = 1e-3
    conv_bias: bool = False

    def depth(self, filters: int) -> int:
        """Scaled filter count: ``round(filters * width)``, floored at
        ``min(filters, min_depth)``; the identity at width 1.0."""
        if self.width_multiplier == 1.0:
            return filters
        scaled = int(math.floor(filters * self.width_multiplier + 0.5))
        return max(scaled, min(filters, self.min_depth))


# --------------------------------------------------------------------------
# Custom layers (registered, so models save and load in safe mode).
# --------------------------------------------------------------------------
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
    (``mode`` ``"tf"``, ``"torch"`` or ``"caffe"``); float32 out.
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


# --------------------------------------------------------------------------
# Factories.
# --------------------------------------------------------------------------
def conv_bn(x, filters, kernel_size, *, name, style, strides=1,
            padding="same", activation="relu", scale_filters=True):
    """Convolution, batch normalisation (when the style has it), activation.

    Layers are named ``{name}_conv``, ``{name}_bn`` and ``{name}`` (the
    activation, i.e. the step's output), the convention of
    keras.applications' ``conv2d_bn``.

    Args:
        x: input tensor (channels last).
        filters: filter count before the style's width multiplier.
        kernel_size: int or (height, width).
        name: the step's name; the output layer carries it.
        style: the network's :class:`Style`.
        strides, padding: as in ``keras.layers.Conv2D``.
        activation: activation name, or ``None`` for a linear output.
        scale_filters: ``False`` keeps ``filters`` as given (residual
            up-projections must match their shortcut).

    Returns:
        The output tensor.
    """
    if scale_filters:
        filters = style.depth(filters)
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding=padding,
                      use_bias=style.conv_bias or not style.batch_norm,
                      name=f"{name}_conv")(x)
    if style.batch_norm:
        x = layers.BatchNormalization(axis=-1, scale=style.bn_scale,
                                      epsilon=style.bn_epsilon,
                                      name=f"{name}_bn")(x)
    if activation is not None:
        x = layers.Activation(activation, name=name)(x)
    return x


def pool(x, spec: Pool, *, name):
    """A pooling layer from a :class:`Pool` spec."""
    cls = (layers.AveragePooling2D if spec.kind == "avg"
           else layers.MaxPooling2D)
    return cls(spec.pool_size, strides=spec.strides, padding=spec.padding,
               name=name)(x)


def branch(x, steps, *, name, style):
    """Apply a branch's steps in order; step ``i`` is named
    ``{name}_{i}_{kernel}`` so each table entry has its own layer name."""
    for i, step in enumerate(steps):
        if isinstance(step, Conv):
            x = conv_bn(x, step.filters, step.kernel, strides=step.strides,
                        padding=step.padding, style=style,
                        name=f"{name}_{i}_{step.tag}")
        elif isinstance(step, Pool):
            x = pool(x, step, name=f"{name}_{i}_{step.tag}")
        elif isinstance(step, Split):
            outs = [branch(x, sub, name=f"{name}_{i}{chr(ord('a') + j)}",
                           style=style)
                    for j, sub in enumerate(step.branches)]
            x = layers.Concatenate(axis=-1, name=f"{name}_{i}_concat")(outs)
        else:  # pragma: no cover - tables are written by us
            raise TypeError(f"unknown step {step!r}")
    return x


def inception_block(x, branches, *, name, style):
    """The Inception module: run every branch on ``x`` and concatenate.

    With strided, 'valid' steps in every branch this is also a grid-size
    reduction (Rethinking, Figure 10). The concatenation is named ``name``,
    so the block's output is ``model.get_layer(name).output``.
    """
    outs = [branch(x, steps, name=f"{name}_branch{i}", style=style)
            for i, steps in enumerate(branches)]
    return layers.Concatenate(axis=-1, name=name)(outs)


def residual_block(x, branches, *, scale, name, style, activation="relu"):
    """The Inception-ResNet unit (Inception-v4 paper, Figures 10-13, 16-20).

    ``activation(x + scale * W(concat(branches(x))))`` where ``W`` is a
    linear 1x1 convolution with bias and no BN that restores ``x``'s depth.
    The block's output layer is named ``name``.
    """
    mixed = inception_block(x, branches, name=f"{name}_mixed", style=style)
    up = layers.Conv2D(x.shape[-1], 1, use_bias=True,
                       name=f"{name}_conv")(mixed)
    out_name = f"{name}_residual" if activation is not None else name
    x = ScaledResidual(scale, name=out_name)([x, up])
    if activation is not None:
        x = layers.Activation(activation, name=name)(x)
    return x


def stem(x, steps, *, style):
    """Apply a stem given as ``(name, Conv | Pool | branches)`` pairs; a tuple
    of branches is an :func:`inception_block` (the v4 stem's mixed blocks)."""
    for name, step in steps:
        if isinstance(step, Conv):
            x = conv_bn(x, step.filters, step.kernel, strides=step.strides,
                        padding=step.padding, style=style, name=name)
        elif isinstance(step, Pool):
            x = pool(x, step, name=name)
        elif callable(step):
            x = step(x, name=name, style=style)
        else:
            x = inception_block(x, step, name=name, style=style)
    return x


def _fit_window(size, extent):
    """Shrink a pooling/conv window to a small feature map (TF-slim's
    ``_reduced_kernel_size_for_small_input``)."""
    return size if extent is None else max(1, min(size, extent))


def aux_head(x, *, name, style, classes, activation, conv_filters=128,
             hidden_units=None, hidden_dropout=0.0, conv5x5_filters=None,
             pool_strides=3):
    """An auxiliary classifier (Going Deeper, Section 5; Rethinking, Sec. 4).

    Average pool 5x5/3, 1x1 convolution to ``conv_filters``, then either
    (GoogLeNet) flatten, a ``hidden_units`` ReLU layer and dropout, or
    (Inception-v2/v3) a 5x5 'valid' convolution to ``conv5x5_filters`` and
    global pooling; finally a linear layer to ``classes``. Windows shrink to
    fit small feature maps, so the head builds at every input size.
    """
    h, w = x.shape[1], x.shape[2]
    k = (_fit_window(5, h), _fit_window(5, w))
    x = layers.AveragePooling2D(k, strides=pool_strides, padding="valid",
                                name=f"{name}_avgpool")(x)
    x = conv_bn(x, conv_filters, 1, style=style, name=f"{name}_proj")
    if conv5x5_filters:
        k = (_fit_window(5, x.shape[1]), _fit_window(5, x.shape[2]))
        x = conv_bn(x, conv5x5_filters, k, padding="valid", style=style,
                    name=f"{name}_conv")
        x = layers.GlobalAveragePooling2D(name=f"{name}_pool")(x)
    else:
        x = layers.Flatten(name=f"{name}_flatten")(x)
    if hidden_units:
        x = layers.Dense(hidden_units, activation="relu",
                         name=f"{name}_fc")(x)
        if hidden_dropout:
            x = layers.Dropout(hidden_dropout, name=f"{name}_dropout")(x)
    return layers.Dense(classes, activation=activation, name=name,
                        dtype=_output_dtype())(x)


def _output_dtype():
    """``"float32"`` for classifier layers under a mixed-precision policy
    (Keras's mixed-precision guide: a softmax in float16/bfloat16 loses
    precision, and metrics such as top-k want float32 scores), else
    ``None`` (the policy's)."""
    policy = keras.mixed_precision.global_policy()
    if policy.compute_dtype != policy.variable_dtype:
        return "float32"
    return None


def classifier_head(x, *, include_top, pooling, classes, activation,
                    dropout_rate):
    """Global average pooling, dropout and the linear classifier
    (``include_top``), or the optional pooling of a headless network."""
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate:
            x = layers.Dropout(dropout_rate, name="dropout")(x)
        return layers.Dense(classes, activation=activation,
                            name="predictions", dtype=_output_dtype())(x)
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name="max_pool")(x)
    return x
