"""What TensorFlow Serving needs from a SavedModel, and the image decoding
that every artifact kind shares.

* :func:`image_view` turns encoded image bytes into the model's input view
  (the same ops in a SavedModel's ``predict_images`` graph and in
  ``keras-inception predict`` for every other artifact kind, so all of them
  see identical pixels). It reads the size from the file header first and
  refuses, before decoding, anything that is not JPEG/PNG/GIF/BMP or has more
  pixels than a limit.
* :func:`signatures` builds the two serving signatures:

  ``serving_default``
      ``images``: float32 ``[batch, H, W, 3]``, RGB pixels in 0-255;
      preprocessing happens in the graph.
  ``predict_images``
      ``image_bytes``: a batch of encoded images (strings). The name ends in
      ``_bytes``, so TF Serving's REST API accepts ``{"b64": "..."}`` and
      hands the graph raw bytes. Each image is decoded, centre-cropped,
      resized and preprocessed in the graph.

  Both return ``probabilities`` ``[batch, classes]``, ``top_k_scores``
  ``[batch, k]`` and ``top_k_classes`` ``[batch, k]`` (class names).
* :func:`write_warmup` writes ``assets.extra/tf_serving_warmup_requests``
  (a TFRecord of ``PredictionLog`` protos, tensorflow-serving-api's own
  classes) so the server runs each signature once before taking traffic.
* :func:`write_models_config` writes an example ``models.config`` listing
  every model under an export folder, for ``--model_config_file``.

Example:
    >>> import tensorflow as tf
    >>> from keras_inception.deploy.serving import image_view
    >>> png = tf.io.encode_png(tf.zeros((40, 60, 3), tf.uint8))
    >>> image_view(png, image_size=32, central_fraction=1.0,
    ...            max_pixels=10_000).shape
    TensorShape([32, 32, 3])
"""

from __future__ import annotations

import os
import re

import numpy as np
import tensorflow as tf

from keras_inception.utils import atomic as _io
from keras_inception.data.transforms import decode_image, eval_transform

# A 100-megapixel image is ~300 MB decoded; a serving process should not
# decode it because someone posted it.
DEFAULT_MAX_PIXELS = 40_000_000
IMAGE_FORMATS = ("JPEG", "PNG", "GIF", "BMP")
WARMUP_FILE = os.path.join("assets.extra", "tf_serving_warmup_requests")
MODELS_CONFIG = "models.config"

_NOT_AN_IMAGE = ("image_bytes: not a JPEG, PNG, GIF or BMP image "
                 "(unknown file signature)")


def _fail(message):
    """An op that raises InvalidArgumentError with ``message`` when run."""
    return tf.debugging.Assert(False, [message])


def _header_size(encoded):
    """``(height, width)`` as int64 from the header of encoded image bytes,
    without decoding the pixels. Raises InvalidArgumentError (when run) for
    bytes that are not one of :data:`IMAGE_FORMATS` or are too short to hold
    a header."""
    length = tf.strings.length(encoded)

    def little(offset, dtype):
        return tf.cast(tf.io.decode_raw(
            tf.strings.substr(encoded, offset, 2 * dtype.size), dtype,
            little_endian=True), tf.int64)

    def jpeg():
        shape = tf.image.extract_jpeg_shape(encoded, output_type=tf.int64)
        return shape[0], shape[1]

    def png():   # IHDR: big-endian width, height at 16
        wh = tf.cast(tf.io.decode_raw(tf.strings.substr(encoded, 16, 8),
                                      tf.int32, little_endian=False),
                     tf.int64)
        return wh[1], wh[0]

    def gif():   # logical screen: little-endian uint16 width, height at 6
        wh = little(6, tf.uint16)
        return wh[1], wh[0]

    def bmp():   # BITMAPINFOHEADER: int32 width, height (negative: top-down)
        wh = little(18, tf.int32)
        return tf.abs(wh[1]), wh[0]

    def short(minimum, branch):
        def checked():
            with tf.control_dependencies([tf.debugging.assert_greater_equal(
                    length, minimum, message="image_bytes: truncated image "
                    "header")]):
                h, w = branch()
                return tf.identity(h), tf.identity(w)
        return checked

    def unknown():
        with tf.control_dependencies([_fail(_NOT_AN_IMAGE)]):
            return tf.constant(0, tf.int64), tf.constant(0, tf.int64)

    def starts(signature):
        return tf.equal(tf.strings.substr(encoded, 0, len(signature)),
                        signature)

    return tf.case([
        (starts(b"\xff\xd8\xff"), jpeg),
        (starts(b"\x89PNG\r\n\x1a\n"), short(24, png)),
        (starts(b"GIF87a") | starts(b"GIF89a"), short(10, gif)),
        (starts(b"BM"), short(26, bmp)),
    ], default=unknown, exclusive=False)


