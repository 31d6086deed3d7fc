"""``weights="imagenet"``: the download path, proven offline.

A local HTTP server on 127.0.0.1 stands in for storage.googleapis.com:
the registry's InceptionV3 entry is pointed at files written from a seeded
``keras.applications.InceptionV3(weights=None)`` the way the official
files are laid out (Keras 2 HDF5 weights, with and without the top), with
their md5 hashes. Our builder downloads, checks, caches and loads them and
gives keras.applications' logits; a second call needs no server; a
corrupted file is refused and gone from the cache.
"""

import dataclasses
import functools
import hashlib
import http.server
import os
import threading

import h5py
import keras
import numpy as np
import pytest

import keras_inception
from keras_inception.models import pretrained
from keras.src.legacy.saving import legacy_h5_format


def _official_layout(model, path):
    """Weights as keras.applications' published .h5 files hold them."""
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)
    with open(path, "rb") as f:
        return hashlib.md5(f.read()).hexdigest()


@pytest.fixture
def server(tmp_path, monkeypatch):
    """A web root served on 127.0.0.1, and an empty ``$KERAS_HOME``."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler,
                                directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}/", httpd
    httpd.shutdown()


def _point(monkeypatch, name, files, weights="imagenet"):
    table = pretrained.WEIGHTS if weights == "imagenet" else \
        pretrained.ALTERNATIVES[weights]
    monkeypatch.setitem(table, name, dataclasses.replace(
        table[name], top=files.get("top"), no_top=files.get("no_top")))


def _serve(root, base, model, filename):
    digest = _official_layout(model, root / filename)
    return pretrained.WeightsFile(base + filename, digest)


# (registry name, keras.applications builder, seed, no-top input side):
# InceptionResNetV2 without its top runs at the smallest size, to stay cheap.
DOWNLOADS = [("inception_v3", "InceptionV3", 7, 139),
             ("inception_resnet_v2", "InceptionResNetV2", 9, 75)]


@pytest.mark.parametrize("name, builder, seed, side", DOWNLOADS,
                         ids=[d[0] for d in DOWNLOADS])
def test_imagenet_downloads_checks_caches_and_matches(
        server, tmp_path, monkeypatch, name, builder, seed, side):
    root, base, httpd = server
    theirs = getattr(keras.applications, builder)
    keras.utils.set_random_seed(seed)
    reference = theirs(weights=None)
    reference_no_top = theirs(weights=None, include_top=False,
                              input_shape=(side, side, 3))
    _point(monkeypatch, name, {
        "top": _serve(root, base, reference, f"{name}.h5"),
        "no_top": _serve(root, base, reference_no_top, f"{name}_notop.h5")})
    x = np.random.default_rng(0).uniform(-1, 1, (1, 299, 299, 3)).astype(
        "float32")

    ours = keras_inception.get_model(name, weights="imagenet")
    diff = np.abs(np.asarray(ours(x)) - np.asarray(reference(x))).max()
    print(f"{builder} with top: max |logit diff| {diff}")
    assert diff <= 1e-5
    assert (tmp_path / "keras_home" / "models" / f"{name}.h5").is_file()

    small = x[:, :side, :side]
    no_top = keras_inception.get_model(name, weights="imagenet",
                                       include_top=False,
                                       input_shape=(side, side, 3))
    diff = np.abs(np.asarray(no_top(small))
                  - np.asarray(reference_no_top(small))).max()
    print(f"{builder} without top: max |feature diff| {diff}")
    assert diff <= 1e-5

    httpd.shutdown()                 # the cache answers from now on
    again = keras_inception.get_model(name, weights="imagenet",
                                      include_top=False,
                                      input_shape=(side, side, 3))
    assert np.abs(np.asarray(again(small))
                  - np.asarray(no_top(small))).max() == 0


def test_readme_weights_table_is_the_registry_table():
    readme = open(os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), "README.md"), encoding="utf-8").read()
    for model, source, top1, licence, how in pretrained.weights_table():
        assert f"| {model} | {source} | {top1} | {licence} | {how} |" \
            in readme, model


@pytest.mark.parametrize("damage", ["corrupted", "truncated"])
def test_a_bad_download_is_refused_and_removed(server, tmp_path,
                                               monkeypatch, damage):
    root, base, _ = server
    model = keras.applications.InceptionV3(
        weights=None, include_top=False, input_shape=(75, 75, 3))
    good = _serve(root, base, model, "v3_notop.h5")
    with open(root / "v3_notop.h5", "r+b") as f:   # damaged in transit
        if damage == "corrupted":
            f.seek(4096)
            f.write(b"\0" * 64)
        else:
            f.truncate(os.path.getsize(root / "v3_notop.h5") // 2)
    _point(monkeypatch, "inception_v3", {"top": good, "no_top": good})
    with pytest.raises(ValueError, match=good.file_hash) as info:
        keras_inception.InceptionV3(weights="imagenet", include_top=False,
                                    input_shape=(75, 75, 3))
    assert good.origin in str(info.value)
    assert not (tmp_path / "keras_home" / "models" / "v3_notop.h5").exists()


TV = "imagenet-torchvision"


@pytest.mark.parametrize("name, weights, kwargs, says", [
    ("inception_v2", "imagenet", {}, "Generations with 'imagenet' weights: "
     "inception_v1, bn_inception, inception_v3, inception_v4, "
     "inception_resnet_v2"),
    ("bn_inception", "imagenet", {}, "fit 'bn_inception_caffe'"),
    ("inception_v1", "imagenet", {}, "fit 'inception_v1_torchvision': "
     "InceptionV1(variant=\"torchvision\", weights=\"imagenet\")"),
    ("inception_v1_paper", "imagenet", {}, "fit 'inception_v1_torchvision'"),
    ("inception_v3", "imagenet", dict(classes=10), "classes=1000"),
    ("inception_v3", "imagenet", dict(input_shape=(200, 200, 3)),
     "input_shape=(299, 299, 3)"),
    ("inception_v3", "imagenet", dict(width_multiplier=0.5,
                                      include_top=False),
     "width_multiplier=1.0"),
    ("inception_v3", "imagenet", dict(include_top=False,
                                      input_shape=(99, 99, 1)),
     "3 input channels"),
    # The named alternative: torchvision's weights fit the torch variant.
    ("inception_v3", TV, {}, "fit 'inception_v3_torch': InceptionV3("
     "variant=\"torch\", weights=\"imagenet-torchvision\")"),
    ("inception_v3_torch", "imagenet", {}, "which fit 'inception_v3': "
     "weights=\"imagenet\". This variant's published weights: "
     "weights='imagenet-torchvision'"),
    ("inception_v4", TV, {}, "Generations with 'imagenet-torchvision' "
     "weights: inception_v3"),
    ("inception_v3_torch", TV, dict(classes=10),
     "`weights='imagenet-torchvision'` with `include_top=True` needs "
     "`classes=1000`"),
])
def test_imagenet_refusals(name, weights, kwargs, says):
    with pytest.raises(ValueError) as info:
        keras_inception.get_model(name, weights=weights, **kwargs)
    assert says in str(info.value)


@pytest.mark.parametrize("weights", ["imagenet-timm", "ImageNet", 3])
def test_an_unknown_weights_name_lists_the_names(weights):
    error = TypeError if weights == 3 else ValueError
    with pytest.raises(error, match="one of \\('imagenet', "
                       "'imagenet-torchvision'\\)"):
        keras_inception.InceptionV3(weights=weights)


def test_a_variants_weights_expect_its_preprocessing():
    """The preprocessing each published checkpoint was trained with is the
    one its variant's registry entry (and so training and export) uses."""
    for table in (pretrained.WEIGHTS, *pretrained.ALTERNATIVES.values()):
        for name, entry in table.items():
            if entry.available:
                info = keras_inception.get_model_info(entry.variant or name)
                assert info.preprocessing == entry.preprocessing, name


