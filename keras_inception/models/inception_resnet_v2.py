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

from keras_inception.models import layers as L
from keras_inception.models import inception_v3
from keras_inception.models import inception_v4
from keras_inception.models.builder import (ModelInfo, build_model,
                                     check_block_counts, preprocessor)
from keras_inception.models.imagenet import decode_predictions  # noqa: F401

C, AVG, MAX_S2 = L.Conv, L.AVG, L.MAX_S2

# Figure 16 (block35), 17 (block17), 19 (block8): residual branches, shared
# by both variants.
BLOCK35 = ((C(32, 1),),
           (C(32, 1), C(32, 3)),
           (C(32, 1), C(48, 3), C(64, 3)))
BLOCK17 = ((C(192, 1),),
           (C(128, 1), C(160, (1, 7)), C(192, (7, 1))))
BLOCK8 = ((C(192, 1),),
          (C(192, 1), C(224, (1, 3)), C(256, (3, 1))))

# The released network: stem of Inception-v3 up to 35x35x192, then mixed_5b.
RELEASED = dict(
    stem=inception_v3.STEM + (
        ("mixed_5b", ((C(96, 1),),
                      (C(48, 1), C(64, 5)),
                      (C(64, 1), C(96, 3), C(96, 3)),
                      (AVG, C(64, 1)))),                     # 35x35x320
    ),
    repeats=(10, 20, 9),  # + the final linear block8_10
    scales=(0.17, 0.10, 0.20),
    reduction_a=inception_v4.reduction_a(k=256, l=256, m=384, n=384),
    reduction_b=((C(256, 1), C(384, 3, 2, "valid")),
                 (C(256, 1), C(288, 3, 2, "valid")),
                 (C(256, 1), C(288, 3), C(320, 3, 2, "valid")),
                 (MAX_S2,)),                                  # 8x8x2080
    final_conv=1536,
)

# Figure 15: stem of Figure 3 (35x35x384), 5/10/5 blocks.
PAPER = dict(
    stem=inception_v4.STEM,
    repeats=(5, 10, 5),
    scales=(0.17, 0.10, 0.20),
    reduction_a=inception_v4.reduction_a(k=256, l=256, m=384, n=384),
    reduction_b=((MAX_S2,),                                   # Figure 18
                 (C(256, 1), C(384, 3, 2, "valid")),
                 (C(256, 1), C(288, 3, 2, "valid")),
                 (C(256, 1), C(288, 3), C(320, 3, 2, "valid"))),  # 8x8x2144
    final_conv=None,
)

VARIANTS = {"released": RELEASED, "paper": PAPER}
ARCHITECTURES = {"released": "inception_resnet_v2",
                 "paper": "inception_resnet_v2_paper"}

INFO = ModelInfo(
    name="inception_resnet_v2",
    builder="InceptionResNetV2",
    title="Inception-ResNet-v2",
    paper=inception_v4.PAPER,
    default_size=299,
    min_size=75,
    preprocessing="tf",
    endpoints=("conv_4a_3x3", "block35_10", "block17_20", "conv_7b"),
    default_dropout=0.2,  # Figure 15: dropout (keep 0.8)
    ref_params=55_873_736,
    ref_gmacs=13.16,
    ref_source="keras.applications; timm",
    paper_top1_error=19.9,
    paper_top5_error=4.9,
    notes="variant='released' (default) or 'paper' (Figure 15).",
    block_stages=("35x35", "17x17", "8x8"),
    block_counts=RELEASED["repeats"],
)


def residual_stages(x, spec, style, counts=None):
    """Inception-ResNet-A/B/C stages with their reductions (Figures 15, 7, 18)
    -- shared with Inception-ResNet-v1. ``counts``: the scaled blocks per
    stage (default ``spec["repeats"]``)."""
    n_a, n_b, n_c = counts or spec["repeats"]
    s_a, s_b, s_c = spec["scales"]
    for i in range(1, n_a + 1):
        x = L.residual_block(x, spec["block35"], scale=s_a,
                             name=f"block35_{i}", style=style)
    x = L.inception_block(x, spec["reduction_a"], name="mixed_6a",
                          style=style)
    for i in range(1, n_b + 1):
        x = L.residual_block(x, spec["block17"], scale=s_b,
                             name=f"block17_{i}", style=style)
    x = L.inception_block(x, spec["reduction_b"], name="mixed_7a",
                          style=style)
    for i in range(1, n_c + 1):
        x = L.residual_block(x, spec["block8"], scale=s_c,
                             name=f"block8_{i}", style=style)
    # Both released implementations (TF-slim's IR-v2, FaceNet's IR-v1) end
    # with one more Inception-ResNet-C block, unscaled and without ReLU.
    return L.residual_block(x, spec["block8"], scale=1.0, activation=None,
                            name=f"block8_{n_c + 1}", style=style)


def body(x, style, variant="released", counts=None):
    spec = {**VARIANTS[variant], "block35": BLOCK35, "block17": BLOCK17,
            "block8": BLOCK8}
    x = L.stem(x, spec["stem"], style=style)
    x = residual_stages(x, spec, style, counts)
    if spec["final_conv"]:
        x = L.conv_bn(x, spec["final_conv"], 1, name="conv_7b", style=style)
    return x, {}


def endpoints(variant="released"):
    """Layer names at strides 4, 8, 16, 32 for ``variant``."""
    if variant == "paper":
        return ("mixed_4a", "block35_5", "block17_10", "block8_6")
    return INFO.endpoints


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
    if not isinstance(variant, str) or variant not in VARIANTS:
        raise ValueError(f"`variant` must be one of {sorted(VARIANTS)}; "
                         f"received {variant!r}.")
    counts = check_block_counts(block_counts, INFO,
                                VARIANTS[variant]["repeats"])
    return build_model(INFO, body, include_top=include_top, weights=weights,
                       input_tensor=input_tensor, input_shape=input_shape,
                       pooling=pooling, classes=classes,
                       classifier_activation=classifier_activation, name=name,
                       width_multiplier=width_multiplier,
                       dropout_rate=dropout_rate, variant=variant,
                       counts=counts, architecture=ARCHITECTURES[variant])


preprocess_input = preprocessor(INFO)
