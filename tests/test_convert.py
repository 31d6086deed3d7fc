"""Converters from timm and torchvision: logits parity with those libraries
themselves, both file formats, the torch-free path, and errors that name
the offending tensor.

The reference is timm or torchvision (another implementation, run in
PyTorch): a seeded,
randomly initialised model with its BatchNorm made to matter
(:mod:`tests.torch_reference`), saved as ``.safetensors`` and ``.pth``.
"""

import os
import sys

import numpy as np
import pytest

pytest.importorskip("timm")

from keras_inception.convert import (convert_checkpoint,  # noqa: E402
                                     from_torch, load_state_dict,
                                     mapping_for, read_state_dict)
from tests.torch_reference import (SIDE, timm_reference,  # noqa: E402
                                   torch_reference)

TOLERANCE = 1e-4
ARCHITECTURES = [("timm", "inception_v3"), ("timm", "inception_v4"),
                 ("timm", "inception_resnet_v2"),
                 ("torchvision", "googlenet"), ("torchvision", "inception_v3"),
                 ("pretrainedmodels", "bninception")]


def _logits(model, images):
    return np.asarray(model(images, training=False))


def _convert(name, path, source="timm", **kwargs):
    kwargs.setdefault("input_shape", (SIDE, SIDE, 3))
    return from_torch(name, path, source, classifier_activation=None,
                      **kwargs)


@pytest.mark.slow
@pytest.mark.parametrize("source, name", ARCHITECTURES,
                         ids=[f"{s}-{n}" for s, n in ARCHITECTURES])
def test_converted_model_gives_the_sources_logits(source, name):
    ref = torch_reference(source, name)
    # The reference is not degenerate: logits spread, classes differ.
    assert ref.logits.std() > 0.1
    side = ref.images.shape[1]
    model = _convert(name, ref.safetensors, source,
                     input_shape=(side, side, 3))
    for path in (ref.safetensors, ref.pth):
        if path == ref.pth:   # the other format into the same model
            load_state_dict(model, read_state_dict(path),
                            mapping_for(name, source))
        diff = np.abs(_logits(model, ref.images) - ref.logits).max()
        print(f"PARITY {source} {name} {os.path.splitext(path)[1]}: max abs "
              f"{diff:.2e} (logits up to {np.abs(ref.logits).max():.2f})")
        assert diff <= TOLERANCE, (name, path, diff)
    if name == "inception_v3" and source == "timm":
        # Why inception_v3 converts into the "torch" variant: with
        # TensorFlow's average pools (padding not counted) the same
        # weights give other logits.
        from keras_inception import get_model
        released = get_model("inception_v3", input_shape=(SIDE, SIDE, 3),
                             classifier_activation=None)
        released.set_weights(model.get_weights())
        assert np.abs(_logits(released, ref.images) - ref.logits).max() \
            > 100 * TOLERANCE


def test_safetensors_path_needs_no_torch(monkeypatch):
    ref = timm_reference("inception_v4")
    with_torch = _logits(_convert("inception_v4", ref.safetensors),
                         ref.images)
    # `import torch` now raises ImportError, as in an environment without it.
    for module in [m for m in sys.modules if m.split(".")[0] in
                   ("torch", "timm", "torchvision")]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.setitem(sys.modules, "torch", None)
    model = _convert("inception_v4", ref.safetensors)
    assert "torch" not in {m.split(".")[0] for m in sys.modules
                           if sys.modules[m] is not None}
    np.testing.assert_array_equal(_logits(model, ref.images), with_torch)
    with pytest.raises(ImportError, match=r"keras-inception\[convert\]"):
        read_state_dict(ref.pth)


def _edited(tmp_path, source, edit):
    """A copy of the safetensors file ``source`` with ``edit(tensors)``
    applied."""
    from safetensors.numpy import save_file
    tensors = read_state_dict(source)
    edit(tensors)
    path = str(tmp_path / "edited.safetensors")
    save_file(tensors, path)
    return path


