"""``weights=PATH``: a weights file loads into every generation, and a
file that does not fit is refused before anything is assigned.

The refusals name the first offending layer of the model, for both HDF5
layouts that reach us: Keras 3 ``.weights.h5`` (what ``save_weights``
writes) and Keras 2 ``.h5`` (keras.applications' published files). A
model that was being loaded into keeps its previous values.
"""

import h5py
import keras
import numpy as np
import pytest
from keras.src.legacy.saving import legacy_h5_format

import keras_inception
from keras_inception.models.weights import load_weights
from generations import NAMES
from helpers import SMALL, small_size


def _build(name, seed, **kwargs):
    keras.utils.set_random_seed(seed)
    size = small_size(name)
    return keras_inception.get_model(name, input_shape=(size, size, 3),
                                     classes=7, **SMALL, **kwargs)


def _inputs(model, seed=0):
    shape = (2,) + tuple(model.input_shape[1:])
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(
        "float32")


def _values(model):
    return [np.array(v) for v in model.weights]


def _first_difference(model, other):
    """The first layer with weights of ``model`` whose variable shapes
    differ from the layer at the same position among ``other``'s: read
    from the two models, not from a file."""
    def shapes(m):
        return [(l.name, [tuple(v.shape) for v in l.weights])
                for l in m.layers if l.weights]
    for (name, a), (_, b) in zip(shapes(model), shapes(other)):
        if a != b:
            return name
    return None


def _legacy_file(model, path):
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)
    return str(path)


@pytest.mark.parametrize("name", NAMES)
def test_weights_path_loads_into_every_generation(name, tmp_path):
    trained = _build(name, seed=1)
    # BatchNorm statistics and scales away from their initial values, so a
    # file that loaded only the kernels would be caught.
    rng = np.random.default_rng(2)
    for layer in trained.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            for v in layer.weights:   # gamma, beta, mean, variance
                low = 0.5 if v.path.endswith(("gamma", "variance")) else -0.1
                v.assign(rng.uniform(low, low + 1 if low > 0 else 0.1,
                                     v.shape).astype(v.dtype))
    path = str(tmp_path / f"{name}.weights.h5")
    trained.save_weights(path)

    loaded = _build(name, seed=3, weights=path)
    fresh = _build(name, seed=3)
    x = _inputs(trained)
    want = np.asarray(trained(x))
    assert np.abs(np.asarray(loaded(x)) - want).max() == 0
    assert np.abs(np.asarray(fresh(x)) - want).max() > 0


def test_another_architectures_file_names_the_first_offending_layer(
        tmp_path):
    path = str(tmp_path / "v4.weights.h5")
    v4 = _build("inception_v4", seed=1)
    v4.save_weights(path)
    v3 = _build("inception_v3", seed=2)
    with pytest.raises(ValueError) as info:
        load_weights(v3, path)
    message = str(info.value)
    print(message)
    assert "`weights` file" in message and path in message
    # Both stems start alike; V3's first layer V4 lacks is named.
    first = _first_difference(v3, v4)
    assert first == "conv_3b_1x1_conv"
    assert f"layer {first!r}" in message


def test_a_missing_tensor_names_its_layer_and_leaves_the_model(tmp_path):
    model = _build("inception_v3", seed=1)
    path = str(tmp_path / "v3.weights.h5")
    model.save_weights(path)
    with h5py.File(path, "r+") as f:      # drop one BatchNorm's variance
        del f["layers/batch_normalization_4/vars/2"]
    target = _build("inception_v3", seed=2)
    before = _values(target)
    with pytest.raises(ValueError) as info:
        load_weights(target, path)
    print(info.value)
    bn = [l for l in target.layers
          if isinstance(l, keras.layers.BatchNormalization)][4]
    assert f"layer {bn.name!r}" in str(info.value)
    assert "a tensor is missing or extra" in str(info.value)
    assert all(np.array_equal(a, b) for a, b in zip(before,
                                                     _values(target)))


