"""The arguments of :func:`keras_inception.deploy.export.export`, checked
before anything is written: formats, quantization modes, the model's
folder name, the ONNX opset, the crop, class names and image data.

Example:
    >>> from keras_inception.deploy.arguments import (parse_formats,
    ...                                               parse_quantize)
    >>> formats = parse_formats("SavedModel, litert")
    >>> formats
    ['saved_model', 'tflite']
    >>> parse_quantize("fp32,full_int8", formats)
    ['none', 'int8']
"""

from __future__ import annotations

import functools
import inspect
import numbers
import os

import numpy as np

from keras_inception.utils.checks import check_count

FORMATS = ("saved_model", "tflite", "onnx")
# TFLite variants: "none" is float32; ONNX has int8 beside its float32.
QUANTIZE = ("none", "fp16", "dynamic", "int8")
ONNX_QUANTIZE = ("none", "int8")
_QUANTIZE_ALIASES = {"fp32": "none", "float32": "none", "float16": "fp16",
                     "dynamic_range": "dynamic", "full_int8": "int8"}
DEFAULT_OPSET = 17
OPSETS = (13, 18)   # what tf2onnx 1.17 converts to, inclusive


def _as_list(value, arg):
    if isinstance(value, str):
        items = [v.strip() for v in value.split(",")]
    elif isinstance(value, (list, tuple)) and all(
            isinstance(v, str) for v in value):
        items = [v.strip() for v in value]
    else:
        raise TypeError(f"`{arg}` must be a string or a list of strings; "
                        f"received {value!r}.")
    items = [v.lower() for v in items if v]
    if not items:
        raise ValueError(f"`{arg}` is empty.")
    return list(dict.fromkeys(items))


def parse_formats(formats):
    """``"saved_model,onnx"`` or a list -> a checked list of formats."""
    items = _as_list(formats, "formats")
    items = ["saved_model" if v in ("savedmodel", "tf_saved_model") else
             "tflite" if v in ("litert",) else v for v in items]
    unknown = [v for v in items if v not in FORMATS]
    if unknown:
        raise ValueError(f"`formats`: unknown format {unknown[0]!r}; "
                         f"allowed: {', '.join(FORMATS)}.")
    return items


def parse_quantize(quantize, formats):
    """The quantized variants to write (``["none"]`` for a TFLite export
    unless ``quantize`` says otherwise): TFLite takes every mode, ONNX
    ``int8`` (written beside its float32 file).

    Example:
        >>> parse_quantize("int8", ["onnx"])
        ['int8']
    """
    if quantize is None:
        return ["none"] if "tflite" in formats else []
    items = [_QUANTIZE_ALIASES.get(v, v)
             for v in _as_list(quantize, "quantize")]
    unknown = [v for v in items if v not in QUANTIZE]
    if unknown:
        raise ValueError(f"`quantize`: unknown mode {unknown[0]!r}; allowed: "
                         "none (fp32), fp16, dynamic, int8.")
    if "tflite" not in formats:
        allowed = ONNX_QUANTIZE if "onnx" in formats else ("none",)
        refused = [v for v in items if v not in allowed]
        if refused:
            raise ValueError(
                f"`quantize` {refused[0]} applies to the tflite format"
                f"{' only' if 'onnx' not in formats else ' (onnx: int8)'}; "
                f"{', '.join(formats)} cannot be quantized so. Add tflite "
                "to `formats` (e.g. --format tflite --quantize "
                f"{refused[0]}).")
    return items