def _drop(key):
    return lambda t: t.pop(key)


def _add(key):
    return lambda t: t.__setitem__(key, np.zeros(3, np.float32))


def _reshape(key):
    return lambda t: t.__setitem__(key, np.zeros((64, 32, 5, 5), np.float32))


ERRORS = [
    (_drop("features.6.branch1.1.bn.running_var"),
     r"'features\.6\.branch1\.1\.bn\.running_var' \(for our layer "
     r"'inception_a_1_branch1_1_3x3_conv'\) is missing"),
    (_add("features.9.extra"), r"'features\.9\.extra' has no place"),
    (_reshape("features.2.conv.weight"),
     r"'features\.2\.conv\.weight' has shape \(5, 5, 32, 64\).*"
     r"\(3, 3, 32, 64\)"),
]


@pytest.mark.parametrize("edit, message", ERRORS,
                         ids=["missing", "extra", "shape"])
def test_a_checkpoint_that_does_not_fit_names_its_first_bad_tensor(
        tmp_path, edit, message):
    ref = timm_reference("inception_v4")
    path = _edited(tmp_path, ref.safetensors, edit)
    output = tmp_path / "out.weights.h5"
    with pytest.raises(ValueError, match=message):
        convert_checkpoint("inception_v4", path, output)
    assert sorted(os.listdir(tmp_path)) == ["edited.safetensors"]


def test_a_checkpoint_of_another_architecture_says_which_it_is(tmp_path):
    ref = timm_reference("inception_resnet_v2")
    with pytest.raises(ValueError, match=r"'features\.0\.conv\.weight'.*"
                       r"is a timm inception_resnet_v2, not a "
                       r"inception_v4"):
        convert_checkpoint("inception_v4", ref.safetensors,
                           tmp_path / "out.weights.h5")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(name="inception_v9"), ValueError,
     r"`name` must be one of \['inception_resnet_v2', 'inception_v3', "
     r"'inception_v4'\]"),
    (dict(source="keras"), ValueError,
     r"`source` must be one of \['pretrainedmodels', 'timm', "
     r"'torchvision'\]"),
    (dict(checkpoint="weights.onnx"), ValueError,
     r"`checkpoint` must be a PyTorch checkpoint ending in \.safetensors"),
    (dict(checkpoint="nowhere.safetensors"), ValueError,
     r"`checkpoint`: no file 'nowhere\.safetensors'"),
    (dict(weights="imagenet"), ValueError, r"`weights`: from_torch takes"),
])
def test_bad_arguments_are_named(kwargs, error, message):
    call = dict(name="inception_v4", checkpoint="model.safetensors",
                source="timm")
    call.update(kwargs)
    with pytest.raises(error, match=message):
        from_torch(**call)


def test_output_must_be_a_keras_weights_file(tmp_path):
    with pytest.raises(ValueError, match=r"`output` must end in \.weights"):
        convert_checkpoint("inception_v4", "m.safetensors",
                           tmp_path / "out.h5")


def test_a_file_that_is_not_a_checkpoint_is_refused(tmp_path):
    bad = tmp_path / "model.safetensors"
    bad.write_bytes(b"not a safetensors file at all")
    with pytest.raises(ValueError, match="not a readable safetensors"):
        read_state_dict(bad)
    bad = tmp_path / "model.pth"
    bad.write_bytes(b"garbage")
    with pytest.raises(ValueError, match="not a readable PyTorch"):
        read_state_dict(bad)


