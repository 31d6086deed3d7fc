"""Tests for keras_inception.imagenet."""

import importlib.util
import json
import os
import pathlib
import re

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from keras.applications import imagenet_utils

from keras_inception.models.imagenet import decode_predictions
from keras_inception.models.imagenet import imagenet_class_names
from keras_inception.models.imagenet import imagenet_wnids
from keras_inception.models.imagenet import preprocess_input

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
CLASS_INDEX_PATH = (
    REPO_ROOT / "keras_inception" / "resources" / "imagenet_class_index.json"
)
TIMM_WHEEL = pathlib.Path("/tmp/timmdl/timm-1.0.31-py3-none-any.whl")
MODES = ("tf", "torch", "caffe")


def _random_images(shape=(2, 5, 7, 3), seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0.0, 255.0, size=shape).astype(np.float32)


# --------------------------------------------------------------------------
# preprocess_input: agreement with keras.applications (independent code)
# --------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_preprocess_numpy_matches_keras_applications(mode):
    images = _random_images()
    # keras' version may work in place, so give it its own copy.
    expected = imagenet_utils.preprocess_input(
        images.copy(), data_format="channels_last", mode=mode
    )
    result = preprocess_input(images, mode=mode)
    assert isinstance(result, np.ndarray)
    assert result.dtype == np.float32
    assert result.shape == images.shape
    np.testing.assert_allclose(result, expected, rtol=1e-6, atol=1e-5)


@pytest.mark.parametrize("mode", MODES)
def test_preprocess_tensor_matches_keras_applications(mode):
    images = _random_images(seed=1)
    expected = imagenet_utils.preprocess_input(
        images.copy(), data_format="channels_last", mode=mode
    )
    tensor = keras.ops.convert_to_tensor(images)
    result = preprocess_input(tensor, mode=mode)
    assert keras.ops.is_tensor(result)
    assert keras.backend.standardize_dtype(result.dtype) == "float32"
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(result), expected, rtol=1e-6, atol=1e-5
    )


@pytest.mark.parametrize("mode", MODES)
def test_preprocess_symbolic_tensor_in_functional_model(mode):
    inputs = keras.Input(shape=(5, 7, 3))
    outputs = preprocess_input(inputs, mode=mode)
    assert isinstance(outputs, keras.KerasTensor)
    assert tuple(outputs.shape) == (None, 5, 7, 3)
    model = keras.Model(inputs, outputs)
    images = _random_images(seed=2)
    expected = imagenet_utils.preprocess_input(
        images.copy(), data_format="channels_last", mode=mode
    )
    np.testing.assert_allclose(
        model.predict(images, verbose=0), expected, rtol=1e-6, atol=1e-5
    )


@pytest.mark.parametrize("mode", MODES)
def test_preprocess_integer_input_and_no_in_place_change(mode):
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, size=(1, 4, 4, 3), dtype=np.uint8)
    before = images.copy()
    expected = imagenet_utils.preprocess_input(
        images.astype(np.float32), data_format="channels_last", mode=mode
    )
    result = preprocess_input(images, mode=mode)
    assert result.dtype == np.float32
    np.testing.assert_array_equal(images, before)
    np.testing.assert_allclose(result, expected, rtol=1e-6, atol=1e-5)

    floats = images.astype(np.float32)
    floats_before = floats.copy()
    result = preprocess_input(floats, mode=mode)
    assert result is not floats
    np.testing.assert_array_equal(floats, floats_before)


def test_preprocess_integer_tensor_is_cast_to_float():
    tensor = keras.ops.convert_to_tensor(np.array([[0, 255]], dtype="int32"))
    result = preprocess_input(tensor)
    assert keras.backend.standardize_dtype(result.dtype) == "float32"
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(result), [[-1.0, 1.0]]
    )


