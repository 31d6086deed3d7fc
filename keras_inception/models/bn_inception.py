"""BN-Inception (Ioffe & Szegedy, "Batch Normalization: Accelerating Deep
Network Training by Reducing Internal Covariate Shift", ICML 2015, Section
4.2 and Figure 5).

GoogLeNet with batch normalisation after every convolution, each 5x5
replaced by two 3x3 (the "double 3x3" branch), an extra 35x35... rather
28x28 module (3c) that reduces the grid with stride-2 branches, average or
max pooling per module, and no dropout or LRN. Widths are Figure 5's, as the
Caffe model that the pretrainedmodels port carries (conv bias, affine BN with
epsilon 1e-5). TF-slim's ``inception_v2`` is this network with small
departures (576 channels through 4e); ``keras_inception.InceptionV2`` is the
different network of the Rethinking paper.

``variant="caffe"`` runs the Caffe model's padding and pooling as the
pretrainedmodels port does, so that its checkpoints converted by
``keras_inception.convert`` give its logits: the 7x7/2 stem convolution
and the stride-2 3x3s of 3c and 4e pad 1 (3 for the 7x7) on every side
(Keras 'same' pads 0/1, 2/3), the stride-2 max pools round up
(``ceil_mode``), and the 3x3 average pools count their zero padding. Its
classifier pools 7x7 as the port's does, which is the global average at
224. The port feeds BGR images in 0-255 less the means (104, 117, 128),
the variant's preprocessing ``"caffe_bninception"``; the default variant's
``"caffe"`` subtracts Keras's (103.939, 116.779, 123.68).
"""

import dataclasses

from keras_inception.models import layers as L
from keras_inception.models.blocks import GOOGLENET_STEM as STEM
from keras_inception.models.blocks import PYTORCH_GOOGLENET_STEM
from keras_inception.models.builder import (ModelInfo, build_model,
                                            choose_variant, pick_end_points,
                                            preprocessor)
from keras_inception.models.imagenet import decode_predictions  # noqa: F401

C = L.Conv

# Figure 5: #1x1, #3x3 reduce, #3x3, double #3x3 reduce, double #3x3,
# pool ("avg"/"max"), pool projection (0 = pass through), stride.
FIGURE_5 = {
    "3a": (64, 64, 64, 64, 96, "avg", 32, 1),      # 28x28x256
    "3b": (64, 64, 96, 64, 96, "avg", 64, 1),      # 28x28x320
    "3c": (0, 128, 160, 64, 96, "max", 0, 2),      # 14x14x576
    "4a": (224, 64, 96, 96, 128, "avg", 128, 1),   # 14x14x576
    "4b": (192, 96, 128, 96, 128, "avg", 128, 1),  # 14x14x576
    "4c": (160, 128, 160, 128, 160, "avg", 128, 1),  # 14x14x608
    "4d": (96, 128, 192, 160, 192, "avg", 128, 1),   # 14x14x608
    "4e": (0, 128, 192, 192, 256, "max", 0, 2),    # 7x7x1056
    "5a": (352, 192, 320, 160, 224, "avg", 128, 1),  # 7x7x1024
    "5b": (352, 192, 320, 192, 224, "max", 128, 1),  # 7x7x1024
}


def bn_inception_module(n1x1, n3red, n3, nd3red, nd3, pool, proj, stride,
                        caffe=False):
    """1x1 | 1x1-3x3 | 1x1-3x3-3x3 | pool(-1x1); stride 2 drops the 1x1
    branch and the projection, and strides the last conv of each branch
    (``caffe``: padded 1 on every side, the pool in ceil mode)."""
    strided = 1 if caffe and stride == 2 else "same"
    branches = []
    if n1x1:
        branches.append((C(n1x1, 1),))
    branches.append((C(n3red, 1), C(n3, 3, stride, strided)))
    branches.append((C(nd3red, 1), C(nd3, 3), C(nd3, 3, stride, strided)))
    pool_step = (L.MAX_S2_CEIL if strided == 1
                 else L.Pool(pool, 3, stride, "same"))
    branches.append((pool_step, C(proj, 1)) if proj else (pool_step,))
    return tuple(branches)


