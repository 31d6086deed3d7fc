"""Pretrained ImageNet weights: one table of every generation's published
checkpoint, and the download that fetches, checks and caches it.

:data:`WEIGHTS` is the one place for these facts (the builders' errors and
the README's table read it); :data:`ALTERNATIVES` holds the weights of a
second source under another name (``weights="imagenet-torchvision"``). InceptionV3 and InceptionResNetV2 build the
same graphs as keras.applications (interchange tested, logits equal), so
the official Keras files load directly; the other generations' published
checkpoints are PyTorch ones, to come through converters (``source`` names
whose they are), and two generations have none published at all.

:func:`fetch` downloads with ``keras.utils.get_file`` into
``$KERAS_HOME/models`` (default ``~/.keras/models``), checks the file's
hash, and removes a file that fails the check from the cache, so the next
call downloads it again.

Example:
    >>> entry = WEIGHTS["inception_v3"]
    >>> entry.source, entry.top1, entry.available
    ('keras.applications', 77.9, True)
    >>> WEIGHTS["inception_v2"].available
    False
    >>> WEIGHTS_NAMES
    ('imagenet', 'imagenet-torchvision')
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import urllib.parse
from typing import Optional

_KERAS = ("https://storage.googleapis.com/tensorflow/keras-applications/")


@dataclasses.dataclass(frozen=True)
class WeightsFile:
    """One downloadable file: where it is and its hash (``md5`` or
    ``sha256``, as ``keras.utils.get_file`` takes it; a shorter
    ``file_hash`` is the leading hex digits of the hash, torch.hub's
    convention for the names of its files)."""

    origin: str
    file_hash: str
    hash_algorithm: str = "md5"

    @property
    def filename(self):
        return os.path.basename(urllib.parse.urlsplit(self.origin).path)

    @property
    def is_prefix(self):
        return len(self.file_hash) < {"md5": 32, "sha256": 64}[
            self.hash_algorithm]


@dataclasses.dataclass(frozen=True)
class PretrainedWeights:
    """A generation's published ImageNet checkpoint.

    ``source``: whose checkpoint (``"keras.applications"``, ``"timm"``,
    ``"torchvision"``, ``"pretrainedmodels"``, or ``"none"``); ``top`` and
    ``no_top``: the files with and without the classifier (``None`` until
    this package loads them); ``top1``: the single-crop ImageNet top-1 (%)
    the source reports (``../shared/reference/models.md``); ``how``: how a
    user gets them.
    """

    source: str
    license: str
    preprocessing: str
    input_size: int
    top: Optional[WeightsFile] = None
    no_top: Optional[WeightsFile] = None
    top1: Optional[float] = None
    how: str = ""
    # Where the published checkpoint is another framework's: the module
    # (``load_published(model, path, name)``) and its name in the source.
    converter: Optional[str] = None
    source_name: str = ""
    tag: str = ""
    # The registry entry the weights fit when it is a variant
    # (torchvision's GoogLeNet is not the default InceptionV1).
    variant: str = ""

    @property
    def available(self):
        return self.top is not None and self.no_top is not None


def _keras_applications(model, top_md5, no_top_md5, top1):
    """An official Keras file pair: ``<model>/<model>_weights_tf_dim_
    ordering_tf_kernels[_notop].h5`` with their md5 hashes."""
    stem = f"{_KERAS}{model}/{model}_weights_tf_dim_ordering_tf_kernels"
    return PretrainedWeights(
        "keras.applications", "Apache-2.0", "tf", 299,
        top=WeightsFile(f"{stem}.h5", top_md5),
        no_top=WeightsFile(f"{stem}_notop.h5", no_top_md5), top1=top1,
        how='weights="imagenet"')


_TIMM_V4 = WeightsFile(
    "https://github.com/rwightman/pytorch-image-models/releases/download/"
    "v0.1-cadene/inceptionv4-8e4777a0.pth", "8e4777a0", "sha256")

_TORCHVISION_GOOGLENET = WeightsFile(
    "https://download.pytorch.org/models/googlenet-1378be20.pth", "1378be20",
    "sha256")

_TORCHVISION_V3 = WeightsFile(
    "https://download.pytorch.org/models/inception_v3_google-0cc3c7bd.pth",
    "0cc3c7bd", "sha256")

_PRETRAINEDMODELS_BNINCEPTION = WeightsFile(
    "http://data.lip6.fr/cadene/pretrainedmodels/bn_inception-52deb4733.pth",
    "52deb4733", "sha256")

WEIGHTS = {
    # torchvision's GoogLeNet (ported from TensorFlow), with its aux heads.
    "inception_v1": PretrainedWeights(
        "torchvision", "BSD-3-Clause", "tf", 224,
        top=_TORCHVISION_GOOGLENET, no_top=_TORCHVISION_GOOGLENET,
        top1=69.78,
        how='InceptionV1(variant="torchvision", weights="imagenet") '
        "(torchvision's checkpoint, converted on first use)",
        converter="keras_inception.convert.api", source_name="googlenet",
        tag="imagenet1k_v1", variant="inception_v1_torchvision"),
    # The Caffe model (Xiong's TSN release) as pretrainedmodels ported it;
    # top-1 as pretrainedmodels' README reports it (73.522).
    "bn_inception": PretrainedWeights(
        "pretrainedmodels", "BSD-3-Clause", "caffe_bninception", 224,
        top=_PRETRAINEDMODELS_BNINCEPTION,
        no_top=_PRETRAINEDMODELS_BNINCEPTION, top1=73.5,
        how='BNInception(variant="caffe", weights="imagenet") '
        "(pretrainedmodels' checkpoint, converted on first use)",
        converter="keras_inception.convert.api", source_name="bninception",
        tag="imagenet", variant="bn_inception_caffe"),
    "inception_v2": PretrainedWeights(
        "none", "-", "tf", 299, how="none published"),
    "inception_v3": _keras_applications(
        "inception_v3", "9a0d58056eeedaa3f26cb7ebd46da564",
        "bcbd6486424b2319ff4ef7d526e38f63", top1=77.9),
    # TF-slim's checkpoint as timm ported it (1001 classes, background
    # first), at timm's release address; its name carries its sha256 prefix.
    "inception_v4": PretrainedWeights(
        "timm", "Apache-2.0", "tf", 299,
        top=_TIMM_V4, no_top=_TIMM_V4, top1=80.2,
        how='weights="imagenet" (timm\'s checkpoint, converted on first use)',
        converter="keras_inception.convert.api", source_name="inception_v4",
        tag="tf_in1k"),
    "inception_resnet_v1": PretrainedWeights(
        "none", "-", "tf", 299, how="none published"),
    "inception_resnet_v2": _keras_applications(
        "inception_resnet_v2", "e693bd0210a403b3192acc6073ad2e96",
        "d19885ff4a710c122648d3b5c3b684e4", top1=80.3),
}


# Named alternatives to a generation's ``weights="imagenet"``, where a
# second source published weights for a variant of it:
# ``{weights name: {generation: entry}}``.
ALTERNATIVES = {
    "imagenet-torchvision": {
        # Google's Inception-v3 weights as torchvision ported them (its
        # ``transform_input`` maps its normalised inputs back to [-1, 1],
        # 'tf' mode); top-1 as torchvision reports it (77.294).
        "inception_v3": PretrainedWeights(
            "torchvision", "BSD-3-Clause", "tf", 299,
            top=_TORCHVISION_V3, no_top=_TORCHVISION_V3, top1=77.3,
            how='InceptionV3(variant="torch", '
            'weights="imagenet-torchvision") (torchvision\'s checkpoint, '
            "converted on first use)",
            converter="keras_inception.convert.api",
            source_name="inception_v3", tag="imagenet1k_v1",
            variant="inception_v3_torch"),
    },
}
# Every name ``weights`` takes besides None and a path.
WEIGHTS_NAMES = ("imagenet", *ALTERNATIVES)


def entry_for(info, weights="imagenet"):
    """The table entry behind ``weights`` (one of :data:`WEIGHTS_NAMES`)
    for ``info``'s generation, or ``None``."""
    table = WEIGHTS if weights == "imagenet" else ALTERNATIVES[weights]
    return table.get(info.generation or info.name)


