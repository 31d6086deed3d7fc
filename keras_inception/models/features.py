"""Multi-scale feature extraction for detection and segmentation backbones.

Every generation records its endpoints at strides 4, 8, 16 and 32 in its
registry entry (TF-slim's ``end_points``, timm's ``feature_info``), so a
backbone is one call rather than ``get_layer`` archaeology. Because the
stems use 'valid' convolutions and pools, maps are within a couple of pixels
of ``input_size / stride`` (299 -> 71, 35, 17, 8), as in TF-slim and timm.

An endpoint named after a repeated block (``inception_a_4``, ``block35_10``:
a prefix and a block number) is the last block of its stage, so a model
built with other ``block_counts`` gives the same strides.
"""

from __future__ import annotations

import re

import keras

from keras_inception.models import inception_resnet_v2
from keras_inception.models import registry

STRIDES = (4, 8, 16, 32)


def _endpoints(info, kwargs):
    if info.name == "inception_resnet_v2":
        return inception_resnet_v2.endpoints(kwargs.get("variant",
                                                        "released"))
    return info.endpoints


def _endpoints_of_model(model):
    """Endpoints of a model built by this package, recognised by the name
    of its input layer (``{architecture}_input``, set by the builders)."""
    arch, variant = registry.input_layer_architecture(model)
    if variant == "paper":
        return inception_resnet_v2.endpoints("paper")
    if arch is not None:
        return registry.get_model_info(arch).endpoints
    raise ValueError("`name_or_model` is not a model built by "
                     "keras_inception (its input layer is named "
                     f"{model.layers[0].name if model.layers else ''!r}, "
                     "not '<model name>_input'); pass a name "
                     f"from {registry.list_models()} instead.")


def _resolve(model, names):
    """The layers of ``model`` at the endpoints ``names``: a repeated-block
    name stands for the stage's last block in ``model`` (the highest number
    after the same prefix), whatever its depth; other names as they are."""
    by_name = {layer.name: layer for layer in model.layers}
    out = {}
    for endpoint in names:
        block = re.fullmatch(r"(.+_)\d+", endpoint)
        if block:
            prefix = block[1]
            stage = [int(n[len(prefix):]) for n in by_name
                     if re.fullmatch(re.escape(prefix) + r"\d+", n)]
            if stage:
                endpoint = f"{prefix}{max(stage)}"
        if endpoint not in by_name:
            also = f" nor any block '{block[1]}<n>'" if block else ""
            raise ValueError(
                f"`name_or_model`: model {model.name!r} has no feature "
                f"endpoint layer {endpoint!r}{also}; a keras_inception "
                "model keeps the layer names its builder gave.")
        out[endpoint] = by_name[endpoint]
    return out


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
        names = _endpoints_of_model(model)
    elif isinstance(name_or_model, str):
        info = registry.get_model_info(name_or_model)
        for banned in ("include_top", "pooling", "aux_logits"):
            if banned in kwargs:
                raise ValueError(f"`{banned}` cannot be set for a feature "
                                 "extractor (it has no head).")
        model = registry.get_model(name_or_model, include_top=False,
                                   input_shape=input_shape, **kwargs)
        names = _endpoints(info, kwargs)
    else:
        raise TypeError("`name_or_model` must be a model name or a "
                        "keras.Model built by keras_inception; received "
                        f"{type(name_or_model).__name__}.")
    outputs = {n: layer.output for n, layer in _resolve(model, names).items()}
    return keras.Model(model.inputs, outputs,
                       name=f"{model.name}_features")


def feature_info(model):
    """``[{"name", "stride", "channels"}]`` for a feature extractor."""
    return [{"name": n, "stride": s, "channels": int(t.shape[-1])}
            for (n, t), s in zip(model.output.items(), STRIDES)]
