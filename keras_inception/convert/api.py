"""``from_torch`` and ``convert_checkpoint``: PyTorch checkpoints as our
Keras models and ``.weights.h5`` files.

The sources and the architectures each can convert are
:data:`SOURCES`; a checkpoint may be a published one or a user's own
fine-tuned one (its classifier's size sets ``classes``).

Example:
    >>> sorted(SOURCES["timm"])
    ['inception_resnet_v2', 'inception_v3', 'inception_v4']
    >>> sorted(SOURCES["torchvision"])
    ['googlenet', 'inception_v3']
    >>> sorted(SOURCES["pretrainedmodels"])
    ['bninception']
"""

from __future__ import annotations

import logging
import os

from keras_inception.convert import pretrainedmodels, timm, torchvision
from keras_inception.convert.checkpoints import read_state_dict
from keras_inception.convert.loader import check_names, load_state_dict

# source library -> {its model name: Mapping}
SOURCES = {"timm": timm.MAPPINGS, "torchvision": torchvision.MAPPINGS,
           "pretrainedmodels": pretrainedmodels.MAPPINGS}

_LOG = logging.getLogger("keras_inception.convert")


def mapping_for(name, source="timm"):
    """The :class:`~keras_inception.convert.loader.Mapping` that converts
    ``source``'s model ``name``; raises ``ValueError`` naming the argument
    and the values taken."""
    if not isinstance(source, str) or source not in SOURCES:
        raise ValueError(f"`source` must be one of {sorted(SOURCES)}; "
                         f"received {source!r}.")
    tables = SOURCES[source]
    if not isinstance(name, str) or name not in tables:
        raise ValueError(f"`name` must be one of {sorted(tables)} for "
                         f"source={source!r}; received {name!r}.")
    return tables[name]


def _classes(tensors, mapping, kwargs):
    """``classes`` for the builder: the user's, else the checkpoint
    classifier's rows less a TF-slim background row (1001 -> 1000)."""
    if "classes" in kwargs:
        return kwargs.pop("classes")
    weight = tensors.get(f"{mapping.classifier}.weight")
    if weight is None:
        return 1000
    rows = int(weight.shape[0])
    return 1000 if rows == 1001 else rows


def from_torch(name, checkpoint, source="timm", *, log=None, **kwargs):
    """Our model of ``source``'s ``name``, with the weights of the PyTorch
    ``checkpoint`` (``.safetensors`` without torch; ``.pth``/``.bin`` with
    torch installed).

    Args:
        name: the source's model name (``"inception_v4"``).
        checkpoint: path to the checkpoint file.
        source: the library that wrote it (:data:`SOURCES`).
        log: called with one line per stage (default: this module's
            logger at INFO).
        **kwargs: builder arguments (``include_top``, ``input_shape``,
            ``aux_logits``, ``classes``, ...); ``classes`` defaults to the
            checkpoint classifier's (1001 rows count as 1000 classes: the
            background row is dropped).

    Returns:
        The Keras model; its logits match the source model's (tested to
        1e-4 on random weights).

    Example:
        >>> model = from_torch("inception_v4", "inception_v4.safetensors")
        ... # doctest: +SKIP
    """
    from keras_inception.models.registry import get_model

    say = log or _LOG.info
    mapping = mapping_for(name, source)
    if "weights" in kwargs:
        raise ValueError("`weights`: from_torch takes its weights from "
                         "`checkpoint`; leave `weights` out.")
    tensors = read_state_dict(checkpoint)
    say(f"read {len(tensors)} tensors from {os.fspath(checkpoint)}")
    # A checkpoint of another architecture fails here, not after a build.
    check_names(tensors, mapping, SOURCES[source].values(),
                kwargs.get("name"))
    classes = _classes(tensors, mapping, kwargs)
    model = get_model(mapping.model, weights=None, classes=classes, **kwargs)
    say(f"built {mapping.model} ({model.count_params():,} parameters, "
        f"{classes} classes)")
    notes = load_state_dict(model, tensors, mapping,
                            others=SOURCES[source].values())
    for note in notes:
        say(note)
    say(f"converted {source}'s {name}: {len(mapping.units)} modules")
    return model


def load_published(model, checkpoint, name, source="timm"):
    """Assign the published ``source`` checkpoint of ``name`` to the built
    ``model``: the converter behind ``weights="imagenet"`` where the
    published weights are PyTorch ones (see
    :mod:`keras_inception.models.pretrained`)."""
    mapping = mapping_for(name, source)
    _LOG.info("converting %s's %s checkpoint (once: it is cached as "
              ".weights.h5)", source, name)
    for note in load_state_dict(model, read_state_dict(checkpoint), mapping,
                                others=SOURCES[source].values()):
        _LOG.info(note)


def convert_checkpoint(name, checkpoint, output, source="timm", *, log=None,
                       **kwargs):
    """Convert ``checkpoint`` with :func:`from_torch` and save the weights
    to ``output`` (``.weights.h5``), written under a temporary name and
    renamed, so a failure leaves no partial file. Returns ``output``."""
    from keras_inception.utils.atomic import atomic_path

    output = os.fspath(output)
    if not output.endswith(".weights.h5"):
        raise ValueError("`output` must end in .weights.h5 (Keras's weights "
                         f"format); received {output!r}.")
    say = log or _LOG.info
    model = from_torch(name, checkpoint, source, log=say, **kwargs)
    with atomic_path(output, suffix=".weights.h5") as tmp:
        model.save_weights(tmp)
    say(f"wrote {output} ({os.path.getsize(output) / 2**20:.1f} MiB)")
    return output
