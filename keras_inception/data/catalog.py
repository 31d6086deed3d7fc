"""What a ``dataset`` argument names, opened as tables of examples.

:func:`open_dataset` takes ``"default"`` (the embedded
``inception_shapes``), a folder of class subfolders (:mod:`.folders`) or a
TFDS name, and returns :class:`Splits`: ``(key, label)`` tables in a fixed
order and how to read a key into an image. Bad names fail here, before any
download.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import io
import logging
import os
import re
import sys
import time
from typing import Callable

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

import keras_inception.data.shapes  # noqa: F401  registers inception_shapes
from keras_inception.data.folders import (list_image_folder, read_image_file,
                                          scan_images, split_by_class,
                                          validation_count)
from keras_inception.data.transforms import decode_image

logger = logging.getLogger("keras_inception")

EMBEDDED = "inception_shapes"
# What `dataset` may say to mean it.
EMBEDDED_NAMES = ("default", EMBEDDED)

# A TFDS training split up to this size on disk (encoded) is read whole each
# epoch and permuted as one window; a larger one is permuted in windows of
# `shuffle_buffer` consecutive examples.
IN_MEMORY_BYTES = 1 << 30
# A TFDS name: builder, optional /config, optional :version.
_TFDS_NAME = re.compile(r"^[A-Za-z][\w]*(/[\w.+-]+)?(:[\d*]+(\.[\d*]+)*)?$")


@dataclasses.dataclass(frozen=True)
class Splits:
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
    return Splits(
        train=_table(train), validation=_table(validation),
        read_image=read_image_file, class_names=folder.class_names,
        num_train=len(train), num_validation=len(validation),
        in_memory=True, skipped=bad,
        source=f"folder:{folder.root} ({how})")


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


def _prepare(builder, dataset):
    """Downloads and prepares ``builder``'s data when needed (and allowed):
    TFDS's bars on a terminal, else our one line before and after."""
    if builder.is_prepared():
        return
    logger.info("preparing %s in %s (first use)", dataset, builder.data_dir)
    start = time.perf_counter()
    tfds.display_progress_bar(sys.stderr.isatty())
    with contextlib.redirect_stdout(io.StringIO()):   # TFDS's own prints
        builder.download_and_prepare()
    logger.info("%s prepared in %.0f s", dataset, time.perf_counter() - start)


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
    _prepare(builder, dataset)

    splits = info.splits
    if "train" not in splits:
        raise ValueError(f"`dataset` {dataset!r} has no 'train' split "
                         f"(splits: {sorted(splits)}).")
    train_split = "train"
    val_split = next((s for s in ("validation", "test") if s in splits),
                     None)
    if val_split is None:
        n = splits["train"].num_examples
        n_val = validation_count(n, validation_fraction)
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
    return Splits(
        train=read(train_split), validation=read(val_split),
        read_image=decode_image, class_names=tuple(features[keys[1]].names),
        num_train=num_train, num_validation=num_validation,
        in_memory=in_memory, skipped=(),
        source=(f"tfds:{info.full_name} (data_dir={root}; splits "
                f"{train_split} / {val_split})"))


def is_embedded(dataset):
    """Whether ``dataset`` names the embedded ``inception_shapes`` data
    (``"default"`` or ``inception_shapes[/config][:version]``)."""
    return dataset.split("/")[0].split(":")[0] in EMBEDDED_NAMES


def check_dataset(dataset):
    """Raises unless ``dataset`` is ``"default"``, an existing folder or
    something shaped like a TFDS name (whether TFDS has it is known only
    when it is opened); returns it as a string, ``"default"`` resolved."""
    if isinstance(dataset, os.PathLike):
        dataset = os.fspath(dataset)
    if not isinstance(dataset, str) or not dataset:
        raise TypeError("`dataset` must be 'default', a TFDS name or a "
                        f"folder path; received {dataset!r}.")
    if dataset == "default":
        return EMBEDDED
    path = os.path.expanduser(dataset)
    if os.path.isdir(path):
        return dataset
    if os.path.exists(path):
        raise ValueError(f"`dataset` {dataset!r} is a file; pass a folder "
                         "of class subfolders or a TFDS name.")
    if not _TFDS_NAME.match(dataset):
        raise ValueError(f"`dataset` {dataset!r} does not exist: no such "
                         "folder (and it is not a TFDS name).")
    return dataset


def open_dataset(dataset, *, data_dir, validation_fraction, seed, cache):
    """The :class:`Splits` of ``dataset`` (as :func:`~keras_inception.data.
    load` takes it, its other arguments already checked)."""
    dataset = check_dataset(dataset)
    path = os.path.expanduser(dataset)
    if os.path.isdir(path):
        return _open_folder(path, validation_fraction, seed)
    return _open_tfds(dataset, data_dir, validation_fraction, cache)


@dataclasses.dataclass(frozen=True)
class Sample:
    """One labelled image as a file holds it: ``name`` says where it came
    from, ``data`` is the encoded image (JPEG, PNG, ...)."""

    name: str
    data: bytes
    label: str


def validation_samples(dataset, count=1, *, data_dir=None):
    """The first ``count`` validation images of ``dataset`` as encoded
    bytes with their class names (:class:`Sample`): what a client would
    send to a served model (``keras-inception predict --dataset``).
    Images of a folder are its files' bytes, named by their paths; those
    of a TFDS dataset are the encoded images it stores (PNG for the
    embedded one)."""
    from keras_inception.utils.checks import check_count

    check_count(count, "count")
    splits = open_dataset(dataset, data_dir=data_dir,
                          validation_fraction=0.1, seed=0, cache=False)
    from_folder = splits.source.startswith("folder:")
    samples = []
    for i, (key, label) in enumerate(splits.validation.take(count)):
        key = key.numpy()
        if from_folder:
            path = key.decode()
            with open(path, "rb") as f:
                data, name = f.read(), path
        else:
            data, name = key, f"{dataset} validation #{i}"
        samples.append(Sample(name, data, splits.class_names[int(label)]))
    return samples
