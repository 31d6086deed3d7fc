"""timm's parameter names mapped to our layer names: one table per
architecture, read by :func:`keras_inception.convert.loader.load_state_dict`.

Each block type is a small dict from timm's sub-module to our branch step
(``branch{b}_{step}_{kernel}``, see
:func:`keras_inception.models.layers.branch`), and each architecture a list
of its blocks with their timm and Keras names, the way timm's
``inception_v3.py``, ``inception_v4.py`` and ``inception_resnet_v2.py``
declare them. The networks of ours they fill:

- ``inception_v3``: ``InceptionV3(variant="torch")``, whose average pools
  count padding as timm's (``F.avg_pool2d`` defaults) do; with
  ``aux_logits=True`` the auxiliary head (``AuxLogits``) converts too.
- ``inception_v4``: ``InceptionV4()`` itself (timm's port of TF-slim).
- ``inception_resnet_v2``: ``InceptionResNetV2()`` itself.

All three use BatchNorm epsilon 1e-3, as TF-slim did.
"""

from keras_inception.convert.loader import Mapping, Unit


def _units(prefix, target, block):
    """The conv-BN rows of one block: ``{prefix}.{sub}`` -> ``{target}_
    {step}`` for each entry of ``block``."""
    return tuple(Unit("conv_bn", f"{prefix}.{sub}", f"{target}_{step}")
                 for sub, step in block.items())


def _stem(pairs):
    return tuple(Unit("conv_bn", s, t) for s, t in pairs)


# -- Inception-v3 (timm/models/inception_v3.py: InceptionA ... InceptionE).
V3_A = {"branch1x1": "branch0_0_1x1", "branch5x5_1": "branch1_0_1x1",
        "branch5x5_2": "branch1_1_5x5", "branch3x3dbl_1": "branch2_0_1x1",
        "branch3x3dbl_2": "branch2_1_3x3", "branch3x3dbl_3": "branch2_2_3x3",
        "branch_pool": "branch3_1_1x1"}
V3_B = {"branch3x3": "branch0_0_3x3", "branch3x3dbl_1": "branch1_0_1x1",
        "branch3x3dbl_2": "branch1_1_3x3", "branch3x3dbl_3": "branch1_2_3x3"}
V3_C = {"branch1x1": "branch0_0_1x1", "branch7x7_1": "branch1_0_1x1",
        "branch7x7_2": "branch1_1_1x7", "branch7x7_3": "branch1_2_7x1",
        "branch7x7dbl_1": "branch2_0_1x1", "branch7x7dbl_2": "branch2_1_7x1",
        "branch7x7dbl_3": "branch2_2_1x7", "branch7x7dbl_4": "branch2_3_7x1",
        "branch7x7dbl_5": "branch2_4_1x7", "branch_pool": "branch3_1_1x1"}
V3_D = {"branch3x3_1": "branch0_0_1x1", "branch3x3_2": "branch0_1_3x3",
        "branch7x7x3_1": "branch1_0_1x1", "branch7x7x3_2": "branch1_1_1x7",
        "branch7x7x3_3": "branch1_2_7x1", "branch7x7x3_4": "branch1_3_3x3"}
V3_E = {"branch1x1": "branch0_0_1x1", "branch3x3_1": "branch1_0_1x1",
        "branch3x3_2a": "branch1_1a_0_1x3", "branch3x3_2b": "branch1_1b_0_3x1",
        "branch3x3dbl_1": "branch2_0_1x1", "branch3x3dbl_2": "branch2_1_3x3",
        "branch3x3dbl_3a": "branch2_2a_0_1x3",
        "branch3x3dbl_3b": "branch2_2b_0_3x1", "branch_pool": "branch3_1_1x1"}
V3_BLOCKS = (("Mixed_5b", "mixed0", V3_A), ("Mixed_5c", "mixed1", V3_A),
             ("Mixed_5d", "mixed2", V3_A), ("Mixed_6a", "mixed3", V3_B),
             ("Mixed_6b", "mixed4", V3_C), ("Mixed_6c", "mixed5", V3_C),
             ("Mixed_6d", "mixed6", V3_C), ("Mixed_6e", "mixed7", V3_C),
             ("Mixed_7a", "mixed8", V3_D), ("Mixed_7b", "mixed9", V3_E),
             ("Mixed_7c", "mixed10", V3_E))
