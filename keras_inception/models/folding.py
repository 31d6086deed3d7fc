"""Batch normalisation folded into the convolutions, for inference.

In inference mode a BatchNormalization after a convolution is a per-channel
affine map, ``y = (x - mean) * gamma / sqrt(var + eps) + beta``, which the
convolution can absorb: its kernel scaled by ``gamma / sqrt(var + eps)``
along the output channels, and a bias of ``beta - mean * gamma /
sqrt(var + eps)`` (plus the old bias, scaled). The network then computes
the same function (up to float rounding) with one pass over each
activation less, and TensorFlow fuses the biased convolution with its ReLU
(on CPU, oneDNN's fused convolution): in ``keras-inception benchmark`` the
folded Inception-v3 infers faster than the unfolded one and than
keras.applications' (README, "Speed beside keras.applications").

The folded model is for inference and export only: its BN statistics are
gone, so training it is training another network. Layer names stay (a
folded BN becomes an ``Identity`` of the same name), so ``get_layer``,
``model.end_points`` and the registry's ``variant_of`` still work.

Example:
    >>> import numpy as np
    >>> import keras_inception
    >>> model = keras_inception.InceptionV3(input_shape=(75, 75, 3),
    ...     width_multiplier=0.25, classes=5, weights=None)
    >>> folded = fold_batch_norm(model)
    >>> x = np.random.default_rng(0).uniform(-1, 1, (2, 75, 75, 3))
    >>> bool(np.abs(model(x) - folded(x)).max() < 1e-6)
    True
    >>> [sum(isinstance(layer, keras.layers.BatchNormalization)
    ...      for layer in m.layers) for m in (model, folded)]
    [94, 0]
"""

from __future__ import annotations

import keras
import numpy as np

__all__ = ["fold_batch_norm"]


def _producer(tensor):
    return tensor._keras_history[0]


def _foldable(model):
    """``{conv name: its BN layer}``: every BatchNormalization on the
    channel axis whose input is a channels-last Conv2D's output that feeds
    nothing else, each layer called once."""
    pairs = {}
    for bn in model.layers:
        if not isinstance(bn, keras.layers.BatchNormalization) or \
                len(bn._inbound_nodes) != 1:
            continue
        inputs = bn._inbound_nodes[0].input_tensors
        if len(inputs) != 1:
            continue
        conv = _producer(inputs[0])
        if (isinstance(conv, keras.layers.Conv2D) and
                conv.data_format == "channels_last" and
                bn.axis in (-1, len(inputs[0].shape) - 1) and
                len(conv._inbound_nodes) == 1 and
                len(conv._outbound_nodes) == 1):
            pairs[conv.name] = bn
    return pairs


def _folded_weights(conv, bn):
    """The biased convolution's ``[kernel, bias]`` (float64 arithmetic)."""
    kernel = keras.ops.convert_to_numpy(conv.kernel).astype("float64")
    bias = keras.ops.convert_to_numpy(conv.bias).astype("float64") \
        if conv.use_bias else 0.0
    mean, var = (keras.ops.convert_to_numpy(v).astype("float64")
                 for v in (bn.moving_mean, bn.moving_variance))
    gamma = keras.ops.convert_to_numpy(bn.gamma).astype("float64") \
        if bn.scale else 1.0
    beta = keras.ops.convert_to_numpy(bn.beta).astype("float64") \
        if bn.center else 0.0
    factor = gamma / np.sqrt(var + bn.epsilon)
    dtype = keras.backend.standardize_dtype(conv.kernel.dtype)
    return [(kernel * factor).astype(dtype),
            ((bias - mean) * factor + beta).astype(dtype)]


def fold_batch_norm(model):
    """An inference copy of ``model`` with each batch normalisation that
    directly follows a convolution folded into it.

    Every other layer is copied with its weights; nested functional models
    (a network built with ``input_tensor``) are folded too. ``model`` is not
    changed.

    Args:
        model: a functional ``keras.Model`` (any model of this package,
            with or without its auxiliary heads).

    Returns:
        A new ``keras.Model`` with the same inputs, outputs, name and layer
        names, computing the same function in inference mode.

    Raises:
        TypeError: if ``model`` is not a functional ``keras.Model``.
    """
    if not isinstance(model, keras.Model) or \
            getattr(model, "_nodes_by_depth", None) is None:
        raise TypeError(f"`model` must be a functional keras.Model; "
                        f"received {type(model).__name__}.")
    pairs = _foldable(model)
    folded_bns = {bn.name for bn in pairs.values()}

    def clone(layer):
        if isinstance(layer, keras.Model) and \
                getattr(layer, "_nodes_by_depth", None) is not None:
            return fold_batch_norm(layer)
        if layer.name in folded_bns:
            return keras.layers.Identity(name=layer.name)
        config = layer.get_config()
        if layer.name in pairs:
            config["use_bias"] = True
        return layer.__class__.from_config(config)

    def call(layer, *args, **kwargs):
        # An Identity takes no BN arguments (mask, training).
        if layer.name in folded_bns:
            return layer(args[0])
        return layer(*args, **kwargs)

    new = keras.models.clone_model(model, clone_function=clone,
                                   call_function=call)
    for layer in new.layers:
        # Folded BNs have no weights, nested models came folded, and cloned
        # input layers are renamed.
        if not layer.weights or isinstance(layer, keras.Model):
            continue
        old = model.get_layer(layer.name)
        if layer.name in pairs:
            layer.set_weights(_folded_weights(old, pairs[layer.name]))
        elif old.weights:
            layer.set_weights(old.get_weights())
    if hasattr(model, "end_points"):
        new.end_points = dict(model.end_points)
    return new