INFO = ModelInfo(
    name="bn_inception",
    builder="BNInception",
    title="BN-Inception",
    paper="Ioffe & Szegedy, Batch Normalization: Accelerating Deep Network "
          "Training by Reducing Internal Covariate Shift, ICML 2015 "
          "(arXiv:1502.03167)",
    default_size=224,
    min_size=32,
    preprocessing="caffe",
    endpoints=("conv_2c_3x3", "inception_3b", "inception_4d", "inception_5b"),
    default_dropout=0.0,  # Section 4.2.1: "Remove Dropout"
    ref_params=11_295_240,
    ref_gmacs=2.03,
    ref_source="pretrainedmodels port of the Caffe model",
    paper_top1_error=25.2,
    paper_top5_error=7.82,
)
CAFFE_INFO = dataclasses.replace(
    INFO,
    name="bn_inception_caffe",
    title="BN-Inception (the Caffe model's padding and pooling)",
    notes="BNInception(variant='caffe'): as the pretrainedmodels port runs "
          "it.",
    generation=INFO.name,
    builder_kwargs={"variant": "caffe"},
    preprocessing="caffe_bninception",
)
VARIANTS = (INFO, CAFFE_INFO)
# variant= argument -> (Style overrides, registry entry).
_BY_VARIANT = {"default": ({}, INFO),
               "caffe": ({"pool_counts_padding": True}, CAFFE_INFO)}


def body(x, style, caffe=False):
    """GoogLeNet's stem, then Figure 5's modules (``caffe``: as the Caffe
    model pads and pools); returns ``(x, end_points)``."""
    outputs = {}
    x = L.stem(x, PYTORCH_GOOGLENET_STEM if caffe else STEM, style=style,
               outputs=outputs)
    for stage, widths in FIGURE_5.items():
        name = f"inception_{stage}"
        grid = x.shape[1:3]
        if caffe and widths[-1] == 2 and any(n and n % 2 for n in grid):
            # Its padded stride-2 convolutions and ceil-mode pool disagree
            # on an odd grid (PyTorch's port fails there too).
            raise ValueError(
                "`input_shape`: BNInception(variant='caffe') needs an even "
                f"grid before {name}, as the Caffe model (inputs a multiple "
                f"of 32, e.g. 224 or 160); the grid there is {tuple(grid)}.")
        x = L.inception_block(x, bn_inception_module(*widths, caffe=caffe),
                              name=name, style=style)
        outputs[name] = x
    return x, pick_end_points(outputs, INFO)


def BNInception(include_top=True, weights=None, input_tensor=None,
                input_shape=None, pooling=None, classes=1000,
                classifier_activation="softmax", name=None, *,
                variant="default", width_multiplier=1.0, dropout_rate=None):
    """Instantiates BN-Inception (Batch Normalization paper, Figure 5).

    Arguments as ``keras.applications.InceptionV3``, plus ``variant``
    (``"default"`` or ``"caffe"``, the Caffe model's padding and pooling:
    see the module docstring), ``width_multiplier`` and ``dropout_rate``
    (default 0: the paper removed dropout).

    Example:
        >>> import keras_inception
        >>> model = keras_inception.BNInception(weights=None)
        >>> model.get_layer("inception_4e").output.shape
        (None, 7, 7, 1056)
    """
    overrides, info = choose_variant(variant, _BY_VARIANT)
    return build_model(info, body, include_top=include_top, weights=weights,
                       input_tensor=input_tensor, input_shape=input_shape,
                       pooling=pooling, classes=classes,
                       classifier_activation=classifier_activation, name=name,
                       width_multiplier=width_multiplier,
                       dropout_rate=dropout_rate,
                       style=dict(bn_scale=True, bn_epsilon=1e-5,
                                  conv_bias=True, **overrides),
                       caffe=info is CAFFE_INFO)


preprocess_input = preprocessor(INFO)
