"""The model registry: names, builders and metadata of every generation and
of each variant a builder argument selects (GoogLeNet without batch norm,
the paper's Inception-ResNet-v2), each with its own :class:`ModelInfo`.

Example:
    >>> list_models(include_variants=True)[:2]
    ['inception_v1', 'inception_v1_paper']
    >>> get_model_info("inception_resnet_v2_paper").builder_kwargs
    {'variant': 'paper'}
"""

from __future__ import annotations

import keras

from keras_inception.models import bn_inception
from keras_inception.models import inception_resnet_v1
from keras_inception.models import inception_resnet_v2
from keras_inception.models import inception_v1
from keras_inception.models import inception_v2
from keras_inception.models import inception_v3
from keras_inception.models import inception_v4
from keras_inception.models import names
from keras_inception.models.builder import check_block_counts

# In order of publication.
_MODULES = (inception_v1, bn_inception, inception_v2, inception_v3,
            inception_v4, inception_resnet_v1, inception_resnet_v2)
_BUILDERS = {m.INFO.name: getattr(m, m.INFO.builder) for m in _MODULES}
# Every registry entry, each generation followed by its variants.
_REGISTRY = {info.name: info for m in _MODULES for info in m.VARIANTS}
_ALIASES = {_REGISTRY[name].builder.lower(): name for name in _BUILDERS}
_BY_INPUT_NAME = {info.input_name: info for info in _REGISTRY.values()}


def list_models(include_variants=False):
    """Registry names of every generation, in order of publication; with
    ``include_variants``, each generation followed by its variants (models
    that a builder argument selects, e.g. ``inception_resnet_v2_paper`` for
    ``InceptionResNetV2(variant="paper")``).

    Example:
        >>> import keras_inception
        >>> keras_inception.list_models()[:2]
        ['inception_v1', 'bn_inception']
    """
    return list(_REGISTRY if include_variants else _BUILDERS)


def _resolve(name, argument="name"):
    return names.resolve(name, _REGISTRY, _ALIASES, list_models(), argument)


def aliases():
    """Lower-case builder names (``"inceptionv3"``) to registry names."""
    return dict(_ALIASES)


def unwrap(model):
    """The network inside ``model``: a model built with ``input_tensor``
    holds it as one nested layer; any other model is returned as it is."""
    inner = [layer for layer in model.layers
             if isinstance(layer, keras.Model)]
    if len(inner) == 1 and len(model.layers) <= 2:
        return inner[0]
    return model


def variant_of(model):
    """The :class:`~keras_inception.builder.ModelInfo` of the registry entry
    that built ``model`` (or the network nested in it), read from the name
    of its input layer (``info.input_name``, set by the builders); ``None``
    for a model this package did not build."""
    for candidate in (model, unwrap(model), *(
            layer for layer in model.layers
            if isinstance(layer, keras.Model))):
        first = candidate.layers[0].name if candidate.layers else ""
        if first in _BY_INPUT_NAME:
            return _BY_INPUT_NAME[first]
    return None


def architecture_of(model):
    """The registry name of the generation that built ``model`` (or the
    network nested in it), or ``None`` for a model this package did not
    build. The one place that answers "which architecture is this?"."""
    info = variant_of(model)
    return None if info is None else info.generation


def get_model_info(name, argument="name"):
    """The :class:`~keras_inception.builder.ModelInfo` of ``name`` (a
    generation, its builder's name or a variant): default and minimum input
    size, preprocessing, endpoints, paper figures. ``argument``: what an
    unknown name's error calls it."""
    return _REGISTRY[_resolve(name, argument)]


def get_builder(name):
    """The builder function of ``name`` (e.g. ``InceptionV3``); for a
    variant, its generation's builder."""
    return _BUILDERS[_REGISTRY[_resolve(name)].generation]


def get_model(name, **kwargs):
    """Build the model registered as ``name`` with the builder's arguments;
    a variant's name sets its builder arguments (``builder_kwargs``).

    Example:
        >>> import keras_inception
        >>> m = keras_inception.get_model("inception_v4", include_top=False,
        ...                               input_shape=(75, 75, 3))
        >>> m.output_shape
        (None, 1, 1, 1536)
    """
    info = _REGISTRY[_resolve(name)]
    if "block_counts" in kwargs and not info.block_stages:
        # Its builder has no such argument: say why, not just TypeError.
        check_block_counts(kwargs["block_counts"], info)
    for key, value in info.builder_kwargs.items():
        if key in kwargs:
            raise ValueError(f"`{key}`: {info.name!r} is built with "
                             f"{key}={value!r}; build {info.generation!r} "
                             f"to choose `{key}`.")
    return _BUILDERS[info.generation](**info.builder_kwargs, **kwargs)
