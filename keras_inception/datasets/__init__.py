"""Datasets for training and demos; importing this registers them with TFDS.

Example:
    >>> import tensorflow_datasets as tfds
    >>> import keras_inception.datasets
    >>> "inception_shapes" in tfds.list_builders()
    True
"""

from keras_inception.datasets.shapes import (CLASS_NAMES, DEFAULT_SEED,
                                             NUM_CLASSES, InceptionShapes,
                                             InceptionShapesConfig,
                                             generate_example,
                                             generate_examples)

__all__ = [
    "CLASS_NAMES", "DEFAULT_SEED", "NUM_CLASSES", "InceptionShapes",
    "InceptionShapesConfig", "generate_example", "generate_examples",
]
