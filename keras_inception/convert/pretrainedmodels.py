"""The pretrainedmodels port of the Caffe BN-Inception: its parameter names
mapped to our layer names, read by
:func:`keras_inception.convert.loader.load_state_dict`.

``bninception`` fills ``BNInception(variant="caffe")`` (the Caffe model's
padding and pooling; see :mod:`keras_inception.models.bn_inception`). The
port names each convolution by its Caffe blob (``inception_3a_3x3``) and
its BatchNorm ``{conv}_bn``; convolutions have biases and BatchNorm uses
epsilon 1e-5, as in Caffe. The stride-2 modules (3c, 4e) have no 1x1
branch, so their branches count from the 3x3 one.
"""

from keras_inception.convert.loader import Mapping, Unit

MODULE = {"1x1": "branch0_0_1x1", "3x3_reduce": "branch1_0_1x1",
          "3x3": "branch1_1_3x3", "double_3x3_reduce": "branch2_0_1x1",
          "double_3x3_1": "branch2_1_3x3", "double_3x3_2": "branch2_2_3x3",
          "pool_proj": "branch3_1_1x1"}
REDUCTION = {"3x3_reduce": "branch0_0_1x1", "3x3": "branch0_1_3x3",
             "double_3x3_reduce": "branch1_0_1x1",
             "double_3x3_1": "branch1_1_3x3",
             "double_3x3_2": "branch1_2_3x3"}
STAGES = ("3a", "3b", "3c", "4a", "4b", "4c", "4d", "4e", "5a", "5b")
BNINCEPTION_UNITS = (
    Unit("conv_bn", "conv1_7x7_s2", "conv_1a_7x7"),
    Unit("conv_bn", "conv2_3x3_reduce", "conv_2b_1x1"),
    Unit("conv_bn", "conv2_3x3", "conv_2c_3x3"),
    *(Unit("conv_bn", f"inception_{stage}_{blob}", f"inception_{stage}_{step}")
      for stage in STAGES
      for blob, step in (REDUCTION if stage in ("3c", "4e")
                         else MODULE).items()),
    Unit("linear", "last_linear", "predictions", head=True),
)

MAPPINGS = {
    "bninception": Mapping("pretrainedmodels", "bninception",
                           "bn_inception_caffe", BNINCEPTION_UNITS,
                           bn_epsilon=1e-5, classifier="last_linear",
                           conv_key="{}", bn_key="{}_bn", conv_bias=True),
}
