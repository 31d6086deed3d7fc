"""``block_counts``: the depth of the generations that repeat blocks.

The references are independent of the code under test: the default counts
are the papers' (and the released networks'), and a shallower network must
have exactly the default's parameters and MACs minus those of the layers of
the blocks it leaves out, taken from the default model. Every block of a
stage keeps its input and output shape (the residual blocks by design, the
Inception-v4 and Inception-v3 17x17 blocks because each outputs its input's
depth), so removing blocks changes no other layer.
"""

import functools
import re

import numpy as np
import pytest
import keras

import keras_inception as ki
from keras_inception.models import layers as L
from keras_inception.models.builder import check_block_counts
from keras_inception.models.custom_layers import ScaledResidual
from tests.generations import GENERATIONS, STAGES_3, WITH_STAGES
from tests.helpers import SMALL, small_size

# case -> (registry name, builder kwargs, default counts: paper / release).
# The generations' rows come from tests/generations.py; the paper's
# Inception-ResNet-v2 (Figure 15: 5, 10, 5 blocks) is the one extra case.
CASES = {
    **{name: (name, {}, GENERATIONS[name].block_counts)
       for name in WITH_STAGES},
    "inception_resnet_v2_paper": ("inception_resnet_v2",
                                  {"variant": "paper"}, (5, 10, 5)),
}
STAGES = STAGES_3
STAGELESS = tuple(n for n in GENERATIONS if n not in WITH_STAGES)
# Block outputs, in graph order.
BLOCK_OUTPUT = re.compile(r"inception_[abc]_\d+|block(35|17|8)_\d+|mixed\d+"
                          r"(_\d+)?")


@functools.lru_cache(maxsize=None)
def build(case, counts=None):
    """A small headless model of ``case``, built once per test process."""
    name, kwargs, _ = CASES[case]
    if counts is not None:
        kwargs = {**kwargs, "block_counts": counts}
    size = small_size(name)
    return ki.get_model(name, include_top=False, input_shape=(size, size, 3),
                        **SMALL, **kwargs)


def prefixes(case):
    return GENERATIONS[CASES[case][0]].block_prefixes


def removed_blocks(case, counts):
    """The default model's blocks that ``counts`` leaves out: the last ones
    of each stage (for Inception-ResNet, scaled blocks; the final unscaled
    block is kept, renumbered)."""
    defaults = CASES[case][2]
    return [f"{prefix}{i}" for prefix, n, m in
            zip(prefixes(case), defaults, counts) for i in range(m + 1, n + 1)]


def block_layers(model, block):
    return [layer for layer in model.layers
            if layer.name == block or layer.name.startswith(block + "_")]


def block_params(model, blocks):
    return sum(layer.count_params() for b in blocks
               for layer in block_layers(model, b))


def block_macs(model, blocks):
    _, per_layer = ki.count_macs(model, per_layer=True)
    names = {layer.name for b in blocks for layer in block_layers(model, b)}
    return sum(macs for path, macs in per_layer.items() if path in names)


def block_outputs(model):
    return [layer.name for layer in model.layers
            if BLOCK_OUTPUT.fullmatch(layer.name)]


def describe(model):
    return [(layer.name, type(layer).__name__, layer.count_params())
            for layer in model.layers]


