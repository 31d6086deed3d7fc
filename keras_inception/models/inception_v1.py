"""GoogLeNet / Inception-v1 (Szegedy et al., "Going Deeper with
Convolutions", CVPR 2015, Table 1 and Figure 3).

``batch_norm=True`` (default) is the batch-normalised GoogLeNet that TF-slim
(``inception_v1``) and torchvision (``googlenet``) build: every convolution
is followed by BN, and the local response normalisations are dropped.
``batch_norm=False`` is the network as published: biased convolutions with
ReLU and two local response normalisations in the stem.

Both keep the paper's real 5x5 convolutions in the "#5x5" branches (TF-slim
and torchvision ship a 3x3 there, a known slip of the original port),
'same' padding everywhere as TF-slim, and the two auxiliary classifiers on
``inception_4a`` and ``inception_4d`` (Section 5), each weighted 0.3 in the
paper's loss.

``variant="torchvision"`` is torchvision's ``googlenet`` as it ships (and
as its ImageNet weights were trained), for checkpoints converted from it
(``keras_inception.convert``). It departs from the paper where torchvision
does: the "#5x5" branches convolve 3x3; the 7x7/2 stem convolution pads 3
on every side (Keras 'same' pads 2 and 3); the 3x3/2 max pools round up
(``ceil_mode``: an odd grid keeps its last row and column; an even one is
padded at the end, where zeros never win the max of ReLU outputs), and
the pool before 5a is 2x2/2; dropout before the classifier is 0.2. Its
auxiliary heads pool adaptively to 4x4 and flatten channels first, which no
Keras layer does, so this variant builds none (a checkpoint's ``aux1``/
``aux2`` are left out). torchvision's ``transform_input`` maps ImageNet-
normalised images to this network's [-1, 1] scale: give the Keras model
``preprocess_input`` ('tf') images instead.
"""

import dataclasses

from keras_inception.models import layers as L
from keras_inception.models.blocks import GOOGLENET_STEM as STEM
from keras_inception.models.blocks import PYTORCH_GOOGLENET_STEM
from keras_inception.models.builder import (AuxSpec, ModelInfo, build_model,
                                            choose_variant, pick_end_points,
                                            preprocessor)
from keras_inception.models.custom_layers import LocalResponseNormalization
from keras_inception.models.imagenet import decode_predictions  # noqa: F401

C = L.Conv

# Table 1: #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj.
TABLE_1 = {
    "3a": (64, 96, 128, 16, 32, 32),       # 28x28x256
    "3b": (128, 128, 192, 32, 96, 64),     # 28x28x480
    "4a": (192, 96, 208, 16, 48, 64),      # 14x14x512
    "4b": (160, 112, 224, 24, 64, 64),     # 14x14x512
    "4c": (128, 128, 256, 24, 64, 64),     # 14x14x512
    "4d": (112, 144, 288, 32, 64, 64),     # 14x14x528
    "4e": (256, 160, 320, 32, 128, 128),   # 14x14x832
    "5a": (256, 160, 320, 32, 128, 128),   # 7x7x832
    "5b": (384, 192, 384, 48, 128, 128),   # 7x7x1024
}
# Table 1's max pools between stages (TF-slim pools 2x2 before 5a; the
# paper's 3x3/2 gives the same 7x7 grid with 'same' padding).
POOL_BEFORE = {"4a": "maxpool_4a_3x3", "5a": "maxpool_5a_3x3"}


def inception_module(n1x1, n3x3red, n3x3, n5x5red, n5x5, pool_proj,
                     k5=5):
    """Figure 2(b): 1x1 | 1x1-3x3 | 1x1-5x5 | 3x3 maxpool-1x1 (``k5=3``:
    torchvision's 3x3 in place of the 5x5)."""
    return ((C(n1x1, 1),),
            (C(n3x3red, 1), C(n3x3, 3)),
            (C(n5x5red, 1), C(n5x5, k5)),
            (L.Pool("max"), C(pool_proj, 1)))


# Section 5: 5x5/3 average pool, 1x1x128 conv, FC 1024 + ReLU, 70% dropout.
AUX_HEAD = dict(conv_filters=128, hidden_units=1024, hidden_dropout=0.7)

INFO = ModelInfo(
    name="inception_v1",
    builder="InceptionV1",
    title="GoogLeNet (Inception-v1)",
    paper="Szegedy et al., Going Deeper with Convolutions, CVPR 2015 "
          "(arXiv:1409.4842)",
    default_size=224,
    min_size=32,
    preprocessing="tf",
    endpoints=("conv_2c_3x3", "inception_3b", "inception_4e", "inception_5b"),
    default_dropout=0.4,  # Table 1: dropout (40%)
    aux=(AuxSpec("aux_1", "inception_4a", AUX_HEAD),
         AuxSpec("aux_2", "inception_4d", AUX_HEAD)),
    ref_params=7_005_832,
    ref_gmacs=1.58,
    ref_source=("torchvision googlenet with the paper's 5x5 branch; paper: "
                "~6.8M, 1.5 B mult-adds (Table 1's ops column sums to "
                "1.586 B)"),
    paper_top1_error=29.0,
    paper_top5_error=10.07,
    notes="batch_norm=True (default, TF-slim/torchvision) or False (paper).",
)

