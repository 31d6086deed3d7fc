"""Input pipelines (keras_inception.data): folders with broken files, TFDS
by name, the embedded dataset, exact resumable training streams, the
Inception crops and the argument checks."""

import io
import logging
import os

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds
from PIL import Image

from keras_inception import data
from keras_inception.data import catalog
from keras_inception.data.shapes import CLASS_NAMES
from keras_inception.models.imagenet import preprocess_input

SIZE = 32   # model input side in these tests


def _save(path, image, fmt):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    image.save(path, fmt)


def _solid(colour, size=(40, 36)):
    return Image.new("RGB", size, tuple(colour))


def _jpeg_bytes(size=(64, 48)):
    noise = np.random.default_rng(0).integers(0, 256, (*size[::-1], 3))
    buffer = io.BytesIO()
    Image.fromarray(noise.astype(np.uint8)).save(buffer, "JPEG")
    return buffer.getvalue()


def _write_classes(root, colours, per_class=3, fmt="PNG"):
    """A folder of class subfolders, each image a solid colour."""
    for name, colour in colours.items():
        for i in range(per_class):
            _save(os.path.join(root, name, f"{i}.{fmt.lower()}"),
                  _solid(colour), fmt)
    return str(root)


def _epochs(dataset, batches):
    images, labels = [], []
    for x, y in dataset.take(batches):
        images.append(x.numpy())
        labels.append(y.numpy())
    return np.stack(images), np.stack(labels)


@pytest.fixture
def shapes_dir(tiny_dir):
    """The generated `inception_shapes/tiny` (conftest's ``tiny_dir``)."""
    return tiny_dir


def _tiny(shapes_dir, **kwargs):
    args = dict(image_size=SIZE, batch_size=10, data_dir=shapes_dir)
    return data.load("inception_shapes/tiny", **{**args, **kwargs})


@pytest.fixture(scope="module")
def two_classes(tmp_path_factory):
    root = tmp_path_factory.mktemp("two")
    return _write_classes(root, {"black": (0, 0, 0),
                                 "white": (255, 255, 255)}, per_class=5)


# --- folders ---------------------------------------------------------------

COLOURS = {"a_red": (255, 0, 0), "b_green": (0, 255, 0),
           "c_blue": (0, 0, 255), "d_yellow": (255, 255, 0),
           "e_gray": (128, 128, 128)}


