"""Tests for keras_inception.macs.count_macs."""

import math

import keras
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keras_inception.models.macs import count_macs

layers = keras.layers


# --------------------------------------------------------------------------
# Hand-computed counts on tiny models
# --------------------------------------------------------------------------


def _tiny_model():
    inputs = keras.Input(shape=(16, 16, 3))
    x = layers.Conv2D(8, 3, strides=2, padding="same", name="stem")(inputs)
    x = layers.BatchNormalization(name="bn")(x)
    x = layers.ReLU(name="relu")(x)
    x = layers.DepthwiseConv2D(
        3, padding="same", depth_multiplier=2, name="dw"
    )(x)
    x = layers.SeparableConv2D(12, 3, padding="valid", name="sep")(x)
    y = layers.MaxPooling2D(1, name="pool")(x)
    x = layers.Add(name="add")([x, y])
    x = layers.Conv2D(6, 1, groups=3, name="grouped")(x)
    x = layers.Concatenate(name="concat")([x, x])
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = layers.Dense(10, name="fc")(x)
    return keras.Model(inputs, outputs, name="tiny")


# stem:    16x16 -> 8x8 (stride 2, same); 8*8 positions * 3*3 kernel
#          * 3 in-channels * 8 filters                      = 13_824
# dw:      8*8 positions * 3*3 * 8 channels * multiplier 2  =  9_216
# sep:     valid 3x3 on 8x8 -> 6x6 = 36 positions;
#          depthwise 36 * 9 * 16 = 5_184, pointwise 36 * 16 * 12 = 6_912
#                                                           = 12_096
# grouped: 36 positions * 1*1 * (12 / 3 groups) * 6 filters =    864
# fc:      concat gives 12 channels -> 12 * 10              =    120
# bn, relu, pool, add, concat, gap: not counted.
TINY_EXPECTED = {
    "stem": 13_824,
    "dw": 9_216,
    "sep": 12_096,
    "grouped": 864,
    "fc": 120,
}


def test_tiny_model_hand_computed():
    model = _tiny_model()
    total, per_layer = count_macs(model, per_layer=True)
    assert per_layer == TINY_EXPECTED
    assert list(per_layer) == list(TINY_EXPECTED)  # graph order
    assert total == sum(TINY_EXPECTED.values()) == 36_120
    assert count_macs(model) == 36_120
    assert type(count_macs(model)) is int


def test_conv1d_conv3d_and_transpose():
    # Conv1D: length 20 -> 18 (valid, k=3); 18 * 3 * 4 in * 5 out = 1080.
    inputs = keras.Input(shape=(20, 4))
    model = keras.Model(inputs, layers.Conv1D(5, 3)(inputs))
    assert count_macs(model) == 18 * 3 * 4 * 5 == 1080

    # Conv3D: 4x4x4 -> 3x3x3 (valid, k=2); 27 * 8 * 2 in * 3 out = 1296.
    inputs = keras.Input(shape=(4, 4, 4, 2))
    model = keras.Model(inputs, layers.Conv3D(3, 2)(inputs))
    assert count_macs(model) == 27 * 8 * 2 * 3 == 1296

    # Conv2DTranspose: each of the 4*4 input positions meets the whole
    # 3x3 kernel: 16 * 9 * 3 in * 2 out = 864.
    inputs = keras.Input(shape=(4, 4, 3))
    outputs = layers.Conv2DTranspose(2, 3, strides=2)(inputs)
    model = keras.Model(inputs, outputs)
    assert count_macs(model) == 16 * 9 * 3 * 2 == 864


def test_dense_on_higher_rank_inputs():
    # Dense on (batch, 7, 5): 7 rows * 5 in * 3 units = 105.
    inputs = keras.Input(shape=(7, 5))
    model = keras.Model(inputs, layers.Dense(3)(inputs))
    assert count_macs(model) == 105

    # Dense on (batch, 2, 3, 4): 2*3 rows * 4 in * 6 units = 144.
    inputs = keras.Input(shape=(2, 3, 4))
    model = keras.Model(inputs, layers.Dense(6)(inputs))
    assert count_macs(model) == 144


def test_channels_first_conv():
    # 3 channels, 10x10 -> 8x8 (valid, k=3): 64 * 9 * 3 * 4 = 6912.
    inputs = keras.Input(shape=(3, 10, 10))
    outputs = layers.Conv2D(4, 3, data_format="channels_first")(inputs)
    assert count_macs(keras.Model(inputs, outputs)) == 6912


