"""ImageNet-1k input preprocessing and prediction decoding.

This module holds the helpers that sit on either side of an ImageNet
classifier: :func:`preprocess_input` turns raw RGB pixel values into what a
network expects, and :func:`decode_predictions` turns its 1000 class scores
back into WordNet ids and readable names.

The class index (``resources/imagenet_class_index.json``) is packaged with
``keras_inception``, so nothing is downloaded at run time.  It is generated
by ``tools/make_imagenet_class_index.py``.
"""

import functools
import importlib.resources
import json
import numbers
import operator

import keras
import numpy as np

__all__ = [
    "preprocess_input",
    "decode_predictions",
    "imagenet_class_names",
    "imagenet_wnids",
]

NUM_CLASSES = 1000

MODES = ("tf", "torch", "caffe", "caffe_bninception")
# What each mode does, in words (model docstrings, export manifests).
MODE_DESCRIPTIONS = {
    "tf": "scale 0-255 RGB pixels to [-1, 1] (TF-slim's Inception "
          "preprocessing, which the released TensorFlow weights expect)",
    "caffe": "convert RGB to BGR and subtract the ImageNet channel means, "
             "keeping the 0-255 scale (Caffe preprocessing)",
    "torch": "scale to [0, 1] and normalise by the ImageNet mean and std",
    "caffe_bninception": "convert RGB to BGR and subtract the integer "
                         "means (104, 117, 128), keeping the 0-255 scale "
                         "(the Caffe BN-Inception's preprocessing, as "
                         "pretrainedmodels runs it)",
}
_DATA_FORMATS = (None, "channels_last")

# Per-channel statistics of the ImageNet training set, in RGB order, for
# pixel values scaled to [0, 1] (the "torch" convention).
TORCH_MEAN = (0.485, 0.456, 0.406)
TORCH_STD = (0.229, 0.224, 0.225)
# Per-channel means in BGR order, for pixel values in [0, 255] (the
# convention of the original Caffe releases).
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
# The BGR means of Xiong's Caffe BN-Inception (pretrainedmodels'
# ``bninception`` settings), which its ImageNet weights were trained with.
CAFFE_BNINCEPTION_MEAN_BGR = (104.0, 117.0, 128.0)

_CLASS_INDEX_RESOURCE = ("resources", "imagenet_class_index.json")


# --------------------------------------------------------------------------
# preprocess_input
# --------------------------------------------------------------------------


def _is_backend_tensor(x):
    return isinstance(x, keras.KerasTensor) or keras.ops.is_tensor(x)


def _check_dtype_name(dtype_name, value):
    """Raises TypeError unless `dtype_name` is a real numeric dtype."""
    numeric = dtype_name.startswith(("float", "bfloat", "int", "uint"))
    if not numeric:
        raise TypeError(
            "`x` must hold real numbers (an integer or floating point "
            f"dtype). Received: x with dtype {dtype_name} ({type(value)})"
        )


def _check_channels(shape, mode):
    if mode == "tf":
        return
    channels = shape[-1] if len(shape) else None
    if channels != 3:
        raise ValueError(
            f'With mode="{mode}", `x` must be a channels-last RGB image '
            "batch whose last axis has size 3. Received: x with shape "
            f"{tuple(shape)}"
        )


def preprocess_arithmetic(x, mode, *, constant=None, flip=None):
    """The one implementation of each mode's arithmetic, for NumPy arrays,
    Keras/backend tensors and tf.data's TensorFlow tensors alike (``mode``
    must already be checked). ``constant`` turns a tuple of channel
    statistics into something of ``x``'s kind and dtype (default: a float32
    NumPy array); ``flip`` reverses the channel axis (default
    ``x[..., ::-1]``)."""
    if constant is None:
        constant = lambda values: np.asarray(values, dtype=np.float32)  # noqa: E731
    if mode == "tf":
        return x / 127.5 - 1.0
    if mode == "torch":
        return (x / 255.0 - constant(TORCH_MEAN)) / constant(TORCH_STD)
    # caffe, caffe_bninception
    flipped = flip(x) if flip is not None else x[..., ::-1]
    return flipped - constant(CAFFE_MEAN_BGR if mode == "caffe"
                              else CAFFE_BNINCEPTION_MEAN_BGR)


def preprocess_tensor(x, mode):
    """:func:`preprocess_arithmetic` in ``keras.ops`` (any backend, symbolic
    tensors included); ``x`` must be floating point."""
    ops = keras.ops
    return preprocess_arithmetic(
        x, mode,
        constant=lambda v: ops.convert_to_tensor(np.asarray(v), dtype=x.dtype),
        flip=lambda t: ops.flip(t, axis=-1))


