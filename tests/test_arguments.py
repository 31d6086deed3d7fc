"""Argument checking of the seven builders and the registry.

Every bad argument must fail before any layer is built, with ``TypeError``
for a value of the wrong type and ``ValueError`` for a wrong value, and with
a message that names the argument. The positive checks build small networks
(minimum input size, ``width_multiplier=0.25``) to keep the file fast.
"""

import inspect
import math
import re

import keras
import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import keras_inception
from keras_inception.models import registry

MODELS = keras_inception.list_models()
# Generations with auxiliary classifiers (the registry's metadata) and the
# builders that take an ``aux_logits`` keyword (their signatures).
AUX_MODELS = [n for n in MODELS if keras_inception.get_model_info(n).aux]
ACCEPTS_AUX = [n for n in MODELS if "aux_logits" in inspect.signature(
    keras_inception.get_builder(n)).parameters]
NO_AUX_MODELS = [n for n in MODELS if n not in AUX_MODELS]
SMALL = dict(width_multiplier=0.25)


def _min(name):
    return keras_inception.get_model_info(name).min_size


def _small_shape(name, channels=3):
    m = _min(name)
    return (m, m, channels)


def _number(n):
    """A pattern matching the integer ``n`` on its own (also in "32x32")."""
    return rf"(?<!\d){n}(?!\d)"


def _names_argument(message, arg):
    """Whether ``message`` names ``arg`` as our errors do (`arg`, `arg=...`)
    or as Python's own keyword errors do ('arg')."""
    return (re.search(rf"`{re.escape(arg)}\b", message) is not None
            or f"'{arg}'" in message)


def _expect_error(builder_or_name, kwargs, exc_type, arg, *also):
    builder = (keras_inception.get_builder(builder_or_name)
               if isinstance(builder_or_name, str) else builder_or_name)
    with pytest.raises((ValueError, TypeError)) as excinfo:
        builder(**kwargs)
    err = excinfo.value
    message = str(err)
    allowed = exc_type if isinstance(exc_type, tuple) else (exc_type,)
    assert type(err) in allowed, (
        f"{builder.__name__}({kwargs!r}) raised {type(err).__name__} "
        f"({message!r}); expected "
        f"{' or '.join(t.__name__ for t in allowed)}")
    assert _names_argument(message, arg), (
        f"{builder.__name__}({kwargs!r}): message does not name `{arg}`: "
        f"{message!r}")
    for text in also:
        assert re.search(text, message, re.IGNORECASE), (
            f"{builder.__name__}({kwargs!r}): {text!r} not in {message!r}")
    return err


# --------------------------------------------------------------------------
# The matrix: every bad argument, every generation
# --------------------------------------------------------------------------

class _NotATensor:
    shape = (1, 75, 75, 3)


