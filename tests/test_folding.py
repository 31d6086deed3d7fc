"""fold_batch_norm: the inference copy computes what the model computes.

Each generation is checked with its BN statistics and affine parameters
randomised (freshly built ones are the identity map, which would hide a
wrong fold), on logits, against the unfolded model run by Keras.
"""

import keras
import numpy as np
import pytest

import keras_inception
from keras_inception import fold_batch_norm
from keras_inception.models import registry
from tests.generations import GENERATIONS
from tests.helpers import small_size


def _randomise_batch_norm(model, seed=0):
    rng = np.random.default_rng(seed)
    for layer in model._flatten_layers():
        if isinstance(layer, keras.layers.BatchNormalization):
            for v in layer.weights:
                low, high = (0.5, 2.0) if "variance" in v.path or \
                    "gamma" in v.path else (-0.5, 0.5)
                v.assign(rng.uniform(low, high, v.shape).astype("float32"))


def _bn_count(model):
    return sum(isinstance(layer, keras.layers.BatchNormalization)
               for layer in model._flatten_layers())


def _images(side, n=2):
    return np.random.default_rng(1).uniform(-1, 1, (n, side, side, 3)) \
        .astype("float32")


def _max_diff(a, b):
    flat = keras.tree.flatten(keras.tree.map_structure(
        lambda x, y: float(np.abs(np.asarray(x) - np.asarray(y)).max()),
        a, b))
    return max(flat)


@pytest.mark.parametrize("name", sorted(GENERATIONS))
def test_every_generation_folds_to_the_same_logits(name):
    side = max(small_size(name), 75)
    aux = {"aux_logits": True} if GENERATIONS[name].has_aux else {}
    model = registry.get_model(name, input_shape=(side, side, 3),
                               width_multiplier=0.25, classes=7,
                               classifier_activation=None, **aux)
    _randomise_batch_norm(model)
    before = [w.copy() for w in model.get_weights()]
    folded = fold_batch_norm(model)
    x = _images(side)
    expected = model(x, training=False)
    diff = _max_diff(expected, folded(x))
    scale = _max_diff(expected,
                      keras.tree.map_structure(np.zeros_like, expected))
    assert diff <= 1e-4 * max(scale, 1.0), (name, diff, scale)
    assert _bn_count(folded) == 0
    assert folded.name == model.name
    assert registry.variant_of(folded) is registry.variant_of(model)
    assert folded.end_points == model.end_points
    # The model itself is untouched.
    assert all(np.array_equal(a, b)
               for a, b in zip(before, model.get_weights()))


def test_a_nested_network_is_folded_too():
    inputs = keras.Input((75, 75, 3))
    model = keras_inception.InceptionV3(input_tensor=inputs, classes=4,
                                        width_multiplier=0.25,
                                        classifier_activation=None)
    _randomise_batch_norm(model)
    assert _bn_count(model) > 0
    folded = fold_batch_norm(model)
    assert _bn_count(folded) == 0
    x = _images(75)
    assert _max_diff(model(x), folded(x)) < 1e-4


def test_only_a_bn_that_alone_reads_a_convolution_is_folded():
    """A convolution whose output also feeds a shortcut keeps its BN (the
    shortcut needs the unnormalised values); a BN after a Dense stays."""
    x = keras.Input((8, 8, 3))
    conv = keras.layers.Conv2D(4, 3, padding="same", name="shared_conv")(x)
    bn = keras.layers.BatchNormalization(name="shared_bn")(conv)
    y = keras.layers.Add(name="add")([bn, conv])
    solo = keras.layers.Conv2D(4, 1, use_bias=False, name="solo_conv")(y)
    solo = keras.layers.BatchNormalization(scale=False, name="solo_bn")(solo)
    flat = keras.layers.GlobalAveragePooling2D()(solo)
    dense = keras.layers.Dense(3, name="dense")(flat)
    out = keras.layers.BatchNormalization(name="dense_bn")(dense)
    model = keras.Model(x, out)
    _randomise_batch_norm(model)
    folded = fold_batch_norm(model)
    kinds = {layer.name: type(layer).__name__ for layer in folded.layers}
    assert kinds["shared_bn"] == "BatchNormalization"
    assert kinds["dense_bn"] == "BatchNormalization"
    assert kinds["solo_bn"] == "Identity"
    assert folded.get_layer("solo_conv").use_bias
    data = _images(8, 3)
    assert _max_diff(model(data), folded(data)) < 1e-5


@pytest.mark.parametrize("bad", [None, "inception_v3", keras.layers.Dense(2)])
def test_anything_but_a_functional_model_is_refused(bad):
    with pytest.raises(TypeError, match="`model` must be a functional"):
        fold_batch_norm(bad)
