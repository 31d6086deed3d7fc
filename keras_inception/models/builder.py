"""The keras.applications-style model builder shared by every generation.

Each generation module supplies a :class:`ModelInfo` (metadata and paper
figures, one registry entry) and a ``body`` function that builds its trunk
from the shared layer factories; :func:`build_model` does the rest the same
way for all seven: argument checks, input resolution, the classifier and
auxiliary heads, naming, and weight loading.
"""

from __future__ import annotations

import dataclasses
import numbers
import os
from typing import Callable, Optional

import keras
from keras import layers

from keras_inception.models import layers as L
from keras_inception.models.weights import load_weights
from keras_inception.utils.checks import check_bool, check_number
from keras_inception.models.imagenet import MODE_DESCRIPTIONS
from keras_inception.models.imagenet import preprocess_input as _preprocess



@dataclasses.dataclass(frozen=True)
class AuxSpec:
    """An auxiliary classifier: its output key, the block it taps, and the
    keyword arguments of :func:`keras_inception.layers.aux_head`."""

    key: str
    tap: str
    head: dict
    batch_norm: Optional[bool] = None  # None: as the trunk


@dataclasses.dataclass(frozen=True)
class ModelInfo:
    """Registry entry: what a user needs to know about one network.

    ``endpoints`` are the layer names of the feature maps at strides
    4, 8, 16 and 32, in that order (TF-slim's ``end_points``, timm's
    ``feature_info``). ``ref_params``/``ref_gmacs`` are the published
    figures (``ref_source`` says whose; ``../shared/reference/models.md``),
    ``None`` where unpublished; ``paper_top*_error`` are single-crop ImageNet
    errors in percent. ``block_stages`` names the stages whose blocks repeat
    (by their grid at the default 299 input) and ``block_counts`` their
    default number of blocks, what a builder's ``block_counts`` argument
    sets; both are empty for generations that take no such argument.
    """

    name: str
    builder: str
    title: str
    paper: str
    default_size: int
    min_size: int
    preprocessing: str
    endpoints: tuple[str, str, str, str]
    default_dropout: float
    aux: tuple[AuxSpec, ...] = ()
    ref_params: Optional[int] = None
    ref_gmacs: Optional[float] = None
    ref_source: str = ""
    paper_top1_error: Optional[float] = None
    paper_top5_error: Optional[float] = None
    notes: str = ""
    block_stages: tuple[str, ...] = ()
    block_counts: tuple[int, ...] = ()

    def as_dict(self):
        d = dataclasses.asdict(self)
        d["aux"] = [a.key for a in self.aux]
        return d


_POOLING = (None, "avg", "max")
# Larger integers overflow TensorFlow's int32 shapes.
_MAX_DIM = 2**31 - 1


def check_block_counts(value, info, defaults=None):
    """The per-stage block counts to build ``info``'s network with.

    ``None`` gives ``defaults`` (``info.block_counts`` unless given: the
    Inception-ResNet-v2 paper variant has its own); otherwise ``value`` must
    be a tuple or list of positive integers (bools are not integers here),
    one per stage of ``info.block_stages``. Raises TypeError/ValueError
    naming ``block_counts``, the stages and what was received, and for a
    generation without repeated stages refuses any value but ``None``.

    Example:
        >>> from keras_inception.models import inception_v4
        >>> check_block_counts([2, 3, 1], inception_v4.INFO)
        (2, 3, 1)
        >>> check_block_counts(None, inception_v4.INFO)
        (4, 7, 3)
    """
    stages = info.block_stages
    if not stages:
        if value is None:
            return ()
        raise ValueError(f"`block_counts`: {info.builder} has no stages of "
                         f"repeated blocks to count; received {value!r}.")
    if value is None:
        return tuple(info.block_counts if defaults is None else defaults)
    what = (f"a tuple of positive integers, one count per stage "
            f"({', '.join(repr(s) for s in stages)})")
    if not isinstance(value, (tuple, list)):
        raise TypeError(f"`block_counts` must be {what}; received "
                        f"{value!r}.")
    if len(value) != len(stages):
        raise ValueError(f"`block_counts` must be {what}; received "
                         f"{len(value)} counts: {value!r}.")
    for count in value:
        if isinstance(count, bool) or not isinstance(count, numbers.Integral):
            raise TypeError(f"`block_counts` must be {what}; received "
                            f"{value!r}.")
        if count < 1:
            raise ValueError(f"`block_counts` must be {what}; received "
                             f"{value!r}.")
    return tuple(int(count) for count in value)


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
    if weights == "imagenet":
        raise ValueError(
            f"`weights='imagenet'`: pretrained ImageNet weights for "
            f"{info.builder} are not packaged yet. Use `weights=None` or the "
            "path to a weights file (e.g. one saved from "
            "keras.applications).")
    if weights is not None:
        if not isinstance(weights, (str, os.PathLike)):
            raise TypeError("`weights` must be None or the path to a weights "
                            f"file; received {weights!r}.")
        if not os.path.isfile(weights):
            raise ValueError("`weights` must be None or the path to an "
                             f"existing weights file; received {weights!r}.")
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