def test_folder_of_mixed_formats_skips_broken_files(tmp_path, caplog):
    root = str(tmp_path)
    for i in range(3):
        _save(f"{root}/a_red/{i}.jpg", _solid(COLOURS["a_red"]), "JPEG")
        _save(f"{root}/b_green/{i}.PNG", _solid(COLOURS["b_green"]), "PNG")
        _save(f"{root}/c_blue/{i}.bmp", _solid(COLOURS["c_blue"]), "BMP")
        _save(f"{root}/d_yellow/{i}.gif", _solid(COLOURS["d_yellow"]),
              "GIF")
    _save(f"{root}/e_gray/gray.png", Image.new("L", (30, 50), 128), "PNG")
    _save(f"{root}/e_gray/gray.jpeg", Image.new("L", (50, 30), 128), "JPEG")
    _save(f"{root}/e_gray/rgba.png",
          Image.new("RGBA", (40, 40), (128, 128, 128, 60)), "PNG")
    truncated = f"{root}/a_red/truncated.jpg"
    whole = _jpeg_bytes()
    with open(truncated, "wb") as f:
        f.write(whole[:len(whole) // 2])
    text = f"{root}/b_green/bad.jpg"
    with open(text, "w") as f:
        f.write("not an image")
    with open(f"{root}/c_blue/notes.txt", "w") as f:
        f.write("ignored: not an image extension")

    with caplog.at_level(logging.WARNING, logger="keras_inception"):
        loaded = data.load(root, image_size=SIZE, batch_size=4,
                           augment="none", validation_fraction=0.3)
    assert sorted(loaded.skipped) == sorted([truncated, text])
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "Skipped 2 " in warnings[0].getMessage()
    assert loaded.class_names == tuple(sorted(COLOURS))
    assert (loaded.num_train, loaded.num_validation) == (10, 5)
    assert (loaded.steps_per_epoch, loaded.validation_steps) == (2, 2)

    expected = np.array([COLOURS[c] for c in loaded.class_names]) / 127.5 - 1
    images, labels = _epochs(loaded.train, 2 * loaded.steps_per_epoch)
    val = list(loaded.validation)
    val_images = np.concatenate([x.numpy() for x, _ in val])
    val_labels = np.concatenate([y.numpy() for _, y in val])
    assert images.dtype == np.float32 and labels.dtype == np.int32
    assert images.shape == (4, 4, SIZE, SIZE, 3)
    assert val_images.shape == (5, SIZE, SIZE, 3)
    assert sorted(val_labels) == list(range(5))     # one image per class
    for image, label in zip(np.concatenate([images.reshape(-1, SIZE, SIZE,
                                                           3), val_images]),
                            np.concatenate([labels.ravel(), val_labels])):
        # Every pixel has its class's colour (JPEG is off by a few levels).
        np.testing.assert_allclose(image, np.broadcast_to(
            expected[label], image.shape), atol=0.05)


def test_split_is_seeded_disjoint_and_keeps_every_class():
    files = [(f"{c}/{i}.png", label) for label, (c, n) in
             enumerate([("a", 10), ("b", 7), ("c", 2), ("d", 1)])
             for i in range(n)]
    train, val = data.split_by_class(files, 0.3, seed=0)
    assert (train, val) == data.split_by_class(files, 0.3, seed=0)
    assert val != data.split_by_class(files, 0.3, seed=1)[1]
    assert not set(train) & set(val)
    assert sorted(train + val) == sorted(files)
    assert {y for _, y in train} == {0, 1, 2, 3}
    # round(10 * .3), round(7 * .3), the 2-image class gives 1, the
    # 1-image class keeps its only image.
    assert np.bincount([y for _, y in val], minlength=4).tolist() == \
        [3, 2, 1, 0]
    assert data.split_by_class(files, 0.0, seed=0)[1] == ()


def test_folder_split_depends_on_seed(tmp_path):
    root = _write_classes(tmp_path, {"a": (0, 0, 0), "b": (255, 0, 0)},
                          per_class=10)
    listing = data.list_image_folder(root)
    assert listing.validation is None and len(listing.train) == 20
    sizes = [(d.num_train, d.num_validation) for d in
             (data.load(root, image_size=SIZE, batch_size=2, seed=s,
                        validation_fraction=0.2) for s in (0, 1))]
    assert sizes == [(16, 4), (16, 4)]


def test_explicit_train_and_val_subfolders_are_the_splits(tmp_path):
    _write_classes(tmp_path / "train", {"cat": (9, 9, 9),
                                        "dog": (200, 9, 9)}, per_class=4)
    _write_classes(tmp_path / "val", {"cat": (9, 9, 9)}, per_class=3)
    loaded = data.load(str(tmp_path), image_size=SIZE, batch_size=2,
                       validation_fraction=0.5, augment="none")
    assert loaded.class_names == ("cat", "dog")
    assert (loaded.num_train, loaded.num_validation) == (8, 3)
    assert "train/ and validation/" in loaded.source
    labels = np.concatenate([y.numpy() for _, y in loaded.validation])
    assert labels.tolist() == [0, 0, 0]


@pytest.mark.parametrize("mode", ["tf", "torch", "caffe",
                                  "caffe_bninception"])
def test_preprocessing_matches_preprocess_input(two_classes, mode):
    loaded = data.load(two_classes, image_size=SIZE, batch_size=8,
                       augment="none", preprocessing=mode)
    images, labels = next(iter(loaded.train))
    colours = np.array([[0, 0, 0], [255, 255, 255]], np.float32)
    expected = preprocess_input(colours[labels.numpy()][:, None, None, :],
                                mode=mode)
    np.testing.assert_allclose(images.numpy(), np.broadcast_to(
        expected, images.shape), rtol=1e-6, atol=1e-5)
    if mode == "tf":   # black -> -1, white -> 1
        assert set(np.unique(images.numpy())) == {-1.0, 1.0}


@pytest.mark.parametrize("cache", [False, True])
def test_cache_keeps_decoded_images(tmp_path, cache):
    root = _write_classes(tmp_path, {"a": (0, 0, 0), "b": (255, 255, 255)},
                          per_class=4)
    loaded = data.load(root, image_size=SIZE, batch_size=3, augment="none",
                       validation_fraction=0.25, cache=cache)
    first, _ = _epochs(loaded.train, loaded.steps_per_epoch)
    first_val = [x.numpy() for x, _ in loaded.validation]
    assert set(np.unique(first)) == {-1.0, 1.0}
    # Repaint every file grey: only a cache still serves the old pixels.
    for name in ("a", "b"):
        for i in range(4):
            _save(os.path.join(root, name, f"{i}.png"),
                  _solid((128, 128, 128)), "PNG")
    again, _ = _epochs(loaded.train, loaded.steps_per_epoch)
    again_val = [x.numpy() for x, _ in loaded.validation]
    grey = 128 / 127.5 - 1
    if cache:
        assert set(np.unique(again)) == {-1.0, 1.0}
        np.testing.assert_array_equal(np.concatenate(again_val),
                                      np.concatenate(first_val))
    else:
        np.testing.assert_allclose(again, grey, atol=1e-6)
        np.testing.assert_allclose(np.concatenate(again_val), grey,
                                   atol=1e-6)


# --- TFDS ------------------------------------------------------------------

def _tfds_metadata(root, name, splits):
    """Writes the metadata `tfds.testing.mock_data` needs to know the split
    names and sizes (it has no other source without a download)."""
    builder = tfds.builder(name, data_dir=root)
    builder.info.set_splits(tfds.core.SplitDict([
        tfds.core.SplitInfo(name=split, shard_lengths=[n], num_bytes=n * 100,
                            filename_template=None)
        for split, n in splits.items()]))
    os.makedirs(builder.data_dir, exist_ok=True)
    builder.info.write_to_directory(builder.data_dir)
    return str(root)


def test_tfds_grayscale_dataset_becomes_rgb(tmp_path):
    meta = _tfds_metadata(tmp_path, "mnist", {"train": 8, "test": 8})
    with tfds.testing.mock_data(num_examples=8, data_dir=meta):
        loaded = data.load("mnist", image_size=SIZE, batch_size=4,
                           augment="none", central_fraction=1.0)
        images, labels = next(iter(loaded.train))
        val_batches = len(list(loaded.validation))
    assert loaded.class_names == tuple(str(i) for i in range(10))
    assert (loaded.num_train, loaded.num_validation) == (8, 8)
    assert "train / test" in loaded.source
    assert images.shape == (4, SIZE, SIZE, 3) and val_batches == 2
    x = images.numpy()
    np.testing.assert_array_equal(x[..., 0], x[..., 1])
    np.testing.assert_array_equal(x[..., 0], x[..., 2])
    assert x.std() > 0.1 and set(labels.numpy()) <= set(range(10))


def test_tfds_without_validation_split_carves_train(tmp_path):
    meta = _tfds_metadata(tmp_path, "tf_flowers", {"train": 20})
    with tfds.testing.mock_data(num_examples=20, data_dir=meta):
        loaded = data.load("tf_flowers", image_size=SIZE, batch_size=5,
                           validation_fraction=0.25)
        images, _ = next(iter(loaded.train))
        val_images, _ = next(iter(loaded.validation))
        with pytest.raises(ValueError, match="validation_fraction"):
            data.load("tf_flowers", image_size=SIZE, batch_size=5,
                      validation_fraction=0.0)
    assert (loaded.num_train, loaded.num_validation) == (15, 5)
    assert "train[:15] / train[15:]" in loaded.source
    assert loaded.class_names[0] == "dandelion"
    assert images.shape == val_images.shape == (5, SIZE, SIZE, 3)


def test_unknown_tfds_name_suggests_and_downloads_nothing(monkeypatch):
    def no_builder(*args, **kwargs):
        raise AssertionError("a builder was created")
    monkeypatch.setattr(tfds, "builder", no_builder)
    with pytest.raises(ValueError, match="dataset.*Did you mean 'cifar10'"):
        data.load("cifar1O", image_size=SIZE, batch_size=4)
    with pytest.raises(ValueError, match="`dataset` './no/such/folder' does "
                                         "not exist"):
        data.load("./no/such/folder", image_size=SIZE, batch_size=4)


def test_embedded_tiny(shapes_dir):
    loaded = _tiny(shapes_dir, augment="light", min_crop_area=0.75,
                   central_fraction=1.0)
    assert loaded.class_names == CLASS_NAMES
    assert (loaded.num_train, loaded.num_validation) == (100, 50)
    assert (loaded.steps_per_epoch, loaded.validation_steps) == (10, 5)
    assert loaded.source.startswith("tfds:inception_shapes/tiny/1.0.0")
    assert len(list(loaded.validation)) == 5


# --- the training stream ---------------------------------------------------

def test_same_seed_same_batches_other_seed_other_batches(shapes_dir):
    first = _epochs(_tiny(shapes_dir).train, 2)
    again = _epochs(_tiny(shapes_dir).train, 2)
    other = _epochs(_tiny(shapes_dir, seed=1).train, 2)
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[1], other[1])
    assert not np.allclose(first[0], other[0])


@pytest.mark.parametrize("windowed", [False, True])
def test_epochs_are_permutations_and_resume_exactly(shapes_dir, monkeypatch,
                                                    windowed):
    if windowed:   # as a TFDS split too large to read whole: windows of 30
        monkeypatch.setattr(catalog, "IN_MEMORY_BYTES", 0)
    loaded = _tiny(shapes_dir, shuffle_buffer=30)
    steps = loaded.steps_per_epoch
    images, labels = _epochs(loaded.train, 3 * steps)
    # Each epoch holds every example once (tiny: 10 of each class) ...
    for epoch in range(3):
        counts = np.bincount(labels[epoch * steps:(epoch + 1) * steps]
                             .ravel(), minlength=10)
        assert counts.tolist() == [10] * 10
    # ... in a new order.
    assert not np.array_equal(labels[:steps], labels[steps:2 * steps])
    resumed = _tiny(shapes_dir, shuffle_buffer=30, start_epoch=1,
                    start_step=2)
    got = _epochs(resumed.train, 3)
    np.testing.assert_array_equal(got[0], images[steps + 2:steps + 5])
    np.testing.assert_array_equal(got[1], labels[steps + 2:steps + 5])
    # Across an epoch boundary, from the same ImageData.
    crossing = _epochs(data.train_stream(loaded, 1, steps - 1), 2)
    np.testing.assert_array_equal(crossing[0],
                                  images[2 * steps - 1:2 * steps + 1])


def test_training_stream_options(shapes_dir):
    loaded = _tiny(shapes_dir, deterministic=False)
    for stream in (loaded.train, loaded.validation):
        options = stream.options()
        assert options.deterministic is False
        assert options.experimental_distribute.auto_shard_policy == \
            tf.data.experimental.AutoShardPolicy.DATA
    assert _tiny(shapes_dir).train.options().deterministic is True


# --- transforms ------------------------------------------------------------

def _crop_extent(channel, axis):
    """The crop's side along ``axis``, from a coordinate ramp resized to
    SIZE: a span s of output centres covers s * SIZE / (SIZE - 1) input
    pixels when downscaling and s + 1 when upscaling."""
    span = float(channel.max() - channel.min())
    return max(span * SIZE / (SIZE - 1), span + 1)


def test_train_crop_respects_area_and_aspect_ranges():
    side = 256
    ramp = np.arange(side, dtype=np.float32)
    image = np.stack([np.broadcast_to(ramp, (side, side)),
                      np.broadcast_to(ramp[:, None], (side, side)),
                      np.zeros((side, side), np.float32)], axis=-1)
    areas, ratios, flips = [], [], []
    for i in range(150):
        out = data.train_transform(image, [3, i], image_size=SIZE,
                                   augment="light", min_crop_area=0.08)
        out = out.numpy()
        width = _crop_extent(out[..., 0], 1)
        height = _crop_extent(out[..., 1], 0)
        areas.append(width * height / side ** 2)
        ratios.append(width / height)
        flips.append(out[0, 0, 0] > out[0, -1, 0])
    areas, ratios = np.array(areas), np.array(ratios)
    # min_object_covered=0.1 lifts the smallest area to 10% (TF-slim).
    assert areas.min() > 0.09 and areas.max() <= 1.0 + 1e-6
    assert areas.min() < 0.3 and areas.max() > 0.8     # the whole range
    assert ratios.min() > 0.75 * 0.95 and ratios.max() < 4 / 3 * 1.05
    assert 0.3 < np.mean(flips) < 0.7
    light = data.train_transform(image, [3, 0], image_size=SIZE,
                                 augment="light", min_crop_area=0.75)
    assert _crop_extent(light.numpy()[..., 0], 1) ** 2 > 0.7 * side ** 2 * \
        0.75


def test_inception_colour_distortion_is_seeded_and_in_range():
    image = np.random.default_rng(1).integers(0, 256, (48, 40, 3))
    image = image.astype(np.uint8)
    distorted = [data.train_transform(image, [5, 9], image_size=SIZE,
                                      min_crop_area=1.0).numpy()
                 for _ in range(2)]
    plain = data.train_transform(image, [5, 9], image_size=SIZE,
                                 augment="light", min_crop_area=1.0).numpy()
    np.testing.assert_array_equal(distorted[0], distorted[1])
    assert not np.allclose(distorted[0], plain, atol=1.0)
    assert distorted[0].min() >= 0 and distorted[0].max() <= 255


def test_eval_transform_is_a_central_crop():
    image = np.random.default_rng(2).integers(0, 256, (64, 64, 3))
    image = image.astype(np.uint8)
    whole = data.eval_transform(image, image_size=64, central_fraction=1.0)
    np.testing.assert_array_equal(whole.numpy(), image)
    centre = data.eval_transform(image, image_size=32, central_fraction=0.5)
    np.testing.assert_array_equal(centre.numpy(), image[16:48, 16:48])
    assert centre.dtype == tf.float32


# --- bad arguments ---------------------------------------------------------

BAD_ARGUMENTS = [
    (dict(image_size=31), ValueError, "image_size"),
    (dict(image_size=32.0), TypeError, "image_size"),
    (dict(image_size=True), TypeError, "image_size"),
    (dict(batch_size=0), ValueError, "batch_size"),
    (dict(batch_size="8"), TypeError, "batch_size"),
    (dict(validation_fraction=1.0), ValueError, "validation_fraction"),
    (dict(validation_fraction=-0.1), ValueError, "validation_fraction"),
    (dict(augment="heavy"), ValueError, "augment"),
    (dict(min_crop_area=0), ValueError, "min_crop_area"),
    (dict(min_crop_area=1.5), ValueError, "min_crop_area"),
    (dict(central_fraction=0.0), ValueError, "central_fraction"),
    (dict(central_fraction=1.01), ValueError, "central_fraction"),
    (dict(preprocessing="keras"), ValueError, "preprocessing"),
    (dict(start_epoch=-1), ValueError, "start_epoch"),
    (dict(start_step=-1), ValueError, "start_step"),
    (dict(seed=-1), ValueError, "seed"),
    (dict(deterministic="yes"), TypeError, "deterministic"),
    (dict(shuffle_buffer=0), ValueError, "shuffle_buffer"),
    (dict(dataset=3), TypeError, "dataset"),
]


@pytest.mark.parametrize("kwargs, error, arg", BAD_ARGUMENTS)
def test_bad_arguments_raise_before_any_work(two_classes, monkeypatch,
                                             kwargs, error, arg):
    def no_scan(paths):
        raise AssertionError("the folder was scanned")
    monkeypatch.setattr(catalog, "scan_images", no_scan)
    args = dict(dataset=two_classes, image_size=SIZE, batch_size=2)
    with pytest.raises(error, match=f"`{arg}`"):
        data.load(**{**args, **kwargs})


@pytest.mark.parametrize("kwargs, arg", [
    (dict(batch_size=9), "batch_size"),      # 8 training images
    (dict(start_step=4), "start_step"),      # 4 steps per epoch
    (dict(validation_fraction=0.0), "validation_fraction"),
])
def test_arguments_that_the_data_rules_out(two_classes, kwargs, arg):
    args = dict(image_size=SIZE, batch_size=2, validation_fraction=0.2)
    with pytest.raises(ValueError, match=f"`{arg}"):
        data.load(two_classes, **{**args, **kwargs})


def test_unusable_folders(tmp_path):
    args = dict(image_size=SIZE, batch_size=1)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="`dataset`.*no images"):
        data.load(str(tmp_path / "empty"), **args)
    one = _write_classes(tmp_path / "one", {"only": (1, 2, 3)})
    with pytest.raises(ValueError, match="`dataset`.*only one class"):
        data.load(one, **args)
    broken = _write_classes(tmp_path / "broken", {"a": (1, 2, 3)})
    os.makedirs(tmp_path / "broken" / "b")
    with open(tmp_path / "broken" / "b" / "x.png", "w") as f:
        f.write("not a png")
    with pytest.raises(ValueError, match="`dataset`.*no readable"):
        data.load(broken, **args)
    with pytest.raises(ValueError, match="`dataset`.*is a file"):
        data.load(str(tmp_path / "broken" / "b" / "x.png"), **args)