# (id, kwargs, expected exception type, argument the message must name,
#  regular expressions the message must also match).
BAD_ARGUMENTS = [
    ("classes=0", dict(classes=0), ValueError, "classes", ()),
    ("classes=-3", dict(classes=-3), ValueError, "classes", ()),
    ("classes=True", dict(classes=True), TypeError, "classes", ()),
    ("classes=2.5", dict(classes=2.5), TypeError, "classes", ()),
    ("classes=10.0", dict(classes=10.0), TypeError, "classes", ()),
    ("classes='10'", dict(classes="10"), TypeError, "classes", ()),
    ("classes=None", dict(classes=None), TypeError, "classes", ()),
    ("pooling='mean'", dict(include_top=False, pooling="mean"), ValueError,
     "pooling", ("avg", "max")),
    ("pooling='AVG'", dict(include_top=False, pooling="AVG"), ValueError,
     "pooling", ()),
    ("width_multiplier=0", dict(width_multiplier=0), ValueError,
     "width_multiplier", ()),
    ("width_multiplier=-0.5", dict(width_multiplier=-0.5), ValueError,
     "width_multiplier", ()),
    ("width_multiplier=nan", dict(width_multiplier=float("nan")), ValueError,
     "width_multiplier", ()),
    ("width_multiplier=inf", dict(width_multiplier=float("inf")), ValueError,
     "width_multiplier", ()),
    ("width_multiplier='0.5'", dict(width_multiplier="0.5"), TypeError,
     "width_multiplier", ()),
    ("width_multiplier=None", dict(width_multiplier=None), TypeError,
     "width_multiplier", ()),
    ("width_multiplier=True", dict(width_multiplier=True), TypeError,
     "width_multiplier", ()),
    ("dropout_rate=-0.1", dict(dropout_rate=-0.1), ValueError,
     "dropout_rate", ()),
    ("dropout_rate=1", dict(dropout_rate=1), ValueError, "dropout_rate", ()),
    ("dropout_rate=1.5", dict(dropout_rate=1.5), ValueError,
     "dropout_rate", ()),
    ("dropout_rate=nan", dict(dropout_rate=float("nan")), ValueError,
     "dropout_rate", ()),
    ("dropout_rate=inf", dict(dropout_rate=float("inf")), ValueError,
     "dropout_rate", ()),
    ("dropout_rate='0.2'", dict(dropout_rate="0.2"), TypeError,
     "dropout_rate", ()),
    ("include_top='yes'", dict(include_top="yes"), TypeError,
     "include_top", ()),
    ("include_top=1", dict(include_top=1), TypeError, "include_top", ()),
    ("input_shape=(299,299)", dict(input_shape=(299, 299)), ValueError,
     "input_shape", ()),
    ("input_shape=(1,299,299,3)", dict(input_shape=(1, 299, 299, 3)),
     ValueError, "input_shape", ()),
    ("input_shape=()", dict(input_shape=()), ValueError, "input_shape", ()),
    ("input_shape='299,299,3'", dict(input_shape="299,299,3"), TypeError,
     "input_shape", ()),
    ("input_shape=299", dict(input_shape=299), TypeError, "input_shape", ()),
    ("input_shape=(299.0,299,3)", dict(input_shape=(299.0, 299, 3)),
     TypeError, "input_shape", ()),
    ("input_shape=(299,299,3.0)", dict(input_shape=(299, 299, 3.0)),
     TypeError, "input_shape", ()),
    ("input_shape=(299,'299',3)", dict(input_shape=(299, "299", 3)),
     TypeError, "input_shape", ()),
    ("input_shape=(299,299,0)", dict(input_shape=(299, 299, 0)), ValueError,
     "input_shape", ("channel",)),
    ("input_shape=(299,299,-1)", dict(input_shape=(299, 299, -1)),
     ValueError, "input_shape", ("channel",)),
    ("input_shape=(299,299,None)", dict(input_shape=(299, 299, None)),
     ValueError, "input_shape", ("channel",)),
    # (classes=10: refused for every generation, with or without published
    # weights; the download itself is tests/test_pretrained.py's.)
    ("weights='imagenet'", dict(weights="imagenet", classes=10), ValueError,
     "weights", ("imagenet",)),
    ("weights=missing", dict(weights="/nonexistent/dir/x.weights.h5"),
     ValueError, "weights", ("/nonexistent/dir/x.weights.h5",)),
    ("weights=directory", dict(weights="/"), ValueError, "weights", ()),
    ("weights=123", dict(weights=123), TypeError, "weights", ()),
    ("input_tensor=numpy", dict(input_tensor=np.zeros((1, 299, 299, 3),
                                                      "float32")),
     TypeError, "input_tensor", ()),
    ("input_tensor=object", dict(input_tensor=_NotATensor()), TypeError,
     "input_tensor", ()),
    ("classifier_activation='nonexistent'",
     dict(classifier_activation="nonexistent"), ValueError,
     "classifier_activation", ()),
    ("classifier_activation=5", dict(classifier_activation=5), TypeError,
     "classifier_activation", ()),
    ("name=''", dict(name=""), ValueError, "name", ()),
    ("name='a/b'", dict(name="a/b"), ValueError, "name", ()),
    ("name=5", dict(name=5), TypeError, "name", ()),
]


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize(
    "kwargs, exc_type, arg, also",
    [pytest.param(*case[1:], id=case[0]) for case in BAD_ARGUMENTS])
