"""The model zoo against published figures and keras.applications."""

import os
import re
import subprocess
import sys

import numpy as np
import pytest
import keras
import tensorflow as tf

import keras_inception as ki
from keras_inception.models import custom_layers
from keras_inception.models.imagenet import MODES
from keras_inception.models import layers as L
from tests.generations import GENERATIONS, NAMES
from tests.helpers import SMALL, small_size
from tests.reference_figures import (GOOGLENET_TABLE_1_OPS_M,
                                     PARAMS_AND_MACS, SHARED_FILE_STRINGS,
                                     STAGE_SHAPES)

ALL = ki.list_models()


def run(model, x):
    """Inference by a direct (eager) call: ``predict`` would XLA-compile the
    whole graph first, which costs minutes per model on CPU."""
    out = model(np.asarray(x, "float32"), training=False)
    if isinstance(out, dict):
        return {k: keras.ops.convert_to_numpy(v) for k, v in out.items()}
    return keras.ops.convert_to_numpy(out)
# A copy of the team's ../shared/reference/models.md, so a clone checks it.
REFERENCE_MODELS_MD = os.path.join(os.path.dirname(__file__), "data",
                                   "reference", "models.md")


def _key(case):
    """Registry name and builder kwargs of a reference-table row."""
    kwargs = PARAMS_AND_MACS.get(case, ({},))[0]
    for suffix in ("_paper", "_aux"):
        if case.endswith(suffix):
            return case[: -len(suffix)], kwargs
    return case, kwargs


# --------------------------------------------------------------------------
# Published figures
# --------------------------------------------------------------------------
def test_exact_keras_applications_parameter_counts():
    assert ki.InceptionV3(weights=None).count_params() == 23851784
    assert ki.InceptionResNetV2(weights=None).count_params() == 55873736


@pytest.mark.parametrize("case", sorted(PARAMS_AND_MACS))
def test_parameters_and_gmacs_within_published_tolerance(case, full_model):
    _, ref_params, p_tol, ref_gmacs, g_tol = PARAMS_AND_MACS[case]
    name, kwargs = _key(case)
    model = full_model(name, **kwargs)
    if ref_params is not None:
        params = model.count_params()
        assert abs(params - ref_params) <= p_tol * ref_params, \
            (case, params, ref_params)
    if ref_gmacs is not None:
        gmacs = ki.count_macs(model) / 1e9
        assert abs(gmacs - ref_gmacs) <= g_tol * ref_gmacs, \
            (case, gmacs, ref_gmacs)


def test_googlenet_multiply_adds_per_row_match_table_1(full_model):
    """Every row of Going Deeper's Table 1 'ops' column within 2% (5a: 6%;
    Table 1's own 5a figure disagrees with its listed widths)."""
    model = full_model("inception_v1", batch_norm=False)
    _, per_layer = ki.count_macs(model, per_layer=True)
    rows = {}
    for path, macs in per_layer.items():
        row = re.sub(r"_branch.*|_conv$", "", path)
        row = "conv_2" if row.startswith("conv_2") else row
        rows[row] = rows.get(row, 0) + macs
    assert set(rows) == set(GOOGLENET_TABLE_1_OPS_M)
    for row, ref in GOOGLENET_TABLE_1_OPS_M.items():
        tol = 0.06 if row == "inception_5a" else 0.02
        assert abs(rows[row] / 1e6 - ref) <= max(tol * ref, 0.5), \
            (row, rows[row] / 1e6, ref)
    assert abs(sum(rows.values()) / 1e9 - 1.586) <= 0.01 * 1.586


@pytest.mark.parametrize("case", sorted(STAGE_SHAPES))
def test_stage_output_shapes_match_papers_tables(case, full_model):
    name, kwargs = _key(case)
    kwargs = {"variant": "paper"} if case.endswith("_paper") else {}
    model = full_model(name, **kwargs)
    for layer, shape in STAGE_SHAPES[case].items():
        assert tuple(model.get_layer(layer).output.shape[1:]) == shape, layer


def test_reference_figures_match_shared_file():
    with open(REFERENCE_MODELS_MD, encoding="utf-8") as f:
        text = f.read()
    missing = [s for s in SHARED_FILE_STRINGS if s not in text]
    assert not missing


