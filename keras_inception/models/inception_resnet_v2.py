"""Inception-ResNet-v2 (Szegedy et al., "Inception-v4, Inception-ResNet and
the Impact of Residual Connections on Learning", AAAI 2017).

Two variants:

``variant="released"`` (default) is the network Google released with its
checkpoints, built by TF-slim, keras.applications and timm; layers, order and
block names (``mixed_5b``, ``block35_1`` ... ``conv_7b``) are those of
``keras.applications.InceptionResNetV2``, so its ``.weights.h5`` files load
here. It departs from the paper in:

- the stem: Inception-v3's convolutions to 35x35x192 and a 320-channel
  Inception block (``mixed_5b``), not Figure 3's 384-channel stem;
- 10/20/10 residual blocks (paper: 5/10/5) at 320/1088/2080 channels (paper:
  384/1152/2144), with different Reduction-A/B filter counts;
- after the 9 scaled Inception-ResNet-C blocks comes a tenth, unscaled and
  without ReLU, and a 1x1 convolution to 1536 channels (``conv_7b``)
  precedes the pooling.
Residuals are scaled by 0.17, 0.10 and 0.20 (Section 3.3 recommends 0.1-0.3).

``variant="paper"`` builds Figure 15 with Figures 3, 16, 7 (k=l=256,
m=n=384), 17, 18 and 19; the 1x1 up-projections restore the input depth
(Figures 17 and 19 print 1154 and 2048, which cannot be added to 1152- and
2144-channel inputs). Like the released networks, it follows the 5 scaled
Inception-ResNet-C blocks with one unscaled block without ReLU.
"""

import dataclasses

from keras_inception.models import layers as L
from keras_inception.models.blocks import (INCEPTION_V3_STEM,
                                           INCEPTION_V4_PAPER,
                                           INCEPTION_V4_STEM, reduction_a)
from keras_inception.models.builder import (ModelInfo, build_model,
                                            check_block_counts,
                                            choose_variant, preprocessor)
from keras_inception.models.imagenet import decode_predictions  # noqa: F401

C, AVG, MAX_S2 = L.Conv, L.AVG, L.MAX_S2

# The released network: stem of Inception-v3 up to 35x35x192, then mixed_5b.
RELEASED = L.ResidualSpec(
    stem=INCEPTION_V3_STEM + (
        ("mixed_5b", ((C(96, 1),),
                      (C(48, 1), C(64, 5)),
                      (C(64, 1), C(96, 3), C(96, 3)),
                      (AVG, C(64, 1)))),                     # 35x35x320
    ),
    stem_endpoint="conv_4a_3x3",
    repeats=(10, 20, 9),  # + the final linear block8_10
    scales=(0.17, 0.10, 0.20),
    # Figure 16 (block35), 17 (block17), 19 (block8): residual branches,
    # the same in both variants.
    block35=((C(32, 1),),
             (C(32, 1), C(32, 3)),
             (C(32, 1), C(48, 3), C(64, 3))),
    reduction_a=reduction_a(k=256, l=256, m=384, n=384),
    block17=((C(192, 1),),
             (C(128, 1), C(160, (1, 7)), C(192, (7, 1)))),
    reduction_b=((C(256, 1), C(384, 3, 2, "valid")),
                 (C(256, 1), C(288, 3, 2, "valid")),
                 (C(256, 1), C(288, 3), C(320, 3, 2, "valid")),
                 (MAX_S2,)),                                  # 8x8x2080
    block8=((C(192, 1),),
            (C(192, 1), C(224, (1, 3)), C(256, (3, 1)))),
    final_conv=1536,
)

# Figure 15: stem of Figure 3 (35x35x384), 5/10/5 blocks, Figure 18's
# Reduction-B (pool first), no final convolution.
PAPER = dataclasses.replace(
    RELEASED,
    stem=INCEPTION_V4_STEM,
    stem_endpoint="mixed_4a",
    repeats=(5, 10, 5),
    reduction_b=((MAX_S2,),                                   # Figure 18
                 (C(256, 1), C(384, 3, 2, "valid")),
                 (C(256, 1), C(288, 3, 2, "valid")),
                 (C(256, 1), C(288, 3), C(320, 3, 2, "valid"))),  # 8x8x2144
    final_conv=None,
)

INFO = ModelInfo(
    name="inception_resnet_v2",
    builder="InceptionResNetV2",
    title="Inception-ResNet-v2",
    paper=INCEPTION_V4_PAPER,
    default_size=299,
    min_size=75,
    preprocessing="tf",
    endpoints=RELEASED.endpoints(),
    default_dropout=0.2,  # Figure 15: dropout (keep 0.8)
    ref_params=55_873_736,
    ref_gmacs=13.16,
    ref_source="keras.applications; timm",
    paper_top1_error=19.9,
    paper_top5_error=4.9,
    notes="variant='released' (default) or 'paper' (Figure 15).",
    block_stages=("35x35", "17x17", "8x8"),
    block_counts=RELEASED.repeats,
)

PAPER_INFO = dataclasses.replace(
    INFO,
    name="inception_resnet_v2_paper",
    title="Inception-ResNet-v2 (paper, Figure 15)",
    endpoints=PAPER.endpoints(),
    ref_params=None,
    ref_gmacs=None,
    ref_source=("parameters not published; cost about Inception-v4's "
                "(Inception-v4 paper, Figure 15)"),
    notes="InceptionResNetV2(variant='paper').",
    block_counts=PAPER.repeats,
    generation=INFO.name,
    builder_kwargs={"variant": "paper"},
)
VARIANTS = (INFO, PAPER_INFO)
# variant= argument -> (spec, registry entry).
_BY_VARIANT = {"released": (RELEASED, INFO), "paper": (PAPER, PAPER_INFO)}


def body(x, style, spec=RELEASED, counts=None):
    """Figure 15's schema with ``spec``'s pieces; returns ``(x,
    end_points)``."""
    return L.residual_network(x, spec, style, counts)


def InceptionResNetV2(include_top=True, weights=None, input_tensor=None,
                      input_shape=None, pooling=None, classes=1000,
                      classifier_activation="softmax", name=None, *,
                      variant="released", width_multiplier=1.0,
                      dropout_rate=None, block_counts=None):
    """Instantiates Inception-ResNet-v2.

    Arguments as ``keras.applications.InceptionResNetV2``, plus ``variant``
    (``"released"``, the default, or ``"paper"``), ``width_multiplier``,
    ``dropout_rate`` (default 0.2) and ``block_counts``: scaled
    Inception-ResNet-A, -B and -C blocks (default the variant's, (10, 20, 9)
    released, (5, 10, 5) paper; the final unscaled block always follows).

    Example:
        >>> import keras_inception
        >>> keras_inception.InceptionResNetV2(weights=None).count_params()
        55873736
    """
    spec, info = choose_variant(variant, _BY_VARIANT)
    counts = check_block_counts(block_counts, info)
    return build_model(info, body, include_top=include_top, weights=weights,
                       input_tensor=input_tensor, input_shape=input_shape,
                       pooling=pooling, classes=classes,
                       classifier_activation=classifier_activation, name=name,
                       width_multiplier=width_multiplier,
                       dropout_rate=dropout_rate, spec=spec, counts=counts)


preprocess_input = preprocessor(INFO)
