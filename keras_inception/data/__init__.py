"""Input pipelines and the embedded dataset.

:func:`load` (:mod:`.pipeline`) turns a dataset into batched, preprocessed
streams; :mod:`.transforms` holds the image views, :mod:`.folders` image
folders, :mod:`.catalog` what a dataset name means, and :mod:`.shapes` the
embedded ``inception_shapes``.
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