# torchvision's InceptionV3 uses the same names (issue 30 reuses them).
V3_UNITS = (
    *_stem((("Conv2d_1a_3x3", "conv_1a_3x3"), ("Conv2d_2a_3x3", "conv_2a_3x3"),
            ("Conv2d_2b_3x3", "conv_2b_3x3"), ("Conv2d_3b_1x1", "conv_3b_1x1"),
            ("Conv2d_4a_3x3", "conv_4a_3x3"))),
    *(u for s, t, block in V3_BLOCKS for u in _units(s, t, block)),
    Unit("conv_bn", "AuxLogits.conv0", "aux_proj", head=True),
    Unit("conv_bn", "AuxLogits.conv1", "aux_conv", head=True),
    Unit("linear", "AuxLogits.fc", "aux", head=True),
    Unit("linear", "fc", "predictions", head=True),
)

# -- Inception-v4 (timm/models/inception_v4.py: features.0 ... features.21).
V4_STEM = (("features.0", "conv_1a_3x3"), ("features.1", "conv_2a_3x3"),
           ("features.2", "conv_2b_3x3"),
           ("features.3.conv", "mixed_3a_branch1_0_3x3"),
           *((f"features.4.{s}", f"mixed_4a_{t}") for s, t in (
               ("branch0.0", "branch0_0_1x1"), ("branch0.1", "branch0_1_3x3"),
               ("branch1.0", "branch1_0_1x1"), ("branch1.1", "branch1_1_1x7"),
               ("branch1.2", "branch1_2_7x1"),
               ("branch1.3", "branch1_3_3x3"))),
           ("features.5.conv", "mixed_5a_branch0_0_3x3"))
V4_A = {"branch0": "branch0_0_1x1", "branch1.0": "branch1_0_1x1",
        "branch1.1": "branch1_1_3x3", "branch2.0": "branch2_0_1x1",
        "branch2.1": "branch2_1_3x3", "branch2.2": "branch2_2_3x3",
        "branch3.1": "branch3_1_1x1"}
V4_REDUCTION_A = {"branch0": "branch0_0_3x3", "branch1.0": "branch1_0_1x1",
                  "branch1.1": "branch1_1_3x3", "branch1.2": "branch1_2_3x3"}
V4_B = {"branch0": "branch0_0_1x1", "branch1.0": "branch1_0_1x1",
        "branch1.1": "branch1_1_1x7", "branch1.2": "branch1_2_7x1",
        "branch2.0": "branch2_0_1x1", "branch2.1": "branch2_1_7x1",
        "branch2.2": "branch2_2_1x7", "branch2.3": "branch2_3_7x1",
        "branch2.4": "branch2_4_1x7", "branch3.1": "branch3_1_1x1"}
V4_REDUCTION_B = {"branch0.0": "branch0_0_1x1", "branch0.1": "branch0_1_3x3",
                  "branch1.0": "branch1_0_1x1", "branch1.1": "branch1_1_1x7",
                  "branch1.2": "branch1_2_7x1", "branch1.3": "branch1_3_3x3"}
V4_C = {"branch0": "branch0_0_1x1", "branch1_0": "branch1_0_1x1",
        "branch1_1a": "branch1_1a_0_1x3", "branch1_1b": "branch1_1b_0_3x1",
        "branch2_0": "branch2_0_1x1", "branch2_1": "branch2_1_3x1",
        "branch2_2": "branch2_2_1x3", "branch2_3a": "branch2_3a_0_1x3",
        "branch2_3b": "branch2_3b_0_3x1", "branch3.1": "branch3_1_1x1"}
