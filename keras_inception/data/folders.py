"""Image folders: one subfolder per class, optionally ``train/`` and
``validation/`` splits; listing their images, splitting them per class and
finding the files that do not decode.

Nothing here builds a ``tf.data`` pipeline: :mod:`.catalog` turns a folder
into one.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Optional

import numpy as np
import tensorflow as tf

from keras_inception.data.transforms import decode_image
from keras_inception.utils.progress import Progress

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif")
# Scans of at least this many files show a progress bar.
PROGRESS_MIN_FILES = 2000


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


def read_image_file(path):
    """The image file at ``path``, decoded by :func:`decode_image`."""
    return decode_image(tf.io.read_file(path))


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


def validation_count(n, fraction):
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
        chosen = set(order[:validation_count(len(paths),
                                              validation_fraction)])
        for i, path in enumerate(paths):
            (validation if i in chosen else train).append((path, label))
    return tuple(train), tuple(validation)


def _readable_index(index, path):
    image = read_image_file(path)
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
    progress = Progress(len(paths), desc="checking image files",
                        unit="file", mode="auto"
                        if len(paths) >= PROGRESS_MIN_FILES else "none")
    ok = np.zeros(len(paths), bool)
    for indices, _ in decoded:
        ok[indices.numpy()] = True
        progress.update(ok.sum())    # unreadable files are not counted
    progress.update(len(paths))
    progress.close(unreadable=int(len(paths) - ok.sum()))
    return (tuple(p for p, good in zip(paths, ok) if good),
            tuple(p for p, good in zip(paths, ok) if not good))