def _fits(entry, info):
    return entry is not None and entry.available and (
        entry.variant or info.generation or info.name) == info.name


def _with_weights(weights):
    table = WEIGHTS if weights == "imagenet" else ALTERNATIVES[weights]
    return [name for name, entry in table.items() if entry.available]


def check_imagenet(info, *, include_top, classes, shape,
                   width_multiplier=1.0, aux_logits=False,
                   weights="imagenet"):
    """The checks keras.applications makes of ``weights="imagenet"`` (or
    another of :data:`WEIGHTS_NAMES`), for the registry entry ``info``
    built at ``shape`` (H, W, C), and that the network is the published one
    (full width, no auxiliary heads)."""
    label = f"`weights={weights!r}`"
    entry = entry_for(info, weights)
    if not _fits(entry, info):
        fitting = [w for w in WEIGHTS_NAMES if _fits(entry_for(info, w), info)]
        hint = (f" This variant's published weights: weights={fitting[0]!r}."
                if fitting else "")
        if entry is not None and entry.available:
            target = entry.variant or info.generation or info.name
            raise ValueError(
                f"{label}: the published {info.builder} weights of that "
                f"name are {entry.source}'s, which fit {target!r}: "
                f"{entry.how.split(' (')[0]}.{hint}")
        what = ("this variant" if info.builder_kwargs else
                f"{info.builder} ({entry.source}: {entry.how})"
                if entry else info.builder)
        alternatives = "; ".join(
            f"{name!r} for {', '.join(_with_weights(name))}"
            for name in ALTERNATIVES)
        raise ValueError(
            f"{label}: no such weights for {what}.{hint} Generations with "
            f"{weights!r} weights: {', '.join(_with_weights(weights))}; "
            "`weights` takes None (random initialisation), 'imagenet' for "
            "the generations the README's weights table lists, "
            f"{alternatives}, or the path to a weights file (.weights.h5, "
            ".h5).")
    if width_multiplier != 1 or aux_logits:
        raise ValueError(
            f"{label} loads the published network: "
            "`width_multiplier=1.0` and no auxiliary heads (received "
            f"width_multiplier={width_multiplier}, aux_logits={aux_logits}).")
    if include_top and classes != 1000:
        raise ValueError(f"{label} with `include_top=True` "
                         "needs `classes=1000` (the ImageNet classifier); "
                         f"received classes={classes}.")
    if shape[-1] != 3:
        raise ValueError(f"{label} needs 3 input channels; "
                         f"received input_shape={tuple(shape)}.")
    size = entry.input_size
    if include_top and tuple(shape[:2]) != (size, size):
        raise ValueError(
            f"{label} with `include_top=True` needs "
            f"input_shape=({size}, {size}, 3), the classifier's; received "
            f"{tuple(shape)}. Use include_top=False for other sizes.")


