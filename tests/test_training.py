"""The papers' compile recipes (keras_inception.training).

Models here are tiny (each generation's minimum input, width 0.25, batch 8)
and run eagerly: tracing one of these graphs costs a minute on CPU, an eager
step a few seconds.
"""

import dataclasses

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_inception as ki
from keras_inception import training as T
from tests.generations import GENERATIONS
from tests.helpers import SMALL, cached_model, small_size

ALL = ki.list_models()
CLASSES = 4
BATCH = 8
STEPS_PER_EPOCH = 100


def _tiny_arguments(name, kwargs):
    """The small build of ``name``: minimum input, CLASSES, SMALL width,
    and its aux heads where it has them."""
    if ki.get_model_info(name).aux:
        kwargs.setdefault("aux_logits", True)
    size = small_size(name)
    return dict(input_shape=(size, size, 3), classes=CLASSES, **SMALL,
                **kwargs)


def tiny(name, **kwargs):
    """A fresh small model of ``name``."""
    return ki.get_model(name, **_tiny_arguments(name, kwargs))


def shared_tiny(name, **kwargs):
    """The same small model built once per process
    (``tests.helpers.cached_model``), for tests that compile and evaluate
    but never train it."""
    return cached_model(name, **_tiny_arguments(name, kwargs))


def fixed_batch(model, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(BATCH, *model.input_shape[1:])).astype("float32")
    y = rng.integers(0, CLASSES, size=BATCH)
    return x, y


def gradients(model, x, y):
    """Gradients of the compiled loss, keyed by variable path."""
    targets = T.targets_for(model, y)
    with tf.GradientTape() as tape:
        y_pred = model(x, training=True)
        loss = model.compute_loss(x, targets, y_pred)
    grads = tape.gradient(loss, model.trainable_variables)
    return {v.path: g for v, g in zip(model.trainable_variables, grads)}


def lr_at(optimizer, step):
    optimizer.iterations.assign(step)
    return float(optimizer.learning_rate)


