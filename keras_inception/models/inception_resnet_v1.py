"""Inception-ResNet-v1 (Szegedy et al., "Inception-v4, Inception-ResNet and
the Impact of Residual Connections on Learning", AAAI 2017, Figures 10-15).

Figure 15's schema with the Inception-ResNet-v1 pieces: the stem of
Figure 14 (35x35x256), 5 x Inception-ResNet-A (Figure 10), Reduction-A with
k=l=192, m=256, n=384 (Figure 7, Table 1), 10 x Inception-ResNet-B
(Figure 11), Reduction-B (Figure 12), 5 x Inception-ResNet-C (Figure 13).
The paper does not publish residual scales or the treatment of the last
block; like FaceNet's widely used implementation (the reference for the
parameter count) we scale by 0.17/0.10/0.20 (Section 3.3: 0.1-0.3) and
follow the five Inception-ResNet-C blocks with a sixth, unscaled and without
ReLU, as the released Inception-ResNet-v2 ends.
"""

from keras_inception.models import layers as L
from keras_inception.models.blocks import INCEPTION_V4_PAPER, reduction_a
from keras_inception.models.builder import (ModelInfo, build_model,
                                            check_block_counts, preprocessor)
from keras_inception.models.imagenet import decode_predictions  # noqa: F401

C, MAX_S2 = L.Conv, L.MAX_S2

SPEC = L.ResidualSpec(
    stem=(                                                   # Figure 14
        ("conv_1a_3x3", C(32, 3, 2, "valid")),               # 149x149x32
        ("conv_2a_3x3", C(32, 3, 1, "valid")),               # 147x147x32
        ("conv_2b_3x3", C(64, 3)),                           # 147x147x64
        ("maxpool_3a_3x3", MAX_S2),                          # 73x73x64
        ("conv_3b_1x1", C(80, 1)),                           # 73x73x80
        ("conv_4a_3x3", C(192, 3, 1, "valid")),              # 71x71x192
        ("conv_4b_3x3", C(256, 3, 2, "valid")),              # 35x35x256
    ),
    stem_endpoint="conv_4a_3x3",
    repeats=(5, 10, 5),
    scales=(0.17, 0.10, 0.20),
    block35=((C(32, 1),),                                    # Figure 10
             (C(32, 1), C(32, 3)),
             (C(32, 1), C(32, 3), C(32, 3))),
    # Reduction-A, Table 1's k, l, m, n for Inception-ResNet-v1: 17x17x896.
    reduction_a=reduction_a(k=192, l=192, m=256, n=384),
    block17=((C(128, 1),),                                   # Figure 11
             (C(128, 1), C(128, (1, 7)), C(128, (7, 1)))),
    reduction_b=((MAX_S2,),                                  # Figure 12
                 (C(256, 1), C(384, 3, 2, "valid")),
                 (C(256, 1), C(256, 3, 2, "valid")),
                 (C(256, 1), C(256, 3), C(256, 3, 2, "valid"))),  # 8x8x1792
    block8=((C(192, 1),),                                    # Figure 13
            (C(192, 1), C(192, (1, 3)), C(192, (3, 1)))),
)

INFO = ModelInfo(
    name="inception_resnet_v1",
    builder="InceptionResNetV1",
    title="Inception-ResNet-v1",
    paper=INCEPTION_V4_PAPER,
    default_size=299,
    min_size=75,
    preprocessing="tf",
    endpoints=SPEC.endpoints(),
    default_dropout=0.2,  # Figure 15: dropout (keep 0.8)
    ref_params=24_357_096,
    ref_gmacs=6.31,
    ref_source="facenet-pytorch trunk + 1792->1000 classifier",
    paper_top1_error=21.3,
    paper_top5_error=5.5,
    block_stages=("35x35", "17x17", "8x8"),
    block_counts=SPEC.repeats,
)
VARIANTS = (INFO,)


def body(x, style, counts=None):
    """Figure 15 with the v1 pieces; returns ``(x, end_points)``."""
    return L.residual_network(x, SPEC, style, counts)


def InceptionResNetV1(include_top=True, weights=None, input_tensor=None,
                      input_shape=None, pooling=None, classes=1000,
                      classifier_activation="softmax", name=None, *,
                      width_multiplier=1.0, dropout_rate=None,
                      block_counts=None):
    """Instantiates Inception-ResNet-v1 (paper Figures 10-15).

    Arguments as ``keras.applications.InceptionV3``, plus
    ``width_multiplier``, ``dropout_rate`` (default 0.2) and
    ``block_counts``: scaled Inception-ResNet-A, -B and -C blocks (default
    (5, 10, 5); the final unscaled block always follows).

    Example:
        >>> import keras_inception
        >>> model = keras_inception.InceptionResNetV1(weights=None)
        >>> model.get_layer("mixed_7a").output.shape
        (None, 8, 8, 1792)
    """
    counts = check_block_counts(block_counts, INFO)
    return build_model(INFO, body, include_top=include_top, weights=weights,
                       input_tensor=input_tensor, input_shape=input_shape,
                       pooling=pooling, classes=classes,
                       classifier_activation=classifier_activation, name=name,
                       width_multiplier=width_multiplier,
                       dropout_rate=dropout_rate, counts=counts)


preprocess_input = preprocessor(INFO)