def test_preprocess_known_values():
    # Hand-computed: tf maps 0 -> -1, 127.5 -> 0, 255 -> 1.
    pixel = np.array([[[[0.0, 127.5, 255.0]]]])
    np.testing.assert_allclose(preprocess_input(pixel), [[[[-1, 0, 1]]]])
    # caffe: BGR order, minus the BGR means.
    np.testing.assert_allclose(
        preprocess_input(pixel, mode="caffe"),
        [[[[255 - 103.939, 127.5 - 116.779, 0 - 123.68]]]],
        rtol=1e-6,
    )
    # caffe_bninception: BGR order, minus the Caffe BN-Inception's means.
    np.testing.assert_allclose(
        preprocess_input(pixel, mode="caffe_bninception"),
        [[[[255 - 104, 127.5 - 117, 0 - 128]]]],
        rtol=1e-6,
    )
    # torch: (x / 255 - mean) / std per RGB channel.
    np.testing.assert_allclose(
        preprocess_input(pixel, mode="torch"),
        [
            [
                [
                    [
                        (0.0 - 0.485) / 0.229,
                        (0.5 - 0.456) / 0.224,
                        (1.0 - 0.406) / 0.225,
                    ]
                ]
            ]
        ],
        rtol=1e-6,
    )


def test_preprocess_accepts_lists_and_default_data_format():
    result = preprocess_input([[0, 255, 51]], data_format="channels_last")
    assert isinstance(result, np.ndarray)
    np.testing.assert_allclose(result, [[-1.0, 1.0, 51 / 127.5 - 1]])


@settings(max_examples=25, deadline=None)
@given(
    channels=st.integers(min_value=1, max_value=6),
    values=st.lists(
        st.floats(min_value=0, max_value=255, allow_nan=False),
        min_size=1,
        max_size=6,
    ),
)
def test_preprocess_tf_mode_any_channel_count(channels, values):
    images = np.resize(np.asarray(values, dtype=np.float32), (2, channels))
    result = preprocess_input(images, mode="tf")
    assert result.shape == (2, channels)
    assert np.all(result >= -1.0) and np.all(result <= 1.0)
    np.testing.assert_allclose(result, images / 127.5 - 1.0, atol=1e-6)


# --------------------------------------------------------------------------
# preprocess_input: argument validation
# --------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["TF", "pytorch", "", None])
def test_preprocess_bad_mode(mode):
    with pytest.raises(ValueError, match="`mode`") as info:
        preprocess_input(_random_images(), mode=mode)
    for allowed in MODES:
        assert allowed in str(info.value)


@pytest.mark.parametrize("data_format", ["channels_first", "NHWC", 3])
def test_preprocess_bad_data_format(data_format):
    with pytest.raises(ValueError, match="`data_format`") as info:
        preprocess_input(_random_images(), data_format=data_format)
    assert "channels_last" in str(info.value)


@pytest.mark.parametrize("mode", ["torch", "caffe", "caffe_bninception"])
@pytest.mark.parametrize("channels", [1, 4])
def test_preprocess_rgb_modes_need_three_channels(mode, channels):
    images = _random_images(shape=(1, 2, 2, channels))
    with pytest.raises(ValueError, match="`x`"):
        preprocess_input(images, mode=mode)
    with pytest.raises(ValueError, match="`x`"):
        preprocess_input(keras.ops.convert_to_tensor(images), mode=mode)
    with pytest.raises(ValueError, match="`x`"):
        preprocess_input(keras.Input(shape=(2, 2, channels)), mode=mode)


@pytest.mark.parametrize(
    "bad",
    [
        "an image",
        np.array(["a", "b", "c"]),
        np.array([True, False, True]),
        np.array([object(), object(), object()]),
        None,
        np.array([1 + 2j, 3j, 4]),
    ],
)
def test_preprocess_non_numeric_input(bad):
    with pytest.raises(TypeError, match="`x`"):
        preprocess_input(bad)


def test_preprocess_bool_tensor_rejected():
    tensor = keras.ops.convert_to_tensor(np.array([[True, False, True]]))
    with pytest.raises(TypeError, match="`x`"):
        preprocess_input(tensor)


# --------------------------------------------------------------------------
# Class index
# --------------------------------------------------------------------------