def check_path(path):
    """The export folder ``path`` as a string (it may not exist yet)."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"`path` must be a folder path; received {path!r}.")
    path = os.fspath(path)
    if os.path.exists(path) and not os.path.isdir(path):
        raise ValueError(f"`path` {path!r} is a file, not a folder.")
    return path


def check_name(name):
    """Raises unless ``name`` can be a model folder TF Serving reads."""
    if not isinstance(name, str):
        raise TypeError(f"`name` must be a string; received {name!r}.")
    if not name or name.startswith(".") or "/" in name or "\\" in name \
            or name.isdigit():
        raise ValueError("`name` must be a non-empty folder name without "
                         "'/', not starting with '.', and not a number "
                         f"(TF Serving reads numbers as versions); received "
                         f"{name!r}.")


def default_preprocessing(preprocessing, arch):
    """``preprocessing``, else the preprocessing of the registry
    architecture ``arch`` (``None``: a model not built by this package)."""
    from keras_inception.models.imagenet import MODES

    allowed = ", ".join(map(repr, MODES))
    if preprocessing is None:
        if arch is None:
            raise ValueError(f"`preprocessing` must be given ({allowed}) "
                             "for a model not built by keras_inception.")
        from keras_inception.models import registry
        preprocessing = registry.get_model_info(arch).preprocessing
    if not isinstance(preprocessing, str) or preprocessing not in MODES:
        raise ValueError(f"`preprocessing` must be one of {allowed} or "
                         f"None; received {preprocessing!r}.")
    return preprocessing


def check_central_fraction(central_fraction):
    """Raises unless ``central_fraction`` is in (0, 1]."""
    if not isinstance(central_fraction, numbers.Real) or isinstance(
            central_fraction, bool) or not 0 < central_fraction <= 1:
        raise ValueError("`central_fraction` must be in (0, 1]; received "
                         f"{central_fraction!r}.")


def check_opset(opset):
    """Raises unless ``opset`` is within :data:`OPSETS`."""
    check_count(opset, "opset")
    if not OPSETS[0] <= opset <= OPSETS[1]:
        raise ValueError(f"`opset` must be in {OPSETS[0]}..{OPSETS[1]} "
                         f"(what tf2onnx converts to); received {opset}.")


def checked_options(formats, path, *, quantize=None, name=None,
                    version=None, central_fraction=None, parity_images=None,
                    calibration_images=None, evaluation_images=None,
                    max_pixels=None, seed=None, opset=None, overwrite=None,
                    verbose=None):
    """Checks the arguments of an export that need no model (those left
    ``None`` are not checked), so that :func:`~keras_inception.deploy.
    export.export_checkpoint` refuses them before it loads anything.

    Returns:
        ``(formats, modes, path)`` parsed.
    """
    from keras_inception.utils.checks import check_bool
    from keras_inception.utils.progress import progress_mode

    formats = parse_formats(formats)
    modes = parse_quantize(quantize, formats)
    path = check_path(path)
    count = functools.partial(functools.partial, check_count)
    for value, check in (
            (name, check_name), (central_fraction, check_central_fraction),
            (opset, check_opset), (verbose, progress_mode),
            (overwrite, functools.partial(check_bool, arg="overwrite")),
            (version, count(arg="version")),
            (parity_images, count(arg="parity_images")),
            (calibration_images, count(arg="calibration_images")),
            (evaluation_images, count(arg="evaluation_images")),
            (max_pixels, count(arg="max_pixels")),
            (seed, count(arg="seed", minimum=0))):
        if value is not None:
            check(value)
    return formats, modes, path


def check_before_loading(formats, path, **kwargs):
    """:func:`checked_options` of those ``kwargs`` (an export's) it
    knows: what ``export_checkpoint`` refuses before it loads a model."""
    known = inspect.signature(checked_options).parameters
    checked_options(formats, path, **{k: v for k, v in kwargs.items()
                                      if k in known})


def check_top_k(top_k, classes):
    """``top_k`` checked against ``classes`` (``None``: 5, or all classes
    when there are fewer)."""
    if top_k is None:
        top_k = min(5, classes)
    check_count(top_k, "top_k")
    if top_k > classes:
        raise ValueError(f"`top_k` must be at most the number of classes "
                         f"({classes}); received {top_k}.")
    return top_k


def check_class_names(class_names, classes):
    """One name per class (``None``: ImageNet's names for 1000 classes,
    else ``"0"``, ``"1"``, ...)."""
    if class_names is None:
        if classes == 1000:
            from keras_inception.models.imagenet import imagenet_class_names
            return imagenet_class_names()
        return [str(i) for i in range(classes)]
    if isinstance(class_names, str) or not all(
            isinstance(c, str) for c in class_names):
        raise TypeError("`class_names` must be a list of strings; received "
                        f"{class_names!r}.")
    class_names = list(class_names)
    if len(class_names) != classes:
        raise ValueError(f"`class_names` has {len(class_names)} names but the "
                         f"model has {classes} classes.")
    return class_names


def take_images(data, count, image_size, arg):
    """Up to ``count`` images (and labels, when given) from a tf.data
    dataset or iterable of batches ``images`` or ``(images, labels)``, or
    an array."""
    if data is None:
        return None, None
    if isinstance(data, np.ndarray):
        data = [data]
    images, labels, n, labelled = [], [], 0, True
    try:
        iterator = iter(data)
    except TypeError:
        raise TypeError(f"`{arg}` must be a tf.data.Dataset, an array or an "
                        "iterable of image batches; received "
                        f"{type(data).__name__}.") from None
    for batch in iterator:
        x, y = (batch[0], batch[1]) if isinstance(batch, (tuple, list)) \
            else (batch, None)
        x = np.asarray(x, np.float32)
        if x.ndim == 3:
            x = x[None]
        if x.shape[1:] != (image_size, image_size, 3):
            raise ValueError(f"`{arg}` must hold images of shape "
                             f"({image_size}, {image_size}, 3) in 0-255; "
                             f"received a batch of shape {x.shape}.")
        images.append(x)
        if y is None:
            labelled = False
        else:
            labels.append(np.asarray(y).reshape(-1))
        n += len(x)
        if n >= count:
            break
    if not images:
        raise ValueError(f"`{arg}` holds no images.")
    images = np.concatenate(images)[:count]
    labels = np.concatenate(labels)[:count] if labelled else None
    return images, labels
