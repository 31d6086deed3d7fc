"""torchvision's parameter names mapped to our layer names: one table per
architecture, read by :func:`keras_inception.convert.loader.load_state_dict`.

- ``googlenet`` fills ``InceptionV1(variant="torchvision")`` (3x3 in the
  "#5x5" branch, padded stem, ceil-mode pools; see
  :mod:`keras_inception.models.inception_v1`). Its auxiliary heads
  (``aux1``, ``aux2``), which that variant does not build, are left out.
- ``inception_v3`` fills ``InceptionV3(variant="torch")``: torchvision's
  ``Inception3`` names its modules exactly as timm's port does, so the
  table is :data:`keras_inception.convert.timm.V3_UNITS`.

Both use BatchNorm epsilon 1e-3. torchvision's ``transform_input`` (on for
its ImageNet weights) turns ImageNet-normalised images into the [-1, 1]
scale the networks were trained on, which is what our ``preprocess_input``
gives ('tf' mode).
"""

from keras_inception.convert.loader import Mapping, Unit
from keras_inception.convert.timm import V3_UNITS

# torchvision.models.googlenet.Inception: branch1 1x1 | branch2 1x1-3x3 |
# branch3 1x1-3x3 (the "5x5") | branch4 maxpool-1x1.
GOOGLENET_MODULE = {"branch1": "branch0_0_1x1",
                    "branch2.0": "branch1_0_1x1", "branch2.1": "branch1_1_3x3",
                    "branch3.0": "branch2_0_1x1", "branch3.1": "branch2_1_3x3",
                    "branch4.1": "branch3_1_1x1"}
GOOGLENET_STAGES = ("3a", "3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b")
GOOGLENET_UNITS = (
    Unit("conv_bn", "conv1", "conv_1a_7x7"),
    Unit("conv_bn", "conv2", "conv_2b_1x1"),
    Unit("conv_bn", "conv3", "conv_2c_3x3"),
    *(Unit("conv_bn", f"inception{stage}.{sub}", f"inception_{stage}_{step}")
      for stage in GOOGLENET_STAGES
      for sub, step in GOOGLENET_MODULE.items()),
    *(u for i in (1, 2) for u in (
        Unit("conv_bn", f"aux{i}.conv", f"aux_{i}_proj", head=True),
        Unit("linear", f"aux{i}.fc1", f"aux_{i}_fc", head=True),
        Unit("linear", f"aux{i}.fc2", f"aux_{i}", head=True))),
    Unit("linear", "fc", "predictions", head=True),
)

MAPPINGS = {
    "googlenet": Mapping("torchvision", "googlenet",
                         "inception_v1_torchvision", GOOGLENET_UNITS,
                         classifier="fc"),
    "inception_v3": Mapping("torchvision", "inception_v3",
                            "inception_v3_torch", V3_UNITS, classifier="fc"),
}