def image_view(encoded, *, image_size, central_fraction, max_pixels):
    """Encoded image bytes -> the model's float32 ``[S, S, 3]`` input view
    in 0-255: header checked against ``max_pixels``, decoded (grayscale,
    alpha and palettes to RGB, the first GIF frame), central crop of
    ``central_fraction`` of each side, bilinear resize to ``image_size``
    (:func:`keras_inception.data.eval_transform`, as in evaluation).

    Works in a graph (the ``predict_images`` signature) and eagerly.

    Raises:
        tf.errors.InvalidArgumentError: not an image of a known format, a
            truncated header, more than ``max_pixels`` pixels, or pixel data
            the decoder rejects.
    """
    height, width = _header_size(encoded)
    too_big = tf.debugging.assert_less_equal(
        height * width, tf.constant(max_pixels, tf.int64),
        message=f"image_bytes: image has more than {max_pixels} pixels "
                "(the export's max_pixels); refused before decoding")
    with tf.control_dependencies([too_big]):
        image = decode_image(encoded)
    image.set_shape([None, None, 3])
    return eval_transform(image, image_size=image_size,
                          central_fraction=central_fraction)


def check_image_file(path, *, max_pixels=DEFAULT_MAX_PIXELS):
    """Reads ``path`` and checks its header as the serving graph does.

    Returns:
        The file's bytes.

    Raises:
        ValueError: naming the file, for anything :func:`image_view` would
            refuse before decoding.
    """
    try:
        with open(path, "rb") as f:
            encoded = f.read()
    except OSError as err:
        raise ValueError(f"cannot read image {path!r}: {err.strerror}"
                         ) from None
    try:
        height, width = _header_size(tf.constant(encoded))
    except tf.errors.InvalidArgumentError as err:
        raise ValueError(f"{path}: {error_message(err)}") from None
    if int(height) * int(width) > max_pixels:
        raise ValueError(f"{path}: image has {int(height)}x{int(width)} "
                         f"pixels, more than max_pixels={max_pixels}.")
    return encoded


def error_message(err):
    """What a TensorFlow error from :func:`image_view` says, without
    TensorFlow's wording around it: the graph context, ``assertion
    failed: [...]`` in a graph, ``Expected 'False' to be true. Summarized
    data: b'...'`` eagerly, and the ``image_bytes:`` argument prefix.

    Example:
        >>> error_message(ValueError("Expected 'False' to be true. "
        ...                          "Summarized data: b'image_bytes: bad'"))
        'bad'
    """
    text = getattr(err, "message", str(err))
    message = text
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("[[", "Graph execution")):
            message = line
            break
    summarized = re.search(r"Summarized data: (b?)(['\"])(.*?)\2", message)
    if summarized:
        message = summarized.group(3)
    in_graph = re.search(r"assertion failed: \[(.*?)\]", message)
    if in_graph:
        message = in_graph.group(1)
    message = re.sub(r"\{\{[^}]*\}\}|\s*\[Op:[^\]]*\].*$", "", message)
    message = re.sub(r"^\s*(image_bytes|Condition x >= y did not hold)\W*",
                     "", message)
    return message.strip() or text


def top_k_outputs(probabilities, class_names, k):
    """The three output tensors of both signatures."""
    scores, indices = tf.math.top_k(probabilities, k=k)
    names = tf.constant(list(class_names), tf.string)
    return {"probabilities": probabilities, "top_k_scores": scores,
            "top_k_classes": tf.gather(names, indices)}


