"""Seeded, randomly initialised PyTorch reference models for the converters'
parity tests, saved as ``.safetensors`` and ``.pth`` with their logits on
fixed inputs.

The BatchNorm layers are made to matter: gamma in +-[0.5, 1.5] (one
channel in ten negative, which the converter must fold into the
convolution's sign), beta random, running statistics measured on a random
batch and then spread (variance times 1 to 2, plus 0.05; mean shifted by a
twentieth of a standard deviation), so
that every statistic changes the logits. The added variance keeps the
random network well conditioned: with near-zero variances a random
Inception network multiplies float32 rounding noise by ~30 per stage
(measured: 1e-2 logit differences from summation order alone), which would
test arithmetic, not the mapping.
"""

import dataclasses
import functools
import os
import tempfile

import numpy as np

SIDE = 139   # small, yet every stage keeps a grid (Inception-v4's 8x8 is 3x3)
# The pretrainedmodels BN-Inception pools its last grid with a fixed 7x7
# window, which only 224 inputs fit.
SIDES = {"pretrainedmodels": 224}


@dataclasses.dataclass(frozen=True)
class Reference:
    name: str
    safetensors: str
    pth: str
    images: np.ndarray    # NHWC, what the Keras model takes
    logits: np.ndarray


def randomise_batch_norm(model, side=SIDE, seed=1):
    """Random affine parameters and running statistics (module docstring)."""
    import torch

    g = torch.Generator().manual_seed(seed)
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    with torch.no_grad():
        for bn in norms:
            c = bn.num_features
            sign = torch.where(torch.rand(c, generator=g) < 0.1, -1.0, 1.0)
            bn.weight.copy_(torch.empty(c).uniform_(0.5, 1.5, generator=g)
                            * sign)
            bn.bias.copy_(0.1 * torch.randn(c, generator=g))
            bn.momentum = None            # cumulative: the batch's statistics
            bn.reset_running_stats()
        model.train()
        model(torch.randn(8, 3, side, side, generator=g))
        for bn in norms:
            c = bn.num_features
            bn.running_var.mul_(torch.empty(c).uniform_(1.0, 2.0, generator=g))
            bn.running_var.add_(0.05)
            bn.running_mean.add_(0.05 * torch.randn(c, generator=g)
                                  * bn.running_var.sqrt())
    model.eval()
    return model


def save_both(model, folder, stem="model"):
    """``model``'s state dict as ``{stem}.safetensors`` and ``{stem}.pth``."""
    import torch
    from safetensors.torch import save_file

    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    st, pth = (os.path.join(folder, f"{stem}{ext}")
               for ext in (".safetensors", ".pth"))
    save_file(state, st)
    torch.save(state, pth)
    return st, pth


def _build(source, name, num_classes):
    import torch

    if source == "timm":
        import timm
        return timm.create_model(name, pretrained=False,
                                 num_classes=num_classes)
    if source == "pretrainedmodels":
        import pretrainedmodels
        return getattr(pretrainedmodels, name)(num_classes=num_classes,
                                                pretrained=None)
    import torchvision
    # transform_input off: the Keras side takes [-1, 1] images itself.
    model = getattr(torchvision.models, name)(
        weights=None, init_weights=True, transform_input=False,
        num_classes=num_classes, aux_logits=name == "googlenet")
    if name == "googlenet":
        with torch.no_grad():   # its fc starts at std 0.01: logits ~0.1
            model.fc.weight.mul_(10)
    return model


@functools.lru_cache(maxsize=None)
def torch_reference(source, name, num_classes=1000, seed=0):
    """A :class:`Reference` of ``source``'s (``"timm"``,
    ``"torchvision"``, ``"pretrainedmodels"``) model ``name``, built once
    per process."""
    import torch

    side = SIDES.get(source, SIDE)
    torch.manual_seed(seed)
    model = randomise_batch_norm(_build(source, name, num_classes), side)
    images = torch.randn(2, 3, side, side,
                         generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        logits = model(images).numpy()
    folder = tempfile.mkdtemp(prefix=f"{source}_{name}_")
    st, pth = save_both(model, folder)
    nhwc = np.ascontiguousarray(images.numpy().transpose(0, 2, 3, 1))
    return Reference(name, st, pth, nhwc, logits)


def timm_reference(name, **kwargs):
    """:func:`torch_reference` of timm's ``name``."""
    return torch_reference("timm", name, **kwargs)
