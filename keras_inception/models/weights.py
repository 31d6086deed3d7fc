"""Loading weight files into a built model, strictly and with clear errors.

Keras 3 ``.weights.h5`` files key each layer's variables by the layer's
class and its position among layers of that class in ``model.layers``
(``layers/conv2d_12/vars/0``), not by layer name. Our builders create the
same graph as keras.applications for the networks both provide, so the files
are interchangeable; this module checks the whole structure first, so a file
that does not fit fails with one readable message instead of a partial load.
"""

from __future__ import annotations

import os
import re

import h5py


def _snake(name: str) -> str:
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def expected_structure(model, prefix="layers"):
    """``{h5 path: [variable shapes]}`` that ``model.save_weights`` writes."""
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
            out[path] = shapes
    return out


def file_structure(path):
    """``{h5 path: [dataset shapes]}`` of a ``.weights.h5`` file."""
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


def _describe_mismatch(model, path):
    want, have = expected_structure(model), file_structure(path)
    if not have:
        return "it holds no layer weights in the Keras 3 layout"
    missing = [k for k in want if k not in have]
    extra = [k for k in have if k not in want]
    if missing or extra:
        return (f"the model has {len(want)} layers with weights and the file "
                f"{len(have)}; first unmatched: "
                f"{(missing or extra)[0]!r}")
    for key, shapes in want.items():
        if have[key] != shapes:
            hint = ""
            if key == next(iter(want)) and len(shapes[0]) == 4:
                hint = (f" (the weights expect {have[key][0][2]} input "
                        f"channels, the model has {shapes[0][2]}: check "
                        "`input_shape`)")
            return (f"{key} has shapes {have[key]} in the file and "
                    f"{shapes} in the model{hint}")
    return None


def load_weights(model, path, argument="weights"):
    """Load ``path`` into ``model`` or raise ``ValueError`` naming
    ``argument`` and the file.

    The file is judged first (missing, empty, truncated, not HDF5 / not a
    ``.keras`` archive: :func:`keras_inception.utils.files.
    check_model_file`); ``.weights.h5`` files are then checked layer by
    layer before anything is assigned; other formats (legacy ``.h5``,
    ``.keras``) go through ``model.load_weights`` and its errors are
    reworded.
    """
    from keras_inception.utils.files import check_model_file

    path = os.fspath(path)
    check_model_file(path, argument, "keras" if path.lower().endswith(
        ".keras") else "weights")
    if path.endswith(".weights.h5"):
        problem = _describe_mismatch(model, path)
        if problem:
            raise ValueError(f"`{argument}` file {path!r} does not fit "
                             f"{model.name!r} as built: {problem}.")
    try:
        model.load_weights(path)
    except Exception as err:  # Keras raises several types here
        raise ValueError(f"`{argument}` file {path!r} does not fit "
                         f"{model.name!r} as built: {err}") from None
