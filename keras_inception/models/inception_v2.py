"""Inception-v2 (Szegedy et al., "Rethinking the Inception Architecture for
Computer Vision", CVPR 2016, Table 1).

The network of Table 1: a 3x3-convolution stem to 35x35x288, 3 x Figure 5
modules (each 5x5 factorised into two 3x3), a Figure 10 grid reduction to
17x17x768, 5 x Figure 6 modules (n x n factorised into 1xn and nx1, n=7), a
Figure 10 reduction to 8x8x1280, 2 x Figure 7 modules (expanded filter bank)
to 8x8x2048, pooling and a linear classifier. The paper publishes the grid
sizes and depths of Table 1 but not the width of every branch; where it is
silent we take the widths of the corresponding released Inception-v3 block.

How it differs from Inception-v3 (``keras_inception.InceptionV3``). Table 3
defines Inception-v3 as Inception-v2 plus RMSProp, label smoothing, the
factorised 7x7 and a batch-normalised auxiliary classifier; the released
Inception-v3 also changed the layout. In this package:

- auxiliary head: BN-free here (convolutions with bias and ReLU); Inception-v3
  batch-normalises it ("BN-auxiliary", Table 3);
- stem: Table 1 ends the stem with a 3x3 convolution to 35x35x288; released
  v3 ends at 35x35x192 and reaches 288 channels through its modules;
- 35x35 modules: Figure 5 exactly (1x1 | 1x1-3x3 | 1x1-3x3-3x3 | pool-1x1);
  released v3 keeps a 5x5 branch;
- five 17x17 modules as Table 1 lists (released v3 has four);
- grid reductions: Figure 10, each a 1x1-3x3-3x3/2 branch beside a
  1x1-3x3/2 branch and a stride-2 pool;
- RMSProp and label smoothing are training choices: see the training recipes.
"""

from keras_inception.models import layers as L
from keras_inception.models.blocks import (BLOCK_8, RETHINKING_AUX_HEAD,
                                           RETHINKING_PAPER, block_17)
from keras_inception.models.builder import (AuxSpec, ModelInfo, build_model,
                                            pick_end_points, preprocessor)
from keras_inception.models.imagenet import decode_predictions  # noqa: F401

C, AVG, MAX_S2 = L.Conv, L.AVG, L.MAX_S2

# Table 1, rows "conv" to "conv": patch size/stride and output size.
STEM = (
    ("conv_1a_3x3", C(32, 3, 2, "valid")),    # 149x149x32
    ("conv_2a_3x3", C(32, 3, 1, "valid")),    # 147x147x32
    ("conv_2b_3x3", C(64, 3)),                # 147x147x64 ("conv padded")
    ("maxpool_3a_3x3", MAX_S2),               # 73x73x64
    ("conv_3b_3x3", C(80, 3, 1, "valid")),    # 71x71x80
    ("conv_4a_3x3", C(192, 3, 2, "valid")),   # 35x35x192
    ("conv_4b_3x3", C(288, 3)),               # 35x35x288
)

# Figure 5: the 5x5 of the original module replaced by two 3x3 (288 out).
FIGURE_5 = ((C(64, 1),),
            (C(48, 1), C(64, 3)),
            (C(64, 1), C(96, 3), C(96, 3)),
            (AVG, C(64, 1)))


def figure_10(reduce_dbl, out_dbl, reduce, out):
    """Figure 10: 1x1-3x3-3x3/2 | 1x1-3x3/2 | 3x3 max pool /2."""
    return ((C(reduce_dbl, 1), C(out_dbl, 3), C(out_dbl, 3, 2, "valid")),
            (C(reduce, 1), C(out, 3, 2, "valid")),
            (MAX_S2,))


# Figure 6 modules. Table 1 gives no branch widths; all five take the
# narrowest released 17x17 module (n=128 inner filters, 192 per branch out),
# which keeps the whole network near Table 3's cost of 4.8 B multiply-adds
# (released v3's widening to n=160/192 would put v2 at 6.4 B).
_FIGURE_6_WIDTHS = (128, 128, 128, 128, 128)

BLOCKS = (
    ("mixed_5b", FIGURE_5), ("mixed_5c", FIGURE_5), ("mixed_5d", FIGURE_5),
    ("mixed_6a", figure_10(64, 96, 192, 384)),          # 17x17x768
    *((f"mixed_6{chr(ord('b') + i)}", block_17(n))
      for i, n in enumerate(_FIGURE_6_WIDTHS)),           # 17x17x768
    ("mixed_7a", figure_10(192, 192, 192, 320)),        # 8x8x1280
    ("mixed_7b", BLOCK_8),                             # 8x8x2048
    ("mixed_7c", BLOCK_8),                             # 8x8x2048
)

INFO = ModelInfo(
    name="inception_v2",
    builder="InceptionV2",
    title="Inception-v2 (Rethinking, Table 1)",
    paper=RETHINKING_PAPER + ", Table 1",
    default_size=299,
    min_size=75,
    preprocessing="tf",
    endpoints=("conv_3b_3x3", "mixed_5d", "mixed_6f", "mixed_7c"),
    default_dropout=0.2,  # as Inception-v3 (TF-slim keep_prob 0.8)
    aux=(AuxSpec("aux", "mixed_6f", RETHINKING_AUX_HEAD,
                 batch_norm=False),),
    ref_params=None,
    ref_gmacs=4.8,
    ref_source="Rethinking, Table 3 (cost); parameters not published",
    paper_top1_error=23.4,
    paper_top5_error=None,
)
VARIANTS = (INFO,)


def body(x, style):
    """Table 1's stem and modules; returns ``(x, end_points)``."""
    outputs = {}
    x = L.stem(x, STEM, style=style, outputs=outputs)
    for name, branches in BLOCKS:
        x = L.inception_block(x, branches, name=name, style=style)
        outputs[name] = x
    return x, pick_end_points(outputs, INFO)


def InceptionV2(include_top=True, weights=None, input_tensor=None,
                input_shape=None, pooling=None, classes=1000,
                classifier_activation="softmax", name=None, *,
                aux_logits=False, width_multiplier=1.0, dropout_rate=None):
    """Instantiates Inception-v2 as in Rethinking, Table 1.

    Arguments as ``keras.applications.InceptionV3``, plus ``aux_logits``
    (return ``{"predictions", "aux"}``; the head taps ``mixed_6f``, the last
    17x17 module), ``width_multiplier`` and ``dropout_rate`` (default 0.2).

    Example:
        >>> import keras_inception
        >>> model = keras_inception.InceptionV2(weights=None)
        >>> model.get_layer("mixed_7a").output.shape
        (None, 8, 8, 1280)
    """
    return build_model(INFO, body, include_top=include_top, weights=weights,
                       input_tensor=input_tensor, input_shape=input_shape,
                       pooling=pooling, classes=classes,
                       classifier_activation=classifier_activation, name=name,
                       aux_logits=aux_logits,
                       width_multiplier=width_multiplier,
                       dropout_rate=dropout_rate)


preprocess_input = preprocessor(INFO)