def build_model(info: ModelInfo, body: Callable, *, include_top=True,
                weights=None, input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name=None, width_multiplier=1.0, dropout_rate=None,
                aux_logits=False, style: Optional[dict] = None,
                min_depth=16, architecture=None, **body_kwargs):
    """Build ``info``'s network with the keras.applications signature.

    ``body(x, style, **body_kwargs)`` builds the trunk and returns
    ``(output, taps)``, ``taps`` mapping block names to tensors for the
    auxiliary heads. The rest is common to all generations. The input layer
    is named ``{architecture}_input`` (default: the registry name), which is
    how :func:`keras_inception.feature_extractor` recognises a saved model.
    """
    if dropout_rate is None:
        dropout_rate = info.default_dropout
    shape = validate_common(
        info, include_top=include_top, weights=weights,
        input_tensor=input_tensor, input_shape=input_shape, pooling=pooling,
        classes=classes, classifier_activation=classifier_activation,
        name=name, width_multiplier=width_multiplier,
        dropout_rate=dropout_rate, aux_logits=aux_logits)
    classes = int(classes)
    # The default name is made unique the way Keras names layers, so two
    # instances can sit side by side in one model (keras-team/keras#7412);
    # architecture and layer names never depend on it.
    if name is None:
        uid = keras.backend.get_uid(info.name)
        name = info.name if uid == 1 else f"{info.name}_{uid - 1}"

    net_style = L.Style(width_multiplier=float(width_multiplier),
                        min_depth=min_depth, **(style or {}))
    inputs = layers.Input(shape=shape,
                          name=f"{architecture or info.name}_input")
    x, taps = body(inputs, net_style, **body_kwargs)
    outputs = L.classifier_head(x, include_top=include_top, pooling=pooling,
                                classes=classes,
                                activation=classifier_activation,
                                dropout_rate=dropout_rate)
    if aux_logits:
        outputs = {"predictions": outputs}
        for aux in info.aux:
            aux_style = net_style if aux.batch_norm is None else \
                dataclasses.replace(net_style, batch_norm=aux.batch_norm)
            outputs[aux.key] = L.aux_head(
                taps[aux.tap], name=aux.key, style=aux_style,
                classes=classes, activation=classifier_activation,
                **aux.head)
    model = keras.Model(inputs, outputs, name=name)
    if weights is not None:
        load_weights(model, weights)
    if input_tensor is not None:
        # Wrap, so that the network's layers stay inside one uniquely named
        # layer of the caller's graph.
        model = keras.Model(keras.utils.get_source_inputs(input_tensor),
                            model(input_tensor), name=name)
    return model



def preprocessor(info):
    """The ``preprocess_input(x, data_format=None)`` of one generation."""
    def preprocess_input(x, data_format=None):
        return _preprocess(x, data_format=data_format,
                           mode=info.preprocessing)
    preprocess_input.__doc__ = (
        f"Preprocess images for {info.title}: "
        f"{MODE_DESCRIPTIONS[info.preprocessing]}.\n\n"
        "Args:\n    x: float or integer images, channels last.\n"
        "    data_format: None or 'channels_last'.\n")
    return preprocess_input


def strip_aux(model):
    """The inference model without auxiliary heads, sharing all weights.

    A model built with ``aux_logits=True`` returns a dict; this returns a
    model with the single ``predictions`` output (the papers discard the
    auxiliary classifiers at inference). A model without them is returned
    as it is.

    Example:
        >>> import keras_inception
        >>> m = keras_inception.InceptionV3(aux_logits=True,
        ...                                 input_shape=(75, 75, 3))
        >>> keras_inception.strip_aux(m).output_shape
        (None, 1000)
    """
    if not isinstance(model, keras.Model):
        raise TypeError("`model` must be a keras.Model; received "
                        f"{type(model).__name__}.")
    if not isinstance(model.output, dict):
        return model
    if "predictions" not in model.output:
        raise ValueError("`model` returns a dict without a 'predictions' "
                         f"entry (keys: {sorted(model.output)}).")
    return keras.Model(model.inputs, model.output["predictions"],
                       name=model.name)