def test_convert_command_writes_weights_that_load_and_match(tmp_path):
    from keras_inception import get_model
    from tests.helpers import cli

    ref = timm_reference("inception_v4")
    output = tmp_path / "v4.weights.h5"
    done = cli("convert", "--source", "timm", "--model", "inception_v4",
               "--checkpoint", ref.safetensors, "--output", output)
    assert done.returncode == 0, done.stderr
    stages = [line.strip().split(" ")[0] for line in
              done.stderr.splitlines() if line.startswith("  ")]
    assert stages == ["read", "built", "converted", "wrote"], done.stderr
    assert f"get_model('inception_v4', weights='{output}')" in done.stdout
    assert "I0000" not in done.stderr and "oneDNN" not in done.stderr
    model = get_model("inception_v4", weights=str(output),
                      input_shape=(SIDE, SIDE, 3), classifier_activation=None)
    assert np.abs(_logits(model, ref.images) - ref.logits).max() <= TOLERANCE

    bad = cli("convert", "--model", "inception_v9", "--checkpoint",
              ref.safetensors, "--output", output)
    assert bad.returncode != 0
    assert "--model must be one of" in bad.stderr, bad.stderr
    assert "Traceback" not in bad.stderr


@pytest.mark.slow
def test_inception_v3_auxiliary_head_converts_too(tmp_path):
    """With aux_logits=True, timm's AuxLogits becomes our "aux" head: its
    logits match timm's AuxLogits on the Mixed_6e map (at 299, where the
    head's 5x5 convolution fits)."""
    import timm
    import torch
    from tests.torch_reference import randomise_batch_norm, save_both

    torch.manual_seed(4)
    reference = randomise_batch_norm(
        timm.create_model("inception_v3", aux_logits=True), side=299)
    st, _ = save_both(reference, str(tmp_path))
    images = torch.randn(1, 3, 299, 299,
                         generator=torch.Generator().manual_seed(5))
    taps = {}
    reference.Mixed_6e.register_forward_hook(
        lambda module, inputs, output: taps.setdefault("mixed7", output))
    with torch.no_grad():
        result = reference(images)        # timm returns (logits, aux) here
        logits = (result[0] if isinstance(result, tuple) else result).numpy()
        aux = reference.AuxLogits(taps["mixed7"]).numpy()
    model = from_torch("inception_v3", st, aux_logits=True,
                       classifier_activation=None)
    out = model(images.numpy().transpose(0, 2, 3, 1), training=False)
    for key, expected in (("predictions", logits), ("aux", aux)):
        diff = np.abs(np.asarray(out[key]) - expected).max()
        print(f"PARITY inception_v3 {key}: max abs {diff:.2e}")
        assert diff <= TOLERANCE, (key, diff)


@pytest.mark.parametrize("scale", [False, True], ids=["no-gamma", "gamma"])
def test_batch_norm_is_folded_exactly_with_or_without_gamma(scale):
    """PyTorch's affine BatchNorm (eps 1e-5 here, to show the epsilon is
    carried) against Keras's with the folded weights (eps 1e-3): with a
    scale, gamma is copied; without, it goes into the variance and a
    negative gamma into the sign of the incoming channel."""
    import keras
    import torch
    from keras_inception.convert.loader import fold_batch_norm

    g = torch.Generator().manual_seed(0)
    bn = torch.nn.BatchNorm2d(16, eps=1e-5).eval()
    with torch.no_grad():
        bn.weight.copy_(torch.randn(16, generator=g))   # about half negative
        bn.bias.copy_(torch.randn(16, generator=g))
        bn.running_mean.copy_(torch.randn(16, generator=g))
        bn.running_var.copy_(torch.rand(16, generator=g) + 0.1)
    x = torch.randn(4, 16, 5, 5, generator=g)
    with torch.no_grad():
        expected = bn(x).numpy().transpose(0, 2, 3, 1)
    params = [t.detach().numpy() for t in (bn.weight, bn.bias,
                                           bn.running_mean, bn.running_var)]
    weights, sign = fold_batch_norm(*params, 1e-5, 1e-3, scale=scale)
    assert (sign < 0).any() != scale
    layer = keras.layers.BatchNormalization(scale=scale, epsilon=1e-3)
    layer.build((None, 5, 5, 16))
    layer.set_weights(weights)
    ours = np.asarray(layer(x.numpy().transpose(0, 2, 3, 1) * sign,
                            training=False))
    np.testing.assert_allclose(ours, expected, atol=1e-5)