def preprocess_input(x, data_format=None, mode="tf"):
    """Scales RGB pixel values the way an ImageNet model expects.

    Four conventions are supported, all for channels-last input holding
    pixel values in ``[0, 255]``:

    * ``"tf"``: scale to ``[-1, 1]`` (``x / 127.5 - 1``).  This is what the
      Inception models use.  Works for any number of channels.
    * ``"torch"``: scale to ``[0, 1]``, then subtract the ImageNet mean
      ``[0.485, 0.456, 0.406]`` and divide by the standard deviation
      ``[0.229, 0.224, 0.225]``, per RGB channel.
    * ``"caffe"``: reorder the channels from RGB to BGR, then subtract the
      per-channel mean ``[103.939, 116.779, 123.68]`` (BGR order), without
      scaling.
    * ``"caffe_bninception"``: as ``"caffe"`` with the integer means
      ``[104, 117, 128]`` of the Caffe BN-Inception, whose ImageNet weights
      (``BNInception(variant="caffe", weights="imagenet")``) expect them.

    Args:
        x: The images, with channels on the last axis: a NumPy array (or
            anything ``np.asarray`` accepts) or a Keras/backend tensor
            (including a symbolic ``keras.KerasTensor``).  Integer and
            floating point dtypes are accepted.
        data_format: ``None`` or ``"channels_last"``; both mean channels
            last.  Only channels-last data is supported.
        mode: One of ``"tf"``, ``"torch"``, ``"caffe"`` or
            ``"caffe_bninception"``.

    Returns:
        The preprocessed images.  For array input, a new ``float32`` NumPy
        array (``x`` itself is left unchanged).  For tensor input, a tensor
        computed with ``keras.ops``; floating point tensors keep their
        dtype, integer tensors are cast to ``keras.config.floatx()``.

    Raises:
        ValueError: If ``mode`` or ``data_format`` is not one of the allowed
            values, or if ``mode`` is not ``"tf"`` and the last
            axis of ``x`` does not have size 3.
        TypeError: If ``x`` does not hold real numbers.

    Example:

    >>> import numpy as np
    >>> from keras_inception.models.imagenet import preprocess_input
    >>> images = np.array([[[[0, 127.5, 255]]]])
    >>> preprocess_input(images).tolist()
    [[[[-1.0, 0.0, 1.0]]]]
    >>> caffe = preprocess_input(images, mode="caffe")
    >>> caffe.astype("float64").round(3).tolist()
    [[[[151.061, 10.721, -123.68]]]]
    """
    if mode not in MODES:
        raise ValueError(
            f"`mode` must be one of {', '.join(map(repr, MODES))}. "
            f"Received: mode={mode!r}"
        )
    if data_format not in _DATA_FORMATS:
        raise ValueError(
            "`data_format` must be None or 'channels_last' (only "
            "channels-last data is supported). "
            f"Received: data_format={data_format!r}"
        )

    if _is_backend_tensor(x):
        dtype_name = keras.backend.standardize_dtype(x.dtype)
        _check_dtype_name(dtype_name, x)
        _check_channels(tuple(x.shape), mode)
        if not dtype_name.startswith(("float", "bfloat")):
            x = keras.ops.cast(x, keras.config.floatx())
        return preprocess_tensor(x, mode)

    try:
        array = np.asarray(x)
    except (TypeError, ValueError) as e:
        raise TypeError(
            "`x` must be a numeric array or tensor. "
            f"Received: x of type {type(x)}"
        ) from e
    if array.dtype.kind not in "iuf":
        raise TypeError(
            "`x` must hold real numbers (an integer or floating point "
            f"dtype). Received: x with dtype {array.dtype} ({type(x)})"
        )
    _check_channels(array.shape, mode)
    # `astype` always copies, so the caller's array is never modified.
    array = array.astype(np.float32)
    return np.asarray(preprocess_arithmetic(array, mode), dtype=np.float32)


# --------------------------------------------------------------------------
# Class index and decode_predictions
# --------------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def _class_index():
    """Returns the packaged class index as a tuple of (wnid, name) pairs."""
    resource = importlib.resources.files("keras_inception")
    for part in _CLASS_INDEX_RESOURCE:
        resource = resource.joinpath(part)
    with resource.open("r", encoding="utf-8") as f:
        raw = json.load(f)
    if sorted(raw, key=int) != [str(i) for i in range(NUM_CLASSES)]:
        raise RuntimeError(
            "The packaged ImageNet class index is corrupt: expected keys "
            f"'0'..'{NUM_CLASSES - 1}'."
        )
    return tuple(
        (str(raw[str(i)][0]), str(raw[str(i)][1])) for i in range(NUM_CLASSES)
    )


