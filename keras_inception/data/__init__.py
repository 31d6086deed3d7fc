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

from keras_inception.data.catalog import EMBEDDED, IN_MEMORY_BYTES
from keras_inception.data.folders import (IMAGE_EXTENSIONS,
                                          PROGRESS_MIN_FILES, ImageFolder,
                                          list_image_folder, scan_images,
                                          split_by_class)
from keras_inception.data.pipeline import (MIN_IMAGE_SIZE, ImageData, load,
                                           train_stream)
from keras_inception.data.transforms import (AUGMENTS, PREPROCESSING,
                                             decode_image, eval_transform,
                                             train_transform)

__all__ = [
    "AUGMENTS", "EMBEDDED", "IMAGE_EXTENSIONS", "IN_MEMORY_BYTES",
    "MIN_IMAGE_SIZE", "PREPROCESSING", "PROGRESS_MIN_FILES", "ImageData",
    "ImageFolder", "decode_image", "eval_transform", "list_image_folder",
    "load", "scan_images", "split_by_class", "train_stream",
    "train_transform",
]