def test_the_tests_table_of_generations_matches_the_registry():
    """tests/generations.py, which the other tests read, says what the
    registry says: names in order of publication, minimum input, auxiliary
    outputs, repeated stages and their paper block counts."""
    assert tuple(ALL) == NAMES
    for name, facts in GENERATIONS.items():
        info = ki.get_model_info(name)
        assert info.min_size == facts.min_size, name
        aux = ("predictions", *(a.key for a in info.aux)) if info.aux else ()
        assert aux == facts.aux_outputs, name
        assert info.block_stages == facts.block_stages, name
        assert info.block_counts == facts.block_counts, name


def test_registry_metadata_is_complete():
    for name in ALL:
        info = ki.get_model_info(name)
        assert info.name == name
        assert info.min_size <= info.default_size
        assert info.preprocessing in MODES
        assert len(info.endpoints) == 4
        assert info.paper_top1_error is not None
    assert ki.get_model_info("InceptionV3") is ki.get_model_info(
        "inception_v3")
    with pytest.raises(ValueError, match="inception_resnet_v2"):
        ki.get_model("resnet50")


# --------------------------------------------------------------------------
# Interchangeable weights with keras.applications
# --------------------------------------------------------------------------
def _randomise_bn_statistics(model, rng):
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.moving_mean.assign(
                rng.normal(0, 0.1, layer.moving_mean.shape))
            layer.moving_variance.assign(
                rng.uniform(0.5, 1.5, layer.moving_variance.shape))


@pytest.mark.parametrize("ours,theirs", [
    (ki.InceptionV3, keras.applications.InceptionV3),
    (ki.InceptionResNetV2, keras.applications.InceptionResNetV2),
])
def test_weights_interchangeable_with_keras_applications(ours, theirs,
                                                         tmp_path):
    rng = np.random.default_rng(1)
    ref = theirs(weights=None, classifier_activation=None)
    _randomise_bn_statistics(ref, rng)
    path = str(tmp_path / "ref.weights.h5")
    ref.save_weights(path)
    model = ours(weights=path, classifier_activation=None)
    images = rng.uniform(-1, 1, (2, 299, 299, 3)).astype("float32")
    expected = run(ref, images)
    got = run(model, images)
    assert np.std(expected) > 1e-3  # logits that actually vary
    assert np.max(np.abs(expected - got)) <= 1e-5
    # Loading the other way round works too.
    ours_path = str(tmp_path / "ours.weights.h5")
    model.save_weights(ours_path)
    back = theirs(weights=ours_path, classifier_activation=None)
    assert np.max(np.abs(run(back, images) - expected)) <= 1e-5


# --------------------------------------------------------------------------
# Inputs, heads, width
# --------------------------------------------------------------------------
@pytest.mark.parametrize("name", ALL)
def test_any_size_and_channel_count_without_weights(name):
    size = small_size(name)
    for shape in [(size, size + 13, 1), (size + 30, size, 4)]:
        model = ki.get_model(name, include_top=False, input_shape=shape,
                             pooling="max", **SMALL)
        out = model(np.zeros((1,) + shape, "float32"))
        assert out.shape[0] == 1 and len(out.shape) == 2
    with pytest.raises(ValueError, match=str(size)):
        ki.get_model(name, include_top=False,
                     input_shape=(size - 1, size, 3))


@pytest.mark.parametrize("name", ["inception_v1", "inception_v2",
                                  "inception_v3"])