# --------------------------------------------------------------------------
# Graph walking: shared layers, nesting, other graphs
# --------------------------------------------------------------------------


def test_shared_layer_counts_once_per_call():
    shared = layers.Dense(4, name="shared")
    inputs = keras.Input(shape=(4,))
    outputs = shared(shared(inputs))
    total, per_layer = count_macs(keras.Model(inputs, outputs), per_layer=True)
    assert total == 2 * (4 * 4)
    assert per_layer == {"shared": 32}


def test_shared_conv_on_inputs_of_different_size():
    # One Conv2D applied to an 8x8 and a 4x4 input: the count uses each
    # call's own shapes: 64 * 3 * 2 + 16 * 3 * 2 = 384 + 96 = 480.
    conv = layers.Conv2D(2, 1, name="conv")
    big = keras.Input(shape=(8, 8, 3))
    small = keras.Input(shape=(4, 4, 3))
    model = keras.Model([big, small], [conv(big), conv(small)])
    assert count_macs(model, per_layer=True) == (480, {"conv": 480})


def test_calls_from_other_graphs_are_ignored():
    conv = layers.Conv2D(2, 1)
    small_in = keras.Input(shape=(4, 4, 3))
    small = keras.Model(small_in, conv(small_in))
    big_in = keras.Input(shape=(32, 32, 3))
    big = keras.Model(big_in, conv(big_in))
    assert count_macs(small) == 16 * 3 * 2
    assert count_macs(big) == 1024 * 3 * 2


def test_nested_functional_model():
    inner_in = keras.Input(shape=(6, 6, 3))
    inner_out = layers.Conv2D(5, 3, padding="same", name="conv")(inner_in)
    inner = keras.Model(inner_in, inner_out, name="inner")
    inner_macs = 36 * 9 * 3 * 5  # 4860

    inputs = keras.Input(shape=(6, 6, 3))
    x = inner(inputs)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(2, name="head")(x)
    model = keras.Model(inputs, outputs)
    total, per_layer = count_macs(model, per_layer=True)
    assert per_layer == {"inner/conv": inner_macs, "head": 5 * 2}
    assert total == inner_macs + 10
    assert count_macs(inner) == inner_macs


def test_nested_model_called_twice_and_deeper_nesting():
    core_in = keras.Input(shape=(3,))
    core_out = layers.Dense(3, name="d")(core_in)
    core = keras.Model(core_in, core_out, name="core")
    mid_in = keras.Input(shape=(3,))
    mid = keras.Model(mid_in, core(core(mid_in)), name="mid")
    inputs = keras.Input(shape=(3,))
    model = keras.Model(inputs, mid(mid(inputs)))
    total, per_layer = count_macs(model, per_layer=True)
    # mid calls core twice, and mid itself is called twice: 4 * (3 * 3).
    assert total == 36
    assert per_layer == {"mid/core/d": 36}


def test_nested_sequential_and_top_level_sequential():
    seq = keras.Sequential(
        [keras.Input(shape=(10,)), layers.Dense(5, name="a"), layers.ReLU()],
        name="seq",
    )
    assert count_macs(seq) == 50

    inputs = keras.Input(shape=(10,))
    outputs = layers.Dense(1, name="b")(seq(inputs))
    total, per_layer = count_macs(keras.Model(inputs, outputs), per_layer=True)
    assert per_layer == {"seq/a": 50, "b": 5}
    assert total == 55


def test_nested_model_built_for_any_size_is_counted_at_call_size():
    # The inner model accepts any spatial size; the outer model fixes it
    # to 10x10, so the inner conv costs 100 * 3*3 * 3 * 4 = 10_800.
    inner_in = keras.Input(shape=(None, None, 3))
    inner = keras.Model(
        inner_in, layers.Conv2D(4, 3, padding="same", name="c")(inner_in)
    )
    inputs = keras.Input(shape=(10, 10, 3))
    x = inner(inputs)
    x = layers.Conv2D(1, 1, name="after")(x)
    model = keras.Model(inputs, x)
    total, per_layer = count_macs(model, per_layer=True)
    assert per_layer[f"{inner.name}/c"] == 10_800
    assert per_layer["after"] == 100 * 4
    assert total == 11_200
    with pytest.raises(ValueError, match="input_shape"):
        count_macs(inner)