def _tfds_imagenet_labels():
    """The wnid list shipped with tensorflow_datasets, or None."""
    spec = importlib.util.find_spec("tensorflow_datasets")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = pathlib.Path(list(spec.submodule_search_locations)[0])
    for relative in (
        "datasets/imagenet2012/labels.txt",
        "image_classification/imagenet2012_labels.txt",
    ):
        path = root / relative
        if path.is_file():
            lines = path.read_text(encoding="utf-8").split()
            return [line.strip() for line in lines if line.strip()]
    return None


def test_wnids_match_tensorflow_datasets_labels():
    # TFDS ships its own copy of the ImageNet-2012 label list (the order
    # of its integer labels), independent of the timm files ours is
    # generated from.
    tfds_labels = _tfds_imagenet_labels()
    if tfds_labels is None:
        pytest.skip("tensorflow_datasets' imagenet2012 labels not installed")
    assert len(tfds_labels) == 1000
    assert imagenet_wnids() == tfds_labels


def test_class_index_structure():
    wnids = imagenet_wnids()
    names = imagenet_class_names()
    assert len(wnids) == len(names) == 1000
    assert wnids == sorted(wnids)
    assert len(set(wnids)) == 1000
    assert all(re.fullmatch(r"n\d{8}", w) for w in wnids)
    assert all(name and " " not in name for name in names)
    # Returned lists are fresh copies.
    names.append("extra")
    assert len(imagenet_class_names()) == 1000

    raw = json.loads(CLASS_INDEX_PATH.read_text(encoding="utf-8"))
    assert list(raw) == [str(i) for i in range(1000)]
    assert [raw[str(i)] for i in range(1000)] == [
        [w, n] for w, n in zip(wnids, names)
    ]


def test_class_names_follow_keras_conventions():
    # Entries of keras.applications' imagenet_class_index.json.
    names = imagenet_class_names()
    wnids = imagenet_wnids()
    assert names[0] == "tench" and wnids[0] == "n01440764"
    assert names[1] == "goldfish"
    assert names[2] == "great_white_shark"
    assert names[230] == "Shetland_sheepdog"
    assert names[850] == "teddy"
    assert names[999] == "toilet_tissue" and wnids[999] == "n15075141"
    # Two names are shared by two classes each, as in keras' index.
    assert names[134] == names[517] == "crane"
    assert names[638] == names[639] == "maillot"
    duplicates = {n for n in names if names.count(n) > 1}
    assert duplicates == {"crane", "maillot"}


