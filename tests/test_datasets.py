"""The embedded ``inception_shapes`` dataset: deterministic, balanced, not
solvable from colour, and served by TFDS from a caller's ``data_dir``
without any download."""

import hashlib

import numpy as np
import pytest
import tensorflow_datasets as tfds

from keras_inception.data.shapes import (CLASS_NAMES, NUM_CLASSES,
                                      InceptionShapes, InceptionShapesConfig,
                                      generate_example, generate_examples)

SMALL = 32   # image side for tests that only need pixels


def test_same_index_gives_identical_pixels():
    first, label = generate_example(13, "train", SMALL)
    again, label_again = generate_example(13, "train", SMALL)
    np.testing.assert_array_equal(first, again)
    assert label == label_again == 13 % NUM_CLASSES
    # A slice of a split is the same examples as the whole split.
    images, labels = generate_examples("train", 20, SMALL)
    window, window_labels = generate_examples("train", 5, SMALL, start=10)
    np.testing.assert_array_equal(window, images[10:15])
    np.testing.assert_array_equal(window_labels, labels[10:15])


def test_pixels_are_pinned():
    # A fingerprint of the first examples: if drawing changes, this fails,
    # and InceptionShapes.VERSION must change with it.
    images, _ = generate_examples("train", NUM_CLASSES, SMALL)
    digest = hashlib.sha256(images.tobytes()).hexdigest()
    assert digest == PINNED_DIGEST


def test_seeds_and_splits_differ():
    base = generate_example(3, "train", SMALL)[0]
    other_seed = generate_example(3, "train", SMALL, seed=1)[0]
    validation = generate_example(3, "validation", SMALL)[0]
    assert not np.array_equal(base, other_seed)
    assert not np.array_equal(base, validation)


@pytest.mark.parametrize("size", [32, 64, 96])
def test_shapes_and_dtypes(size):
    images, labels = generate_examples("validation", NUM_CLASSES, size)
    assert images.shape == (NUM_CLASSES, size, size, 3)
    assert images.dtype == np.uint8 and labels.dtype == np.int64
    assert labels.tolist() == list(range(NUM_CLASSES))
    # Every image has an object and some contrast, not a flat field.
    assert (images.reshape(NUM_CLASSES, -1).std(axis=1) > 5).all()


def test_classes_are_balanced():
    _, labels = generate_examples("train", 5 * NUM_CLASSES, SMALL, start=7)
    assert np.bincount(labels, minlength=NUM_CLASSES).tolist() == \
        [5] * NUM_CLASSES


def test_mean_colour_does_not_tell_classes_apart():
    per_class = 100
    n = per_class * NUM_CLASSES
    train, y_train = generate_examples("train", n, SMALL)
    valid, y_valid = generate_examples("validation", n, SMALL)
    m_train = train.reshape(n, -1, 3).mean(axis=1)
    m_valid = valid.reshape(n, -1, 3).mean(axis=1)
    centroids = np.stack([m_train[y_train == k].mean(axis=0)
                          for k in range(NUM_CLASSES)])
    # Every class's mean colour is the overall mean up to sampling noise
    # (within 4 standard errors) ...
    standard_error = m_train.std(axis=0) / np.sqrt(per_class)
    assert (np.abs(centroids - m_train.mean(axis=0))
            < 4 * standard_error).all()
    # ... and the nearest class-mean colour does no better than chance
    # (10%; one standard error of chance accuracy here is 1 point).
    nearest = np.argmin(
        ((m_valid[:, None, :] - centroids[None]) ** 2).sum(-1), axis=1)
    assert np.mean(nearest == y_valid) < 0.14


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="split"):
        generate_example(0, "test_set")
    with pytest.raises(ValueError, match="image_size"):
        generate_example(0, image_size=16)
    with pytest.raises(ValueError, match="index"):
        generate_example(-1)


def test_import_registers_builder():
    assert tfds.builder_cls("inception_shapes") is InceptionShapes
    assert {c.name for c in InceptionShapes.BUILDER_CONFIGS} == \
        {"64", "96", "tiny"}
    assert str(InceptionShapes.VERSION) == "1.0.0"
    assert "1.0.0" in InceptionShapes.RELEASE_NOTES


def test_builder_writes_to_data_dir(tmp_path):
    config = InceptionShapesConfig(name="test", image_size=SMALL,
                                   train_size=20, validation_size=10)
    builder = InceptionShapes(config=config, data_dir=tmp_path)
    builder.download_and_prepare()
    assert (tmp_path / "inception_shapes" / "test" / "1.0.0").is_dir()
    assert builder.info.splits["train"].num_examples == 20
    assert builder.info.splits["validation"].num_examples == 10
    images, labels = tfds.as_numpy(builder.as_dataset(
        split="validation", batch_size=-1, as_supervised=True))
    # TFDS stores examples in its own order; the set is generate_examples'.
    expected, expected_labels = generate_examples("validation", 10, SMALL)
    order = np.argsort([hashlib.sha256(x.tobytes()).hexdigest()
                        for x in images])
    expected_order = np.argsort([hashlib.sha256(x.tobytes()).hexdigest()
                                 for x in expected])
    np.testing.assert_array_equal(images[order], expected[expected_order])
    np.testing.assert_array_equal(labels[order],
                                  expected_labels[expected_order])


def test_tfds_load_serves_tiny_config(tmp_path):
    splits, info = tfds.load("inception_shapes/tiny", data_dir=tmp_path,
                             with_info=True, as_supervised=True)
    assert info.features["label"].names == list(CLASS_NAMES)
    assert info.features["image"].shape == (32, 32, 3)
    counts = {name: sum(1 for _ in ds) for name, ds in splits.items()}
    assert counts == {"train": 100, "validation": 50}
    image, label = next(iter(tfds.as_numpy(splits["train"])))
    assert image.shape == (32, 32, 3) and image.dtype == np.uint8
    assert 0 <= label < NUM_CLASSES


PINNED_DIGEST = (
    "dfc4d6302f6db4cf43064bd68838c5a99cf4bb68b7350443479dc769e40a9796")