def test_the_table_covers_every_generation():
    assert set(pretrained.WEIGHTS) == set(keras_inception.list_models())
    available = {n for n, e in pretrained.WEIGHTS.items() if e.available}
    assert available == set(keras_inception.list_models()) - {
        "inception_v2", "inception_resnet_v1"}
    for name in ("inception_v2", "inception_resnet_v1"):
        assert pretrained.WEIGHTS[name].how == "none published"


def _timm_v4():
    import timm
    return timm.create_model("inception_v4", num_classes=1001)


def _torchvision_googlenet():
    import torch
    import torchvision
    model = torchvision.models.googlenet(
        weights=None, aux_logits=True, init_weights=True,
        transform_input=False)
    with torch.no_grad():
        model.fc.weight.mul_(10)     # logits of order 1, not 0.1
    return model


def _torchvision_inception_v3():
    import torchvision
    return torchvision.models.inception_v3(
        weights=None, aux_logits=True, init_weights=True,
        transform_input=False)


def _pretrainedmodels_bninception():
    import pretrainedmodels
    return pretrainedmodels.bninception(num_classes=1000, pretrained=None)


def _as_published(state):
    """The Caffe port's file keeps its BN vectors as (1, C)."""
    return {k: v.unsqueeze(0) if "_bn." in k and v.ndim == 1 else v
            for k, v in state.items()}


