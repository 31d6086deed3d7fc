"""Numbered version folders, written atomically.

One export writes one version of a model::

    saved_models/<name>/<version>/     the folder TF Serving watches

Everything is written into ``.<version>.partial-<pid>`` beside the version
folder (TF Serving ignores names that are not numbers) and renamed into
place at the end, so a killed export leaves no version folder; the next
export removes the leftovers of dead processes. An existing version is only
replaced with ``overwrite=True``.

Example:
    >>> import os, tempfile
    >>> from keras_inception.deploy.versions import choose_version
    >>> model_dir = tempfile.mkdtemp()
    >>> os.mkdir(os.path.join(model_dir, "3"))
    >>> version, final = choose_version(model_dir, None, overwrite=False)
    >>> version, os.path.basename(final)
    (4, '4')
"""

from __future__ import annotations

import logging
import os
import shutil

logger = logging.getLogger("keras_inception")

PARTIAL = ".partial-"


def version_numbers(model_dir):
    """The numbers of the version folders in ``model_dir``, ascending."""
    return sorted(int(v) for v in os.listdir(model_dir) if v.isdigit()) \
        if os.path.isdir(model_dir) else []


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_partials(model_dir):
    """Leftovers of killed exports (their process is gone)."""
    if not os.path.isdir(model_dir):
        return
    for entry in os.listdir(model_dir):
        if PARTIAL not in entry or not entry.startswith("."):
            continue
        pid = entry.rsplit("-", 1)[-1]
        if pid.isdigit() and not _pid_alive(int(pid)):
            logger.info("removing %s, left by an interrupted export",
                        os.path.join(model_dir, entry))
            shutil.rmtree(os.path.join(model_dir, entry), ignore_errors=True)


def choose_version(model_dir, version, overwrite):
    """``(version, its folder)``: ``version``, or one above the newest;
    raises if that folder exists and ``overwrite`` is false."""
    existing = version_numbers(model_dir)
    version = int(version) if version is not None else \
        (existing[-1] + 1 if existing else 1)
    final = os.path.join(model_dir, str(version))
    if os.path.exists(final) and not overwrite:
        raise ValueError(f"version folder {final!r} exists; pass another "
                         "version (--version), or overwrite=True "
                         "(--overwrite) to replace it.")
    return version, final


def make_partial(model_dir, version):
    """Creates and returns this process's partial folder for ``version``."""
    os.makedirs(model_dir, exist_ok=True)
    partial = os.path.join(model_dir, f".{version}{PARTIAL}{os.getpid()}")
    os.makedirs(partial)
    return partial


def publish(partial, final, overwrite):
    """Renames the finished ``partial`` folder to ``final``."""
    if os.path.exists(final):
        if not overwrite:
            raise ValueError(f"version folder {final!r} appeared while "
                             "exporting; nothing was replaced.")
        head, tail = os.path.split(final)
        old = os.path.join(head, f".{tail}.replaced-{os.getpid()}")
        os.replace(final, old)
        os.replace(partial, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(partial, final)


def space_needed(deploy, formats, modes):
    """``(estimate, lower bound)`` in bytes of one version's files, for
    :meth:`keras_inception.utils.faults.writing`'s check: each artifact
    holds the weights of ``deploy`` (TFLite fp16 half of them, dynamic and
    int8 a quarter); a SavedModel also its graph, about 8 kB a layer
    (measured: 1.5 MB for the width-0.25 GoogLeNet's 190 layers)."""
    from keras_inception.utils.faults import variables_bytes
    weights = variables_bytes(deploy.weights)
    share = {"none": 1.0, "fp16": 0.5, "dynamic": 0.25, "int8": 0.25}
    copies = (("saved_model" in formats) + ("onnx" in formats)
              + sum(share[m] for m in modes))
    graph = 8192 * _leaf_layers(deploy) if "saved_model" in formats else 0
    return int(copies * weights + graph), int(copies * weights)


def _leaf_layers(model):
    return sum(_leaf_layers(layer) if getattr(layer, "layers", None) else 1
               for layer in model.layers)