def _load_tool():
    path = REPO_ROOT / "tools" / "make_imagenet_class_index.py"
    spec = importlib.util.spec_from_file_location("make_class_index", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generator_script_reproduces_packaged_file(tmp_path):
    tool = _load_tool()
    output = tmp_path / "index.json"
    if TIMM_WHEEL.is_file():
        source = ["--wheel", str(TIMM_WHEEL)]
    else:   # timm is a dev dependency: its two files, found without import
        spec = importlib.util.find_spec("timm")
        assert spec is not None, "timm (a dev dependency) is not installed"
        info = pathlib.Path(spec.origin).parent / "data" / "_info"
        source = ["--synsets", str(info / "imagenet_synsets.txt"),
                  "--lemmas", str(info / "imagenet_synset_to_lemma.txt")]
    argv = [*source, "--output", str(output)]
    assert tool.main(argv) == 0
    assert output.read_bytes() == CLASS_INDEX_PATH.read_bytes()


def test_generator_script_validates_its_input():
    tool = _load_tool()
    with pytest.raises(ValueError, match="1000"):
        tool.build_class_index("n01440764\n", "n01440764\ttench, Tinca\n")


# --------------------------------------------------------------------------
# decode_predictions
# --------------------------------------------------------------------------


def test_decode_predictions_matches_keras_applications(monkeypatch):
    # keras' decode_predictions downloads its class index unless the module
    # global is set; point it at ours so its (independent) ranking code can
    # be compared without network access.
    # (`keras.applications.imagenet_utils` only re-exports the functions;
    # the global lives in the implementation module.)
    keras_impl = pytest.importorskip("keras.src.applications.imagenet_utils")
    if not hasattr(keras_impl, "CLASS_INDEX"):
        pytest.skip("this Keras version keeps its class index elsewhere")
    raw = json.loads(CLASS_INDEX_PATH.read_text(encoding="utf-8"))
    monkeypatch.setattr(keras_impl, "CLASS_INDEX", raw)
    rng = np.random.default_rng(4)
    preds = rng.random((3, 1000)).astype(np.float32)
    expected = keras_impl.decode_predictions(preds, top=7)
    result = decode_predictions(preds, top=7)
    assert len(result) == 3
    for got, want in zip(result, expected):
        assert [(w, n) for w, n, _ in got] == [(w, n) for w, n, _ in want]
        np.testing.assert_allclose(
            [s for _, _, s in got], [s for _, _, s in want]
        )


def test_decode_predictions_ranks_by_score():
    rng = np.random.default_rng(5)
    preds = rng.random((4, 1000))
    wnids = imagenet_wnids()
    names = imagenet_class_names()
    result = decode_predictions(preds)
    assert len(result) == 4
    for row, decoded in zip(preds, result):
        assert len(decoded) == 5
        best = sorted(range(1000), key=lambda i: row[i], reverse=True)[:5]
        assert decoded == [(wnids[i], names[i], float(row[i])) for i in best]
        for _, _, score in decoded:
            assert type(score) is float


def test_decode_predictions_known_classes_and_top_bounds():
    preds = np.zeros((2, 1000), dtype=np.float32)
    preds[0, 2] = 0.7
    preds[0, 999] = 0.2
    preds[1, 0] = 1.0
    result = decode_predictions(preds, top=2)
    assert result[0] == [
        ("n01484850", "great_white_shark", pytest.approx(0.7)),
        ("n15075141", "toilet_tissue", pytest.approx(0.2)),
    ]
    assert result[1][0] == ("n01440764", "tench", 1.0)
    # Ties keep the lower class index first.
    assert result[1][1][:2] == ("n01443537", "goldfish")

    everything = decode_predictions(preds, top=1000)
    assert len(everything[0]) == 1000
    assert {w for w, _, _ in everything[0]} == set(imagenet_wnids())
    assert len(decode_predictions(preds, top=np.int64(1))[0]) == 1


def test_decode_predictions_accepts_tensors_and_lists():
    preds = np.zeros((1, 1000), dtype=np.float32)
    preds[0, 42] = 1.0
    want = decode_predictions(preds, top=3)
    assert decode_predictions(keras.ops.convert_to_tensor(preds), 3) == want
    assert decode_predictions(preds.tolist(), top=3) == want


@pytest.mark.parametrize(
    "shape", [(1000,), (2, 999), (2, 1001), (1, 1, 1000), (0,), ()]
)
def test_decode_predictions_bad_shape(shape):
    with pytest.raises(ValueError, match="`preds`") as info:
        decode_predictions(np.zeros(shape))
    assert "1000" in str(info.value)


def test_decode_predictions_non_numeric_preds():
    with pytest.raises(TypeError, match="`preds`"):
        decode_predictions(np.full((1, 1000), "x"))


@pytest.mark.parametrize("top", [0, -1, 1001])
def test_decode_predictions_top_out_of_range(top):
    with pytest.raises(ValueError, match="`top`"):
        decode_predictions(np.zeros((1, 1000)), top=top)


@pytest.mark.parametrize("top", [2.0, "5", None, True])
def test_decode_predictions_top_wrong_type(top):
    with pytest.raises(TypeError, match="`top`"):
        decode_predictions(np.zeros((1, 1000)), top=top)


def test_class_index_file_is_packaged_in_the_package_resources():
    """``imagenet`` reads ``keras_inception/resources/`` (setup.cfg's
    package_data), not a folder beside its own module."""
    import keras_inception

    here = pathlib.Path(keras_inception.__file__).parent
    assert os.path.isfile(here / "resources" / "imagenet_class_index.json")
