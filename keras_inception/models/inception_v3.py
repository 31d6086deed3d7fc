"""Inception-v3 (Szegedy et al., "Rethinking the Inception Architecture for
Computer Vision", CVPR 2016, Table 1 and Figures 5-7, 10).

The network is the one Google released with its checkpoints and that
keras.applications builds: same layers, same order, same block names
(``mixed0`` ... ``mixed10``), so ``.weights.h5`` files saved from
``keras.applications.InceptionV3`` load here unchanged. Where the released
network departs from the paper's Table 1:

- the 35x35 modules (``mixed0``-``mixed2``) keep a 5x5 branch beside the
  factorised double 3x3 (Figure 5 shows only the 3x3s), and the first one
  outputs 256 channels, not 288;
- there are four 17x17 modules (``mixed4``-``mixed7``), Table 1 lists five;
- the stem ends at 35x35x192 and the 17x17 grid reduction (``mixed3``) has a
  plain strided 3x3 branch.

The auxiliary classifier (Section 4, "BN-auxiliary" of Table 3) sits on the
last 17x17 block, ``mixed7``. See ``inception_v2`` for the Table 1 network.

``variant="torch"`` is the network of torchvision and timm: the same
layers, but the 3x3 average pools inside the blocks count their zero
padding (PyTorch's ``count_include_pad=True``; TensorFlow's pools, and the
default variant's, divide by the valid cells only), so that checkpoints
converted from torchvision or timm (``keras_inception.convert``) give those
libraries' logits. Near the borders of every grid the two variants' pooled
values differ; in the interior they agree.
"""

import dataclasses

from keras_inception.models import layers as L
from keras_inception.models.blocks import (BLOCK_8, INCEPTION_V3_STEM,
                                           RETHINKING_AUX_HEAD,
                                           RETHINKING_PAPER, block_17)
from keras_inception.models.builder import (AuxSpec, ModelInfo, build_model,
                                            check_block_counts,
                                            choose_variant, pick_end_points,
                                            preprocessor)
from keras_inception.models.imagenet import decode_predictions  # noqa: F401

C, AVG, MAX_S2 = L.Conv, L.AVG, L.MAX_S2


def block_35(pool_proj):
    """Figure 5 as released: 1x1 | 1x1-5x5 | 1x1-3x3-3x3 | avgpool-1x1."""
    return ((C(64, 1),),
            (C(48, 1), C(64, 5)),
            (C(64, 1), C(96, 3), C(96, 3)),
            (AVG, C(pool_proj, 1)))


# The grid reductions as released (Figure 10): 35x35 -> 17x17, 17x17 -> 8x8.
REDUCTION_17 = ((C(384, 3, 2, "valid"),),                   # 17x17x768
                (C(64, 1), C(96, 3), C(96, 3, 2, "valid")),
                (MAX_S2,))
REDUCTION_8 = ((C(192, 1), C(320, 3, 2, "valid")),          # 8x8x1280
               (C(192, 1), C(192, (1, 7)), C(192, (7, 1)),
                C(192, 3, 2, "valid")),
               (MAX_S2,))

# The released network's four Figure 6 modules (mixed4-mixed7).
BLOCK_COUNTS = (4,)


def modules_17(k):
    """``k`` Figure 6 modules as ``(name, branches)`` pairs.

    As released, the first has 128 inner filters, the last 192 and those
    between 160 (``k=1``: only the 192 one). The last is always ``mixed7``,
    which the auxiliary head taps; the i-th before it is ``mixed{3+i}`` up
    to ``mixed6``, then ``mixed6_1``, ``mixed6_2`` ...
    """
    out = []
    for i in range(1, k):
        name = f"mixed{3 + i}" if i <= 3 else f"mixed6_{i - 3}"
        out.append((name, block_17(128 if i == 1 else 160)))
    return (*out, ("mixed7", block_17(192)))


