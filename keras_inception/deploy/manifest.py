"""The ``manifest.json`` beside every export: input, preprocessing, classes,
source, each artifact's files with sizes and SHA-256, and the parity figures
of :mod:`keras_inception.deploy.verification`.

Example:
    >>> import os, tempfile
    >>> from keras_inception.deploy.manifest import artifact_entry
    >>> folder = tempfile.mkdtemp()
    >>> with open(os.path.join(folder, "model.onnx"), "wb") as f:
    ...     _ = f.write(b"abc")
    >>> entry = artifact_entry(folder, ["model.onnx"], opset=17)
    >>> entry["path"], entry["bytes"], entry["files"][0]["sha256"][:16]
    ('model.onnx', 3, 'ba7816bf8f01cfea')
"""

from __future__ import annotations

import datetime
import os

import keras

from keras_inception.deploy.verification import (FP32_TOLERANCE,
                                                 QUANTIZED_TARGETS)
from keras_inception.utils.files import sha256

MANIFEST = "manifest.json"


def file_entries(root, paths):
    """``path``, ``bytes`` and ``sha256`` of every file in ``paths``
    (files or folders, relative to ``root``)."""
    entries = []
    for path in paths:
        full = os.path.join(root, path)
        files = [full] if os.path.isfile(full) else sorted(
            os.path.join(d, f) for d, _, fs in os.walk(full) for f in fs)
        for f in files:
            entries.append({"path": os.path.relpath(f, root),
                            "bytes": os.path.getsize(f),
                            "sha256": sha256(f)})
    return entries


def artifact_entry(root, files, **extra):
    """The manifest entry of one artifact made of ``files`` under ``root``
    (its verification figures are added by the caller)."""
    entry = {"path": files[0] if len(files) == 1 else ".",
             "files": file_entries(root, files), **extra}
    entry["bytes"] = sum(f["bytes"] for f in entry["files"])
    return entry


def build_manifest(*, name, version, arch, model, image_size, preprocessing,
                   central_fraction, class_names, top_k, max_pixels, source,
                   artifacts, parity_source, calibration):
    """The manifest of one export (``artifacts``: the entries by key)."""
    import tensorflow as tf

    from keras_inception.version import __version__
    from keras_inception.models.imagenet import MODE_DESCRIPTIONS
    return {
        "manifest_version": 1,
        "model_name": name,
        "version": version,
        "architecture": arch,
        "keras_model_name": model.name,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"),
        "input": {"name": "images", "height": image_size,
                  "width": image_size, "channels": 3, "dtype": "float32",
                  "range": [0, 255], "layout": "NHWC, RGB"},
        "preprocessing": {"mode": preprocessing,
                          "description": MODE_DESCRIPTIONS[preprocessing],
                          "in_graph": True,
                          "central_fraction": float(central_fraction),
                          "resize": "bilinear"},
        "outputs": {"probabilities": "float32 [batch, classes]",
                    "top_k_scores": f"float32 [batch, {top_k}] (SavedModel)",
                    "top_k_classes": f"string [batch, {top_k}] (SavedModel)"},
        "class_names": list(class_names),
        "max_pixels": max_pixels,
        "source": source or {"keras_model": model.name},
        "parity_data": {"source": parity_source,
                        "calibration_images": calibration},
        "tolerances": {"fp32_max_abs_diff": FP32_TOLERANCE,
                       "quantized": QUANTIZED_TARGETS},
        "artifacts": artifacts,
        "versions": {"keras_inception": __version__,
                     "tensorflow": tf.__version__,
                     "keras": keras.__version__},
    }