def test_aux_heads_return_named_dict_and_strip_aux_shares_weights(name):
    size = small_size(name) + 21
    model = ki.get_model(name, aux_logits=True, classes=7,
                         input_shape=(size, size, 3), **SMALL)
    expected = {"inception_v1": {"predictions", "aux_1", "aux_2"}}.get(
        name, {"predictions", "aux"})
    assert set(model.output) == expected
    weights = {k: 1.0 if k == "predictions" else 0.3 for k in expected}
    model.compile("sgd", loss={k: "sparse_categorical_crossentropy"
                               for k in expected}, loss_weights=weights,
                  run_eagerly=True)  # one step: tracing costs more
    x = np.random.default_rng(0).uniform(0, 1, (4, size, size, 3))
    y = np.arange(4) % 7
    history = model.fit(x, {k: y for k in expected}, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    inference = ki.strip_aux(model)
    assert inference.output_shape == (None, 7)
    assert not any(layer.name.startswith("aux") for layer in
                   inference.layers)
    np.testing.assert_allclose(run(inference, x),
                               run(model, x)["predictions"],
                               atol=1e-6)
    assert ki.strip_aux(inference) is inference


def test_width_multiplier_scales_every_convolution():
    base = ki.InceptionV3(include_top=False, input_shape=(75, 75, 3))
    half = ki.InceptionV3(include_top=False, input_shape=(75, 75, 3),
                          width_multiplier=0.5)
    convs = [(a, b) for a, b in zip(base.layers, half.layers)
             if isinstance(a, keras.layers.Conv2D)]
    assert len(convs) == 94
    for a, b in convs:
        assert a.name == b.name
        assert b.filters == max(round(a.filters * 0.5), 16)
    style = L.Style(width_multiplier=0.1, min_depth=16)
    assert style.depth(320) == 32 and style.depth(48) == 16
    assert style.depth(8) == 8  # never inflated above the paper's width


def test_googlenet_paper_variant_has_lrn_and_no_batch_norm():
    model = ki.InceptionV1(batch_norm=False, input_shape=(64, 64, 3),
                           include_top=False)
    kinds = {type(layer).__name__ for layer in model.layers}
    assert "BatchNormalization" not in kinds
    assert "LocalResponseNormalization" in kinds
    assert all(layer.use_bias for layer in model.layers
               if isinstance(layer, keras.layers.Conv2D))


def test_local_response_normalization_matches_tensorflow():
    x = np.random.default_rng(0).normal(0, 3, (2, 5, 5, 11)).astype(
        "float32")
    ours = custom_layers.LocalResponseNormalization(
        depth_radius=2, bias=1.0, alpha=1e-2, beta=0.75)(x)
    ref = tf.nn.local_response_normalization(x, depth_radius=2, bias=1.0,
                                             alpha=1e-2, beta=0.75)
    np.testing.assert_allclose(np.asarray(ours), ref.numpy(), rtol=1e-5)


def test_residual_scaling_is_applied():
    """Inception-v4 paper Section 3.3: x + scale * residual."""
    shortcut = np.ones((1, 2, 2, 3), "float32")
    residual = np.full((1, 2, 2, 3), 10.0, "float32")
    out = custom_layers.ScaledResidual(0.17)([shortcut, residual])
    np.testing.assert_allclose(np.asarray(out), 2.7, rtol=1e-6)


# --------------------------------------------------------------------------
# Saving, and two instances in one model
# --------------------------------------------------------------------------
@pytest.mark.parametrize("name", ALL)
def test_saves_and_loads_in_safe_mode_with_identical_outputs(name, tmp_path):
    size = small_size(name) + 11
    kwargs = {"aux_logits": True} if ki.get_model_info(name).aux else {}
    model = ki.get_model(name, input_shape=(size, size, 3), classes=5,
                         **SMALL, **kwargs)
    x = np.random.default_rng(0).uniform(-1, 1, (2, size, size, 3))
    path = str(tmp_path / f"{name}.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert not any(isinstance(layer, keras.layers.Lambda)
                   for layer in loaded.layers)
    a, b = run(model, x), run(loaded, x)
    for key in (a if isinstance(a, dict) else {"y": None}):
        pa = a[key] if isinstance(a, dict) else a
        pb = b[key] if isinstance(b, dict) else b
        np.testing.assert_array_equal(pa, pb)


def test_paper_variants_save_and_load(tmp_path):
    for model in (ki.InceptionV1(batch_norm=False, input_shape=(40, 40, 3),
                                 **SMALL),
                  ki.InceptionResNetV2(variant="paper", classes=3,
                                       input_shape=(75, 75, 3), **SMALL)):
        path = str(tmp_path / f"{model.name}.keras")
        model.save(path)
        loaded = keras.saving.load_model(path)
        x = np.random.default_rng(0).uniform(-1, 1,
                                             (1,) + model.input_shape[1:])
        np.testing.assert_array_equal(run(model, x), run(loaded, x))


@pytest.mark.parametrize("via_input_tensor", [False, True])
def test_two_instances_in_one_model_train_save_and_load(via_input_tensor,
                                                        tmp_path):
    """keras-team/keras#7412: two towers of one generation in one model,
    each given its own name (Keras needs unique names in one graph)."""
    shape = (32, 32, 3)
    left, right = keras.Input(shape), keras.Input(shape)
    if via_input_tensor:
        towers = [ki.InceptionV1(include_top=False, pooling="avg",
                                 input_tensor=t, name=f"tower_{i}", **SMALL)
                  for i, t in enumerate((left, right))]
        feats = [t.output for t in towers]
    else:
        towers = [ki.InceptionV1(include_top=False, pooling="avg",
                                 input_shape=shape, name=f"tower_{i}",
                                 **SMALL)
                  for i in range(2)]
        feats = [towers[0](left), towers[1](right)]
    out = keras.layers.Dense(1, activation="sigmoid")(
        keras.layers.Concatenate()(feats))
    siamese = keras.Model([left, right], out)
    siamese.compile("adam", "binary_crossentropy", run_eagerly=True)
    rng = np.random.default_rng(0)
    xa, xb = rng.uniform(-1, 1, (2, 4) + shape)
    siamese.fit([xa, xb], np.array([0, 1, 0, 1]), epochs=1, verbose=0)
    path = str(tmp_path / "siamese.keras")
    siamese.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded([xa, xb], training=False)),
        keras.ops.convert_to_numpy(siamese([xa, xb], training=False)),
        atol=1e-6)