def imagenet_wnids():
    """Returns the 1000 ImageNet-1k WordNet ids, in class-index order.

    Returns:
        A new list of 1000 strings such as ``"n01440764"``; entry ``i`` is
        the synset of output ``i`` of an ImageNet-1k classifier.

    Example:

    >>> from keras_inception.models.imagenet import imagenet_wnids
    >>> imagenet_wnids()[:2]
    ['n01440764', 'n01443537']
    """
    return [wnid for wnid, _ in _class_index()]


def imagenet_class_names():
    """Returns the 1000 ImageNet-1k class names, in class-index order.

    Each name is the first WordNet lemma of the class with spaces replaced
    by underscores, the same names as ``keras.applications`` uses.  Two
    pairs of classes share a name (``"crane"`` the bird and the machine,
    ``"maillot"`` twice); use :func:`imagenet_wnids` to tell them apart.

    Returns:
        A new list of 1000 strings.

    Example:

    >>> from keras_inception.models.imagenet import imagenet_class_names
    >>> imagenet_class_names()[:3]
    ['tench', 'goldfish', 'great_white_shark']
    """
    return [name for _, name in _class_index()]


def _check_top(top):
    if isinstance(top, bool) or not isinstance(top, numbers.Integral):
        raise TypeError(
            f"`top` must be an integer between 1 and {NUM_CLASSES}. "
            f"Received: top={top!r} of type {type(top)}"
        )
    top = operator.index(top)
    if not 1 <= top <= NUM_CLASSES:
        raise ValueError(
            f"`top` must be an integer between 1 and {NUM_CLASSES}. "
            f"Received: top={top}"
        )
    return top


def decode_predictions(preds, top=5):
    """Decodes the scores of an ImageNet-1k classifier.

    Args:
        preds: The scores for a batch: a 2-D array or tensor of shape
            ``(batch_size, 1000)``, e.g. the softmax output of a classifier
            trained on the 1000 ImageNet-1k classes.
        top: How many of the highest-scoring classes to return per sample,
            an integer between 1 and 1000.

    Returns:
        A list with one entry per sample.  Each entry is a list of ``top``
        tuples ``(wnid, class_name, score)``, sorted by decreasing score
        (ties keep the lower class index first); ``score`` is a Python
        float.

    Raises:
        ValueError: If ``preds`` is not 2-D with 1000 columns, or ``top``
            is outside 1..1000.
        TypeError: If ``top`` is not an integer or ``preds`` does not hold
            real numbers.

    Example:

    >>> import numpy as np
    >>> from keras_inception.models.imagenet import decode_predictions
    >>> scores = np.zeros((1, 1000))
    >>> scores[0, 2] = 0.9
    >>> scores[0, 0] = 0.1
    >>> decode_predictions(scores, top=2)
    [[('n01484850', 'great_white_shark', 0.9), ('n01440764', 'tench', 0.1)]]
    """
    top = _check_top(top)
    if _is_backend_tensor(preds):
        if isinstance(preds, keras.KerasTensor):
            raise TypeError(
                "`preds` must hold concrete values; a symbolic KerasTensor "
                "cannot be decoded."
            )
        preds = keras.ops.convert_to_numpy(preds)
    try:
        scores = np.asarray(preds)
    except (TypeError, ValueError) as e:
        raise TypeError(
            f"`preds` must be a numeric array. Received: {type(preds)}"
        ) from e
    if scores.dtype.kind not in "iuf":
        raise TypeError(
            "`preds` must hold real numbers. "
            f"Received: preds with dtype {scores.dtype}"
        )
    if scores.ndim != 2 or scores.shape[1] != NUM_CLASSES:
        raise ValueError(
            "`preds` must be a 2-D batch of scores for the "
            f"{NUM_CLASSES} ImageNet classes, i.e. of shape "
            f"(batch_size, {NUM_CLASSES}). Received: preds with shape "
            f"{scores.shape}"
        )

    index = _class_index()
    results = []
    for row in scores:
        # A stable sort of the negated scores keeps ties in index order.
        order = np.argsort(-row.astype(np.float64), kind="stable")[:top]
        results.append(
            [(index[i][0], index[i][1], float(row[i])) for i in order]
        )
    return results