# --------------------------------------------------------------------------
# Registry and defaults
# --------------------------------------------------------------------------
def test_registry_lists_stages_and_default_counts():
    for case in ("inception_v3", "inception_v4", "inception_resnet_v1",
                 "inception_resnet_v2"):
        info = ki.get_model_info(case)
        assert info.block_counts == CASES[case][2]
        assert info.block_stages == (("17x17",) if case == "inception_v3"
                                     else STAGES)
        assert check_block_counts(None, info) == CASES[case][2]
    for name in STAGELESS:
        info = ki.get_model_info(name)
        assert info.block_stages == () and info.block_counts == ()
    assert ki.get_model_info("inception_v4").as_dict()["block_counts"] == \
        (4, 7, 3)
    from keras_inception.models import inception_resnet_v2
    from keras_inception.models import inception_v3
    from keras_inception.models import inception_v4
    # The default tables are the papers' sequences of blocks (Inception-v4
    # Figure 9: 4 x A, reduction A, 7 x B, reduction B, 3 x C; Inception-v3,
    # keras.applications' names: three 35x35 modules, a reduction, four
    # 17x17 modules, a reduction, two 8x8 modules), written out here.
    assert [name for name, _ in inception_v4.BLOCKS] == [
        *(f"inception_a_{i}" for i in range(1, 5)), "reduction_a",
        *(f"inception_b_{i}" for i in range(1, 8)), "reduction_b",
        *(f"inception_c_{i}" for i in range(1, 4))]
    assert [name for name, _ in inception_v3.BLOCKS] == [
        f"mixed{i}" for i in range(11)]
    assert check_block_counts(None, inception_resnet_v2.PAPER_INFO) == \
        inception_resnet_v2.PAPER.repeats == (5, 10, 5)
    assert ki.get_model_info("inception_resnet_v2_paper") is \
        inception_resnet_v2.PAPER_INFO


@pytest.mark.parametrize("case", sorted(CASES))
def test_default_block_counts_build_the_default_network(case):
    """Same layers, order, types and parameters; a list is accepted."""
    default = build(case)
    name, kwargs, counts = CASES[case]
    size = small_size(name)
    explicit = ki.get_model(name, include_top=False,
                            input_shape=(size, size, 3),
                            block_counts=[*counts], **SMALL, **kwargs)
    assert describe(explicit) == describe(default)
    assert explicit.count_params() == default.count_params()


# --------------------------------------------------------------------------
# Parameters, MACs and names follow the counts
# --------------------------------------------------------------------------
FEWER = [
    ("inception_v3", (1,), ["mixed4", "mixed5", "mixed6"]),
    ("inception_v3", (2,), ["mixed5", "mixed6"]),
    ("inception_v3", (3,), ["mixed6"]),
    *((case, counts, None) for case, counts in [
        ("inception_v4", (2, 5, 1)),
        ("inception_v4", (4, 7, 2)),
        ("inception_resnet_v1", (2, 3, 1)),
        ("inception_resnet_v2", (3, 4, 2)),
        ("inception_resnet_v2_paper", (1, 1, 1)),
    ]),
]


@pytest.mark.parametrize("case,counts,removed", FEWER)
def test_fewer_blocks_lose_exactly_the_removed_blocks_parameters_and_macs(
        case, counts, removed):
    default, model = build(case), build(case, counts)
    removed = removed or removed_blocks(case, counts)
    assert all(block_layers(default, b) for b in removed)
    lost_params = block_params(default, removed)
    lost_macs = block_macs(default, removed)
    assert lost_params > 0 and lost_macs > 0
    assert model.count_params() == default.count_params() - lost_params
    assert ki.count_macs(model) == ki.count_macs(default) - lost_macs


@pytest.mark.parametrize("case,counts,added", [
    ("inception_v3", (6,), ["mixed5", "mixed6"]),  # two more 160-filter ones
    ("inception_v4", (5, 8, 4), ["inception_a_4", "inception_b_7",
                                 "inception_c_3"]),
    ("inception_resnet_v1", (6, 10, 5), ["block35_5"]),
])
def test_more_blocks_add_exactly_copies_of_the_stages_blocks(case, counts,
                                                             added):
    default, model = build(case), build(case, counts)
    assert model.count_params() == \
        default.count_params() + block_params(default, added)


def test_macs_fall_as_blocks_are_removed():
    depths = (6, 4, 3, 2, 1)
    macs = [ki.count_macs(build("inception_v3", (k,))) for k in depths]
    assert macs == sorted(macs, reverse=True) and len(set(macs)) == 5, macs


