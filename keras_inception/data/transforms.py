"""Image transforms: decoding, the Inception training and evaluation views,
and the model's preprocessing arithmetic, all on ``tf`` tensors for tf.data.

Training images follow TF-slim's ``inception_preprocessing`` (tensorflow/
models, research/slim), which implements the papers' recipe:

* a random crop covering 8%-100% of the image area with aspect ratio in
  [3/4, 4/3] (Szegedy et al. 2014, "Going Deeper with Convolutions",
  Section 6), sampled by ``sample_distorted_bounding_box`` with slim's
  ``min_object_covered=0.1`` and ``max_attempts=100``, resized bilinearly;
* a random horizontal flip;
* slim's ``distort_color``: brightness (max delta 32/255 of the range),
  saturation [0.5, 1.5], hue (max delta 0.2), contrast [0.5, 1.5], clipped
  to the pixel range.

Evaluation images are the central ``central_fraction`` (0.875 in slim and in
``keras.applications``' Inception preprocessing) resized to the input size.

Augmentation is drawn by stateless ops from seeds made by
:func:`derive_seed`, so the same seed gives the same image.
"""

from __future__ import annotations

import tensorflow as tf

from keras_inception.models.imagenet import MODES, preprocess_arithmetic
from keras_inception.utils.checks import check_choice

AUGMENTS = ("inception", "light", "none")
PREPROCESSING = (*MODES, "none")

# TF-slim inception_preprocessing.distorted_bounding_box_crop / Going
# Deeper, Sec. 6.
ASPECT_RATIO_RANGE = (3.0 / 4.0, 4.0 / 3.0)
MIN_OBJECT_COVERED = 0.1
MAX_ATTEMPTS = 100
# TF-slim inception_preprocessing.distort_color (color_ordering=0), on [0, 1].
BRIGHTNESS_DELTA = 32.0 / 255.0
SATURATION_RANGE = (0.5, 1.5)
HUE_DELTA = 0.2
CONTRAST_RANGE = (0.5, 1.5)


def decode_image(encoded):
    """Any of JPEG/PNG/BMP/GIF bytes -> uint8 RGB (grayscale, alpha,
    palettes and the first GIF frame all become 3 channels)."""
    return tf.io.decode_image(encoded, channels=3, expand_animations=False)


def derive_seed(seed, purpose, *values):
    """A stateless seed that is a function of ``(seed, purpose, *values)``
    only."""
    derived = tf.constant([seed, purpose], tf.int64)
    for value in values:
        derived = tf.random.experimental.stateless_fold_in(
            derived, tf.cast(value, tf.int32))
    return derived


def eval_transform(image, *, image_size, central_fraction=0.875):
    """The evaluation view: central crop, then resize.

    As TF-slim's ``inception_preprocessing.preprocess_for_eval`` (and
    ``keras.applications``): keep the central ``central_fraction`` of each
    side, then resize bilinearly to ``image_size``.

    Args:
        image: ``[H, W, 3]`` uint8 or float in ``[0, 255]``.
        image_size: side of the output.
        central_fraction: fraction of each side kept, in (0, 1]; 1 keeps
            the whole image.

    Returns:
        float32 ``[image_size, image_size, 3]`` in ``[0, 255]``.

    Example:
        >>> import numpy as np
        >>> from keras_inception.data import eval_transform
        >>> image = np.arange(64 * 64 * 3).reshape(64, 64, 3) % 256
        >>> out = eval_transform(image.astype("uint8"), image_size=64,
        ...                      central_fraction=1.0)
        >>> bool((out.numpy() == image).all())
        True
    """
    image = tf.cast(image, tf.float32)
    if central_fraction < 1:
        image = tf.image.central_crop(image, central_fraction)
    image = tf.image.resize(image, (image_size, image_size))
    return tf.ensure_shape(image, (image_size, image_size, 3))


def _distort_color(image, seeds):
    """TF-slim's ``distort_color`` (fixed order 0) on the 0..255 scale."""
    image = image / 255.0
    image = tf.image.stateless_random_brightness(image, BRIGHTNESS_DELTA,
                                                 seeds[0])
    image = tf.image.stateless_random_saturation(image, *SATURATION_RANGE,
                                                 seed=seeds[1])
    image = tf.image.stateless_random_hue(image, HUE_DELTA, seeds[2])
    image = tf.image.stateless_random_contrast(image, *CONTRAST_RANGE,
                                               seed=seeds[3])
    return tf.clip_by_value(image, 0.0, 1.0) * 255.0


def train_transform(image, seed, *, image_size, augment="inception",
                    min_crop_area=0.08, central_fraction=0.875):
    """The training view of one image, drawn by stateless ops from ``seed``.

    ``"inception"`` (Going Deeper, Sec. 6, as TF-slim's
    ``preprocess_for_train``): a crop of ``[min_crop_area, 1]`` of the area
    with aspect ratio in [3/4, 4/3] (``sample_distorted_bounding_box`` with
    ``min_object_covered=0.1``, so at least 10% of the area, and 100
    attempts before it falls back to the whole image), bilinear resize,
    random horizontal flip, slim's colour distortion. ``"light"``: the same
    crop and flip, no colour distortion. ``"none"``: :func:`eval_transform`.

    Args:
        image: ``[H, W, 3]`` uint8 or float in ``[0, 255]``.
        seed: a shape ``[2]`` integer tensor; the same seed gives the same
            output.
        image_size: side of the output.
        augment: ``"inception"``, ``"light"`` or ``"none"``.
        min_crop_area: smallest crop area, as a fraction of the image.
        central_fraction: for ``augment="none"`` only.

    Returns:
        float32 ``[image_size, image_size, 3]`` in ``[0, 255]``.

    Example:
        >>> import numpy as np
        >>> from keras_inception.data import train_transform
        >>> image = np.zeros((80, 60, 3), "uint8")
        >>> train_transform(image, [0, 7], image_size=48).shape
        TensorShape([48, 48, 3])
    """
    check_choice(augment, "augment", AUGMENTS)
    if augment == "none":
        return eval_transform(image, image_size=image_size,
                              central_fraction=central_fraction)
    image = tf.cast(image, tf.float32)
    seeds = tf.random.experimental.stateless_split(
        tf.convert_to_tensor(seed), num=6)
    begin, size, _ = tf.image.stateless_sample_distorted_bounding_box(
        tf.shape(image), bounding_boxes=tf.constant([[[0.0, 0.0, 1.0, 1.0]]]),
        seed=seeds[0], min_object_covered=MIN_OBJECT_COVERED,
        aspect_ratio_range=ASPECT_RATIO_RANGE,
        area_range=(min_crop_area, 1.0), max_attempts=MAX_ATTEMPTS,
        use_image_if_no_bounding_boxes=True)
    image = tf.slice(image, begin, size)
    image = tf.image.resize(image, (image_size, image_size))
    image = tf.image.stateless_random_flip_left_right(image, seeds[1])
    if augment == "inception":
        image = _distort_color(image, seeds[2:])
    image = tf.clip_by_value(image, 0.0, 255.0)
    return tf.ensure_shape(image, (image_size, image_size, 3))


def preprocess(image, mode):
    """:func:`keras_inception.models.imagenet.preprocess_arithmetic` on
    ``tf`` tensors: tf.data runs on TensorFlow whatever the Keras backend,
    where ``keras.ops`` would not. ``"none"`` keeps the 0-255 pixels (for
    models that preprocess inside their graph, such as exports)."""
    if mode == "none":
        return image
    return preprocess_arithmetic(image, mode)