def blocks(counts=BLOCK_COUNTS):
    """The blocks after the stem, with ``counts`` = (Figure 6 modules,)."""
    (k,) = counts
    return (
        ("mixed0", block_35(32)),                   # 35x35x256
        ("mixed1", block_35(64)),                   # 35x35x288
        ("mixed2", block_35(64)),                   # 35x35x288
        ("mixed3", REDUCTION_17),
        *modules_17(k),                             # 17x17x768
        ("mixed8", REDUCTION_8),
        ("mixed9", BLOCK_8),                        # 8x8x2048
        ("mixed10", BLOCK_8),                       # 8x8x2048
    )


BLOCKS = blocks()

INFO = ModelInfo(
    name="inception_v3",
    builder="InceptionV3",
    title="Inception-v3",
    paper=RETHINKING_PAPER,
    default_size=299,
    min_size=75,
    preprocessing="tf",
    endpoints=("conv_4a_3x3", "mixed2", "mixed7", "mixed10"),
    default_dropout=0.2,  # TF-slim's keep_prob 0.8; the paper gives none
    aux=(AuxSpec("aux", "mixed7", RETHINKING_AUX_HEAD),),
    ref_params=23_851_784,
    ref_gmacs=5.71,
    ref_source="keras.applications; torchvision",
    paper_top1_error=21.2,
    paper_top5_error=5.6,
    notes="Released network (keras.applications / TF-slim layout).",
    block_stages=("17x17",),
    block_counts=BLOCK_COUNTS,
)
TORCH_INFO = dataclasses.replace(
    INFO,
    name="inception_v3_torch",
    title="Inception-v3 (torchvision/timm pooling)",
    notes="InceptionV3(variant='torch'): average pools count padding.",
    generation=INFO.name,
    builder_kwargs={"variant": "torch"},
)
VARIANTS = (INFO, TORCH_INFO)
# variant= argument -> (Style overrides, registry entry).
_BY_VARIANT = {"released": ({}, INFO),
               "torch": ({"pool_counts_padding": True}, TORCH_INFO)}


def body(x, style, counts=BLOCK_COUNTS):
    """The trunk: Table 1 stem, then ``blocks(counts)``; returns ``(x,
    end_points)``. The endpoint names do not depend on ``counts``: the
    last 17x17 module is always ``mixed7``."""
    outputs = {}
    x = L.stem(x, INCEPTION_V3_STEM, style=style, outputs=outputs)
    for name, branches in blocks(counts):
        x = L.inception_block(x, branches, name=name, style=style)
        outputs[name] = x
    return x, pick_end_points(outputs, INFO)


def InceptionV3(include_top=True, weights=None, input_tensor=None,
                input_shape=None, pooling=None, classes=1000,
                classifier_activation="softmax", name=None, *,
                aux_logits=False, variant="released", width_multiplier=1.0,
                dropout_rate=None, block_counts=None):
    """Instantiates Inception-v3.

    Same signature and meaning as ``keras.applications.InceptionV3``, plus
    ``aux_logits`` (return ``{"predictions", "aux"}``), ``variant``
    (``"released"``, the default, or ``"torch"``: average pools that count
    padding, as torchvision and timm build them), ``width_multiplier``
    (scales every convolution, TF-slim's ``depth_multiplier``),
    ``dropout_rate`` (default 0.2, before the classifier) and
    ``block_counts``: the 17x17 Figure 6 modules, the last ``mixed7``
    (default (4,)).

    Example:
        >>> import keras_inception
        >>> model = keras_inception.InceptionV3(weights=None)
        >>> model.count_params()
        23851784
    """
    style, info = choose_variant(variant, _BY_VARIANT)
    counts = check_block_counts(block_counts, info)
    return build_model(info, body, style=style, include_top=include_top,
                       weights=weights, input_tensor=input_tensor,
                       input_shape=input_shape, pooling=pooling, classes=classes,
                       classifier_activation=classifier_activation, name=name,
                       aux_logits=aux_logits,
                       width_multiplier=width_multiplier,
                       dropout_rate=dropout_rate, counts=counts)


preprocess_input = preprocessor(INFO)
