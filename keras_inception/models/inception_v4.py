"""Inception-v4 (Szegedy et al., "Inception-v4, Inception-ResNet and the
Impact of Residual Connections on Learning", AAAI 2017, Figures 3-9).

Branch order and the order of the 1x7/7x1 factorisations follow TF-slim's
``inception_v4`` and timm's port (the released checkpoint); the paper's
figures draw some 7x1/1x7 pairs the other way round, which changes no shape
or count. The average pools inside the blocks do not count padding, as in
the released network.
"""

from keras_inception.models import layers as L
from keras_inception.models.builder import (ModelInfo, build_model,
                                     check_block_counts, preprocessor)
from keras_inception.models.imagenet import decode_predictions  # noqa: F401

C, AVG, MAX_S2 = L.Conv, L.AVG, L.MAX_S2

PAPER = ("Szegedy et al., Inception-v4, Inception-ResNet and the Impact of "
         "Residual Connections on Learning, AAAI 2017 (arXiv:1602.07261)")

# Figure 3: the stem shared by Inception-v4 and Inception-ResNet-v2.
STEM = (
    ("conv_1a_3x3", C(32, 3, 2, "valid")),                   # 149x149x32
    ("conv_2a_3x3", C(32, 3, 1, "valid")),                   # 147x147x32
    ("conv_2b_3x3", C(64, 3)),                               # 147x147x64
    ("mixed_3a", ((L.MAX_S2,), (C(96, 3, 2, "valid"),))),    # 73x73x160
    ("mixed_4a", ((C(64, 1), C(96, 3, 1, "valid")),          # 71x71x192
                  (C(64, 1), C(64, (1, 7)), C(64, (7, 1)),
                   C(96, 3, 1, "valid")))),
    ("mixed_5a", ((C(192, 3, 2, "valid"),), (L.MAX_S2,))),   # 35x35x384
)

# Figure 4: Inception-A, 35x35x384.
INCEPTION_A = ((C(96, 1),),
               (C(64, 1), C(96, 3)),
               (C(64, 1), C(96, 3), C(96, 3)),
               (AVG, C(96, 1)))


def reduction_a(k, l, m, n):  # noqa: E741 - the paper's Table 1 names
    """Figure 7: 35x35 -> 17x17, with the filter counts of Table 1."""
    return ((C(n, 3, 2, "valid"),),
            (C(k, 1), C(l, 3), C(m, 3, 2, "valid")),
            (MAX_S2,))


# Figure 5: Inception-B, 17x17x1024.
INCEPTION_B = ((C(384, 1),),
               (C(192, 1), C(224, (1, 7)), C(256, (7, 1))),
               (C(192, 1), C(192, (7, 1)), C(224, (1, 7)), C(224, (7, 1)),
                C(256, (1, 7))),
               (AVG, C(128, 1)))

# Figure 8: Reduction-B, 17x17 -> 8x8x1536.
REDUCTION_B = ((C(192, 1), C(192, 3, 2, "valid")),
               (C(256, 1), C(256, (1, 7)), C(320, (7, 1)),
                C(320, 3, 2, "valid")),
               (MAX_S2,))

# Figure 6: Inception-C, 8x8x1536.
INCEPTION_C = ((C(256, 1),),
               (C(384, 1), L.split(C(256, (1, 3)), C(256, (3, 1)))),
               (C(384, 1), C(448, (3, 1)), C(512, (1, 3)),
                L.split(C(256, (1, 3)), C(256, (3, 1)))),
               (AVG, C(256, 1)))

# Figure 9: 4 x Inception-A, 7 x Inception-B, 3 x Inception-C.
BLOCK_COUNTS = (4, 7, 3)


def blocks(counts=BLOCK_COUNTS):
    """Figure 9's blocks after the stem, with ``counts`` Inception-A, -B and
    -C blocks (``inception_a_1`` ...), as ``(name, branches)`` pairs."""
    n_a, n_b, n_c = counts
    return (
        *((f"inception_a_{i}", INCEPTION_A) for i in range(1, n_a + 1)),
        ("reduction_a", reduction_a(k=192, l=224, m=256, n=384)),  # 17x17x1024
        *((f"inception_b_{i}", INCEPTION_B) for i in range(1, n_b + 1)),
        ("reduction_b", REDUCTION_B),                               # 8x8x1536
        *((f"inception_c_{i}", INCEPTION_C) for i in range(1, n_c + 1)),
    )


BLOCKS = blocks()

INFO = ModelInfo(
    name="inception_v4",
    builder="InceptionV4",
    title="Inception-v4",
    paper=PAPER,
    default_size=299,
    min_size=75,
    preprocessing="tf",
    endpoints=("mixed_4a", "inception_a_4", "inception_b_7", "inception_c_3"),
    default_dropout=0.2,  # Figure 9: dropout (keep 0.8)
    ref_params=42_679_816,
    ref_gmacs=12.25,
    ref_source="timm (affine BN); paper",
    paper_top1_error=20.0,
    paper_top5_error=5.0,
    block_stages=("35x35", "17x17", "8x8"),
    block_counts=BLOCK_COUNTS,
)


def body(x, style, counts=BLOCK_COUNTS):
    """Figure 9: stem, 4 x A, Reduction-A, 7 x B, Reduction-B, 3 x C (or
    ``counts`` of A, B and C)."""
    x = L.stem(x, STEM, style=style)
    for name, branches in blocks(counts):
        x = L.inception_block(x, branches, name=name, style=style)
    return x, {}


def InceptionV4(include_top=True, weights=None, input_tensor=None,
                input_shape=None, pooling=None, classes=1000,
                classifier_activation="softmax", name=None, *,
                width_multiplier=1.0, dropout_rate=None, block_counts=None):
    """Instantiates Inception-v4 (paper Figure 9).

    Arguments as ``keras.applications.InceptionV3``, plus
    ``width_multiplier``, ``dropout_rate`` (default 0.2) and
    ``block_counts``: Inception-A, -B and -C blocks (default (4, 7, 3)).

    Example:
        >>> import keras_inception
        >>> model = keras_inception.InceptionV4(weights=None)
        >>> model.output_shape
        (None, 1000)
    """
    counts = check_block_counts(block_counts, INFO)
    return build_model(INFO, body, include_top=include_top, weights=weights,
                       input_tensor=input_tensor, input_shape=input_shape,
                       pooling=pooling, classes=classes,
                       classifier_activation=classifier_activation, name=name,
                       width_multiplier=width_multiplier,
                       dropout_rate=dropout_rate, counts=counts)


preprocess_input = preprocessor(INFO)