def test_default_name_is_the_registry_name_whatever_was_built_before():
    """No hidden global state (STYLE.md): ``name=None`` is the registry
    name every time, so two unnamed towers in one model are refused by
    Keras with a message naming the duplicate."""
    shape = (32, 32, 3)
    first, second = (ki.InceptionV1(include_top=False, input_shape=shape,
                                    **SMALL) for _ in range(2))
    assert first.name == second.name == "inception_v1"
    assert ki.InceptionV1(batch_norm=False, include_top=False,
                          input_shape=shape, **SMALL).name == \
        "inception_v1_paper"
    left, right = keras.Input(shape), keras.Input(shape)
    with pytest.raises(ValueError, match='"inception_v1" is used 2 times'):
        keras.Model([left, right], keras.layers.Concatenate()(
            [first(left), second(right)]))


# --------------------------------------------------------------------------
# Feature extraction
# --------------------------------------------------------------------------
@pytest.mark.parametrize("name", ALL)
def test_feature_extractor_strides_4_8_16_32(name, full_model):
    size = ki.get_model_info(name).default_size
    fx = ki.feature_extractor(full_model(name))
    info = ki.feature_info(fx)
    assert [i["stride"] for i in info] == [4, 8, 16, 32]
    assert tuple(i["channels"] for i in info) == \
        GENERATIONS[name].feature_channels
    for i, tensor in zip(info, fx.output.values()):
        # 'valid' stems lose a pixel or two: 299 -> 71, 35, 17, 8.
        assert size / i["stride"] - 4 <= tensor.shape[1] <= size / i["stride"]
    # By name, at another size and width, the maps follow.
    small = ki.feature_extractor(name, input_shape=(96, 96, 3), **SMALL)
    maps = small(np.zeros((1, 96, 96, 3), "float32"))
    sizes = [m.shape[1] for m in maps.values()]
    assert sizes == sorted(sizes, reverse=True) and len(sizes) == 4


def test_feature_extractor_paper_variant_and_errors():
    fx = ki.feature_extractor("inception_resnet_v2", variant="paper",
                              input_shape=(299, 299, 3), **SMALL)
    assert list(fx.output) == ["mixed_4a", "block35_5", "block17_10",
                               "block8_6"]
    with pytest.raises(ValueError, match="include_top"):
        ki.feature_extractor("inception_v3", include_top=True)
    with pytest.raises(TypeError, match="name_or_model"):
        ki.feature_extractor(42)
    plain = keras.Sequential([keras.Input((8, 8, 3)),
                              keras.layers.Conv2D(2, 3)])
    with pytest.raises(ValueError, match="keras_inception"):
        ki.feature_extractor(plain)


