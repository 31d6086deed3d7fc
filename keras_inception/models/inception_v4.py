"""Inception-v4 (Szegedy et al., "Inception-v4, Inception-ResNet and the
Impact of Residual Connections on Learning", AAAI 2017, Figures 3-9).

Branch order and the order of the 1x7/7x1 factorisations follow TF-slim's
``inception_v4`` and timm's port (the released checkpoint); the paper's
figures draw some 7x1/1x7 pairs the other way round, which changes no shape
or count. The average pools inside the blocks do not count padding, as in
the released network.
"""

from keras_inception.models import layers as L
from keras_inception.models.blocks import (INCEPTION_V4_PAPER,
                                           INCEPTION_V4_STEM, reduction_a)
from keras_inception.models.builder import (ModelInfo, build_model,
                                            check_block_counts,
                                            pick_end_points, preprocessor)
from keras_inception.models.imagenet import decode_predictions  # noqa: F401

C, AVG, MAX_S2 = L.Conv, L.AVG, L.MAX_S2

# Figure 4: Inception-A, 35x35x384.
INCEPTION_A = ((C(96, 1),),
               (C(64, 1), C(96, 3)),
               (C(64, 1), C(96, 3), C(96, 3)),
               (AVG, C(96, 1)))


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


def endpoints(counts=BLOCK_COUNTS):
    """The maps at strides 4, 8, 16 and 32: the stem's ``mixed_4a`` and
    the last Inception-A, -B and -C blocks of ``counts``."""
    n_a, n_b, n_c = counts
    return ("mixed_4a", f"inception_a_{n_a}", f"inception_b_{n_b}",
            f"inception_c_{n_c}")


INFO = ModelInfo(
    name="inception_v4",
    builder="InceptionV4",
    title="Inception-v4",
    paper=INCEPTION_V4_PAPER,
    default_size=299,
    min_size=75,
    preprocessing="tf",
    endpoints=endpoints(),
    default_dropout=0.2,  # Figure 9: dropout (keep 0.8)
    ref_params=42_679_816,
    ref_gmacs=12.25,
    ref_source="timm (affine BN); paper",
    paper_top1_error=20.0,
    paper_top5_error=5.0,
    block_stages=("35x35", "17x17", "8x8"),
    block_counts=BLOCK_COUNTS,
)
VARIANTS = (INFO,)


def body(x, style, counts=BLOCK_COUNTS):
    """Figure 9: stem, 4 x A, Reduction-A, 7 x B, Reduction-B, 3 x C (or
    ``counts`` of A, B and C); returns ``(x, end_points)``."""
    outputs = {}
    x = L.stem(x, INCEPTION_V4_STEM, style=style, outputs=outputs)
    for name, branches in blocks(counts):
        x = L.inception_block(x, branches, name=name, style=style)
        outputs[name] = x
    return x, pick_end_points(outputs, INFO, endpoints(counts))


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
