"""Block tables that more than one generation uses, each defined once.

A generation module keeps the tables only it uses; what two generations
share lives here, under the paper that drew it, so that no generation module
imports another:

- Going Deeper, Table 1: the stem of GoogLeNet, kept by BN-Inception, and
  that stem as their PyTorch ports pad and pool it.
- Rethinking: Inception-v3's stem (the released Inception-ResNet-v2 starts
  with it), the Figure 6 and 7 modules and the auxiliary head (Inception-v2
  takes them from the released Inception-v3).
- Inception-v4 paper: the Figure 3 stem (Inception-v4 and the paper's
  Inception-ResNet-v2) and Reduction-A (Inception-v4, Inception-ResNet-v1
  and -v2, with their Table 1 filter counts).

Example:
    >>> [name for name, _ in INCEPTION_V4_STEM][-3:]
    ['mixed_3a', 'mixed_4a', 'mixed_5a']
    >>> len(reduction_a(k=192, l=224, m=256, n=384))   # three branches
    3
"""

from keras_inception.models import layers as L

C, AVG, MAX_S2 = L.Conv, L.AVG, L.MAX_S2

RETHINKING_PAPER = ("Szegedy et al., Rethinking the Inception Architecture "
                    "for Computer Vision, CVPR 2016 (arXiv:1512.00567)")
INCEPTION_V4_PAPER = ("Szegedy et al., Inception-v4, Inception-ResNet and "
                      "the Impact of Residual Connections on Learning, AAAI "
                      "2017 (arXiv:1602.07261)")

# Going Deeper, Table 1, stem rows (conv1 ... max pool to 28x28x192).
GOOGLENET_STEM = (
    ("conv_1a_7x7", C(64, 7, 2)),          # 112x112x64
    ("maxpool_2a_3x3", L.MAX_S2_SAME),     # 56x56x64
    ("conv_2b_1x1", C(64, 1)),             # 56x56x64 (#3x3 reduce)
    ("conv_2c_3x3", C(192, 3)),            # 56x56x192
    ("maxpool_3a_3x3", L.MAX_S2_SAME),     # 28x28x192
)

# The same stem as the PyTorch ports run it (torchvision's googlenet, the
# pretrainedmodels BN-Inception): the 7x7/2 convolution padded 3 on every
# side, the max pools in ceil mode.
PYTORCH_GOOGLENET_STEM = (
    ("conv_1a_7x7", C(64, 7, 2, 3)),       # 112x112x64
    ("maxpool_2a_3x3", L.MAX_S2_CEIL),     # 56x56x64
    ("conv_2b_1x1", C(64, 1)),
    ("conv_2c_3x3", C(192, 3)),            # 56x56x192
    ("maxpool_3a_3x3", L.MAX_S2_CEIL),     # 28x28x192
)

# Rethinking, Table 1 stem as released (keras.applications, TF-slim).
INCEPTION_V3_STEM = (
    ("conv_1a_3x3", C(32, 3, 2, "valid")),
    ("conv_2a_3x3", C(32, 3, 1, "valid")),
    ("conv_2b_3x3", C(64, 3)),
    ("maxpool_3a_3x3", MAX_S2),
    ("conv_3b_1x1", C(80, 1, 1, "valid")),
    ("conv_4a_3x3", C(192, 3, 1, "valid")),
    ("maxpool_5a_3x3", MAX_S2),
)


def block_17(n):
    """Rethinking, Figure 6 with n=7: 1x7/7x1 factorisations, ``n`` inner
    filters, 192 per branch out."""
    return ((C(192, 1),),
            (C(n, 1), C(n, (1, 7)), C(192, (7, 1))),
            (C(n, 1), C(n, (7, 1)), C(n, (1, 7)), C(n, (7, 1)),
             C(192, (1, 7))),
            (AVG, C(192, 1)))


# Rethinking, Figure 7: the expanded filter bank of the 8x8 grid.
BLOCK_8 = ((C(320, 1),),
           (C(384, 1), L.split(C(384, (1, 3)), C(384, (3, 1)))),
           (C(448, 1), C(384, 3), L.split(C(384, (1, 3)), C(384, (3, 1)))),
           (AVG, C(192, 1)))

# Rethinking, Section 4 / torchvision's InceptionAux: pool 5x5/3, 1x1x128,
# 5x5x768.
RETHINKING_AUX_HEAD = dict(conv_filters=128, conv5x5_filters=768)

# Inception-v4 paper, Figure 3: the stem of Inception-v4 and of the paper's
# Inception-ResNet-v2.
INCEPTION_V4_STEM = (
    ("conv_1a_3x3", C(32, 3, 2, "valid")),                   # 149x149x32
    ("conv_2a_3x3", C(32, 3, 1, "valid")),                   # 147x147x32
    ("conv_2b_3x3", C(64, 3)),                               # 147x147x64
    ("mixed_3a", ((MAX_S2,), (C(96, 3, 2, "valid"),))),      # 73x73x160
    ("mixed_4a", ((C(64, 1), C(96, 3, 1, "valid")),          # 71x71x192
                  (C(64, 1), C(64, (1, 7)), C(64, (7, 1)),
                   C(96, 3, 1, "valid")))),
    ("mixed_5a", ((C(192, 3, 2, "valid"),), (MAX_S2,))),     # 35x35x384
)


def reduction_a(k, l, m, n):  # noqa: E741 - the paper's Table 1 names
    """Inception-v4 paper, Figure 7: 35x35 -> 17x17, with the filter counts
    of Table 1."""
    return ((C(n, 3, 2, "valid"),),
            (C(k, 1), C(l, 3), C(m, 3, 2, "valid")),
            (MAX_S2,))