def test_variants_have_their_own_registry_entries():
    from keras_inception.models import registry
    every = ki.list_models(include_variants=True)
    assert [n for n in every if n in ALL] == ALL
    assert [n for n in every if n not in ALL] == [
        "inception_v1_paper", "inception_v1_torchvision",
        "bn_inception_caffe", "inception_v3_torch",
        "inception_resnet_v2_paper"]
    paper = ki.get_model_info("inception_resnet_v2_paper")
    assert (paper.generation, paper.builder_kwargs, paper.block_counts) == \
        ("inception_resnet_v2", {"variant": "paper"}, (5, 10, 5))
    assert paper.endpoints == ("mixed_4a", "block35_5", "block17_10",
                               "block8_6")
    model = ki.get_model("inception_v1_paper", include_top=False,
                         input_shape=(32, 32, 3), **SMALL)
    assert "LocalResponseNormalization" in {type(layer).__name__
                                            for layer in model.layers}
    assert registry.variant_of(model) is ki.get_model_info(
        "inception_v1_paper")
    assert registry.architecture_of(model) == "inception_v1"
    assert ki.get_builder("inception_v1_paper") is ki.InceptionV1
    with pytest.raises(ValueError, match="batch_norm"):
        ki.get_model("inception_v1_paper", batch_norm=True)


