"""Converters from PyTorch checkpoints (timm, torchvision, the
pretrainedmodels BN-Inception) to our Keras models.

- :mod:`.checkpoints`: reading ``.safetensors`` (no torch) and ``.pth``
  (torch) into NumPy; the only module that imports torch.
- :mod:`.loader`: the generic loader: kernels transposed, BatchNorm folded,
  every tensor checked before any is assigned.
- :mod:`.timm`: timm's names to ours, one table per architecture.
- :mod:`.torchvision`: torchvision's (GoogLeNet, Inception-v3).
- :mod:`.pretrainedmodels`: the Caffe BN-Inception's.
- :mod:`.api`: :func:`from_torch` and :func:`convert_checkpoint`.

Names are imported on first use (:mod:`keras_inception.utils.lazy`).
"""

from keras_inception.utils.lazy import lazy_namespace

_NAMESPACE = lazy_namespace(__name__, {
    "api": ["SOURCES", "convert_checkpoint", "from_torch", "mapping_for"],
    "checkpoints": ["read_state_dict"],
    "loader": ["load_state_dict"],
})
__getattr__ = _NAMESPACE.attribute
__dir__ = _NAMESPACE.listing
__all__ = _NAMESPACE.names