# The network as published: no BN, two LRNs (batch_norm=False).
PAPER_INFO = dataclasses.replace(
    INFO,
    name="inception_v1_paper",
    title="GoogLeNet (Inception-v1), as published (LRN, no BN)",
    ref_params=6_800_000,
    ref_gmacs=1.5,
    ref_source=("Going Deeper, Table 1 (~6.8M parameters, 1.5 B "
                "mult-adds; its ops column sums to 1.586 B)"),
    notes="InceptionV1(batch_norm=False).",
    generation=INFO.name,
    builder_kwargs={"batch_norm": False},
)
TORCHVISION_INFO = dataclasses.replace(
    INFO,
    name="inception_v1_torchvision",
    title="GoogLeNet (Inception-v1), as torchvision ships it",
    default_dropout=0.2,
    aux=(),
    ref_params=6_624_904,
    ref_gmacs=None,
    ref_source="torchvision googlenet as shipped (3x3 in the #5x5 branch)",
    notes="InceptionV1(variant='torchvision'): 3x3 for 5x5, ceil-mode "
          "pools, no aux heads.",
    generation=INFO.name,
    builder_kwargs={"variant": "torchvision"},
)
VARIANTS = (INFO, PAPER_INFO, TORCHVISION_INFO)


def _lrn(x, name, style):
    return LocalResponseNormalization(name=name)(x)


def body(x, style, torchvision=False):
    """Table 1 (with Figure 3's LRNs when ``style`` has no batch norm;
    torchvision's departures with ``torchvision``); returns ``(x,
    end_points)``: the strides' maps and the aux taps."""
    stem = PYTORCH_GOOGLENET_STEM if torchvision else STEM
    if not style.batch_norm:  # Table 1 / Figure 3: LRN after pool1, conv2
        stem = (STEM[:2] + (("lrn_2a", _lrn),) + STEM[2:4]
                + (("lrn_2c", _lrn),) + STEM[4:])
    outputs = {}
    x = L.stem(x, stem, style=style, outputs=outputs)
    for stage, widths in TABLE_1.items():
        if stage == "4a" and torchvision:
            x = L.pool(x, L.MAX_S2_CEIL, name=POOL_BEFORE[stage])
        elif stage == "5a" and torchvision:   # 2x2/2, ceil mode = 'same'
            x = L.pool(x, L.Pool("max", 2, 2, "same"), name="maxpool_5a_2x2")
        elif stage in POOL_BEFORE:
            x = L.pool(x, L.MAX_S2_SAME, name=POOL_BEFORE[stage])
        name = f"inception_{stage}"
        x = L.inception_block(x, inception_module(
            *widths, k5=3 if torchvision else 5), name=name, style=style)
        outputs[name] = x
    info = TORCHVISION_INFO if torchvision else INFO
    return x, pick_end_points(outputs, info)


def InceptionV1(include_top=True, weights=None, input_tensor=None,
                input_shape=None, pooling=None, classes=1000,
                classifier_activation="softmax", name=None, *,
                aux_logits=False, batch_norm=True, variant="default",
                width_multiplier=1.0, dropout_rate=None):
    """Instantiates GoogLeNet (Inception-v1).

    Arguments as ``keras.applications.InceptionV3``, plus ``aux_logits``
    (return ``{"predictions", "aux_1", "aux_2"}``), ``batch_norm`` (``False``
    for the paper's network with LRN), ``variant`` (``"default"`` or
    ``"torchvision"``: torchvision's googlenet, see the module docstring),
    ``width_multiplier`` and
    ``dropout_rate`` (default 0.4, Table 1).

    Example:
        >>> import keras_inception
        >>> model = keras_inception.InceptionV1(weights=None, aux_logits=True)
        >>> sorted(model.output)
        ['aux_1', 'aux_2', 'predictions']
    """
    if not isinstance(batch_norm, bool):
        raise TypeError("`batch_norm` must be True or False; received "
                        f"{batch_norm!r}.")
    info = choose_variant(variant, {"default": INFO,
                                    "torchvision": TORCHVISION_INFO})
    if info is TORCHVISION_INFO and not batch_norm:
        raise ValueError("`batch_norm=False`: variant='torchvision' is "
                         "batch-normalised, as torchvision's googlenet.")
    return build_model(info if batch_norm else PAPER_INFO, body,
                       include_top=include_top, weights=weights,
                       input_tensor=input_tensor, input_shape=input_shape,
                       pooling=pooling, classes=classes,
                       classifier_activation=classifier_activation, name=name,
                       aux_logits=aux_logits,
                       width_multiplier=width_multiplier,
                       dropout_rate=dropout_rate,
                       style=dict(batch_norm=batch_norm),
                       torchvision=info is TORCHVISION_INFO)


preprocess_input = preprocessor(INFO)