def test_inception_v4_block_names_follow_the_counts():
    model = build("inception_v4", (2, 3, 1))
    assert block_outputs(model) == [
        "inception_a_1", "inception_a_2", "inception_b_1", "inception_b_2",
        "inception_b_3", "inception_c_1"]
    names = {layer.name for layer in model.layers}
    assert {"mixed_5a", "reduction_a", "reduction_b"} <= names


@pytest.mark.parametrize("case", ["inception_resnet_v1",
                                  "inception_resnet_v2_paper"])
def test_inception_resnet_keeps_the_final_unscaled_block(case):
    model = build(case, (2, 3, 1))
    assert block_outputs(model) == [
        "block35_1", "block35_2", "block17_1", "block17_2", "block17_3",
        "block8_1", "block8_2"]
    last, scaled = model.get_layer("block8_2"), model.get_layer("block8_1")
    # Scaled blocks end in a ReLU named after the block; the last one is
    # the unscaled, linear sum itself.
    assert isinstance(last, ScaledResidual) and last.scale == 1.0
    assert isinstance(scaled, keras.layers.Activation)
    assert model.get_layer("block8_1_residual").scale == 0.20


@pytest.mark.parametrize("k,expected", [
    (1, {"mixed7": 192}),
    (2, {"mixed4": 128, "mixed7": 192}),
    (4, {"mixed4": 128, "mixed5": 160, "mixed6": 160, "mixed7": 192}),
    (6, {"mixed4": 128, "mixed5": 160, "mixed6": 160, "mixed6_1": 160,
         "mixed6_2": 160, "mixed7": 192}),
])
def test_inception_v3_17x17_modules_names_and_inner_filters(k, expected):
    model = build("inception_v3", (k,))
    outputs = block_outputs(model)
    assert outputs == ["mixed0", "mixed1", "mixed2", "mixed3", *expected,
                       "mixed8", "mixed9", "mixed10"]
    style = L.Style(**SMALL)
    for name, inner in expected.items():
        conv = model.get_layer(f"{name}_branch1_0_1x1_conv")
        assert conv.filters == style.depth(inner), name
        assert tuple(model.get_layer(name).output.shape[1:]) == \
            tuple(build("inception_v3").get_layer("mixed7").output.shape[1:])


def test_inception_v3_aux_head_taps_mixed7_with_two_modules():
    size = small_size("inception_v3")
    model = ki.InceptionV3(aux_logits=True, block_counts=(2,), classes=5,
                           input_shape=(size, size, 3), **SMALL)
    assert set(model.output) == {"predictions", "aux"}
    assert "mixed5" not in {layer.name for layer in model.layers}
    assert model.get_layer("aux_avgpool").input is \
        model.get_layer("mixed7").output
    out = model(np.zeros((2, size, size, 3), "float32"), training=False)
    assert out["aux"].shape == (2, 5) and out["predictions"].shape == (2, 5)
    assert ki.strip_aux(model).output_shape == (None, 5)


