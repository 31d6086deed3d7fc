"""The keras.applications-style model builder shared by every generation.

Each generation module supplies a :class:`ModelInfo` per variant (metadata
and paper figures, one registry entry each) and a ``body`` function that
builds its trunk from the shared layer factories and returns its endpoints;
:func:`build_model` does the rest the same way for all seven: argument
checks, input resolution, the classifier and auxiliary heads, naming, the
endpoint record, and weight loading.
"""

from __future__ import annotations

import dataclasses
import numbers
from typing import Callable, Optional

import keras
from keras import layers

from keras_inception.models import layers as L
from keras_inception.models.arguments import validate_common
from keras_inception.models.imagenet import MODE_DESCRIPTIONS
from keras_inception.models.imagenet import preprocess_input as _preprocess
from keras_inception.models.pretrained import WEIGHTS_NAMES
from keras_inception.models.weights import load_weights

# The strides of the feature endpoints, in the order every body returns them.
STRIDES = (4, 8, 16, 32)


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

    ``name`` is the entry's registry name; a variant of a generation (e.g.
    ``"inception_resnet_v2_paper"``) names its ``generation`` and the
    ``builder_kwargs`` that select it (``{"variant": "paper"}``); for the
    generation's default network ``generation`` is ``name`` and
    ``builder_kwargs`` empty. The builders name the input layer
    ``input_name`` (``{name}_input``), which is how a saved model is
    recognised. ``endpoints`` are the layer names of the feature maps at
    strides 4, 8, 16 and 32 at the default depth, in that order (TF-slim's
    ``end_points``, timm's ``feature_info``). ``ref_params``/``ref_gmacs``
    are the published figures (``ref_source`` says whose;
    ``../shared/reference/models.md``), ``None`` where unpublished;
    ``paper_top*_error`` are single-crop ImageNet errors in percent.
    ``block_stages`` names the stages whose blocks repeat (by their grid at
    the default 299 input) and ``block_counts`` their default number of
    blocks, what a builder's ``block_counts`` argument sets; both are empty
    for generations that take no such argument.
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
    generation: str = ""  # "": this entry is the generation's default
    builder_kwargs: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        if not self.generation:
            object.__setattr__(self, "generation", self.name)

    @property
    def input_name(self):
        return f"{self.name}_input"

    def as_dict(self):
        d = dataclasses.asdict(self)
        d["aux"] = [a.key for a in self.aux]
        return d


def choose_variant(variant, choices):
    """``choices[variant]`` (a builder's ``variant`` argument), or
    ``ValueError`` naming ``variant`` and the names it takes."""
    if not isinstance(variant, str) or variant not in choices:
        raise ValueError(f"`variant` must be one of {sorted(choices)}; "
                         f"received {variant!r}.")
    return choices[variant]


def check_block_counts(value, info):
    """The per-stage block counts to build ``info``'s network with.

    ``None`` gives ``info.block_counts`` (each variant has its own);
    otherwise ``value`` must be a tuple or list of positive integers (bools
    are not integers here), one per stage of ``info.block_stages``. Raises
    TypeError/ValueError naming ``block_counts``, the stages and what was
    received, and for a generation without repeated stages refuses any
    value but ``None``.

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
        return tuple(info.block_counts)
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


def build_model(info: ModelInfo, body: Callable, *, include_top=True,
                weights=None, input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name=None, width_multiplier=1.0, dropout_rate=None,
                aux_logits=False, style: Optional[dict] = None,
                min_depth=16, **body_kwargs):
    """Build ``info``'s network with the keras.applications signature.

    ``body(x, style, **body_kwargs)`` builds the trunk and returns
    ``(output, end_points)``: ``end_points`` maps layer names to tensors,
    first the feature maps at strides 4, 8, 16 and 32 in that order, then
    any other block an auxiliary head taps. The rest is common to all
    generations. The model is named ``name``, by default the registry name
    ``info.name`` (never numbered: two networks in one model need names of
    their own); the input layer is ``info.input_name``. The model records
    its feature endpoints as ``model.end_points``, ``{stride: layer name}``
    in stride order, which :func:`keras_inception.feature_extractor` reads.
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
    name = info.name if name is None else name

    net_style = L.Style(width_multiplier=float(width_multiplier),
                        min_depth=min_depth, **(style or {}))
    inputs = layers.Input(shape=shape, name=info.input_name)
    x, end_points = body(inputs, net_style, **body_kwargs)
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
                end_points[aux.tap], name=aux.key, style=aux_style,
                classes=classes, activation=classifier_activation,
                **aux.head)
    model = keras.Model(inputs, outputs, name=name)
    model.end_points = dict(zip(STRIDES, end_points))
    if isinstance(weights, str) and weights in WEIGHTS_NAMES:
        from keras_inception.models.pretrained import fetch
        # Downloaded (and converted) once, then cached.
        weights = fetch(info, include_top, model, weights)
    if weights is not None:
        load_weights(model, weights)
    if input_tensor is not None:
        # Wrap, so that the network's layers stay inside one layer of the
        # caller's graph; the endpoints name layers of that inner network.
        inner = model
        model = keras.Model(keras.utils.get_source_inputs(input_tensor),
                            inner(input_tensor), name=name)
        model.end_points = dict(inner.end_points)
    return model


def pick_end_points(outputs, info, endpoints=None):
    """What a body returns as ``end_points``: from ``outputs`` (every
    block's output by layer name), the maps at strides 4, 8, 16 and 32
    (``endpoints``; default ``info.endpoints``), then the blocks that
    ``info``'s auxiliary heads tap."""
    names = (*(endpoints or info.endpoints), *(a.tap for a in info.aux))
    return {name: outputs[name] for name in names}


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
    # The input as the model has it (one tensor, not a list of one): called
    # with a tensor, a model built on a list warns that the structures differ.
    stripped = keras.Model(model.input, model.output["predictions"],
                           name=model.name)
    if hasattr(model, "end_points"):
        stripped.end_points = dict(model.end_points)
    return stripped