def test_bad_argument(name, kwargs, exc_type, arg, also):
    _expect_error(name, dict(kwargs), exc_type, arg, *also)


@pytest.mark.parametrize("name", MODELS)
def test_input_tensor_of_rank_3(name):
    tensor = keras.Input(shape=_small_shape(name)[:2])
    _expect_error(name, dict(input_tensor=tensor), ValueError,
                  "input_tensor", "rank")


@pytest.mark.parametrize("name", MODELS)
def test_input_tensor_conflicting_with_input_shape(name):
    m = _min(name)
    tensor = keras.Input(shape=(m + 8, m + 8, 3))
    err = _expect_error(name, dict(input_tensor=tensor,
                                   input_shape=(m, m, 3)),
                        ValueError, "input_tensor")
    assert _names_argument(str(err), "input_shape")


@pytest.mark.parametrize("name", MODELS)
def test_input_tensor_conflicting_channels(name):
    m = _min(name)
    tensor = keras.Input(shape=(m, m, 1))
    err = _expect_error(name, dict(input_tensor=tensor,
                                   input_shape=(m, m, 3)),
                        ValueError, "input_tensor")
    assert _names_argument(str(err), "input_shape")


@pytest.mark.parametrize("name", MODELS)
def test_input_tensor_without_channels(name):
    m = _min(name)
    tensor = keras.Input(shape=(m, m, None))
    _expect_error(name, dict(input_tensor=tensor), ValueError,
                  "input_tensor", "channel")


# --------------------------------------------------------------------------
# Minimum input size: the message gives the number
# --------------------------------------------------------------------------

def _below_minimum_cases():
    for name in MODELS:
        m = _min(name)
        yield pytest.param(name, dict(input_shape=(m - 1, m - 1, 3)),
                           id=f"{name}-{m - 1}x{m - 1}")
        yield pytest.param(name, dict(input_shape=(m, m - 1, 3),
                                      include_top=False),
                           id=f"{name}-{m}x{m - 1}")
        yield pytest.param(name, dict(input_shape=(1, None, 3),
                                      include_top=False),
                           id=f"{name}-1xNone")
        yield pytest.param(name, dict(input_shape=(0, 0, 3)),
                           id=f"{name}-0x0")
        yield pytest.param(name, dict(input_shape=(-5, m, 3)),
                           id=f"{name}-negative")


@pytest.mark.parametrize("name, kwargs", _below_minimum_cases())
def test_input_below_minimum_size(name, kwargs):
    m = _min(name)
    _expect_error(name, kwargs, ValueError, "input_shape", _number(m))


@pytest.mark.parametrize("name", MODELS)
def test_input_tensor_below_minimum_size(name):
    m = _min(name)
    tensor = keras.Input(shape=(m - 1, m + 10, 3))
    _expect_error(name, dict(input_tensor=tensor), ValueError,
                  "input_tensor", _number(m))


# --------------------------------------------------------------------------
# Auxiliary classifiers and generation-specific arguments
# --------------------------------------------------------------------------

def test_aux_logits_keyword_matches_registry():
    """The builders taking ``aux_logits`` are those with auxiliary heads."""
    assert ACCEPTS_AUX == AUX_MODELS
    assert AUX_MODELS == ["inception_v1", "inception_v2", "inception_v3"]


@pytest.mark.parametrize("name", AUX_MODELS)
def test_aux_logits_without_top(name):
    err = _expect_error(name, dict(aux_logits=True, include_top=False),
                        ValueError, "aux_logits")
    assert _names_argument(str(err), "include_top")


@pytest.mark.parametrize("name", AUX_MODELS)
@pytest.mark.parametrize("value", ["yes", 1, None])
def test_aux_logits_not_a_bool(name, value):
    _expect_error(name, dict(aux_logits=value), TypeError, "aux_logits")


@pytest.mark.parametrize("name", NO_AUX_MODELS)
def test_aux_logits_on_model_without_aux_heads(name):
    # These builders have no ``aux_logits`` keyword: Python's TypeError
    # ("unexpected keyword argument 'aux_logits'") names it.
    with pytest.raises((TypeError, ValueError)) as excinfo:
        keras_inception.get_builder(name)(aux_logits=True)
    assert _names_argument(str(excinfo.value), "aux_logits")
    if name not in ACCEPTS_AUX:
        assert excinfo.type is TypeError


