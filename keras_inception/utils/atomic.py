"""Atomic file writes: nothing half-written survives a crash.

Every file this package produces (checkpoints, summaries, plots, exports) is
written under a temporary name in the destination folder and renamed over
the final name; ``os.replace`` is atomic on POSIX and Windows file systems,
so a reader sees either the old file or the new one.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile


@contextlib.contextmanager
def atomic_path(path, suffix=""):
    """Yields a temporary path beside ``path``; renames it over ``path``
    when the block succeeds and removes it when the block fails.

    Args:
        path: the final file.
        suffix: ending of the temporary name, for writers that check the
            extension (``".weights.h5"``, ``".png"``).

    Example:
        >>> import os, tempfile
        >>> folder = tempfile.mkdtemp()
        >>> with atomic_path(os.path.join(folder, "a.txt")) as tmp:
        ...     _ = open(tmp, "w").write("done")
        >>> sorted(os.listdir(folder))
        ['a.txt']
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.",
                               suffix=f".partial{suffix}", dir=folder)
    os.close(fd)
    os.remove(tmp)   # writers such as h5py want to create the file
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_text(path, text):
    """Writes ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def write_json(path, obj):
    """Writes ``obj`` as indented JSON to ``path`` atomically."""
    write_text(path, json.dumps(obj, indent=2, sort_keys=True) + "\n")


def read_json(path):
    """Reads a JSON file; a missing file gives ``None``."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return None