V4_BLOCKS = (
    *((f"features.{5 + i}", f"inception_a_{i}", V4_A) for i in range(1, 5)),
    ("features.10", "reduction_a", V4_REDUCTION_A),
    *((f"features.{10 + i}", f"inception_b_{i}", V4_B) for i in range(1, 8)),
    ("features.18", "reduction_b", V4_REDUCTION_B),
    *((f"features.{18 + i}", f"inception_c_{i}", V4_C) for i in range(1, 4)),
)
V4_UNITS = (*_stem(V4_STEM),
            *(u for s, t, block in V4_BLOCKS for u in _units(s, t, block)),
            Unit("linear", "last_linear", "predictions", head=True))

# -- Inception-ResNet-v2 (timm/models/inception_resnet_v2.py).
IR2_5B = {"branch0": "branch0_0_1x1", "branch1.0": "branch1_0_1x1",
          "branch1.1": "branch1_1_5x5", "branch2.0": "branch2_0_1x1",
          "branch2.1": "branch2_1_3x3", "branch2.2": "branch2_2_3x3",
          "branch3.1": "branch3_1_1x1"}
IR2_35 = {"branch0": "mixed_branch0_0_1x1", "branch1.0": "mixed_branch1_0_1x1",
          "branch1.1": "mixed_branch1_1_3x3",
          "branch2.0": "mixed_branch2_0_1x1",
          "branch2.1": "mixed_branch2_1_3x3",
          "branch2.2": "mixed_branch2_2_3x3"}
IR2_6A = {"branch0": "branch0_0_3x3", "branch1.0": "branch1_0_1x1",
          "branch1.1": "branch1_1_3x3", "branch1.2": "branch1_2_3x3"}
IR2_17 = {"branch0": "mixed_branch0_0_1x1", "branch1.0": "mixed_branch1_0_1x1",
          "branch1.1": "mixed_branch1_1_1x7",
          "branch1.2": "mixed_branch1_2_7x1"}
IR2_7A = {"branch0.0": "branch0_0_1x1", "branch0.1": "branch0_1_3x3",
          "branch1.0": "branch1_0_1x1", "branch1.1": "branch1_1_3x3",
          "branch2.0": "branch2_0_1x1", "branch2.1": "branch2_1_3x3",
          "branch2.2": "branch2_2_3x3"}
IR2_8 = {"branch0": "mixed_branch0_0_1x1", "branch1.0": "mixed_branch1_0_1x1",
         "branch1.1": "mixed_branch1_1_1x3",
         "branch1.2": "mixed_branch1_2_3x1"}


def _residual(prefix, target, block):
    """A scaled residual block: its branches and its biased 1x1
    up-projection (``conv2d`` in timm, ``{target}_conv`` here)."""
    return (*_units(prefix, target, block),
            Unit("conv", f"{prefix}.conv2d", f"{target}_conv"))


IR2_UNITS = (
    *_stem((("conv2d_1a", "conv_1a_3x3"), ("conv2d_2a", "conv_2a_3x3"),
            ("conv2d_2b", "conv_2b_3x3"), ("conv2d_3b", "conv_3b_1x1"),
            ("conv2d_4a", "conv_4a_3x3"))),
    *_units("mixed_5b", "mixed_5b", IR2_5B),
    *(u for i in range(10)
      for u in _residual(f"repeat.{i}", f"block35_{i + 1}", IR2_35)),
    *_units("mixed_6a", "mixed_6a", IR2_6A),
    *(u for i in range(20)
      for u in _residual(f"repeat_1.{i}", f"block17_{i + 1}", IR2_17)),
    *_units("mixed_7a", "mixed_7a", IR2_7A),
    *(u for i in range(9)
      for u in _residual(f"repeat_2.{i}", f"block8_{i + 1}", IR2_8)),
    *_residual("block8", "block8_10", IR2_8),
    Unit("conv_bn", "conv2d_7b", "conv_7b"),
    Unit("linear", "classif", "predictions", head=True),
)

MAPPINGS = {
    "inception_v3": Mapping("timm", "inception_v3", "inception_v3_torch",
                            V3_UNITS, classifier="fc"),
    "inception_v4": Mapping("timm", "inception_v4", "inception_v4", V4_UNITS,
                            classifier="last_linear"),
    "inception_resnet_v2": Mapping("timm", "inception_resnet_v2",
                                   "inception_resnet_v2", IR2_UNITS,
                                   classifier="classif"),
}