def test_aux_logits_on_model_without_aux_heads_through_validator():
    """The shared validator itself refuses aux heads a model lacks."""
    from keras_inception.models import builder
    from keras_inception.models import inception_v4

    with pytest.raises(ValueError, match="`aux_logits"):
        builder.build_model(inception_v4.INFO, inception_v4.body,
                            aux_logits=True)


@pytest.mark.parametrize("variant", ["v3", "", "Released", None, 3])
def test_inception_resnet_v2_bad_variant(variant):
    _expect_error(keras_inception.InceptionResNetV2, dict(variant=variant),
                  ValueError, "variant", "paper", "released")


def test_inception_resnet_v2_unhashable_variant():
    # A list is the wrong type: an error naming `variant` (not Python's
    # bare "unhashable type: 'list'" from the dict lookup).
    _expect_error(keras_inception.InceptionResNetV2,
                  dict(variant=["released"]), (TypeError, ValueError),
                  "variant")


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_inception_v1_bad_batch_norm(value):
    _expect_error(keras_inception.InceptionV1, dict(batch_norm=value),
                  TypeError, "batch_norm")


# --------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------

@pytest.mark.parametrize("func", [keras_inception.get_model,
                                  keras_inception.get_model_info,
                                  keras_inception.get_builder])
def test_registry_unknown_name(func):
    with pytest.raises(ValueError) as excinfo:
        func("resnet50")
    message = str(excinfo.value)
    assert "resnet50" in message
    for name in MODELS:
        assert name in message


@pytest.mark.parametrize("func", [keras_inception.get_model,
                                  keras_inception.get_model_info,
                                  keras_inception.get_builder])
@pytest.mark.parametrize("value", [3, None, ["inception_v3"]])
def test_registry_name_not_a_string(func, value):
    with pytest.raises(TypeError) as excinfo:
        func(value)
    assert _names_argument(str(excinfo.value), "name")


def test_registry_aliases():
    assert registry.get_model_info("InceptionV3").name == "inception_v3"
    assert registry.get_model_info(" Inception-ResNet-V2 ").name == \
        "inception_resnet_v2"
    assert keras_inception.get_builder("bn_inception") is \
        keras_inception.BNInception


def test_get_model_passes_bad_arguments_through():
    _expect_error(keras_inception.get_model, dict(name="inception_v3",
                                                  classes=0),
                  ValueError, "classes")


# --------------------------------------------------------------------------
# Weight files
# --------------------------------------------------------------------------

WEIGHTS_SOURCE = dict(include_top=True, classes=10, **SMALL)


@pytest.fixture(scope="module")
def weight_files(tmp_path_factory):
    """Weights of small InceptionV1 and BNInception, 3 channels, 10 classes."""
    directory = tmp_path_factory.mktemp("weights")
    files = {}
    for name in ("inception_v1", "bn_inception"):
        model = keras_inception.get_model(
            name, input_shape=_small_shape(name), **WEIGHTS_SOURCE)
        path = directory / f"{name}.weights.h5"
        model.save_weights(path)
        files[name] = (path, [w.copy() for w in model.get_weights()])
    keras.backend.clear_session()
    return files


def test_weights_round_trip(weight_files):
    """Positive control: a file from the same architecture loads, whole."""
    path, expected = weight_files["inception_v1"]
    model = keras_inception.InceptionV1(weights=str(path),
                                        input_shape=(32, 32, 3),
                                        **WEIGHTS_SOURCE)
    got = model.get_weights()
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        np.testing.assert_array_equal(a, b)


# Loading is shared code: GoogLeNet (minimum 32) and Inception-v3 (minimum
# 75, auxiliary head) keep the builds few.
@pytest.mark.parametrize("name", ["inception_v1", "inception_v3"])
def test_weights_of_another_generation(name, weight_files):
    source = "bn_inception" if name == "inception_v1" else "inception_v1"
    path = weight_files[source][0]
    _expect_error(name, dict(weights=path, input_shape=_small_shape(name),
                             **WEIGHTS_SOURCE),
                  ValueError, "weights")