def signatures(probabilities, *, class_names, image_size, central_fraction,
               max_pixels, top_k):
    """``{signature name: (function, input signature)}`` for
    :class:`keras.export.ExportArchive`.

    Args:
        probabilities: a function from float32 0-255 images ``[N, S, S, 3]``
            to probabilities (a ``tf.function`` over
            :func:`keras_inception.export.deployable`, traced once and
            shared by both signatures).
        class_names: one name per class.
        image_size: ``S``.
        central_fraction, max_pixels: see :func:`image_view`.
        top_k: how many classes ``top_k_*`` return.
    """
    def serving_default(images):
        return top_k_outputs(probabilities(images), class_names, top_k)

    def view(encoded):
        return image_view(encoded, image_size=image_size,
                          central_fraction=central_fraction,
                          max_pixels=max_pixels)

    def predict_images(image_bytes):
        images = tf.map_fn(view, image_bytes, fn_output_signature=tf.TensorSpec(
            (image_size, image_size, 3), tf.float32))
        return serving_default(images)

    return {
        "serving_default": (serving_default, [tf.TensorSpec(
            (None, image_size, image_size, 3), tf.float32, name="images")]),
        "predict_images": (predict_images, [tf.TensorSpec(
            (None,), tf.string, name="image_bytes")]),
    }


def _warmup_image(image_size):
    """A small JPEG: a gradient, so decoding does real work."""
    ramp = np.linspace(0, 255, image_size, dtype=np.float32)
    pixels = np.stack(np.broadcast_arrays(
        ramp[:, None], ramp[None, :], 255 - ramp[:, None]), -1)
    return tf.io.encode_jpeg(pixels.astype(np.uint8)).numpy()


def warmup_requests(model_name, image_size, batch_sizes=(1,)):
    """``PredictionLog`` protos: each signature at each batch size."""
    from tensorflow_serving.apis import (model_pb2, predict_pb2,
                                         prediction_log_pb2)

    logs = []
    jpeg = _warmup_image(image_size)
    for batch in batch_sizes:
        inputs = {
            "serving_default": ("images", np.full(
                (batch, image_size, image_size, 3), 127.0, np.float32)),
            "predict_images": ("image_bytes", np.array([jpeg] * batch,
                                                       dtype=object)),
        }
        for signature, (key, value) in inputs.items():
            request = predict_pb2.PredictRequest(
                model_spec=model_pb2.ModelSpec(name=model_name,
                                               signature_name=signature))
            request.inputs[key].CopyFrom(tf.make_tensor_proto(value))
            logs.append(prediction_log_pb2.PredictionLog(
                predict_log=prediction_log_pb2.PredictLog(request=request)))
    return logs


def write_warmup(saved_model_dir, model_name, image_size,
                 batch_sizes=(1,)):
    """Writes TF Serving's warm-up file into a SavedModel folder."""
    path = os.path.join(saved_model_dir, WARMUP_FILE)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tf.io.TFRecordWriter(path) as writer:
        for log in warmup_requests(model_name, image_size, batch_sizes):
            writer.write(log.SerializeToString())
    return path


def read_warmup(saved_model_dir):
    """The warm-up file parsed back into ``PredictionLog`` protos."""
    from tensorflow_serving.apis import prediction_log_pb2

    path = os.path.join(saved_model_dir, WARMUP_FILE)
    logs = []
    for record in tf.data.TFRecordDataset(path):
        log = prediction_log_pb2.PredictionLog()
        log.ParseFromString(record.numpy())
        logs.append(log)
    return logs


def saved_model_versions(model_dir):
    """The numeric version folders of ``model_dir`` that hold a SavedModel
    (what TF Serving would load), in ascending order."""
    return sorted(int(v) for v in os.listdir(model_dir) if v.isdigit() and
                  os.path.isfile(os.path.join(model_dir, v,
                                              "saved_model.pb")))


def served_models(base):
    """Model folders under ``base`` that hold at least one numeric version
    with a SavedModel."""
    return [entry.name for entry in sorted(os.scandir(base),
                                           key=lambda e: e.name)
            if entry.is_dir() and not entry.name.startswith(".")
            and saved_model_versions(entry.path)]


def models_config(names, mount="/models"):
    """The text of a ``models.config`` (``ModelServerConfig`` text format)
    serving ``names`` from ``<mount>/<name>``."""
    from google.protobuf import text_format
    from tensorflow_serving.config import model_server_config_pb2

    config = model_server_config_pb2.ModelServerConfig()
    for name in names:
        entry = config.model_config_list.config.add()
        entry.name = name
        entry.base_path = f"{mount.rstrip('/')}/{name}"
        entry.model_platform = "tensorflow"
    return text_format.MessageToString(config)


def write_models_config(base, mount="/models"):
    """(Re)writes ``<base>/models.config`` for every served model under
    ``base``, atomically; returns its path."""
    path = os.path.join(base, MODELS_CONFIG)
    _io.write_text(path, models_config(served_models(base), mount))
    return path
