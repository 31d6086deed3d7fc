"""The PyTorch models our users would pick instead, as benchmark peers.

With torch installed (the ``convert`` extra), ``run_benchmark(...,
peers=True)`` times timm's ``inception_v3``, ``inception_v4`` and
``inception_resnet_v2`` and torchvision's ``googlenet`` beside ours. The
two sides compute the same function: the peer's random weights are
converted into our model (:func:`keras_inception.convert.from_torch`) and
their logits compared before anything is timed (:func:`logit_gap`), so
the comparison is like for like; PyTorch is limited to the threads
TensorFlow uses (every core).

Example:
    >>> sorted(PEERS)
    ['inception_resnet_v2', 'inception_v1', 'inception_v3', 'inception_v4']
"""

from __future__ import annotations

import os
import tempfile
import warnings

import numpy as np

# Our registry name -> (library, its model name).
PEERS = {"inception_v1": ("torchvision", "googlenet"),
         "inception_v3": ("timm", "inception_v3"),
         "inception_v4": ("timm", "inception_v4"),
         "inception_resnet_v2": ("timm", "inception_resnet_v2")}
# Largest |logit difference| between a peer and its converted copy, over
# the largest |logit| (at least 1). Measured at 299 px: 7.5e-7 (timm v3,
# logits up to 1.6e3), 1.1e-6 (v4), 0.7-2.5e-6 (IR-v2, logits up to 3.6).
LOGIT_TOLERANCE = 1e-5


def torch_available():
    """Whether torch (and so the peers) can be imported."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def peer_model(name, image_size):
    """The peer of our ``name`` (:data:`PEERS`), randomly initialised, its
    BatchNorm statistics measured on a random batch at ``image_size``, in
    eval mode.

    At initialisation the running statistics (mean 0, variance 1) do not
    describe the activations, which grow from block to block: the full-size
    timm Inception-v3 gives logits in the millions, where float32 rounding
    alone differs by thousands between two correct implementations. With
    the statistics of a real batch every layer is normalised and the logits
    are of order one, so the logit check compares the functions.
    """
    import torch

    library, peer_name = PEERS[name]
    torch.manual_seed(0)
    if library == "timm":
        import timm
        peer = timm.create_model(peer_name, pretrained=False)
    else:
        import torchvision
        peer = getattr(torchvision.models, peer_name)(
            weights=None, init_weights=True, transform_input=False,
            aux_logits=False)
    norms = [m for m in peer.modules()
             if isinstance(m, torch.nn.BatchNorm2d)]
    for bn in norms:
        bn.momentum = None   # cumulative: exactly this batch's statistics
        bn.reset_running_stats()
    peer.train()
    with torch.no_grad():
        peer(torch.randn(4, 3, image_size, image_size,
                         generator=torch.Generator().manual_seed(1)))
    for bn in norms:
        bn.momentum = 0.1
    return peer.eval()


def converted(name, peer, image_size):
    """Our model with ``peer``'s weights (its classifier left as logits)."""
    from safetensors.torch import save_file

    from keras_inception.convert import from_torch

    library, source_name = PEERS[name]
    state = {k: v.contiguous() for k, v in peer.state_dict().items()}
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "peer.safetensors")
        save_file(state, path)
        return from_torch(source_name, path, library,
                          input_shape=(image_size, image_size, 3),
                          classifier_activation=None, log=lambda _: None)


def logit_gap(ours, peer, images):
    """The largest |logit difference| of ``ours`` (NHWC) and ``peer``
    (NCHW) on ``images``, over their largest |logit| (at least 1): float32
    rounding grows with the logits, a wrong weight does not shrink."""
    import torch

    with torch.inference_mode():
        theirs = peer(_nchw(images)).numpy()
    gap = np.abs(np.asarray(ours(images, training=False)) - theirs).max()
    return float(gap / max(1.0, float(np.abs(theirs).max())))


def _nchw(images):
    import torch
    return torch.from_numpy(np.ascontiguousarray(
        np.asarray(images, np.float32).transpose(0, 3, 1, 2)))


def limit_threads(count):
    """PyTorch's intra-op threads: ``count``, as TensorFlow has."""
    import torch
    torch.set_num_threads(count)


def inference_call(peer, images):
    """One forward pass of ``peer`` on ``images`` (NHWC, converted once)."""
    import torch

    batch = _nchw(images)

    def call():
        peer.eval()   # the training step leaves it in training mode
        with torch.inference_mode():
            return peer(batch).numpy()
    return call


def training_call(peer, images, labels):
    """One SGD step (momentum 0.9, as ours) of ``peer`` on the batch."""
    import torch

    batch = _nchw(images)
    targets = torch.from_numpy(np.asarray(labels, np.int64))
    optimizer = torch.optim.SGD(peer.parameters(), lr=0.01, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()

    def call():
        peer.train()
        optimizer.zero_grad(set_to_none=True)
        out = peer(batch)
        loss = loss_fn(out if torch.is_tensor(out) else out[0], targets)
        with warnings.catch_warnings():
            # A CUDA build of torch on a machine without a GPU says so on
            # the first backward pass; the benchmark runs on the CPU.
            warnings.filterwarnings("ignore", "CUDA initialization",
                                    UserWarning)
            loss.backward()
        optimizer.step()
        return float(loss.detach())
    return call


def parameters(peer):
    return int(sum(p.numel() for p in peer.parameters()))