def test_feature_extractor_of_a_loaded_model_uses_the_registry_endpoints(
        tmp_path):
    """A model loaded from a file has no ``end_points`` record: its input
    layer names its registry entry, whose endpoints are looked up."""
    model = ki.InceptionV4(include_top=False, input_shape=(75, 75, 3),
                           **SMALL)
    assert model.end_points == dict(zip((4, 8, 16, 32),
                                        ki.get_model_info(
                                            "inception_v4").endpoints))
    path = str(tmp_path / "v4.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert not hasattr(loaded, "end_points")
    assert list(ki.feature_extractor(loaded).output) == \
        list(model.end_points.values())
    shallow = ki.InceptionV4(include_top=False, input_shape=(75, 75, 3),
                             block_counts=(1, 1, 1), **SMALL)
    shallow.save(path)
    with pytest.raises(ValueError, match="name_or_model.*inception_a_4"):
        ki.feature_extractor(keras.saving.load_model(path))


# --------------------------------------------------------------------------
# Backend independence
# --------------------------------------------------------------------------
JAX_SCRIPT = """
import numpy as np, keras, keras_inception as ki
assert keras.backend.backend() == "jax"
for name in ki.list_models():
    size = ki.get_model_info(name).min_size
    kw = {"aux_logits": True} if ki.get_model_info(name).aux else {}
    m = ki.get_model(name, input_shape=(size, size, 3), classes=4,
                     width_multiplier=0.25, **kw)
    out = m(np.ones((1, size, size, 3), "float32"), training=False)
    out = out["predictions"] if isinstance(out, dict) else out
    assert out.shape == (1, 4), out.shape
    np.testing.assert_allclose(np.asarray(out).sum(), 1.0, rtol=1e-4)
m = ki.InceptionV1(batch_norm=False, input_shape=(32, 32, 3),
                   width_multiplier=0.25)
m(np.ones((1, 32, 32, 3), "float32"))
print("JAX OK")
"""


@pytest.mark.slow
def test_every_generation_builds_and_runs_on_the_jax_backend():
    pytest.importorskip("jax")
    # XLA's backend optimisations off: the check is that every layer runs
    # on JAX, and building compiles each initializer and op for its own
    # shape (measured: 46 s instead of 72 s for the script, same results).
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu",
           "XLA_FLAGS": "--xla_backend_optimization_level=0"}
    proc = subprocess.run([sys.executable, "-c", JAX_SCRIPT], env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "JAX OK" in proc.stdout


def test_models_use_no_tensorflow_ops():
    """Only keras.layers / keras.ops in model code (STYLE.md)."""
    package = os.path.join(os.path.dirname(ki.__file__), "models")
    for module in ("layers", "custom_layers", "blocks", "builder",
                   "inception_v1", "bn_inception", "inception_v2",
                   "inception_v3", "inception_v4", "inception_resnet_v1",
                   "inception_resnet_v2"):
        source = open(os.path.join(package, f"{module}.py")).read()
        assert "import tensorflow" not in source, module
        assert "tf." not in re.sub(r"#.*|\"\"\"[\s\S]*?\"\"\"", "",
                                   source), module


def test_inception_v3_torch_variant_pools_count_padding():
    """variant="torch": the same weights, but each of the 9 average pools in
    a block divides by 9 at the border too (PyTorch's count_include_pad)."""
    torch_v3 = ki.InceptionV3(variant="torch", input_shape=(75, 75, 3),
                              include_top=False, **SMALL)
    pads = [layer for layer in torch_v3.layers
            if isinstance(layer, keras.layers.ZeroPadding2D)]
    assert len(pads) == 9 and all(p.name.endswith("avgpool_3x3_pad")
                                   for p in pads)
    assert ki.get_model_info("inception_v3_torch").builder_kwargs == \
        {"variant": "torch"}
    pool = torch_v3.get_layer("mixed0_branch3_0_avgpool_3x3")
    ones = np.ones((1, 5, 5, 1), np.float32)
    counted = keras.Sequential([keras.Input((5, 5, 1)),
                                torch_v3.get_layer(pads[0].name), pool])
    assert float(counted(ones)[0, 0, 0, 0]) == pytest.approx(4 / 9)
    with pytest.raises(ValueError, match=r"`variant` must be one of "
                       r"\['released', 'torch'\]; received 'tf'"):
        ki.InceptionV3(variant="tf")


def test_inception_v1_torchvision_variant():
    """torchvision's googlenet as shipped: 3x3 in the '#5x5' branches,
    6,624,904 parameters there (ours counts BN moving statistics and no
    gamma: within 0.2%), no auxiliary heads, always batch-normalised."""
    model = ki.InceptionV1(variant="torchvision")
    assert model.count_params() == pytest.approx(6_624_904, rel=0.002)
    assert model.get_layer("inception_3a_branch2_1_3x3_conv").kernel_size \
        == (3, 3)
    assert model.get_layer("conv_1a_7x7_pad").padding == ((3, 3), (3, 3))
    odd = ki.InceptionV1(variant="torchvision", input_shape=(139, 139, 3),
                         include_top=False, **SMALL)
    # Ceil mode: 70 -> 35 (padded at the end), 35 -> 17, 17 -> 8, 8 -> 4.
    assert [odd.get_layer(n).output.shape[1] for n in (
        "maxpool_2a_3x3", "maxpool_3a_3x3", "maxpool_4a_3x3",
        "maxpool_5a_2x2")] == [35, 17, 8, 4]
    with pytest.raises(ValueError, match="aux_logits"):
        ki.InceptionV1(variant="torchvision", aux_logits=True)
    with pytest.raises(ValueError, match="batch_norm=False"):
        ki.InceptionV1(variant="torchvision", batch_norm=False)
    with pytest.raises(ValueError, match=r"`variant` must be one of "
                       r"\['default', 'torchvision'\]"):
        ki.InceptionV1(variant="paper")


def test_bn_inception_caffe_variant():
    """The Caffe model's padding and pooling: the same layers and weights
    as the default BN-Inception (11,295,240 PyTorch parameters plus the BN
    moving statistics Keras counts), strided 3x3s padded 1 on every side."""
    model = ki.BNInception(variant="caffe")
    default = ki.BNInception()
    assert model.count_params() == default.count_params()
    assert model.get_layer("inception_3c_branch0_1_3x3_pad").padding == \
        ((1, 1), (1, 1))
    assert model.get_layer("inception_3a").output.shape == (None, 28, 28, 256)
    assert model.get_layer("inception_5b").output.shape == (None, 7, 7, 1024)
    with pytest.raises(ValueError, match=r"`input_shape`.*even grid before "
                       r"inception_4e.*\(13, 13\)"):
        ki.BNInception(variant="caffe", input_shape=(208, 208, 3))
    with pytest.raises(ValueError, match=r"\['caffe', 'default'\]"):
        ki.BNInception(variant="torch")
