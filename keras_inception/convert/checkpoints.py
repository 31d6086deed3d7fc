"""Reading PyTorch checkpoints into NumPy: the one module that imports torch.

Two formats reach the converters:

- ``.safetensors`` (what timm publishes on the Hugging Face hub), read with
  the ``safetensors`` package's NumPy API: no torch needed.
- ``.pth``/``.pt``/``.bin`` pickles written by ``torch.save``, read with
  ``torch.load(..., weights_only=True)`` (no code from the file runs) when
  torch is installed (``pip install keras-inception[convert]``).

Either way the result is ``{name: float32 array}`` with PyTorch's names.
Training checkpoints that wrap the weights (``{"state_dict": ...}``,
``{"model": ...}``) are unwrapped, and ``module.`` prefixes that
``DataParallel`` adds are dropped; BatchNorm's ``num_batches_tracked``
counters, which no inference computation reads, are left out.

Example:
    >>> import numpy as np, os, tempfile
    >>> from safetensors.numpy import save_file
    >>> path = os.path.join(tempfile.mkdtemp(), "tiny.safetensors")
    >>> save_file({"fc.weight": np.ones((2, 3), np.float32)}, path)
    >>> {k: v.shape for k, v in read_state_dict(path).items()}
    {'fc.weight': (2, 3)}
"""

from __future__ import annotations

import os

import numpy as np

SAFETENSORS = (".safetensors",)
PICKLES = (".pth", ".pt", ".bin", ".ckpt")
# Keys under which training scripts (timm's train.py, Lightning, torchvision's
# references) keep a model's weights.
_WRAPPERS = ("state_dict", "model", "model_state_dict", "module")


def checkpoint_format(path, argument="checkpoint"):
    """``"safetensors"`` or ``"pickle"`` from ``path``'s extension; raises
    ``ValueError`` naming ``argument`` and the extensions taken."""
    lower = os.fspath(path).lower()
    if lower.endswith(SAFETENSORS):
        return "safetensors"
    if lower.endswith(PICKLES):
        return "pickle"
    raise ValueError(
        f"`{argument}` must be a PyTorch checkpoint ending in "
        f"{', '.join(SAFETENSORS + PICKLES)}; received {os.fspath(path)!r}.")


def _read_safetensors(path, argument):
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        return load_file(path)
    except (SafetensorError, OSError, ValueError, TypeError) as err:
        raise ValueError(f"`{argument}` {path!r} is not a readable "
                         f"safetensors file: {err}") from None


def _read_pickle(path, argument):
    try:
        import torch
    except ImportError:
        raise ImportError(
            f"`{argument}` {path!r} is a torch.save pickle, which needs "
            "PyTorch: pip install 'keras-inception[convert]' (or save the "
            "checkpoint as .safetensors, which needs no torch).") from None
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many types for a bad file
        raise ValueError(f"`{argument}` {path!r} is not a readable PyTorch "
                         f"checkpoint: {type(err).__name__}: "
                         f"{str(err).splitlines()[0] if str(err) else ''}"
                         ) from None
    while isinstance(loaded, dict):
        inner = next((loaded[k] for k in _WRAPPERS
                      if isinstance(loaded.get(k), dict)), None)
        if inner is None:
            break
        loaded = inner
    if not isinstance(loaded, dict):
        raise ValueError(f"`{argument}` {path!r} holds a "
                         f"{type(loaded).__name__}, not a state dict "
                         "(save model.state_dict(), not the model).")
    out = {}
    for key, value in loaded.items():
        if hasattr(value, "detach"):
            out[key] = value.detach().to(torch.float32).cpu().numpy()
    return out


def read_state_dict(path, argument="checkpoint"):
    """The tensors of a PyTorch checkpoint as ``{name: float32 array}``.

    Raises:
        ValueError: the file is missing, of another format, unreadable, or
            holds no tensors (the message names ``argument`` and the file).
        ImportError: a pickle checkpoint and no torch installed.
    """
    path = os.fspath(path)
    kind = checkpoint_format(path, argument)
    if not os.path.isfile(path):
        raise ValueError(f"`{argument}`: no file {path!r}.")
    raw = (_read_safetensors(path, argument) if kind == "safetensors"
           else _read_pickle(path, argument))
    tensors = {}
    for key, value in raw.items():
        if key.endswith("num_batches_tracked"):
            continue
        if key.startswith("module."):
            key = key[len("module."):]
        tensors[key] = np.asarray(value, dtype=np.float32)
    if not tensors:
        raise ValueError(f"`{argument}` {path!r} holds no weight tensors.")
    return tensors