# --------------------------------------------------------------------------
# Feature extraction
# --------------------------------------------------------------------------
@pytest.mark.parametrize("case,counts,endpoints", [
    ("inception_v3", (2,), ["conv_4a_3x3", "mixed2", "mixed7", "mixed10"]),
    ("inception_v4", (2, 3, 1), ["mixed_4a", "inception_a_2",
                                 "inception_b_3", "inception_c_1"]),
    ("inception_v4", (5, 8, 4), ["mixed_4a", "inception_a_5",
                                 "inception_b_8", "inception_c_4"]),
    ("inception_resnet_v1", (2, 3, 1), ["conv_4a_3x3", "block35_2",
                                        "block17_3", "block8_2"]),
    ("inception_resnet_v2", (3, 4, 2), ["conv_4a_3x3", "block35_3",
                                        "block17_4", "conv_7b"]),
    ("inception_resnet_v2_paper", (2, 3, 1), ["mixed_4a", "block35_2",
                                              "block17_3", "block8_2"]),
])
def test_feature_extractor_on_depth_changed_models(case, counts, endpoints):
    """The maps are the last block of each stage, at the default model's
    strides 4, 8, 16 and 32 and shapes."""
    reference = ki.feature_extractor(build(case))
    fx = ki.feature_extractor(build(case, counts))
    assert list(fx.output) == endpoints
    assert [i["stride"] for i in ki.feature_info(fx)] == [4, 8, 16, 32]
    assert [tuple(t.shape) for t in fx.output.values()] == \
        [tuple(t.shape) for t in reference.output.values()]
    # By name, with the builder's arguments.
    name, kwargs, _ = CASES[case]
    size = small_size(name) + 21
    by_name = ki.feature_extractor(name, input_shape=(size, size, 3),
                                   block_counts=counts, **SMALL, **kwargs)
    assert list(by_name.output) == endpoints
    maps = by_name([np.zeros((1, size, size, 3), "float32")])
    sizes = [m.shape[1] for m in maps.values()]
    assert sizes == sorted(sizes, reverse=True) and sizes[-1] >= 1


def test_feature_extractor_names_a_missing_endpoint():
    inputs = keras.Input((8, 8, 3), name="inception_v4_input")
    model = keras.Model(inputs, keras.layers.Conv2D(2, 1,
                                                    name="mixed_4a")(inputs))
    with pytest.raises(ValueError, match="inception_a_"):
        ki.feature_extractor(model)


# --------------------------------------------------------------------------
# Bad values
# --------------------------------------------------------------------------
BAD = [
    ((0, 7, 3), ValueError), ((4, -1, 3), ValueError),
    ((1.5, 7, 3), TypeError), ((4, 7, True), TypeError),
    ((4, None, 3), TypeError), (True, TypeError), (4, TypeError),
    ("473", TypeError), ((4, 7), ValueError), ((4, 7, 3, 1), ValueError),
    ({"35x35": 4}, TypeError),
]


@pytest.mark.parametrize("builder", [ki.InceptionV4, ki.InceptionResNetV1,
                                     ki.InceptionResNetV2])
@pytest.mark.parametrize("value,error", BAD)
def test_bad_block_counts_are_refused_naming_the_argument(builder, value,
                                                          error):
    with pytest.raises(error, match=r"`block_counts`.*'35x35', '17x17', "
                                    r"'8x8'.*received") as raised:
        builder(block_counts=value)
    assert type(raised.value) is error
    assert repr(value) in str(raised.value)


def test_bad_block_counts_for_inception_v3_and_the_paper_variant():
    for value, error in [((0,), ValueError), ((2.0,), TypeError),
                         ((2, 2), ValueError), (2, TypeError),
                         ((False,), TypeError)]:
        with pytest.raises(error, match=r"`block_counts`.*\('17x17'\)"):
            ki.InceptionV3(block_counts=value)
    with pytest.raises(ValueError, match="block_counts"):
        ki.InceptionResNetV2(variant="paper", block_counts=(5, 10))
    assert check_block_counts([np.int64(2), 3, 1],
                              ki.get_model_info("inception_v4")) == (2, 3, 1)


@pytest.mark.parametrize("name", STAGELESS)
def test_block_counts_refused_for_generations_without_stages(name):
    info = ki.get_model_info(name)
    with pytest.raises(ValueError, match=rf"`block_counts`: {info.builder} "
                                         "has no stages"):
        ki.get_model(name, block_counts=(1,))
    with pytest.raises(TypeError, match="block_counts"):
        ki.get_builder(name)(block_counts=(1,))
    with pytest.raises(ValueError, match="block_counts"):
        check_block_counts((1, 1, 1), info)
    assert check_block_counts(None, info) == ()