def _cache():
    # Read now: keras.config.keras_home() is fixed when Keras is imported.
    cache = os.environ.get("KERAS_HOME") or os.path.join(
        os.path.expanduser("~"), ".keras")
    # get_file falls back to /tmp/.keras for a folder that does not exist.
    os.makedirs(os.path.join(cache, "models"), exist_ok=True)
    return cache


def _download(file):
    """The cached, hash-checked path of ``file`` (see :func:`fetch`)."""
    import keras

    from keras_inception.utils.files import sha256

    cache = _cache()
    target = os.path.join(cache, "models", file.filename)
    refused = ValueError(
        f"`weights='imagenet'`: the download of {file.origin} is truncated "
        f"or corrupted (its {file.hash_algorithm} is not {file.file_hash}"
        f"{'...' if file.is_prefix else ''}); the file was removed from "
        f"{cache}/models, so the next call downloads it again.")
    try:
        path = keras.utils.get_file(
            file.filename, file.origin,
            file_hash=None if file.is_prefix else file.file_hash,
            hash_algorithm=file.hash_algorithm, cache_subdir="models",
            cache_dir=cache)
    except ValueError:
        if os.path.exists(target):
            os.remove(target)
        raise refused from None
    except Exception as err:   # get_file raises Exception for URL errors
        raise OSError(f"`weights='imagenet'`: cannot download "
                      f"{file.origin} into {cache}/models ({err}); copy "
                      f"the file there by hand on a machine without "
                      "network.") from None
    if file.is_prefix and not sha256(path).startswith(file.file_hash):
        os.remove(path)
        raise refused
    return path


def fetch(info, include_top, model=None, weights="imagenet"):
    """The cached path of ``info``'s ImageNet weights named ``weights``
    (one of :data:`WEIGHTS_NAMES`; with or without its classifier),
    downloaded and hash-checked on first use; a checkpoint of another
    framework is converted into ``model`` (the network being built) by the
    entry's converter and cached as ``.weights.h5``.

    Raises:
        ValueError: the file fails its hash check (it is removed from the
            cache).
        OSError: the download failed (no network, origin unreachable).
    """
    entry = entry_for(info, weights)
    file = entry.top if include_top else entry.no_top
    if entry.converter is None:
        return _download(file)
    from keras_inception.utils.atomic import atomic_path

    converted = os.path.join(
        _cache(), "models", f"{info.name}_{entry.source}_{entry.tag}"
        f"{'' if include_top else '_notop'}.weights.h5")
    if not os.path.exists(converted):
        raw = _download(file)
        importlib.import_module(entry.converter).load_published(
            model, raw, entry.source_name, entry.source)
        with atomic_path(converted, suffix=".weights.h5") as tmp:
            model.save_weights(tmp)
    return converted


def weights_table():
    """Rows of the README's weights table: ``(model, source, top-1,
    licence, how to get them)``, every generation then the named
    alternatives."""
    entries = [*WEIGHTS.items(), *((name, e) for table in
                                   ALTERNATIVES.values()
                                   for name, e in table.items())]
    return [(name, e.source, "-" if e.top1 is None else f"{e.top1:.1f}",
             e.license, e.how) for name, e in entries]