def test_weights_of_other_classes(weight_files):
    path = weight_files["inception_v1"][0]
    kwargs = dict(WEIGHTS_SOURCE, classes=5)
    _expect_error(keras_inception.InceptionV1,
                  dict(weights=path, input_shape=(32, 32, 3), **kwargs),
                  ValueError, "weights")


def test_weights_of_3_channels_into_4_channel_input(weight_files):
    path = weight_files["bn_inception"][0]
    _expect_error(keras_inception.BNInception,
                  dict(weights=path, input_shape=(32, 32, 4),
                       **WEIGHTS_SOURCE),
                  ValueError, "weights", "channels", _number(4), _number(3))


def test_weights_file_that_is_not_hdf5(tmp_path):
    path = tmp_path / "junk.weights.h5"
    path.write_bytes(b"not an HDF5 file at all\n" * 10)
    _expect_error(keras_inception.InceptionV1,
                  dict(weights=path, input_shape=(32, 32, 3),
                       include_top=False, **SMALL),
                  ValueError, "weights")


# --------------------------------------------------------------------------
# Values the validator lets through but the build cannot use
# --------------------------------------------------------------------------

def test_numpy_integer_classes():
    """``classes`` passes the validator as any integral number; a NumPy
    integer (e.g. from a label array's max) must build as well."""
    try:
        model = keras_inception.InceptionV1(classes=np.int64(5),
                                            input_shape=(32, 32, 3), **SMALL)
    except (ValueError, TypeError) as err:
        pytest.fail(f"InceptionV1(classes=np.int64(5)) passed validation "
                    f"but raised {type(err).__name__}: {err}")
    assert model.output_shape == (None, 5)


@pytest.mark.parametrize("kwargs, arg", [
    (dict(classes=2 ** 64), "classes"),
    (dict(input_shape=(32, 32, 2 ** 64), include_top=False), "input_shape"),
], ids=["classes=2**64", "channels=2**64"])
def test_absurdly_large_integers(kwargs, arg):
    with pytest.raises((ValueError, TypeError)) as excinfo:
        keras_inception.InceptionV1(**dict(dict(input_shape=(32, 32, 3)),
                                           **kwargs), **SMALL)
    assert _names_argument(str(excinfo.value), arg), str(excinfo.value)


def test_googlenet_aux_heads_with_unknown_input_size():
    """GoogLeNet's auxiliary heads end in a fully connected layer on the
    flattened map, so they need a known input size: the builder says so
    (naming both arguments and what it received) before Keras fails on the
    dense layer; a fixed size with the same heads builds."""
    with pytest.raises(ValueError) as excinfo:
        keras_inception.InceptionV1(aux_logits=True,
                                    input_shape=(None, None, 3), **SMALL)
    message = str(excinfo.value)
    assert _names_argument(message, "aux_logits"), message
    assert _names_argument(message, "input_shape"), message
    assert "(None, None, 3)" in message
    model = keras_inception.InceptionV1(aux_logits=True,
                                        input_shape=(64, 64, 3), **SMALL)
    assert sorted(model.output) == ["aux_1", "aux_2", "predictions"]


# --------------------------------------------------------------------------
# Positive checks: sizes from the minimum up, any channel count
# --------------------------------------------------------------------------

# Building a network is mostly variable creation (1-6 s each on 2 CPU cores),
# so each generation is built once at any size, and that graph re-derives
# the output shape at the minimum, one pixel more, two more and an odd size:
# without auxiliary heads nothing in a body depends on the spatial size, so
# these derivations run the same layer arithmetic as builds at those sizes.
# Explicit builds at the minimum with 1, 4 and 13 channels use the three
# cheapest generations (both minimum sizes, 32 and 75).
@pytest.mark.parametrize("name, channels", [
    ("inception_v1", 1), ("bn_inception", 4), ("inception_v3", 13)],
    ids=["inception_v1-1ch", "bn_inception-4ch", "inception_v3-13ch"])