def numpy_smoothed_ce(labels, outputs, smoothing, from_logits):
    """Rethinking Section 7: targets (1 - e) onehot + e / K."""
    outputs = np.asarray(outputs, "float64")
    if from_logits:
        z = outputs - outputs.max(axis=-1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    else:
        log_p = np.log(outputs / outputs.sum(axis=-1, keepdims=True))
    k = outputs.shape[-1]
    q = np.full(outputs.shape, smoothing / k)
    q[np.arange(len(labels)), labels] += 1 - smoothing
    return float(np.mean(-(q * log_p).sum(axis=-1)))


# --------------------------------------------------------------------------
# Every generation trains
# --------------------------------------------------------------------------
# Learning rates of the training test: the recipe's own (None) where a few
# of its steps are stable, smaller where the tiny network is too sharp at
# initialisation. At width 0.25 and 75x75 input the late grids are 1x1, and
# batch norm over 8 values per channel makes the loss very sharp: the
# global gradient norm at initialisation is ~3e3 for Inception-v3 and
# ~6e4 for Inception-v4 (~6e2 for the full-size v3, and for
# keras.applications' v3, at 299x299), so even the recipe's clipped steps
# (global norm 2.0 x learning rate) overshoot unless the rate is tiny.
# The rates are the ``train_lr`` column of tests/generations.py.


@pytest.mark.parametrize("name", ALL)
def test_a_few_steps_reduce_the_training_loss(name):
    """Two steps of the generation's own recipe (recipe='auto': optimizer,
    clipping, label smoothing, aux weights) on one fixed batch lower its
    training loss by 8%. Dropout is off, so without learning the loss would
    not move at all."""
    model = tiny(name, dropout_rate=0.0)
    T.compile_for_training(model, steps_per_epoch=STEPS_PER_EPOCH,
                           learning_rate=GENERATIONS[name].train_lr,
                           run_eagerly=True)
    x, y = fixed_batch(model)
    targets = T.targets_for(model, y)
    losses = [model.train_on_batch(x, targets, return_dict=True)["loss"]
              for _ in range(2)]
    # The loss after the second update, without a third one.
    losses.append(float(model.compute_loss(x, targets,
                                           model(x, training=True))))
    assert all(np.isfinite(losses)), losses
    assert losses[-1] < 0.92 * losses[0], losses


def test_auto_recipe_follows_the_architecture():
    """recipe='auto' reads the architecture from the model (its input layer
    is '<name>_input'), so each paper's model gets its paper's optimizer
    (the googlenet and rmsprop tests below compile with 'auto' too)."""
    bn = T.compile_for_training(shared_tiny("bn_inception"),
                                steps_per_epoch=STEPS_PER_EPOCH)
    assert isinstance(bn.optimizer, keras.optimizers.SGD)
    assert lr_at(bn.optimizer, 0) == pytest.approx(0.045)
    assert [T.default_recipe(n).name for n in ALL] == [
        "googlenet", "bn_inception"] + ["rmsprop"] * 5
    assert T.default_recipe("InceptionResNetV2") is T.RECIPES["rmsprop"]


def test_a_model_built_with_input_tensor_is_recognised():
    """A model built with ``input_tensor`` wraps the network as one layer;
    its architecture and classifier activation are still found."""
    model = ki.InceptionV1(input_tensor=keras.Input((32, 32, 3)),
                           aux_logits=True, classes=CLASSES,
                           classifier_activation=None, **SMALL)
    T.compile_for_training(model, steps_per_epoch=STEPS_PER_EPOCH)
    assert isinstance(model.optimizer, keras.optimizers.SGD)
    assert model.loss["aux_1"].get_config()["from_logits"] is True


# --------------------------------------------------------------------------
# Auxiliary heads
# --------------------------------------------------------------------------
def _kernels(grads, model, aux):
    paths = [layer.kernel.path for layer in model.layers
             if hasattr(layer, "kernel")
             and layer.name.startswith("aux_") == aux]
    assert paths
    return [grads[p] for p in paths]


def test_aux_weight_zero_stops_the_aux_gradients_and_0_3_does_not():
    model = shared_tiny("inception_v1")
    x, y = fixed_batch(model)

    T.compile_for_training(model, steps_per_epoch=STEPS_PER_EPOCH,
                           aux_weight=0.0)
    grads = gradients(model, x, y)
    for g in _kernels(grads, model, aux=True):
        assert not np.any(g.numpy())
    trunk = _kernels(grads, model, aux=False)
    assert all(np.any(g.numpy()) for g in trunk)

    T.compile_for_training(model, steps_per_epoch=STEPS_PER_EPOCH,
                           aux_weight=0.3)
    grads = gradients(model, x, y)
    for head in ("aux_1", "aux_2"):
        assert np.any(grads[model.get_layer(head).kernel.path].numpy())
    assert all(np.any(g.numpy()) for g in _kernels(grads, model, aux=True))


@pytest.mark.parametrize("name, weight, aux_keys", [
    ("inception_v1", 0.3, ("aux_1", "aux_2")),   # Going Deeper, Sec. 5
    ("inception_v3", 0.4, ("aux",)),             # TF-slim
])
def test_logged_loss_is_main_plus_weighted_aux(name, weight, aux_keys):
    """With the recipe's own aux weight, Keras logs each head's unweighted
    loss as '<output>_loss' and their weighted sum as 'loss'."""
    model = shared_tiny(name)
    T.compile_for_training(model, steps_per_epoch=STEPS_PER_EPOCH,
                           run_eagerly=True)
    x, y = fixed_batch(model)
    logs = model.evaluate(x, T.targets_for(model, y), batch_size=BATCH,
                          return_dict=True, verbose=0)
    assert set(logs) == {"loss", "predictions_loss", "predictions_top1",
                         "predictions_top5", *(f"{k}_loss" for k in aux_keys)}
    expected = logs["predictions_loss"] + weight * sum(
        logs[f"{k}_loss"] for k in aux_keys)
    assert logs["loss"] == pytest.approx(expected, rel=1e-5)
    # The check can fail: the aux losses are not negligible.
    assert min(logs[f"{k}_loss"] for k in aux_keys) > 0.1


# --------------------------------------------------------------------------
# The recipes' numbers
# --------------------------------------------------------------------------
def test_rmsprop_recipe_for_inception_v3():
    """Rethinking Sec. 8: RMSProp decay 0.9, epsilon 1.0, 0.045 decayed by
    0.94 every two epochs, clipping at 2.0; Sec. 7: smoothing 0.1."""
    model = T.compile_for_training(shared_tiny("inception_v3"),
                                   steps_per_epoch=STEPS_PER_EPOCH)
    opt = model.optimizer
    assert isinstance(opt, keras.optimizers.RMSprop)
    assert (opt.rho, opt.epsilon, opt.global_clipnorm) == (0.9, 1.0, 2.0)
    assert lr_at(opt, 0) == pytest.approx(0.045)
    assert lr_at(opt, 2 * STEPS_PER_EPOCH - 1) == pytest.approx(0.045)
    assert lr_at(opt, 2 * STEPS_PER_EPOCH) == pytest.approx(0.045 * 0.94)
    assert lr_at(opt, 4 * STEPS_PER_EPOCH) == pytest.approx(0.045 * 0.94**2)
    for loss in model.loss.values():
        assert loss.get_config()["label_smoothing"] == pytest.approx(0.1)
        assert loss.get_config()["from_logits"] is False


def test_googlenet_recipe_decays_4_percent_every_8_epochs():
    model = T.compile_for_training(shared_tiny("inception_v1"),
                                   steps_per_epoch=STEPS_PER_EPOCH)
    opt = model.optimizer
    assert isinstance(opt, keras.optimizers.SGD)
    assert (opt.momentum, opt.nesterov) == (0.9, False)
    assert lr_at(opt, 0) == pytest.approx(0.01)
    assert lr_at(opt, 8 * STEPS_PER_EPOCH - 1) == pytest.approx(0.01)
    assert lr_at(opt, 8 * STEPS_PER_EPOCH) == pytest.approx(0.01 * 0.96)
    assert lr_at(opt, 16 * STEPS_PER_EPOCH) == pytest.approx(0.01 * 0.96**2)


def test_bn_inception_recipe_decays_six_times_faster():
    """BN paper Sec. 4.2.1: GoogLeNet's decay, 6x faster (every 8/6
    epochs)."""
    opt = T.RECIPES["bn_inception"].build_optimizer(300)
    assert lr_at(opt, 399) == pytest.approx(0.045)
    assert lr_at(opt, 400) == pytest.approx(0.045 * 0.96)


def test_modern_recipes_warm_up_then_cosine_decay():
    opt = T.RECIPES["modern"].build_optimizer(STEPS_PER_EPOCH, epochs=25)
    assert isinstance(opt, keras.optimizers.SGD) and opt.nesterov
    warmup = 5 * STEPS_PER_EPOCH
    assert lr_at(opt, 0) == pytest.approx(0.0)
    assert lr_at(opt, warmup // 2) == pytest.approx(0.05)
    assert lr_at(opt, warmup) == pytest.approx(0.1)
    # Halfway through the cosine: half the peak; at the end, zero.
    assert lr_at(opt, warmup + 10 * STEPS_PER_EPOCH) == pytest.approx(0.05)
    assert lr_at(opt, 25 * STEPS_PER_EPOCH) == pytest.approx(0.0, abs=1e-9)
    adamw = T.RECIPES["modern_adamw"].build_optimizer(STEPS_PER_EPOCH)
    assert isinstance(adamw, keras.optimizers.AdamW)
    assert adamw.weight_decay == pytest.approx(0.05)
    assert lr_at(adamw, warmup) == pytest.approx(1e-3)


def test_every_recipe_cites_its_source():
    for name, recipe in T.RECIPES.items():
        assert recipe.name == name
        assert recipe.source
    assert "not from the papers" in T.RECIPES["modern"].source


# --------------------------------------------------------------------------
# Label smoothing
# --------------------------------------------------------------------------
@pytest.mark.parametrize("from_logits", [False, True])
def test_smoothed_loss_matches_numpy_on_a_hand_example(from_logits):
    labels = np.array([0, 2])
    outputs = np.array([[0.7, 0.2, 0.1], [0.25, 0.25, 0.5]])
    if from_logits:
        outputs = np.array([[2.0, -1.0, 0.5], [0.0, 1.5, -3.0]])
    loss = T.SparseCategoricalCrossentropyWithSmoothing(
        0.1, from_logits=from_logits)
    assert float(loss(labels, outputs)) == pytest.approx(
        numpy_smoothed_ce(labels, outputs, 0.1, from_logits), rel=1e-5)
    # Labels shaped (batch, 1), as datasets often give them.
    assert float(loss(labels[:, None], outputs)) == pytest.approx(
        float(loss(labels, outputs)), rel=1e-6)
    # Zero smoothing is plain sparse cross-entropy.
    plain = T.SparseCategoricalCrossentropyWithSmoothing(
        0.0, from_logits=from_logits)
    assert float(plain(labels, outputs)) == pytest.approx(
        numpy_smoothed_ce(labels, outputs, 0.0, from_logits), rel=1e-5)


@pytest.mark.parametrize("activation, smoothing", [
    ("softmax", 0.1), (None, 0.1), ("softmax", 0.0)])
def test_compiled_loss_matches_numpy(activation, smoothing):
    """from_logits follows the classifier's activation, and the compiled
    loss is the numpy reference on the model's own outputs."""
    model = shared_tiny("bn_inception", classifier_activation=activation)
    T.compile_for_training(model, steps_per_epoch=STEPS_PER_EPOCH,
                           label_smoothing=smoothing)
    x, y = fixed_batch(model)
    y_pred = model(x, training=False)
    loss = float(model.compute_loss(x, y, y_pred, training=False))
    assert loss == pytest.approx(numpy_smoothed_ce(
        y, keras.ops.convert_to_numpy(y_pred), smoothing,
        from_logits=activation is None), rel=1e-5)


def test_smoothed_loss_serializes(tmp_path):
    loss = T.SparseCategoricalCrossentropyWithSmoothing(0.1, from_logits=True)
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(loss))
    assert isinstance(restored, T.SparseCategoricalCrossentropyWithSmoothing)
    assert (restored.label_smoothing, restored.from_logits) == (0.1, True)
    # A compiled model saves and reloads with its loss, in safe mode.
    model = T.compile_for_training(_dense_model(), "rmsprop",
                                   steps_per_epoch=10)
    model.optimizer.build(model.trainable_variables)
    model.save(tmp_path / "m.keras")
    reloaded = keras.saving.load_model(tmp_path / "m.keras")
    assert isinstance(reloaded.loss,
                      T.SparseCategoricalCrossentropyWithSmoothing)
    assert reloaded.loss.label_smoothing == 0.1
    x, y = np.ones((2, 4), "float32"), np.array([0, 3])
    assert float(reloaded.compute_loss(x, y, reloaded(x))) == pytest.approx(
        float(model.compute_loss(x, y, model(x))), rel=1e-6)


# --------------------------------------------------------------------------
# Arguments
# --------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, error, match", [
    (dict(recipe="adam"), ValueError, r"`recipe`.*'googlenet'.*'rmsprop'"),
    (dict(recipe=3), TypeError, "`recipe`"),
    (dict(steps_per_epoch=0), ValueError, "`steps_per_epoch`"),
    (dict(steps_per_epoch=-5), ValueError, "`steps_per_epoch`"),
    (dict(steps_per_epoch=2.5), TypeError, "`steps_per_epoch`"),
    (dict(steps_per_epoch=True), TypeError, "`steps_per_epoch`"),
    (dict(aux_weight=-0.1), ValueError, "`aux_weight`.*>= 0"),
    (dict(aux_weight="0.3"), TypeError, "`aux_weight`"),
    (dict(aux_weight=float("nan")), ValueError, "`aux_weight`"),
    (dict(label_smoothing=1.0), ValueError, r"`label_smoothing`.*\[0, 1\)"),
    (dict(label_smoothing=-0.1), ValueError, "`label_smoothing`"),
    (dict(learning_rate=0.0), ValueError, "`learning_rate`"),
    (dict(epochs=0), ValueError, "`epochs`"),
    (dict(jit_compile="yes"), ValueError, "`jit_compile`"),
    (dict(steps_per_execution=0), ValueError, "`steps_per_execution`"),
    (dict(run_eagerly="no"), TypeError, "`run_eagerly`"),
    (dict(model_name="resnet50"), ValueError,
     "`model_name`.*'inception_v1'"),
    (dict(model_name=3), TypeError, "`model_name`"),
])
def test_bad_arguments_name_the_argument(kwargs, error, match):
    kwargs.setdefault("steps_per_epoch", STEPS_PER_EPOCH)
    with pytest.raises(error, match=match):
        T.compile_for_training(shared_tiny("inception_v1"), **kwargs)


