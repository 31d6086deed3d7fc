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
- :func:`residual_network`: stem and Inception-ResNet stages from one
  :class:`ResidualSpec`, shared by Inception-ResNet-v1 and -v2.
- :func:`aux_head` and :func:`classifier_head`: the auxiliary classifiers
  and the final pooling/dropout/linear head.

The registered layers they use live in
:mod:`keras_inception.models.custom_layers`. Only ``keras.layers`` and
``keras.ops`` are used, so every model built here runs on any Keras 3
backend. Layout is channels-last.

It runs over 400 lines because the block specifications and the factories
that read them are one vocabulary, imported by every generation module: a
spec kept apart from the one function that interprets it would be read in
two places.

Example:
    >>> import keras
    >>> x = keras.Input((35, 35, 64))
    >>> y = inception_block(x, ((Conv(32, 1),), (AVG, Conv(16, 1))),
    ...                     name="mixed", style=Style())
    >>> y.shape
    (None, 35, 35, 48)
"""

from __future__ import annotations

import dataclasses
import math
from typing import Optional, Union

import keras
from keras import layers

from keras_inception.models.custom_layers import ScaledResidual


# -- Block specifications: plain data read from the papers' tables.
@dataclasses.dataclass(frozen=True)
class Conv:
    """A convolution step: ``filters`` of ``kernel_size``, then BN and ReLU."""

    filters: int
    kernel_size: Union[int, tuple[int, int]]
    strides: int = 1
    padding: Union[str, int] = "same"   # an int: that many zeros per side

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
    """A pooling step (``kind`` is ``"avg"`` or ``"max"``); ``padding``
    ``"ceil"`` is PyTorch's ``ceil_mode`` max pool: each axis padded at its
    end to fit one more window (zeros, which never win the max of the ReLU
    outputs these pools follow), then 'valid'."""

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
MAX_S2_SAME = Pool("max", 3, 2, "same")  # GoogLeNet and BN-Inception
MAX_S2_CEIL = Pool("max", 3, 2, "ceil")  # their PyTorch ports


def split(*convs: Conv) -> Split:
    """One :class:`Split` whose sub-branches are single convolutions."""
    return Split(tuple((c,) for c in convs))


@dataclasses.dataclass(frozen=True)
class ResidualSpec:
    """An Inception-ResNet network (Inception-v4 paper, Figure 15): a stem,
    ``repeats`` scaled blocks per stage (35x35, 17x17, 8x8) with residual
    ``scales``, the two grid reductions, and an optional final 1x1
    convolution to ``final_conv`` channels (the released v2's ``conv_7b``).
    ``stem_endpoint`` is the stem step whose output is the stride-4 map."""

    stem: tuple
    stem_endpoint: str
    repeats: tuple[int, int, int]
    scales: tuple[float, float, float]
    block35: tuple
    reduction_a: tuple
    block17: tuple
    reduction_b: tuple
    block8: tuple
    final_conv: Optional[int] = None

    def endpoints(self, counts=None):
        """Layer names of the maps at strides 4, 8, 16 and 32 with
        ``counts`` scaled blocks per stage (default ``repeats``): the last
        block of each stage, whatever its depth."""
        n_a, n_b, n_c = counts or self.repeats
        last = "conv_7b" if self.final_conv else f"block8_{n_c + 1}"
        return (self.stem_endpoint, f"block35_{n_a}", f"block17_{n_b}", last)


# -- Style: how a generation builds its convolutions.
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
        pool_counts_padding: stride-1 'same' average pools divide by the
            whole window, zero padding included (PyTorch's default
            ``count_include_pad=True``, which torchvision's and timm's
            Inception-v3 keep); Keras 'same' pooling divides by the valid
            cells only, as TensorFlow's released networks do.
    """

    width_multiplier: float = 1.0
    min_depth: int = 16
    batch_norm: bool = True
    bn_scale: bool = False
    bn_epsilon: float = 1e-3
    conv_bias: bool = False
    pool_counts_padding: bool = False

    def depth(self, filters: int) -> int:
        """Scaled filter count: ``round(filters * width)``, floored at
        ``min(filters, min_depth)``; the identity at width 1.0."""
        if self.width_multiplier == 1.0:
            return filters
        scaled = int(math.floor(filters * self.width_multiplier + 0.5))
        return max(scaled, min(filters, self.min_depth))


# -- Factories.
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
    if isinstance(padding, int):      # PyTorch's symmetric padding
        x = layers.ZeroPadding2D(padding, name=f"{name}_pad")(x)
        padding = "valid"
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


def pool(x, spec: Pool, *, name, style=None):
    """A pooling layer from a :class:`Pool` spec (with ``style.
    pool_counts_padding``, zero padding ``{name}_pad`` then 'valid')."""
    padding, k, s = spec.padding, spec.pool_size, spec.strides
    if spec.kind == "avg" and padding == "same" and s == 1 and \
            style is not None and style.pool_counts_padding:
        x = layers.ZeroPadding2D(k // 2, name=f"{name}_pad")(x)
        padding = "valid"
    elif padding == "ceil":
        ends = [0 if n is None else (s - (n - k) % s) % s
                for n in x.shape[1:3]]
        if any(ends):
            x = layers.ZeroPadding2D(((0, ends[0]), (0, ends[1])),
                                     name=f"{name}_pad")(x)
        padding = "valid"
    cls = (layers.AveragePooling2D if spec.kind == "avg"
           else layers.MaxPooling2D)
    return cls(spec.pool_size, strides=spec.strides, padding=padding,
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
            x = pool(x, step, name=f"{name}_{i}_{step.tag}", style=style)
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


def stem(x, steps, *, style, outputs=None):
    """Apply a stem given as ``(name, Conv | Pool | branches)`` pairs; a tuple
    of branches is an :func:`inception_block` (the v4 stem's mixed blocks).
    With a dict ``outputs``, each step's output is recorded under its name
    (TF-slim's ``end_points``)."""
    outputs = {} if outputs is None else outputs
    for name, step in steps:
        if isinstance(step, Conv):
            x = conv_bn(x, step.filters, step.kernel, strides=step.strides,
                        padding=step.padding, style=style, name=name)
        elif isinstance(step, Pool):
            x = pool(x, step, name=name, style=style)
        elif callable(step):
            x = step(x, name=name, style=style)
        else:
            x = inception_block(x, step, name=name, style=style)
        outputs[name] = x
    return x


def residual_stages(x, spec, style, counts, outputs):
    """Inception-ResNet-A/B/C stages with their reductions (Figures 15, 7,
    18; Inception-ResNet-v1 and -v2). ``counts``: the scaled blocks per stage
    (``None``: ``spec.repeats``); each block's output is recorded in the
    dict ``outputs``."""
    n_a, n_b, n_c = counts or spec.repeats
    s_a, s_b, s_c = spec.scales
    stages = ((n_a, "block35", spec.block35, s_a, "mixed_6a",
               spec.reduction_a),
              (n_b, "block17", spec.block17, s_b, "mixed_7a",
               spec.reduction_b),
              (n_c, "block8", spec.block8, s_c, None, None))
    for n, prefix, branches, scale, reduction, reduce in stages:
        for i in range(1, n + 1):
            x = residual_block(x, branches, scale=scale, name=f"{prefix}_{i}",
                               style=style)
            outputs[f"{prefix}_{i}"] = x
        if reduction:
            x = inception_block(x, reduce, name=reduction, style=style)
            outputs[reduction] = x
    # Both released implementations (TF-slim's IR-v2, FaceNet's IR-v1) end
    # with one more Inception-ResNet-C block, unscaled and without ReLU.
    x = residual_block(x, spec.block8, scale=1.0, activation=None,
                       name=f"block8_{n_c + 1}", style=style)
    outputs[f"block8_{n_c + 1}"] = x
    return x


def residual_network(x, spec, style, counts=None):
    """The trunk of an Inception-ResNet network: ``spec``'s stem, stages and
    final convolution. Returns ``(x, end_points)``, the maps at strides 4,
    8, 16 and 32 keyed by layer name (``spec.endpoints(counts)``)."""
    outputs = {}
    x = stem(x, spec.stem, style=style, outputs=outputs)
    x = residual_stages(x, spec, style, counts, outputs)
    if spec.final_conv:
        x = conv_bn(x, spec.final_conv, 1, name="conv_7b", style=style)
        outputs["conv_7b"] = x
    return x, {name: outputs[name] for name in spec.endpoints(counts)}


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