def test_builds_at_minimum_size(name, channels):
    m = _min(name)
    model = keras_inception.get_model(
        name, include_top=False, weights=None,
        input_shape=(m, m, channels), **SMALL)
    assert model.input_shape == (None, m, m, channels)
    out = model.output_shape
    assert len(out) == 4
    assert out[1] >= 1 and out[2] >= 1 and out[3] >= 1


@pytest.mark.parametrize("name", MODELS)
def test_builds_with_any_size(name):
    model = keras_inception.get_model(name, include_top=False,
                                      input_shape=(None, None, 3), **SMALL)
    assert model.input_shape == (None, None, None, 3)
    assert len(model.output_shape) == 4
    assert model.output_shape[1:3] == (None, None)
    m = _min(name)
    for size in (m, m + 1, m + 2, 141):
        out = model.compute_output_shape((2, size, size, 3))
        assert len(out) == 4 and out[0] == 2, (size, out)
        assert out[1] >= 1 and out[2] >= 1, (size, out)
        assert out[3] == model.output_shape[3]


def test_builds_at_odd_size_explicitly():
    """An explicit build away from the minimum (the cheapest generation)."""
    model = keras_inception.InceptionV1(include_top=False,
                                        input_shape=(141, 141, 3), **SMALL)
    assert model.input_shape == (None, 141, 141, 3)
    assert len(model.output_shape) == 4
    assert min(model.output_shape[1:3]) >= 1


# --------------------------------------------------------------------------
# Property: any argument combination builds or fails with ValueError/TypeError
# --------------------------------------------------------------------------

_NAN, _INF = float("nan"), float("inf")

# Wide strategies: junk of every kind, valid values now and then.
_WIDE = dict(
    classes=st.one_of(st.integers(-3, 5), st.floats(allow_nan=True),
                      st.text(max_size=3), st.none(), st.booleans()),
    pooling=st.sampled_from([None, "avg", "max", "mean", 3]),
    # Valid widths stay small (a build takes 1-6 s at 0.1-0.25).
    width_multiplier=st.one_of(
        st.floats(0.1, 0.25), st.sampled_from([0.0, -0.0, -1.0, -1e-9, _NAN,
                                               _INF, -_INF]),
        st.floats(max_value=0.0), st.text(max_size=3), st.none(),
        st.booleans()),
    dropout_rate=st.one_of(st.none(), st.floats(0.0, 0.99),
                           st.sampled_from([1.0, 1, -0.1, 2, _NAN, _INF,
                                            -_INF]),
                           st.floats(), st.text(max_size=3), st.booleans()),
    include_top=st.one_of(st.booleans(),
                          st.sampled_from([None, 0, 1, "yes", "True"])),
    input_shape=st.one_of(st.none(), st.lists(
        st.one_of(st.integers(-1, 90), st.none(), st.floats(-1, 90)),
        min_size=0, max_size=4).map(tuple)),
    name=st.one_of(st.none(), st.text(max_size=8), st.integers()),
    classifier_activation=st.sampled_from(["softmax", None, "sigmoid",
                                           "nonexistent", "", 3]),
    weights=st.sampled_from([None, "imagenet", "/nonexistent/x.weights.h5",
                             3]),
    aux_logits=st.one_of(st.booleans(), st.sampled_from([None, 1, "yes"])),
)


def _valid(min_size):
    """Valid values only (small and fast to build)."""
    side = st.one_of(st.none(), st.integers(min_size, 90))
    return dict(
        classes=st.integers(1, 5),
        pooling=st.sampled_from([None, "avg", "max"]),
        width_multiplier=st.floats(0.1, 0.25),
        dropout_rate=st.one_of(st.none(), st.floats(0.0, 0.99)),
        include_top=st.booleans(),
        input_shape=st.one_of(st.none(),
                              st.tuples(side, side, st.integers(1, 5))),
        name=st.one_of(st.none(), st.text(min_size=1, max_size=8).filter(
            lambda s: "/" not in s)),
        classifier_activation=st.sampled_from(["softmax", None, "sigmoid"]),
        weights=st.none(),
        aux_logits=st.booleans(),
    )