# (generation, weights name, builder kwargs, the source model, published
#  file stem, side, background class first, converted cache stem); without
#  the top each runs at 160 (the Caffe BN-Inception needs a multiple of 32).
CONVERTED = [
    ("inception_v4", "imagenet", {}, _timm_v4, "inceptionv4", 299, True,
     "inception_v4_timm_tf_in1k"),
    ("inception_v1", "imagenet", {"variant": "torchvision"},
     _torchvision_googlenet, "googlenet", 224, False,
     "inception_v1_torchvision_torchvision_imagenet1k_v1"),
    ("bn_inception", "imagenet", {"variant": "caffe"},
     _pretrainedmodels_bninception, "bn_inception", 224, False,
     "bn_inception_caffe_pretrainedmodels_imagenet"),
    ("inception_v3", TV, {"variant": "torch"}, _torchvision_inception_v3,
     "inception_v3_google", 299, False,
     "inception_v3_torch_torchvision_imagenet1k_v1"),
]


@pytest.mark.parametrize("name, weights, kwargs, make, stem, side, "
                         "background, cached", CONVERTED,
                         ids=[c[0] for c in CONVERTED])
def test_a_pytorch_checkpoint_is_converted_once_then_cached(
        server, tmp_path, monkeypatch, name, weights, kwargs, make, stem,
        side, background, cached):
    """The real path of PyTorch-published weights (timm's Inception-v4,
    1001 classes with TF-slim's background first; torchvision's GoogLeNet
    and Inception-v3 with their aux heads): a torch.save state dict whose
    name carries its sha256 prefix, downloaded, checked, converted into the
    model being built and cached as .weights.h5; then no network, no
    .pth."""
    pytest.importorskip("timm")
    import torch
    from tests.torch_reference import randomise_batch_norm

    root, base, httpd = server
    torch.manual_seed(3)
    reference = randomise_batch_norm(make(), side=side)
    raw = root / "checkpoint.pth"
    state = reference.state_dict()
    torch.save(_as_published(state) if stem == "bn_inception" else state,
               raw)
    prefix = hashlib.sha256(raw.read_bytes()).hexdigest()[:8]
    filename = f"{stem}-{prefix}.pth"
    raw.rename(root / filename)
    published = pretrained.WeightsFile(base + filename, prefix, "sha256")
    _point(monkeypatch, name, {"top": published, "no_top": published},
           weights)
    images = np.random.default_rng(0).normal(
        size=(2, side, side, 3)).astype("float32")
    with torch.no_grad():
        expected = reference(torch.from_numpy(
            images.transpose(0, 3, 1, 2))).numpy()
    expected = expected[:, 1:] if background else expected

    build = keras_inception.get_builder(name)
    ours = build(weights=weights, classifier_activation=None, **kwargs)
    diff = np.abs(np.asarray(ours(images)) - expected).max()
    print(f"{name} imagenet (converted): max |logit diff| {diff}")
    assert diff <= 1e-4
    models = tmp_path / "keras_home" / "models"
    assert (models / f"{cached}.weights.h5").is_file()
    no_top = build(weights=weights, include_top=False,
                   input_shape=(160, 160, 3), **kwargs)

    httpd.shutdown()                 # the cache answers from now on
    (models / filename).unlink()     # nor is the PyTorch file needed again
    again = build(weights=weights, classifier_activation=None, **kwargs)
    assert np.abs(np.asarray(again(images)) - np.asarray(ours(images))
                  ).max() == 0
    small = images[:, :160, :160]
    again = build(weights=weights, include_top=False,
                  input_shape=(160, 160, 3), **kwargs)
    assert np.abs(np.asarray(again(small)) - np.asarray(no_top(small))
                  ).max() == 0


def test_a_checkpoint_whose_hash_prefix_differs_is_refused(
        server, tmp_path, monkeypatch):
    root, base, _ = server
    (root / "inceptionv4-00000000.pth").write_bytes(b"not the checkpoint")
    wrong = pretrained.WeightsFile(base + "inceptionv4-00000000.pth",
                                   "00000000", "sha256")
    _point(monkeypatch, "inception_v4", {"top": wrong, "no_top": wrong})
    with pytest.raises(ValueError, match=r"sha256 is not 00000000\.\.\."):
        keras_inception.InceptionV4(weights="imagenet", include_top=False,
                                    input_shape=(75, 75, 3))
    assert os.listdir(tmp_path / "keras_home" / "models") == []
