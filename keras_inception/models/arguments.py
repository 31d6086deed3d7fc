"""The builders' argument checks: every keras.applications argument (and
``width_multiplier``, ``dropout_rate``, ``aux_logits``) is checked before any
layer is built, and a bad one raises ``ValueError``/``TypeError`` naming the
argument and what it allows. :func:`resolve_input_shape` decides the input
shape as keras.applications' ``obtain_input_shape`` does.

Example:
    >>> from keras_inception.models import inception_v3
    >>> resolve_input_shape(inception_v3.INFO, input_shape=None,
    ...                     input_tensor=None, include_top=True)
    (299, 299, 3)
"""

from __future__ import annotations

import numbers
import os

import keras

from keras_inception.models.pretrained import WEIGHTS_NAMES
from keras_inception.utils.checks import check_bool, check_number

_POOLING = (None, "avg", "max")
# Larger integers overflow TensorFlow's int32 shapes.
_MAX_DIM = 2**31 - 1


def validate_common(info, *, include_top, weights, input_tensor, input_shape,
                    pooling, classes, classifier_activation, name,
                    width_multiplier, dropout_rate, aux_logits):
    """Check every builder argument; raise ``ValueError``/``TypeError``
    naming the argument and the allowed values. Returns the input shape
    (height, width, channels) to build with."""
    check_bool(include_top, "include_top")
    check_bool(aux_logits, "aux_logits")
    if aux_logits and not info.aux:
        raise ValueError(f"`aux_logits=True`: {info.builder} has no "
                         "auxiliary classifier.")
    if aux_logits and not include_top:
        raise ValueError("`aux_logits=True` needs `include_top=True`: the "
                         "auxiliary heads are classifiers.")
    if isinstance(classes, bool) or not isinstance(classes, numbers.Integral):
        raise TypeError(f"`classes` must be a positive integer; received "
                        f"{classes!r}.")
    if not 0 < classes <= _MAX_DIM:
        raise ValueError(f"`classes` must be a positive integer below "
                         f"2**31; received classes={classes}.")
    if not (pooling is None or isinstance(pooling, str)) or \
            pooling not in _POOLING:
        raise ValueError(f"`pooling` must be one of None, 'avg', 'max'; "
                         f"received {pooling!r}.")
    check_number(width_multiplier, "width_multiplier")
    if width_multiplier <= 0:
        raise ValueError(f"`width_multiplier` must be > 0; received "
                         f"{width_multiplier}.")
    check_number(dropout_rate, "dropout_rate")
    if not 0 <= dropout_rate < 1:
        raise ValueError(f"`dropout_rate` must be in [0, 1); received "
                         f"{dropout_rate}.")
    if name is not None and not isinstance(name, str):
        raise TypeError(f"`name` must be a string or None; received {name!r}.")
    if name is not None and (not name or "/" in name):
        raise ValueError(f"`name` must be a non-empty string without '/'; "
                         f"received {name!r}.")
    if classifier_activation is not None:
        if not (isinstance(classifier_activation, str)
                or callable(classifier_activation)):
            raise TypeError("`classifier_activation` must be None, a string "
                            "or a callable; received "
                            f"{classifier_activation!r}.")
        try:
            keras.activations.get(classifier_activation)
        except (ValueError, TypeError):
            raise ValueError("`classifier_activation` must name a Keras "
                             "activation (e.g. 'softmax', 'sigmoid') or be "
                             f"None; received {classifier_activation!r}."
                             ) from None
    named = isinstance(weights, str) and weights in WEIGHTS_NAMES
    if weights is not None and not named:
        if not isinstance(weights, (str, os.PathLike)):
            raise TypeError(f"`weights` must be None, one of {WEIGHTS_NAMES} "
                            "or the path to a weights file; received "
                            f"{weights!r}.")
        if not os.path.isfile(weights):
            raise ValueError(f"`weights` must be None, one of {WEIGHTS_NAMES}"
                             " or the path to an existing weights file; "
                             f"received {weights!r}.")
    if keras.config.image_data_format() != "channels_last":
        raise ValueError("keras_inception builds channels-last models only; "
                         "set keras.config.set_image_data_format("
                         "'channels_last').")
    shape = resolve_input_shape(info, input_shape=input_shape,
                                input_tensor=input_tensor,
                                include_top=include_top)
    flattening = [a.key for a in info.aux if not a.head.get("conv5x5_filters")]
    if aux_logits and flattening and None in shape[:2]:
        raise ValueError(
            f"`aux_logits=True`: {info.builder}'s auxiliary heads flatten "
            "a feature map into a dense layer (the paper's design), so "
            "`input_shape` needs a fixed height and width; received "
            f"{shape}.")
    if named:
        from keras_inception.models.pretrained import check_imagenet
        check_imagenet(info, include_top=include_top, classes=classes,
                       shape=shape, width_multiplier=width_multiplier,
                       aux_logits=aux_logits, weights=weights)
    return shape


def _check_dim(value, arg, info, index):
    label = ("height", "width", "channels")[index]
    if value is None:
        if index == 2:
            raise ValueError(f"`{arg}` must give the number of channels; "
                             f"received {label}=None.")
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{arg}` {label} must be an integer or None; "
                        f"received {value!r}.")
    if value > _MAX_DIM:
        raise ValueError(f"`{arg}` {label} must be below 2**31; received "
                         f"{value}.")
    if index == 2 and value < 1:
        raise ValueError(f"`{arg}` channels must be >= 1; received {value}.")
    if index < 2 and value < info.min_size:
        raise ValueError(
            f"`{arg}`: {info.builder} needs inputs of at least "
            f"{info.min_size}x{info.min_size} pixels (the minimum input "
            f"size); received {label}={value}.")


def resolve_input_shape(info, *, input_shape, input_tensor, include_top):
    """The (height, width, channels) to build with, as keras.applications'
    ``obtain_input_shape`` decides it (channels last): the given shape, else
    the tensor's, else the default size with a top, else any size."""
    tensor_shape = None
    if input_tensor is not None:
        if not keras.backend.is_keras_tensor(input_tensor):
            raise TypeError("`input_tensor` must be a symbolic Keras tensor "
                            "(e.g. the output of keras.Input); received "
                            f"{type(input_tensor).__name__}.")
        if len(input_tensor.shape) != 4:
            raise ValueError("`input_tensor` must have rank 4 (batch, height, "
                             f"width, channels); received shape "
                             f"{tuple(input_tensor.shape)}.")
        tensor_shape = tuple(input_tensor.shape[1:])
        for i, v in enumerate(tensor_shape):
            _check_dim(v, "input_tensor", info, i)
    if input_shape is not None:
        if not isinstance(input_shape, (tuple, list)):
            raise TypeError("`input_shape` must be a tuple (height, width, "
                            f"channels); received {input_shape!r}.")
        input_shape = tuple(input_shape)
        if len(input_shape) != 3:
            raise ValueError("`input_shape` must have 3 entries (height, "
                             "width, channels) in channels-last layout; "
                             f"received {input_shape}.")
        for i, v in enumerate(input_shape):
            _check_dim(v, "input_shape", info, i)
        if tensor_shape is not None and any(
                a is not None and b is not None and a != b
                for a, b in zip(tensor_shape, input_shape)):
            raise ValueError(f"`input_tensor` has shape {tensor_shape} but "
                             f"`input_shape` is {input_shape}.")
        return tuple(int(v) if v is not None else None for v in input_shape)
    if tensor_shape is not None:
        return tensor_shape
    if include_top:
        return (info.default_size, info.default_size, 3)
    return (None, None, 3)