def _dense_model(activation="softmax"):
    inputs = keras.Input((4,))
    return keras.Model(inputs, keras.layers.Dense(
        CLASSES, activation=activation, name="predictions")(inputs))


def test_models_the_recipes_cannot_train_are_refused():
    with pytest.raises(TypeError, match="`model`"):
        T.compile_for_training("inception_v3", steps_per_epoch=10)
    # Not built by this package: 'auto' cannot tell the architecture.
    with pytest.raises(ValueError, match="`model_name`"):
        T.compile_for_training(_dense_model(), steps_per_epoch=10)
    with pytest.raises(ValueError, match="classifier_activation"):
        T.compile_for_training(_dense_model("sigmoid"), "googlenet",
                               steps_per_epoch=10)
    inputs = keras.Input((5, 5, 3))
    headless = keras.Model(inputs,
                           keras.layers.GlobalAveragePooling2D()(inputs))
    with pytest.raises(ValueError, match="include_top"):
        T.compile_for_training(headless, "rmsprop", steps_per_epoch=10)
    with pytest.raises(ValueError, match="`epochs`"):
        T.RECIPES["modern"].build_schedule(10, epochs=5)   # 5 warm-up epochs


def test_aux_weight_without_aux_heads_is_ignored():
    model = T.compile_for_training(_dense_model(), "rmsprop",
                                   steps_per_epoch=10, aux_weight=0.5)
    assert isinstance(model.loss, keras.losses.Loss)
    x = np.zeros((2, 4), "float32")
    assert np.isfinite(float(model.compute_loss(x, np.array([0, 1]),
                                                model(x))))


def test_recipe_fields_are_checked():
    with pytest.raises(ValueError, match="`optimizer`"):
        T.Recipe(name="x", optimizer="lion", learning_rate=0.1)
    with pytest.raises(ValueError, match="`decay_rate`"):
        dataclasses.replace(T.RECIPES["rmsprop"], decay_rate=1.5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        T.RECIPES["rmsprop"].learning_rate = 1.0