def test_an_extra_layer_in_the_file_is_named(tmp_path):
    path = str(tmp_path / "top.weights.h5")
    _build("inception_v3", seed=1).save_weights(path)
    with pytest.raises(ValueError) as info:
        _build("inception_v3", seed=2, weights=path, include_top=False)
    print(info.value)
    assert "holds weights for 'layers/dense'" in str(info.value)
    assert "which the model has no layer for" in str(info.value)


def test_a_keras2_file_of_another_architecture_is_refused_by_layer(
        tmp_path):
    irv2 = _build("inception_resnet_v2", seed=1)
    path = _legacy_file(irv2, tmp_path / "irv2.h5")
    v3 = _build("inception_v3", seed=2)
    with pytest.raises(ValueError) as info:
        load_weights(v3, path)
    print(info.value)
    first = _first_difference(v3, irv2)
    assert f"layer {first!r}" in str(info.value)


def test_a_keras2_file_with_one_wrong_shape_deep_inside_assigns_nothing(
        tmp_path):
    """Keras itself would assign every layer before the bad one; we
    refuse before the first."""
    source = _build("inception_v3", seed=1)
    path = _legacy_file(source, tmp_path / "v3.h5")
    with h5py.File(path, "r+") as f:
        names = [str(n, "utf8") if isinstance(n, bytes) else n
                 for n in f.attrs["layer_names"]]
        deep = [n for n in names if len(f[n].attrs["weight_names"])][-3]
        weight = f[deep].attrs["weight_names"][0]
        weight = str(weight, "utf8") if isinstance(weight, bytes) else weight
        shape = f[deep][weight].shape
        del f[deep][weight]
        f[deep][weight] = np.zeros(shape[:-1] + (shape[-1] + 1,),
                                   "float32")
    target = _build("inception_v3", seed=2)
    before = _values(target)
    with pytest.raises(ValueError) as info:
        load_weights(target, path)
    print(info.value)
    assert f"file layer {deep!r}" in str(info.value)
    assert all(np.array_equal(a, b) for a, b in zip(before,
                                                     _values(target)))
    # The same file without the damage loads and gives the source's logits.
    good = _legacy_file(source, tmp_path / "good.h5")
    load_weights(target, good)
    x = _inputs(target)
    assert np.abs(np.asarray(target(x)) - np.asarray(source(x))).max() == 0


def test_a_load_that_fails_part_way_restores_the_model(tmp_path,
                                                       monkeypatch):
    """The structure check passes but the load breaks after assigning some
    layers (a read error, say): the previous values come back."""
    model = _build("inception_v4", seed=1)
    path = str(tmp_path / "v4.weights.h5")
    model.save_weights(path)
    target = _build("inception_v4", seed=2)
    before = _values(target)

    def half_then_fail(self, filepath, *args, **kwargs):
        for v in self.weights[: len(self.weights) // 2]:
            v.assign(np.zeros(v.shape, v.dtype))
        raise OSError("Unable to read data (read error)")

    monkeypatch.setattr(keras.Model, "load_weights", half_then_fail)
    with pytest.raises(ValueError, match="read error"):
        load_weights(target, path)
    assert all(np.array_equal(a, b) for a, b in zip(before,
                                                     _values(target)))


def test_the_refusal_reaches_the_command_line_as_one_line(tmp_path,
                                                         capsys):
    from helpers import cli_here

    path = str(tmp_path / "v4.weights.h5")
    _build("inception_v4", seed=1).save_weights(path)
    result = cli_here(capsys, "export", "--model", "inception_v3",
                      "--weights", path, "--classes", 7, "--input-size", 75,
                      "--width-multiplier", 0.25, "--output", tmp_path / "o")
    print(result.stderr)
    assert result.returncode == 2, result.stderr
    assert "conv_3b_1x1_conv" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()
