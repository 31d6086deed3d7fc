"""Loading weight files into a built model, strictly and with clear errors.

Two HDF5 layouts reach us. Keras 3 ``.weights.h5`` files key each layer's
variables by the layer's class and its position among layers of that class
in ``model.layers`` (``layers/conv2d_12/vars/0``), not by layer name.
Keras 2 ``.h5`` files (keras.applications' published ImageNet weights)
list their layers in order, and Keras matches them to the model's layers
with weights by position. Our builders create the same graph as
keras.applications for the networks both provide, so both kinds of file
are interchangeable.

This module reads the file's structure first and compares it with the
model's, so a file that does not fit (another architecture, a missing or
an extra tensor, another shape) fails with one message naming the first
offending layer of the model, before anything is assigned. Should the load
fail anyway, the model's previous values are put back: no model is left
half-loaded.
"""

from __future__ import annotations

import os
import re

import h5py
import numpy as np


def _snake(name: str) -> str:
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def expected_structure(model, prefix="layers"):
    """``{h5 path: (layer name, [variable shapes])}`` that
    ``model.save_weights`` writes, in the model's layer order."""
    out, used = {}, {}
    for layer in model.layers:
        key = _snake(type(layer).__name__)
        if key in used:
            used[key] += 1
            key = f"{key}_{used[key]}"
        else:
            used[key] = 0
        path = f"{prefix}/{key}"
        if hasattr(layer, "layers") and layer.layers:  # nested model
            out.update(expected_structure(layer, f"{path}/layers"))
            continue
        shapes = [tuple(v.shape) for v in layer.weights]
        if shapes:
            out[path] = (layer.name, shapes)
    return out


def file_structure(path):
    """``{h5 path: [dataset shapes]}`` of a Keras 3 ``.weights.h5`` file."""
    out = {}
    with h5py.File(path, "r") as f:
        if "layers" not in f:
            return out

        def visit(name, obj):
            if isinstance(obj, h5py.Group) and name.endswith("/vars"):
                keys = sorted(obj.keys(), key=int)
                if keys:
                    out[name[: -len("/vars")]] = [tuple(obj[k].shape)
                                                  for k in keys]

        f["layers"].visititems(lambda n, o: visit(f"layers/{n}", o))
    return out


def _text(values):
    return [v.decode("utf8") if hasattr(v, "decode") else str(v)
            for v in values]


def legacy_structure(path):
    """``[(layer name, [weight shapes])]`` of a Keras 2 ``.h5`` file, in
    its order, layers without weights left out; ``None`` if the file is
    not in that layout."""
    with h5py.File(path, "r") as f:
        group = f["model_weights"] if "model_weights" in f else f
        if "layer_names" not in group.attrs:
            return None
        out = []
        for name in _text(group.attrs["layer_names"]):
            layer = group[name]
            names = _text(layer.attrs.get("weight_names", []))
            if names:
                out.append((name, [tuple(layer[n].shape) for n in names]))
        return out


def _legacy_expected(model):
    """The model's side of a Keras 2 load: layers with weights in order,
    each with its trainable then non-trainable variables."""
    out = []
    for layer in model.layers:
        variables = layer.trainable_weights + layer.non_trainable_weights
        if variables:
            out.append((layer.name, [tuple(v.shape) for v in variables]))
    return out


def _shape_problem(layer, where, have, want, first):
    if len(have) != len(want):
        return (f"layer {layer!r} ({where}) has {len(want)} tensors in the "
                f"model and {len(have)} in the file: a tensor is missing "
                "or extra")
    for i, (h, w) in enumerate(zip(have, want)):
        if h != w:
            hint = ""
            if first and i == 0 and len(w) == 4 and h[:2] == w[:2]:
                hint = (f" (the weights expect {h[2]} input channels, the "
                        f"model has {w[2]}: check `input_shape`)")
            return (f"layer {layer!r} ({where}) tensor {i} has shape {h} "
                    f"in the file and {w} in the model{hint}")
    return None


def _keras3_mismatch(model, path):
    want, have = expected_structure(model), file_structure(path)
    if not have:
        return "it holds no layer weights in the Keras 3 layout"
    for n, (key, (layer, shapes)) in enumerate(want.items()):
        if key not in have:
            return (f"layer {layer!r} ({key}) has no weights in the file "
                    f"(the model has {len(want)} layers with weights, the "
                    f"file {len(have)})")
        problem = _shape_problem(layer, key, have[key], shapes, n == 0)
        if problem:
            return problem
    extra = [k for k in have if k not in want]
    if extra:
        return (f"the file holds weights for {extra[0]!r}, which the model "
                f"has no layer for ({len(have)} layers in the file, "
                f"{len(want)} in the model)")
    return None


def _legacy_mismatch(model, have):
    want = _legacy_expected(model)
    for n, (layer, shapes) in enumerate(want):
        if n >= len(have):
            return (f"layer {layer!r} (number {n + 1} with weights) has no "
                    f"weights in the file (the model has {len(want)} "
                    f"layers with weights, the file {len(have)})")
        saved, saved_shapes = have[n]
        problem = _shape_problem(layer, f"file layer {saved!r}",
                                 saved_shapes, shapes, n == 0)
        if problem:
            return problem
    if len(have) > len(want):
        return (f"the file holds weights for {have[len(want)][0]!r} after "
                f"the model's last layer ({len(have)} layers in the file, "
                f"{len(want)} in the model)")
    return None


def _mismatch(model, path):
    if path.endswith(".weights.h5"):
        return _keras3_mismatch(model, path)
    if path.lower().endswith((".h5", ".hdf5")):
        have = legacy_structure(path)
        if have is not None:
            return _legacy_mismatch(model, have)
    return None


def load_weights(model, path, argument="weights"):
    """Load ``path`` into ``model`` or raise ``ValueError`` naming
    ``argument``, the file and the first layer that does not fit.

    The file is judged first (missing, empty, truncated, not HDF5 / not a
    ``.keras`` archive: :func:`keras_inception.utils.files.
    check_model_file`), then its layers are compared with the model's
    (Keras 3 ``.weights.h5`` by class and position, Keras 2 ``.h5`` by
    order) before anything is assigned. Other formats (``.keras``) go
    through ``model.load_weights`` and its errors are reworded. If loading
    fails part-way, the model's previous values are restored.
    """
    from keras_inception.utils.files import check_model_file

    path = os.fspath(path)
    check_model_file(path, argument, "keras" if path.lower().endswith(
        ".keras") else "weights")
    problem = _mismatch(model, path)
    if problem:
        raise ValueError(f"`{argument}` file {path!r} does not fit "
                         f"{model.name!r} as built: {problem}.")
    before = [np.array(v) for v in model.weights]
    try:
        model.load_weights(path)
    except Exception as err:  # Keras raises several types here
        for variable, value in zip(model.weights, before):
            variable.assign(value)
        raise ValueError(f"`{argument}` file {path!r} does not fit "
                         f"{model.name!r} as built: {err}") from None