def _junk(min_size):
    """Invalid values only, of the right type or not."""
    bad_side = st.one_of(st.integers(-1, min_size - 1), st.floats(-1, 90),
                         st.text(max_size=2))
    ok_side = st.one_of(st.none(), st.integers(min_size, 90))
    return dict(
        classes=st.one_of(st.integers(-3, 0), st.floats(allow_nan=True),
                          st.text(max_size=3), st.none(), st.booleans()),
        pooling=st.sampled_from(["mean", 3, "", "AVG", ("avg",)]),
        width_multiplier=st.one_of(
            st.sampled_from([0.0, -0.0, -1.0, -1e-9, _NAN, _INF, -_INF]),
            st.floats(max_value=0.0), st.text(max_size=3), st.none(),
            st.booleans()),
        dropout_rate=st.one_of(
            st.sampled_from([1.0, 1, -0.1, 2, _NAN, _INF, -_INF]),
            st.floats(min_value=1.0), st.floats(max_value=-1e-12),
            st.text(max_size=3), st.booleans()),
        include_top=st.sampled_from([None, 0, 1, "yes", "True"]),
        input_shape=st.one_of(
            st.tuples(ok_side, bad_side, st.integers(1, 5)),
            st.tuples(bad_side, ok_side, st.integers(1, 5)),
            st.tuples(ok_side, ok_side, st.one_of(st.integers(-2, 0),
                                                  st.none(), st.floats())),
            st.lists(ok_side, max_size=5).filter(lambda t: len(t) != 3)
            .map(tuple),
            st.text(max_size=4), st.integers()),
        name=st.one_of(st.just(""), st.text(max_size=4).map(
            lambda s: s + "/"), st.integers(), st.floats()),
        classifier_activation=st.sampled_from(["nonexistent", "", 3,
                                               "Softmax"]),
        weights=st.sampled_from(["imagenet", "/nonexistent/x.weights.h5",
                                 3]),
        aux_logits=st.sampled_from([None, 1, "yes"]),
    )


@st.composite
def _builder_arguments(draw):
    """A generation and its arguments: all from the wide strategies, all
    valid but one or two, or (one example in about twelve) all valid."""
    name = draw(st.sampled_from(MODELS))
    keys = [k for k in _WIDE if k != "aux_logits" or name in ACCEPTS_AUX]
    mode = draw(st.sampled_from(["wide"] * 6 + ["bad"] * 5 + ["valid"]))
    valid, junk = _valid(_min(name)), _junk(_min(name))
    if mode == "wide":
        return name, {k: draw(_WIDE[k]) for k in keys}
    bad = set() if mode == "valid" else set(draw(st.lists(
        st.sampled_from(keys), unique=True, min_size=1, max_size=2)))
    return name, {k: draw(junk[k] if k in bad else valid[k]) for k in keys}


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow,
                                 HealthCheck.data_too_large,
                                 HealthCheck.filter_too_much])
@given(case=_builder_arguments())
def test_any_arguments_build_or_raise_value_or_type_error(case):
    name, kwargs = case
    builder = keras_inception.get_builder(name)
    try:
        model = builder(**kwargs)
    except (ValueError, TypeError) as err:
        event(f"{type(err).__name__}")
        return
    except Exception as err:  # pragma: no cover - the failure being tested
        raise AssertionError(
            f"{builder.__name__}(**{kwargs!r}) raised "
            f"{type(err).__name__}: {err}") from err
    event("built")
    # It built: the arguments must have been valid.
    assert isinstance(model, keras.Model)
    classes = kwargs["classes"]
    assert isinstance(classes, int) and classes >= 1
    width = kwargs["width_multiplier"]
    assert not isinstance(width, (bool, str)) and width is not None
    assert math.isfinite(width) and width > 0
    if kwargs["include_top"]:
        outputs = model.output if isinstance(model.output, dict) else \
            {"predictions": model.output}
        for tensor in outputs.values():
            assert tuple(tensor.shape) == (None, classes)
    elif kwargs.get("input_shape"):
        assert model.input_shape[1:] == tuple(kwargs["input_shape"])
    del model
    keras.backend.clear_session()
