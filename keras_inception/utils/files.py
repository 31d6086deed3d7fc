"""A model file judged as what it is, before a runtime reads it.

A weights file cut short by a full disk, an ``.onnx`` that is really an
HTML error page, a ``.tflite`` renamed from something else: each runtime
fails on them in its own words (h5py's superblock offsets, a protobuf
parse error, a FlatBuffer verifier), or worse, with a message about
something else. :func:`check_model_file` reads the file's signature (and
for HDF5 and zip files their own index) and raises one ``ValueError`` that
names the argument, the file and what is wrong with it.

==========================  =========  ===================================
extension                   kind       checked
==========================  =========  ===================================
``.weights.h5``, ``.h5``    weights    HDF5 signature; opens; not truncated
``.keras``                  keras      zip archive holding ``config.json``
``.tflite``                 tflite     FlatBuffer identifier ``TFL3``
``.onnx``                   onnx       starts as a ModelProto
==========================  =========  ===================================

Example:
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "model.onnx")
    >>> _ = open(path, "w").write("<html>Not Found</html>")
    >>> try:
    ...     check_model_file(path, "artifact")
    ... except ValueError as err:
    ...     print(str(err).split(": ", 1)[1])
    not an ONNX model (it starts with b'<html>No').
"""

from __future__ import annotations

import os
import re
import zipfile

__all__ = ["MODEL_FILE_KINDS", "check_model_file", "model_file_kind"]

MODEL_FILE_KINDS = {".weights.h5": "weights", ".h5": "weights",
                    ".keras": "keras", ".tflite": "tflite", ".onnx": "onnx"}
_HDF5 = b"\x89HDF\r\n\x1a\n"


def model_file_kind(path):
    """``"weights"``, ``"keras"``, ``"tflite"``, ``"onnx"`` from the
    extension, or ``None``."""
    lower = os.fspath(path).lower()
    for ending, kind in MODEL_FILE_KINDS.items():
        if lower.endswith(ending):
            return kind
    return None


def _head(path, argument, size=16):
    if not os.path.exists(path):
        raise ValueError(f"`{argument}` {path!r} does not exist.")
    if os.path.isdir(path):
        raise ValueError(f"`{argument}` {path!r} is a folder, not a model "
                         "file.")
    try:
        with open(path, "rb") as f:
            head = f.read(size)
    except OSError as err:
        raise ValueError(f"`{argument}` {path!r} cannot be read: "
                         f"{(err.strerror or str(err)).lower()}.") from None
    if not head:
        raise ValueError(f"`{argument}` {path!r} is empty (0 bytes).")
    return head


def _hdf5_problem(path, head):
    if not head.startswith(_HDF5):
        return f"not an HDF5 weights file (it starts with {head[:8]!r})"
    import h5py
    try:
        with h5py.File(path, "r"):
            return None
    except OSError as err:
        text = str(err)
        cut = re.search(r"eof = (\d+).*stored_eof = (\d+)", text)
        if cut:
            return (f"truncated: {int(cut.group(1)):,} of "
                    f"{int(cut.group(2)):,} bytes (an interrupted copy or "
                    "a full disk?)")
        detail = re.sub(r"^Unable to \w+ open file \((.*)\)$", r"\1", text)
        return f"a damaged HDF5 file ({detail})"


def _keras_problem(path, head):
    if not zipfile.is_zipfile(path):
        return ("not a .keras archive (not a complete zip file"
                + ("; truncated?)" if head.startswith(b"PK") else ")"))
    with zipfile.ZipFile(path) as archive:
        if "config.json" not in archive.namelist():
            return "a zip file but not a Keras model (no config.json in it)"
    return None


def _tflite_problem(path, head):
    if len(head) < 8 or head[4:8] != b"TFL3":
        return f"not a TFLite model (it starts with {head[:8]!r})"
    return None


def _onnx_problem(path, head):
    # A serialized ModelProto opens with field 1 (ir_version, a varint):
    # the tag byte 0x08.
    if head[:1] != b"\x08":
        return f"not an ONNX model (it starts with {head[:8]!r})"
    return None


_CHECKS = {"weights": _hdf5_problem, "keras": _keras_problem,
           "tflite": _tflite_problem, "onnx": _onnx_problem}


def check_model_file(path, argument, kind=None):
    """Raises ``ValueError`` naming ``argument`` and ``path`` when the file
    is missing, unreadable, empty, truncated or not of its ``kind``
    (default: from its extension, see the module table); returns the kind.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"`{argument}` must be a path; received {path!r}.")
    path = os.fspath(path)
    kind = kind or model_file_kind(path)
    if kind not in _CHECKS:
        raise ValueError(f"`{argument}` {path!r} is not a model file "
                         f"({', '.join(MODEL_FILE_KINDS)}).")
    problem = _CHECKS[kind](path, _head(path, argument))
    if problem:
        raise ValueError(f"`{argument}` {path!r}: {problem}.")
    return kind


def sha256(path):
    """The SHA-256 of the file at ``path``, in hex (read in 1 MiB blocks)."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
