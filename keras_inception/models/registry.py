"""The model registry: names, builders and metadata of every generation."""

from __future__ import annotations

from keras_inception.models import bn_inception
from keras_inception.models import inception_resnet_v1
from keras_inception.models import inception_resnet_v2
from keras_inception.models import inception_v1
from keras_inception.models import inception_v2
from keras_inception.models import inception_v3
from keras_inception.models import inception_v4
from keras_inception.models.builder import check_block_counts

# In order of publication.
_MODULES = (inception_v1, bn_inception, inception_v2, inception_v3,
            inception_v4, inception_resnet_v1, inception_resnet_v2)
_REGISTRY = {m.INFO.name: (m.INFO, getattr(m, m.INFO.builder))
             for m in _MODULES}
_ALIASES = {info.builder.lower(): key for key, (info, _) in _REGISTRY.items()}


def list_models():
    """Registry names of every generation, in order of publication.

    Example:
        >>> import keras_inception
        >>> keras_inception.list_models()[:2]
        ['inception_v1', 'bn_inception']
    """
    return list(_REGISTRY)


def _resolve(name):
    if not isinstance(name, str):
        raise TypeError(f"`name` must be a model name (one of "
                        f"{list_models()}); received {name!r}.")
    key = name.strip().lower().replace("-", "_")
    key = _ALIASES.get(key, key)
    if key not in _REGISTRY:
        raise ValueError(f"Unknown model {name!r}; `name` must be one of "
                         f"{list_models()} (or their builder names, e.g. "
                         "'InceptionV3').")
    return key


def input_layer_architecture(model):
    """``(registry name, variant)`` named by the input layer of a model
    built by this package (``<architecture>_input``, set by the builders),
    or ``(None, None)``; ``variant`` is ``"paper"`` for the paper's
    Inception-ResNet-v2, else ``None``."""
    first = model.layers[0].name if model.layers else ""
    arch = first[: -len("_input")] if first.endswith("_input") else None
    if arch == inception_resnet_v2.ARCHITECTURES["paper"]:
        return inception_resnet_v2.INFO.name, "paper"
    return (arch, None) if arch in _REGISTRY else (None, None)


def unwrap(model):
    """The network inside ``model``: a model built with ``input_tensor``
    holds it as one nested layer; any other model is returned as it is."""
    import keras

    inner = [layer for layer in model.layers
             if isinstance(layer, keras.Model)]
    if len(inner) == 1 and len(model.layers) <= 2:
        return inner[0]
    return model


def architecture_of(model):
    """The registry name of the generation that built ``model`` (or the
    network nested in it), or ``None`` for a model this package did not
    build. The one place that answers "which architecture is this?"."""
    import keras

    for candidate in (model, unwrap(model), *(
            layer for layer in model.layers
            if isinstance(layer, keras.Model))):
        arch = input_layer_architecture(candidate)[0]
        if arch is not None:
            return arch
    return None


def get_model_info(name):
    """The :class:`~keras_inception.builder.ModelInfo` of ``name``: default
    and minimum input size, preprocessing, endpoints, paper figures."""
    return _REGISTRY[_resolve(name)][0]


def get_builder(name):
    """The builder function of ``name`` (e.g. ``InceptionV3``)."""
    return _REGISTRY[_resolve(name)][1]


def get_model(name, **kwargs):
    """Build the model registered as ``name`` with the builder's arguments.

    Example:
        >>> import keras_inception
        >>> m = keras_inception.get_model("inception_v4", include_top=False,
        ...                               input_shape=(75, 75, 3))
        >>> m.output_shape
        (None, 1, 1, 1536)
    """
    info, builder = _REGISTRY[_resolve(name)]
    if "block_counts" in kwargs and not info.block_stages:
        # Its builder has no such argument: say why, not just TypeError.
        check_block_counts(kwargs["block_counts"], info)
    return builder(**kwargs)
