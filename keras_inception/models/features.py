"""Multi-scale feature extraction for detection and segmentation backbones.

Every builder records the layers of its feature maps at strides 4, 8, 16 and
32 on the model it builds (``model.end_points``, as its body returned them:
TF-slim's ``end_points``, timm's ``feature_info``), so a backbone is one
call rather than ``get_layer`` archaeology. Because the stems use 'valid'
convolutions and pools, maps are within a couple of pixels of
``input_size / stride`` (299 -> 71, 35, 17, 8), as in TF-slim and timm.

The endpoints follow a builder's ``block_counts``: each is the last block
of its stage. A model without the record (loaded from a ``.keras`` file) is
recognised by its input layer, and its registry entry's endpoints are
looked up by their exact names.
"""

from __future__ import annotations

import keras

from keras_inception.models import registry
from keras_inception.models.builder import STRIDES


def _endpoint_names(model):
    """The endpoint layer names of a model built by this package, in stride
    order: its record, else its registry entry's (default depth)."""
    recorded = getattr(model, "end_points", None)
    if recorded:
        return tuple(recorded.values())
    info = registry.variant_of(model)
    if info is None:
        raise ValueError("`name_or_model` is not a model built by "
                         "keras_inception (its input layer is named "
                         f"{model.layers[0].name if model.layers else ''!r}, "
                         "not '<model name>_input'); pass a name "
                         f"from {registry.list_models()} instead.")
    return info.endpoints


def feature_extractor(name_or_model, input_shape=None, **kwargs):
    """A model returning the feature maps at strides 4, 8, 16 and 32.

    Args:
        name_or_model: a registry name (``"inception_v3"``) or a model built
            by this package (its weights are shared, its head ignored).
        input_shape: with a name, the input shape (any size from the
            generation's minimum; ``None`` for any size).
        **kwargs: with a name, more builder arguments (``weights``,
            ``width_multiplier``, ``variant``, ``block_counts``, ...).

    Returns:
        A ``keras.Model`` whose output is a dict ``{endpoint name: map}``
        ordered by stride; ``feature_info(model)`` lists names, strides and
        channels.

    Example:
        >>> import keras_inception
        >>> fx = keras_inception.feature_extractor("inception_v3",
        ...                                        input_shape=(299, 299, 3))
        >>> [tuple(t.shape[1:]) for t in fx.output.values()]
        [(71, 71, 192), (35, 35, 288), (17, 17, 768), (8, 8, 2048)]
    """
    if isinstance(name_or_model, keras.Model):
        if input_shape is not None or kwargs:
            raise ValueError("`input_shape` and builder arguments apply only "
                             "when `name_or_model` is a name.")
        model = registry.unwrap(name_or_model)
    elif isinstance(name_or_model, str):
        for banned in ("include_top", "pooling", "aux_logits"):
            if banned in kwargs:
                raise ValueError(f"`{banned}` cannot be set for a feature "
                                 "extractor (it has no head).")
        model = registry.get_model(name_or_model, include_top=False,
                                   input_shape=input_shape, **kwargs)
    else:
        raise TypeError("`name_or_model` must be a model name or a "
                        "keras.Model built by keras_inception; received "
                        f"{type(name_or_model).__name__}.")
    by_name = {layer.name: layer for layer in model.layers}
    outputs = {}
    for name in _endpoint_names(model):
        if name not in by_name:
            raise ValueError(
                f"`name_or_model`: model {model.name!r} has no feature "
                f"endpoint layer {name!r}; a keras_inception model keeps the "
                "layer names its builder gave (a model loaded from a file "
                "is looked up at its generation's default depth).")
        outputs[name] = by_name[name].output
    return keras.Model(model.inputs, outputs,
                       name=f"{model.name}_features")


def feature_info(model):
    """``[{"name", "stride", "channels"}]`` for a feature extractor."""
    return [{"name": n, "stride": s, "channels": int(t.shape[-1])}
            for (n, t), s in zip(model.output.items(), STRIDES)]