@settings(max_examples=12, deadline=None)
@given(
    size=st.integers(min_value=5, max_value=12),
    kernel=st.integers(min_value=1, max_value=3),
    strides=st.integers(min_value=1, max_value=2),
    padding=st.sampled_from(["same", "valid"]),
    groups=st.sampled_from([1, 2]),
)
def test_conv2d_matches_kernel_size_times_positions(
    size, kernel, strides, padding, groups
):
    # Independent formulation: every output position uses each kernel
    # weight once, so MACs = output positions * number of kernel weights.
    inputs = keras.Input(shape=(size, size, 4))
    conv = layers.Conv2D(
        6, kernel, strides=strides, padding=padding, groups=groups
    )
    outputs = conv(inputs)
    positions = outputs.shape[1] * outputs.shape[2]
    expected = positions * math.prod(conv.kernel.shape)
    assert count_macs(keras.Model(inputs, outputs)) == expected


# --------------------------------------------------------------------------
# Published figures for reference architectures
# --------------------------------------------------------------------------


def test_mobilenet_v1_matches_paper():
    # Howard et al. 2017, "MobileNets", Table 8: 1.0 MobileNet-224 has
    # 569 million mult-adds.
    macs = count_macs(keras.applications.MobileNet(weights=None))
    assert macs == pytest.approx(569e6, rel=0.01)


def test_mobilenet_v2_matches_paper():
    # Sandler et al. 2018, "MobileNetV2", Table 4: 300M multiply-adds for
    # MobileNetV2 (1.0, 224).
    macs = count_macs(keras.applications.MobileNetV2(weights=None))
    assert macs == pytest.approx(300e6, rel=0.01)


def test_resnet50_matches_published_figures():
    macs = count_macs(keras.applications.ResNet50(weights=None))
    # He et al. 2015, "Deep Residual Learning", Table 1: 3.8 x 10^9 FLOPs
    # (counted as multiply-adds) for the 50-layer network.  Keras
    # implements that original design (stride 2 in the first 1x1 conv of
    # a stage), measured here at ~3.86 G.
    assert macs == pytest.approx(3.8e9, rel=0.02)
    # torchvision's model card gives 4.09 "GFLOPS" (really GMACs) for its
    # ResNet-50, which is the "v1.5" variant with the stride moved to the
    # 3x3 conv and hence slightly more work; the two agree within 6%.
    assert macs == pytest.approx(4.09e9, rel=0.06)
    assert macs < 4.09e9


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad", [None, "resnet", 3, layers.Conv2D(2, 1), keras.Input(shape=(3,))]
)
def test_non_model_argument(bad):
    with pytest.raises(TypeError, match="`model`"):
        count_macs(bad)


def test_unknown_spatial_dims():
    inputs = keras.Input(shape=(None, None, 3))
    model = keras.Model(inputs, layers.Conv2D(2, 3)(inputs))
    with pytest.raises(ValueError, match="`model`") as info:
        count_macs(model)
    assert "input_shape" in str(info.value)


def test_unknown_sequence_length_for_dense():
    inputs = keras.Input(shape=(None, 5))
    model = keras.Model(inputs, layers.Dense(3)(inputs))
    with pytest.raises(ValueError, match="input_shape"):
        count_macs(model)


def test_unknown_dims_in_uncounted_layers_are_fine():
    # Pooling over an unknown size is not counted, and the Dense after the
    # global pooling has fixed shapes.
    inputs = keras.Input(shape=(None, None, 3))
    x = layers.GlobalMaxPooling2D()(inputs)
    model = keras.Model(inputs, layers.Dense(2)(x))
    assert count_macs(model) == 6


def test_unbuilt_sequential_and_subclassed_models():
    with pytest.raises(ValueError, match="`model`"):
        count_macs(keras.Sequential([layers.Dense(2)]))

    class Subclassed(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    model = Subclassed()
    model(keras.ops.zeros((1, 3)))
    with pytest.raises(ValueError, match="`model`"):
        count_macs(model)


def test_layer_hiding_convs_is_refused():
    class Block(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.conv = layers.Conv2D(2, 1)

        def call(self, x):
            return self.conv(x)

    inputs = keras.Input(shape=(4, 4, 3))
    model = keras.Model(inputs, Block(name="block")(inputs))
    with pytest.raises(ValueError, match="block"):
        count_macs(model)
