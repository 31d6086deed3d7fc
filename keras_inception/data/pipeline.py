"""Input pipelines: images from TFDS or a folder, as Inception trains them.

:func:`load` turns a dataset -- the embedded ``inception_shapes``, any TFDS
image-classification dataset, or a folder of class subfolders -- into an
:class:`ImageData`: batched ``tf.data`` streams of float32 images already
preprocessed for the model and int32 labels.

Training images get the Inception crop, flip and colour distortion and
evaluation images a central crop (:mod:`.transforms`); datasets are found by
name (:mod:`.catalog`), folders listed and scanned by :mod:`.folders`.

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
    >>> shapes.class_names[:3], shapes.num_train, shapes.steps_per_epoch
    (('disc_small', 'disc_large', 'square_small'), 100, 4)
    >>> images, labels = next(iter(shapes.train))
    >>> images.shape, images.dtype.name, labels.dtype.name
    (TensorShape([25, 32, 32, 3]), 'float32', 'int32')
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
from typing import Callable, Optional

import tensorflow as tf

from keras_inception.data.catalog import open_dataset
from keras_inception.data.transforms import (AUGMENTS, PREPROCESSING,
                                             derive_seed, eval_transform,
                                             preprocess, train_transform)
from keras_inception.utils.checks import (check_bool, check_choice,
                                         check_count, check_fraction)

MIN_IMAGE_SIZE = 32
_MAX_SEED = 2 ** 63
# Stateless-seed purposes, so order and augmentation never share a stream.
_ORDER, _AUGMENT = 1, 2


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


def _dense(image):
    """A decoded image held in a ragged batch comes back as a RaggedTensor
    with uniform rows; make it dense."""
    if isinstance(image, tf.RaggedTensor):
        return image.to_tensor()
    return image


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
            seed=derive_seed(seed, _ORDER, epoch, index))
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
                          derive_seed(seed, _AUGMENT, epoch, position))
        return (preprocess(image, preprocessing), tf.cast(label, tf.int32))

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
        return preprocess(image, preprocessing), tf.cast(label, tf.int32)

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


def check_pipeline_options(*, validation_fraction, seed, augment,
                           min_crop_area, central_fraction):
    """Raises for a :func:`load` option out of range (one place for the
    ranges: :class:`~keras_inception.training.TrainConfig` checks a run's
    options with it before any work)."""
    check_fraction(validation_fraction, "validation_fraction", "[0, 1)")
    check_count(seed, "seed", 0)
    if seed >= _MAX_SEED:
        raise ValueError(f"`seed` must be below 2**63; received {seed}.")
    check_choice(augment, "augment", AUGMENTS)
    check_fraction(min_crop_area, "min_crop_area", "(0, 1]")
    check_fraction(central_fraction, "central_fraction", "(0, 1]")


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
        preprocessing: the model's convention, ``"tf"``, ``"torch"``,
            ``"caffe"`` or ``"caffe_bninception"``
            (``get_model_info(name).preprocessing``), as
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
    check_pipeline_options(validation_fraction=validation_fraction,
                           seed=seed, augment=augment,
                           min_crop_area=min_crop_area,
                           central_fraction=central_fraction)
    check_bool(deterministic, "deterministic")
    check_bool(cache, "cache")
    check_bool(evaluation_only, "evaluation_only")
    check_count(shuffle_buffer, "shuffle_buffer")
    _check_start(start_epoch, start_step, math.inf)
    if data_dir is not None:
        data_dir = os.fspath(data_dir)

    splits = open_dataset(dataset, data_dir=data_dir,
                          validation_fraction=validation_fraction,
                          seed=seed, cache=cache)
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
