"""Input pipelines and the embedded dataset; imports only the models and
utils subpackages.

- :mod:`.pipeline`: :func:`load` turns a dataset into an :class:`ImageData`
  of batched, preprocessed ``tf.data`` streams; ``train_stream`` resumes at
  any epoch and step.
- :mod:`.transforms`: decoding, the Inception training and evaluation views,
  the preprocessing arithmetic.
- :mod:`.folders`: image folders: listing, per-class splits, the scan for
  files that do not decode.
- :mod:`.catalog`: what a ``dataset`` argument names (``"default"``, a
  folder, a TFDS name).
- :mod:`.shapes`: the embedded dataset ``inception_shapes`` (a TFDS builder).
"""

from keras_inception.utils.lazy import lazy_namespace

# Imported on first use (keras_inception.utils.lazy): importing the
# package loads no TensorFlow.
_NAMESPACE = lazy_namespace(__name__, {
    "catalog": ["EMBEDDED", "IN_MEMORY_BYTES"],
    "folders": [
        "IMAGE_EXTENSIONS", "PROGRESS_MIN_FILES", "ImageFolder",
        "list_image_folder", "scan_images", "split_by_class"],
    "pipeline": ["MIN_IMAGE_SIZE", "ImageData", "load", "train_stream"],
    "transforms": [
        "AUGMENTS", "PREPROCESSING", "decode_image", "eval_transform",
        "train_transform"],
})
__getattr__ = _NAMESPACE.attribute
__dir__ = _NAMESPACE.listing
__all__ = _NAMESPACE.names
