"""Input pipelines: images from TFDS or a folder, as Inception trains them.

:func:`load` turns a dataset -- the embedded ``inception_shapes``, any TFDS
image-classification dataset, or a folder of class subfolders -- into an
:class:`ImageData`: batched ``tf.data`` streams of float32 images already
preprocessed for the model and int32 labels.

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

The training stream is exactly reproducible and resumable: the order of
epoch ``e`` is a stateless permutation seeded by ``(seed, e)``, and each
image's augmentation is drawn by stateless ops seeded by ``(seed, e,
position in the epoch)``. So ``load(..., start_epoch=e, start_step=s)``
yields the very batches an uninterrupted stream yields from batch ``s`` of
epoch ``e`` on, whatever happened before in the process.

Example:
    >>> import tempfile
    >>> from keras_inception import data
    >>> shapes = data.load("inception_shapes/tiny", image_size=32,
    ...                    batch_size=25, data_dir=tempfile.mkdtemp(),
    ...                    augment="light", min_crop_area=0.75)
    Downloading and preparing dataset ...reuse this data.
    >>> shapes.class_names[:3], shapes.num_train, shapes.steps_per_epoch
    (('disc_small', 'disc_large', 'square_small'), 100, 4)
    >>> images, labels = next(iter(shapes.train))
    >>> images.shape, images.dtype.name, labels.dtype.name
    (TensorShape([25, 32, 32, 3]), 'float32', 'int32')
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import logging
import math
import os
import re
from typing import Callable, Optional

import keras
import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

import keras_inception.data.shapes  # noqa: F401  registers inception_shapes
from keras_inception.utils.checks import (check_bool, check_choice,
                                         check_count, check_fraction)
from keras_inception.models.imagenet import preprocess_arithmetic

__all__ = ["ImageData", "load", "train_stream", "train_transform",
           "eval_transform", "list_image_folder", "split_by_class",
           "scan_images", "ImageFolder"]

logger = logging.getLogger("keras_inception")

EMBEDDED = "inception_shapes"
AUGMENTS = ("inception", "light", "none")
PREPROCESSING = ("tf", "torch", "caffe", "none")
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif")
MIN_IMAGE_SIZE = 32

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

# A TFDS training split up to this size on disk (encoded) is read whole each
# epoch and permuted as one window; a larger one is permuted in windows of
# `shuffle_buffer` consecutive examples.
IN_MEMORY_BYTES = 1 << 30
# Scans of at least this many files show a progress bar.
PROGRESS_MIN_FILES = 2000
_MAX_SEED = 2 ** 63
# Stateless-seed purposes, so order and augmentation never share a stream.
_ORDER, _AUGMENT = 1, 2
# A TFDS name: builder, optional /config, optional :version.
_TFDS_NAME = re.compile(r"^[A-Za-z][\w]*(/[\w.+-]+)?(:[\d*]+(\.[\d*]+)*)?$")


@dataclasses.dataclass(frozen=True)
class ImageData:
    """What :func:`load` returns.

    Attributes:
        train: batches ``(images, labels)`` of ``batch_size``: float32
            ``[B, H, W, 3]`` preprocessed for the model and int32 ``[B]``;
            an infinite stream of epochs of ``steps_per_epoch`` batches each,
            starting at ``start_epoch``, batch ``start_step``.
        validation: the validation split once, in a fixed order, with the
            evaluation transform; the last batch may be smaller.
        class_names: label ``k`` is ``class_names[k]``.
        num_train, num_validation: examples per split.
        steps_per_epoch: ``num_train // batch_size`` (the remainder of each
            epoch is dropped).
        validation_steps: ``ceil(num_validation / batch_size)``.
        skipped: unreadable image files left out (folders only).
        source: one line saying what was loaded.
    """

    train: tf.data.Dataset
    validation: tf.data.Dataset
    class_names: tuple
    num_train: int
    num_validation: int
    steps_per_epoch: int
    validation_steps: int
    skipped: tuple
    source: str
    # (start_epoch, start_step) -> the training stream; see train_stream().
    _make_train: Optional[Callable] = dataclasses.field(
        default=None, repr=False, compare=False)


@dataclasses.dataclass(frozen=True)
class ImageFolder:
    """A folder of class subfolders, as :func:`list_image_folder` found it.

    Attributes:
        root: the absolute path.
        class_names: sorted class subfolder names.
        train: ``(path, label)`` pairs, sorted; every image when the folder
            has no explicit splits.
        validation: ``(path, label)`` pairs of ``validation/`` (or
            ``val/``), or ``None`` when the folder has no explicit splits.
    """

    root: str
    class_names: tuple
    train: tuple
    validation: Optional[tuple]


@dataclasses.dataclass(frozen=True)
class _Splits:
    """A loaded source: (key, label) tables in a fixed order and how to
    read a key into a uint8 image (a path to read and decode, encoded
    bytes to decode)."""

    train: tf.data.Dataset
    validation: tf.data.Dataset
    read_image: Callable
    class_names: tuple
    num_train: int
    num_validation: int
    in_memory: bool
    skipped: tuple
    source: str


# --------------------------------------------------------------------------
# Argument checks
# --------------------------------------------------------------------------


# --------------------------------------------------------------------------
# Transforms
# --------------------------------------------------------------------------


def decode_image(encoded):
    """Any of JPEG/PNG/BMP/GIF bytes -> uint8 RGB (grayscale, alpha,
    palettes and the first GIF frame all become 3 channels)."""
    return tf.io.decode_image(encoded, channels=3, expand_animations=False)


def _read_file(path):
    return decode_image(tf.io.read_file(path))


def _dense(image):
    """A decoded image held in a ragged batch comes back as a RaggedTensor
    with uniform rows; make it dense."""
    if isinstance(image, tf.RaggedTensor):
        return image.to_tensor()
    return image


def _derive_seed(seed, purpose, *values):
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


def _preprocess(image, mode):
    """:func:`keras_inception.models.imagenet.preprocess_arithmetic` on
    ``tf`` tensors: tf.data runs on TensorFlow whatever the Keras backend,
    where ``keras.ops`` would not. ``"none"`` keeps the 0-255 pixels (for models
    that preprocess inside their graph, such as exports)."""
    if mode == "none":
        return image
    return preprocess_arithmetic(image, mode)


# --------------------------------------------------------------------------
# Folders
# --------------------------------------------------------------------------


def _subfolders(path):
    return sorted(entry.name for entry in os.scandir(path)
                  if entry.is_dir() and not entry.name.startswith("."))


def _images_under(path):
    """Image files under ``path`` (recursively, hidden entries skipped),
    sorted."""
    found = []
    for folder, dirs, files in os.walk(path, followlinks=True):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found.extend(os.path.join(folder, name) for name in files
                     if not name.startswith(".")
                     and name.lower().endswith(IMAGE_EXTENSIONS))
    return sorted(found)


def _labelled_images(path, class_names):
    return tuple((image, label)
                 for label, name in enumerate(class_names)
                 if os.path.isdir(os.path.join(path, name))
                 for image in _images_under(os.path.join(path, name)))


def list_image_folder(path):
    """Finds the classes and images of a folder of class subfolders.

    Class names are the sorted subfolder names; images are files ending in
    .jpg, .jpeg, .png, .bmp or .gif (any case) anywhere under a class
    folder. Other files and hidden entries (names starting with ``.``) are
    ignored. If the folder holds ``train/`` and ``validation/`` (or
    ``val/``) subfolders that each hold class folders, those are the splits
    and the classes are ``train/``'s.

    Args:
        path: the folder.

    Returns:
        An :class:`ImageFolder`. Nothing is decoded here.

    Raises:
        ValueError: if the folder does not exist, has fewer than two class
            folders with images, a class folder without images, or a
            validation class that training lacks.
    """
    root = os.path.abspath(os.path.expanduser(os.fspath(path)))
    if not os.path.isdir(root):
        raise ValueError(f"`dataset` {root!r} is not a folder.")
    split_dirs = [os.path.join(root, name)
                  for name in ("train", "validation", "val")]
    train_dir = split_dirs[0]
    val_dir = next((d for d in split_dirs[1:] if os.path.isdir(d)), None)
    explicit = (os.path.isdir(train_dir) and val_dir is not None
                and _subfolders(train_dir) and _subfolders(val_dir))
    class_dir = train_dir if explicit else root
    class_names = tuple(_subfolders(class_dir))
    train = _labelled_images(class_dir, class_names)
    extensions = "/".join(IMAGE_EXTENSIONS)
    if not train:
        raise ValueError(
            f"`dataset` folder {class_dir!r} holds no images: expected one "
            f"subfolder per class with {extensions} files.")
    counts = np.bincount([label for _, label in train],
                         minlength=len(class_names))
    empty = [name for name, n in zip(class_names, counts) if n == 0]
    if empty:
        raise ValueError(
            f"`dataset` folder {class_dir!r}: class folder(s) {empty} hold "
            f"no {extensions} images; remove them or add images.")
    if len(class_names) < 2:
        raise ValueError(
            f"`dataset` folder {class_dir!r} has only one class "
            f"({class_names[0]!r}); a classifier needs at least two class "
            "subfolders.")
    validation = None
    if explicit:
        unknown = sorted(set(_subfolders(val_dir)) - set(class_names))
        if unknown:
            raise ValueError(
                f"`dataset` folder {val_dir!r} has classes {unknown} that "
                f"{train_dir!r} lacks.")
        validation = _labelled_images(val_dir, class_names)
    return ImageFolder(root, class_names, train, validation)


def _validation_count(n, fraction):
    """Validation images of a class of ``n``: ``round(n * fraction)``, at
    least 1 when ``fraction > 0`` and ``n >= 2``, and never all of them."""
    if n < 2 or fraction == 0:
        return 0
    return min(max(round(n * fraction), 1), n - 1)


def split_by_class(files, validation_fraction, seed):
    """Splits ``(path, label)`` pairs per class, deterministically.

    Each class keeps at least one training image; with
    ``validation_fraction > 0`` each class of two or more images gives at
    least one to validation. Which images go is a permutation seeded by
    ``(seed, label)``.

    Args:
        files: ``(path, label)`` pairs.
        validation_fraction: in [0, 1).
        seed: a non-negative integer.

    Returns:
        ``(train, validation)``: tuples of ``(path, label)`` pairs, sorted.

    Example:
        >>> from keras_inception.data import split_by_class
        >>> files = [(f"{c}{i}.png", label) for label, c in enumerate("ab")
        ...          for i in range(5)]
        >>> train, validation = split_by_class(files, 0.2, seed=0)
        >>> len(train), len(validation), sorted({y for _, y in validation})
        (8, 2, [0, 1])
    """
    by_class = {}
    for path, label in files:
        by_class.setdefault(label, []).append(path)
    train, validation = [], []
    for label, paths in sorted(by_class.items()):
        paths = sorted(paths)
        order = np.random.default_rng([seed, label]).permutation(len(paths))
        chosen = set(order[:_validation_count(len(paths),
                                              validation_fraction)])
        for i, path in enumerate(paths):
            (validation if i in chosen else train).append((path, label))
    return tuple(train), tuple(validation)


def _readable_index(index, path):
    image = _read_file(path)
    # Returning the shape makes the decode an input of the result, so it
    # runs (and fails) for every file.
    return index, tf.shape(image)


def scan_images(paths):
    """Decodes every file once, in parallel, to find the unreadable ones.

    A file fails when TensorFlow cannot read or decode it: not an image,
    truncated (TF's JPEG and PNG decoders reject a file cut anywhere, even
    one missing only its final marker), an unsupported variant. Scans of
    :data:`PROGRESS_MIN_FILES` or more show a progress bar.

    Args:
        paths: file paths.

    Returns:
        ``(ok, bad)``: tuples of paths, each in the order given.
    """
    paths = [os.fspath(p) for p in paths]
    if not paths:
        return (), ()
    decoded = tf.data.Dataset.from_tensor_slices(paths).enumerate()
    decoded = decoded.map(_readable_index, tf.data.AUTOTUNE,
                          deterministic=False).ignore_errors().batch(256)
    progress = (keras.utils.Progbar(len(paths), unit_name="file")
                if len(paths) >= PROGRESS_MIN_FILES else None)
    ok = np.zeros(len(paths), bool)
    for indices, _ in decoded:
        ok[indices.numpy()] = True
        if progress is not None:
            progress.add(len(indices))
    if progress is not None:
        progress.update(len(paths), finalize=True)
    return (tuple(p for p, good in zip(paths, ok) if good),
            tuple(p for p, good in zip(paths, ok) if not good))


def _table(files):
    paths = [path for path, _ in files]
    labels = np.array([label for _, label in files], np.int32)
    return tf.data.Dataset.from_tensor_slices((paths, labels))


def _open_folder(path, validation_fraction, seed):
    folder = list_image_folder(path)
    if folder.validation is None and validation_fraction == 0:
        raise ValueError(
            f"`validation_fraction=0` leaves no validation images: "
            f"{folder.root!r} has no train/ and validation/ subfolders; "
            "pass a fraction in (0, 1).")
    everything = folder.train + (folder.validation or ())
    ok, bad = scan_images([p for p, _ in everything])
    if bad:
        shown = ", ".join(bad[:5]) + (", ..." if len(bad) > 5 else "")
        logger.warning("Skipped %d unreadable image file(s) of %d in %s: %s",
                       len(bad), len(everything), folder.root, shown)
    bad_set = set(bad)
    train = tuple(f for f in folder.train if f[0] not in bad_set)
    if folder.validation is None:
        train, validation = split_by_class(train, validation_fraction, seed)
        how = (f"validation {validation_fraction:g} of each class, "
               f"seed {seed}")
    else:
        validation = tuple(f for f in folder.validation
                           if f[0] not in bad_set)
        how = "train/ and validation/ subfolders"
    missing = sorted(set(folder.class_names)
                     - {folder.class_names[y] for _, y in train})
    if missing:
        raise ValueError(f"`dataset` {folder.root!r}: class(es) {missing} "
                         "have no readable training images.")
    if not validation:
        raise ValueError(
            f"`dataset` {folder.root!r}: the split leaves 0 validation "
            f"images (`validation_fraction={validation_fraction}`); add "
            "images or raise the fraction.")
    return _Splits(
        train=_table(train), validation=_table(validation),
        read_image=_read_file, class_names=folder.class_names,
        num_train=len(train), num_validation=len(validation),
        in_memory=True, skipped=bad,
        source=f"folder:{folder.root} ({how})")


# --------------------------------------------------------------------------
# TFDS
# --------------------------------------------------------------------------


def _tfds_builder(dataset, data_dir):
    """The TFDS builder of ``dataset``; raises before any download."""
    name = re.split(r"[/:]", dataset, maxsplit=1)[0]
    known = tfds.list_builders(with_community_datasets=False)
    if name not in known:
        close = difflib.get_close_matches(name.lower(), known, n=3)
        hint = f" Did you mean {' or '.join(map(repr, close))}?" if close \
            else ""
        raise ValueError(
            f"`dataset` {dataset!r} is neither an existing folder nor a "
            f"known TFDS dataset.{hint} (`tfds.list_builders()` lists the "
            "TFDS names; 'default' is the embedded inception_shapes.)")
    try:
        return tfds.builder(dataset, data_dir=data_dir)
    except ValueError as e:   # unknown config or version
        raise ValueError(f"`dataset` {dataset!r}: {e}") from e


def _open_tfds(dataset, data_dir, validation_fraction, cache):
    builder = _tfds_builder(dataset, data_dir)
    info = builder.info
    keys = info.supervised_keys
    features = info.features
    if (not keys or len(keys) != 2
            or not isinstance(features[keys[0]], tfds.features.Image)
            or not isinstance(features[keys[1]], tfds.features.ClassLabel)
            or features[keys[0]].np_dtype != np.uint8):
        raise ValueError(
            f"`dataset` {dataset!r} is not an image classification "
            "dataset: it needs supervised keys (uint8 image, class label).")
    image_key = keys[0]
    builder.download_and_prepare()     # downloads when needed and allowed
    splits = info.splits
    if "train" not in splits:
        raise ValueError(f"`dataset` {dataset!r} has no 'train' split "
                         f"(splits: {sorted(splits)}).")
    train_split = "train"
    val_split = next((s for s in ("validation", "test") if s in splits),
                     None)
    if val_split is None:
        n = splits["train"].num_examples
        n_val = _validation_count(n, validation_fraction)
        if n_val == 0:
            raise ValueError(
                f"`dataset` {dataset!r} has no validation or test split, "
                f"and `validation_fraction={validation_fraction}` of its "
                f"{n} training examples leaves 0 for validation.")
        train_split, val_split = f"train[:{n - n_val}]", f"train[{n - n_val}:]"
    num_train = splits[train_split].num_examples
    num_validation = splits[val_split].num_examples
    if num_validation == 0:
        raise ValueError(f"`dataset` {dataset!r}: split {val_split!r} is "
                         "empty; 0 validation examples.")

    def read(split):
        return builder.as_dataset(
            split=split, as_supervised=True, shuffle_files=False,
            decoders={image_key: tfds.decode.SkipDecoding()})

    in_memory = cache or splits["train"].num_bytes <= IN_MEMORY_BYTES
    root = builder.data_dir_root
    return _Splits(
        train=read(train_split), validation=read(val_split),
        read_image=decode_image, class_names=tuple(features[keys[1]].names),
        num_train=num_train, num_validation=num_validation,
        in_memory=in_memory, skipped=(),
        source=(f"tfds:{info.full_name} (data_dir={root}; splits "
                f"{train_split} / {val_split})"))


def _open(dataset, *, data_dir, validation_fraction, seed, cache):
    if isinstance(dataset, os.PathLike):
        dataset = os.fspath(dataset)
    if not isinstance(dataset, str) or not dataset:
        raise TypeError("`dataset` must be 'default', a TFDS name or a "
                        f"folder path; received {dataset!r}.")
    if dataset == "default":
        dataset = EMBEDDED
    path = os.path.expanduser(dataset)
    if os.path.isdir(path):
        return _open_folder(path, validation_fraction, seed)
    if os.path.exists(path):
        raise ValueError(f"`dataset` {dataset!r} is a file; pass a folder "
                         "of class subfolders or a TFDS name.")
    if not _TFDS_NAME.match(dataset):
        raise ValueError(f"`dataset` {dataset!r} does not exist: no such "
                         "folder (and it is not a TFDS name).")
    return _open_tfds(dataset, data_dir, validation_fraction, cache)


# --------------------------------------------------------------------------
# Streams
# --------------------------------------------------------------------------


def _with_options(dataset, deterministic):
    options = tf.data.Options()
    options.deterministic = deterministic
    # Every worker of a MultiWorkerMirroredStrategy reads the stream and
    # keeps its share of elements (there are no files to divide).
    options.experimental_distribute.auto_shard_policy = \
        tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def _epoch_order(table, window, seed, epoch):
    """Epoch ``epoch`` of ``table``: each window of consecutive examples
    (the whole table when it fits) permuted by a stateless shuffle seeded
    by ``(seed, epoch, window index)``."""
    def permute(index, batch):
        keys, labels = batch
        order = tf.random.experimental.stateless_shuffle(
            tf.range(tf.shape(labels, out_type=tf.int64)[0]),
            seed=_derive_seed(seed, _ORDER, epoch, index))
        return tf.data.Dataset.from_tensor_slices(order).map(
            lambda i: (keys[i], labels[i]))
    return table.ragged_batch(window).enumerate().flat_map(permute)


def _make_train(splits, *, seed, batch_size, steps_per_epoch, cache,
                transform, preprocessing, deterministic, shuffle_buffer):
    table, read = splits.train, splits.read_image
    # One more than the table holds, so the window batch reads to the end
    # of the table, which is what completes a cache.
    window = (splits.num_train + 1 if splits.in_memory or cache
              else shuffle_buffer)
    if cache:
        # Decoded images are kept in memory by the first full pass; the
        # per-epoch datasets below all read this one dataset object, so
        # they share its cache (checked in tests/test_data.py).
        table = table.map(lambda key, label: (read(key), label),
                          tf.data.AUTOTUNE).ignore_errors().cache()
        read = _dense
    per_epoch = steps_per_epoch * batch_size

    def example(epoch, position, key, label):
        image = transform(read(key),
                          _derive_seed(seed, _AUGMENT, epoch, position))
        return (_preprocess(image, preprocessing), tf.cast(label, tf.int32))

    def stream(start_epoch, start_step):
        def epoch_examples(epoch):
            examples = _epoch_order(table, window, seed, epoch)
            examples = examples.take(per_epoch).enumerate()
            skip = tf.where(epoch == start_epoch,
                            tf.constant(start_step * batch_size, tf.int64),
                            tf.constant(0, tf.int64))
            return examples.skip(skip).map(
                lambda position, ex: (epoch, position) + ex)

        ds = tf.data.Dataset.counter(start_epoch).flat_map(epoch_examples)
        # ignore_errors: a last safety net (files were scanned already); a
        # file that breaks after the scan is dropped, shifting later batches.
        ds = ds.map(example, tf.data.AUTOTUNE).ignore_errors()
        ds = ds.batch(batch_size, drop_remainder=True)
        # Endless by construction; saying so lets Keras plan epochs by
        # steps_per_epoch without expecting the data to run out.
        ds = ds.apply(tf.data.experimental.assert_cardinality(
            tf.data.INFINITE_CARDINALITY))
        return _with_options(ds.prefetch(tf.data.AUTOTUNE), deterministic)

    return stream


def _make_validation(splits, *, batch_size, cache, transform, preprocessing,
                     deterministic):
    read = splits.read_image

    def example(key, label):
        image = transform(read(key))
        return _preprocess(image, preprocessing), tf.cast(label, tf.int32)

    ds = splits.validation.map(example, tf.data.AUTOTUNE).ignore_errors()
    if cache:
        ds = ds.cache()
    # Known length (the files were scanned): Keras then starts a fresh
    # iterator every epoch (under tf.distribute too) and warns of nothing.
    ds = ds.batch(batch_size).apply(tf.data.experimental.assert_cardinality(
        math.ceil(splits.num_validation / batch_size)))
    return _with_options(ds.prefetch(tf.data.AUTOTUNE), deterministic)


def _check_start(start_epoch, start_step, steps_per_epoch):
    check_count(start_epoch, "start_epoch", 0)
    check_count(start_step, "start_step", 0)
    if start_step >= steps_per_epoch:
        raise ValueError(f"`start_step` must be below `steps_per_epoch` "
                         f"({steps_per_epoch}); received {start_step}.")


def train_stream(data, start_epoch=0, start_step=0):
    """``data``'s training stream from another position.

    The same batches as ``load(..., start_epoch=start_epoch,
    start_step=start_step).train`` without loading (or scanning) again.

    Args:
        data: an :class:`ImageData` from :func:`load`.
        start_epoch: the epoch to start in (>= 0).
        start_step: the batch of that epoch to start at, below
            ``data.steps_per_epoch``.

    Returns:
        A ``tf.data.Dataset`` like ``data.train``.
    """
    _check_start(start_epoch, start_step, data.steps_per_epoch)
    return data._make_train(start_epoch, start_step)


def load(dataset, *, image_size, batch_size, preprocessing="tf",
         data_dir=None, validation_fraction=0.1, seed=0, deterministic=True,
         cache=False, augment="inception", min_crop_area=0.08,
         central_fraction=0.875, shuffle_buffer=10_000, start_epoch=0,
         start_step=0, evaluation_only=False):
    """Loads a dataset as batched, preprocessed training and validation
    streams.

    ``dataset`` is one of:

    * ``"default"``, ``"inception_shapes"`` or ``"inception_shapes/<config>"``
      (``64``, ``96``, ``tiny``): the embedded dataset, generated by TFDS
      into ``data_dir`` on first use. Its classes differ by scale (small
      objects span 0.14-0.18 of the side, large 0.25-0.34), so aggressive
      crops destroy the label: train it with ``augment="light",
      min_crop_area=0.75, central_fraction=1.0``.
    * an existing folder of class subfolders (see :func:`list_image_folder`),
      split per class by ``validation_fraction`` unless it holds ``train/``
      and ``validation/`` (or ``val/``). Every file is decoded once first
      (:func:`scan_images`); unreadable ones are left out, listed in
      ``skipped`` and reported in one warning on the ``keras_inception``
      logger.
    * any other TFDS image-classification dataset (``"name"``,
      ``"name/config"``, ``":version"``), downloaded into ``data_dir`` when
      needed. Validation is its ``validation`` split, else ``test``, else
      the last ``validation_fraction`` of ``train``. One-channel images
      become RGB.

    The training stream's epoch ``e`` is a function of ``(seed, e)`` only:
    its order is a stateless permutation seeded by ``(seed, e)`` (folders
    and TFDS training splits up to :data:`IN_MEMORY_BYTES` on disk are
    permuted whole; larger TFDS splits in windows of ``shuffle_buffer``
    consecutive examples), and augmentation is seeded by ``(seed, e,
    position)``. Each epoch has exactly ``steps_per_epoch`` batches.

    Args:
        dataset: see above.
        image_size: side of the square model input (int >= 32).
        batch_size: global batch size (>= 1, at most ``num_train`` unless
            ``evaluation_only``).
        preprocessing: the model's convention, ``"tf"``, ``"torch"`` or
            ``"caffe"`` (``get_model_info(name).preprocessing``), as
            :func:`keras_inception.imagenet.preprocess_input`; ``"none"``
            yields float32 pixels in [0, 255] (for exported models, which
            preprocess inside their graph).
        data_dir: TFDS data folder (``None``: TFDS's default).
        validation_fraction: in [0, 1), for datasets without a validation
            split.
        seed: non-negative integer; seeds the split, order and
            augmentation.
        deterministic: fix the element order even with parallel maps
            (``tf.data.Options.deterministic``); ``False`` lets tf.data
            reorder for speed.
        cache: keep decoded images in memory after the first epoch
            (pre-augmentation; for validation, the final images).
        augment: ``"inception"``, ``"light"`` or ``"none"`` (see
            :func:`train_transform`).
        min_crop_area: smallest training crop area, in (0, 1].
        central_fraction: evaluation central crop, in (0, 1].
        shuffle_buffer: window of the permutation for TFDS training splits
            larger than :data:`IN_MEMORY_BYTES`.
        start_epoch, start_step: where the training stream starts.
        evaluation_only: only ``validation`` will be used: ``batch_size``
            may exceed the training examples.

    Returns:
        An :class:`ImageData`.

    Raises:
        TypeError, ValueError: for a bad argument or unusable data, naming
            the argument, before any work on the data.
    """
    check_count(image_size, "image_size", MIN_IMAGE_SIZE)
    check_count(batch_size, "batch_size")
    check_choice(preprocessing, "preprocessing", PREPROCESSING)
    if data_dir is not None and not isinstance(data_dir, (str, os.PathLike)):
        raise TypeError(f"`data_dir` must be a path or None; received "
                        f"{data_dir!r}.")
    check_fraction(validation_fraction, "validation_fraction", "[0, 1)")
    check_count(seed, "seed", 0)
    if seed >= _MAX_SEED:
        raise ValueError(f"`seed` must be below 2**63; received {seed}.")
    check_bool(deterministic, "deterministic")
    check_bool(cache, "cache")
    check_bool(evaluation_only, "evaluation_only")
    check_choice(augment, "augment", AUGMENTS)
    check_fraction(min_crop_area, "min_crop_area", "(0, 1]")
    check_fraction(central_fraction, "central_fraction", "(0, 1]")
    check_count(shuffle_buffer, "shuffle_buffer")
    _check_start(start_epoch, start_step, math.inf)
    if data_dir is not None:
        data_dir = os.fspath(data_dir)

    splits = _open(dataset, data_dir=data_dir,
                   validation_fraction=validation_fraction, seed=seed,
                   cache=cache)
    steps_per_epoch = splits.num_train // batch_size
    if evaluation_only:
        steps_per_epoch = max(steps_per_epoch, 1)   # train is not used
    elif steps_per_epoch == 0:
        raise ValueError(f"`batch_size` must be at most the number of "
                         f"training examples ({splits.num_train}); received "
                         f"{batch_size}.")
    _check_start(start_epoch, start_step, steps_per_epoch)

    # partial, not nested functions: AutoGraph mixes up the sources of two
    # closures defined next to each other ("closure mismatch").
    train_view = functools.partial(
        train_transform, image_size=image_size, augment=augment,
        min_crop_area=min_crop_area, central_fraction=central_fraction)
    eval_view = functools.partial(eval_transform, image_size=image_size,
                                  central_fraction=central_fraction)

    make_train = _make_train(
        splits, seed=seed, batch_size=batch_size,
        steps_per_epoch=steps_per_epoch, cache=cache, transform=train_view,
        preprocessing=preprocessing, deterministic=deterministic,
        shuffle_buffer=shuffle_buffer)
    validation = _make_validation(
        splits, batch_size=batch_size, cache=cache, transform=eval_view,
        preprocessing=preprocessing, deterministic=deterministic)
    return ImageData(
        train=make_train(start_epoch, start_step), validation=validation,
        class_names=splits.class_names, num_train=splits.num_train,
        num_validation=splits.num_validation,
        steps_per_epoch=steps_per_epoch,
        validation_steps=math.ceil(splits.num_validation / batch_size),
        skipped=splits.skipped, source=splits.source, _make_train=make_train)
