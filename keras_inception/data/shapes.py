"""``inception_shapes``: the embedded default dataset, drawn procedurally.

Ten classes of one object on a cluttered background, told apart by outline,
by scale and by the texture inside the outline -- the three cues an
Inception module's parallel 1x1 / 3x3 / 5x5 / pooling branches are meant to
combine (Szegedy et al., "Going Deeper with Convolutions", Section 4)::

    disc_small    square_small    triangle_small
    disc_large    square_large    triangle_large
    ring          cross           striped_disc    checkered_square

Every image is drawn from its own generator,
``numpy.random.default_rng([seed, split_id, index])``, so example ``index``
of a split is the same on every machine and in every run, and the
validation split shares no seed with the training split while following the
same distribution. Position, rotation, scale within the class's range,
texture period and phase, the colours, the clutter and the noise are all
random; foreground and background colours are drawn as an exchangeable pair,
so every class has the same expected colour at every pixel and a linear
model on raw pixels stays near chance (about 15% for logistic regression
against 95-98% for a width-0.25 GoogLeNet after 12 epochs at 64 px; see
``benchmarks/baseline_logreg.py``).

Pixels are computed with elementwise IEEE arithmetic, ``sqrt`` and
``floor``, which every CPU rounds alike; there is no vectorised ``sin`` or
``exp`` per pixel, whose SIMD implementations differ in the last bit between
machines.

Example:
    >>> from keras_inception.data.shapes import generate_examples
    >>> images, labels = generate_examples("train", 20, image_size=32)
    >>> images.shape, images.dtype.name, labels[:3].tolist()
    ((20, 32, 32, 3), 'uint8', [0, 1, 2])
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import tensorflow_datasets as tfds
from etils import epath

DEFAULT_SEED = 1409_4842   # arXiv id of "Going Deeper with Convolutions"
SPLIT_IDS = {"train": 0, "validation": 1, "test": 2}


@dataclasses.dataclass(frozen=True)
class ShapeClass:
    """How one class is drawn.

    Attributes:
        outline: ``disc``, ``square``, ``triangle``, ``ring`` or ``cross``.
        scale: range of the object's bounding radius (centre to farthest
            point), as fractions of the image side; the small and large
            ranges leave a gap between them.
        texture: ``plain``, ``stripes`` or ``checker`` fill.
    """

    outline: str
    scale: tuple[float, float]
    texture: str = "plain"


SMALL = (0.14, 0.18)
LARGE = (0.25, 0.34)
CLASSES = {
    "disc_small": ShapeClass("disc", SMALL),
    "disc_large": ShapeClass("disc", LARGE),
    "square_small": ShapeClass("square", SMALL),
    "square_large": ShapeClass("square", LARGE),
    "triangle_small": ShapeClass("triangle", SMALL),
    "triangle_large": ShapeClass("triangle", LARGE),
    "ring": ShapeClass("ring", LARGE),
    "cross": ShapeClass("cross", LARGE),
    "striped_disc": ShapeClass("disc", LARGE, "stripes"),
    "checkered_square": ShapeClass("square", LARGE, "checker"),
}
CLASS_NAMES = tuple(CLASSES)   # label k is CLASS_NAMES[k]
NUM_CLASSES = len(CLASS_NAMES)

# Nuisances: intensities on the 0..255 scale; lengths in pixels of a 64-pixel
# image, scaled with the image side.
MIN_CONTRAST = 120.0          # Euclidean RGB distance, foreground/background
MIN_LUMA_CONTRAST = 40.0      # and luma difference, so every edge shows
LUMA = np.array([0.299, 0.587, 0.114])   # ITU-R BT.601
MAX_NOISE_STD = 8.0           # per-image Gaussian noise, std drawn in [0, max]
CLUTTER_COUNT = (0, 2)        # distractors per image, inclusive range
TEXTURE_PERIOD = (8.0, 11.0)  # pixels per stripe / checker period
TEXTURE_RIM = 1.5             # solid rim of textured objects, pixels


# --- signed distances (pixels; negative inside) -----------------------------

def _outline_distance(outline, x, y, radius):
    """Signed distance (exact near the edges) of an outline centred at 0."""
    if outline == "disc":
        return np.sqrt(x * x + y * y) - radius
    if outline == "square":            # radius = half-diagonal
        half = radius / math.sqrt(2.0)
        return np.maximum(np.abs(x), np.abs(y)) - half
    if outline == "triangle":          # equilateral, radius = circumradius
        inradius = radius / 2.0
        half_root3 = math.sqrt(3.0) / 2.0   # the three edges' outward normals
        return np.maximum(np.maximum(y, half_root3 * x - 0.5 * y),
                          -half_root3 * x - 0.5 * y) - inradius
    if outline == "ring":
        return np.abs(np.sqrt(x * x + y * y) - 0.8 * radius) - 0.2 * radius
    if outline == "cross":             # radius reaches the arms' corners
        arm = radius / math.hypot(1.0, 0.3)
        thick = 0.3 * arm
        ax, ay = np.abs(x), np.abs(y)
        return np.minimum(np.maximum(ax - arm, ay - thick),
                          np.maximum(ax - thick, ay - arm))
    raise ValueError(f"unknown outline {outline!r}")


def _texture_distance(texture, x, y, period, phase):
    """Signed distance to the texture's 'ink' cells (negative inside)."""
    def band(u):   # ink on half of each unit of u, centred on u = 0.25 mod 1
        offset = u - 0.25
        to_centre = np.abs(offset - np.floor(offset + 0.5))
        return (to_centre - 0.25) * period
    if texture == "stripes":
        return band(x / period + phase[0])
    if texture == "checker":
        bx, by = band(x / period + phase[0]), band(y / period + phase[1])
        # Ink where exactly one coordinate is inside its band (XOR).
        return np.minimum(np.maximum(bx, -by), np.maximum(-bx, by))
    raise ValueError(f"unknown texture {texture!r}")


def _coverage(distance):
    """Anti-aliased coverage of a pixel from its signed distance."""
    return np.clip(0.5 - distance, 0.0, 1.0)


# --- drawing ----------------------------------------------------------------

def _colour_pair(rng):
    """Foreground and background colours at least MIN_CONTRAST apart, and
    MIN_LUMA_CONTRAST apart in brightness.

    The rejection rule is symmetric in the two colours, so they are
    exchangeable: both have the same distribution, whatever the class.
    """
    while True:
        a, b = rng.uniform(0.0, 255.0, size=(2, 3))
        if (np.sqrt(np.sum((a - b) ** 2)) >= MIN_CONTRAST
                and abs(np.dot(LUMA, a - b)) >= MIN_LUMA_CONTRAST):
            return a, b


def _rotated(x, y, angle):
    c, s = math.cos(angle), math.sin(angle)
    return c * x + s * y, -s * x + c * y


def _window(size, cx, cy, extent):
    """The pixels within ``extent`` of ``(cx, cy)``: a slice of the image
    and the pixel centres' offsets from ``(cx, cy)`` (a column and a row,
    broadcast against each other), so drawing costs the object's area."""
    rows = slice(max(int(cy - extent), 0), min(int(cy + extent) + 2, size))
    cols = slice(max(int(cx - extent), 0), min(int(cx + extent) + 2, size))
    y = np.arange(rows.start, rows.stop, dtype=np.float64)[:, None] + 0.5
    x = np.arange(cols.start, cols.stop, dtype=np.float64)[None, :] + 0.5
    return (rows, cols), x - cx, y - cy


def _paint(image, window, coverage, colour):
    patch = image[window]
    patch += coverage[..., None] * (colour - patch)


def _draw_clutter(rng, image, unit):
    """Distractors behind the object: short bars and dots, random colours."""
    size = image.shape[0]
    for _ in range(rng.integers(CLUTTER_COUNT[0], CLUTTER_COUNT[1] + 1)):
        colour = rng.uniform(0.0, 255.0, size=3)
        cx, cy = rng.uniform(0.0, size, size=2)
        if rng.random() < 0.5:         # bar: a capsule around a segment
            length = rng.uniform(3.0, 8.0) * unit
            half_width = rng.uniform(0.5, 1.2) * unit
            window, x, y = _window(size, cx, cy, length + half_width + 1.0)
            u, v = _rotated(x, y, rng.uniform(0.0, math.pi))
            u = np.maximum(np.abs(u) - length, 0.0)
            distance = np.sqrt(u * u + v * v) - half_width
        else:                          # dot
            radius = rng.uniform(1.0, 2.5) * unit
            window, x, y = _window(size, cx, cy, radius + 1.0)
            distance = np.sqrt(x * x + y * y) - radius
        _paint(image, window, _coverage(distance), colour)


def generate_example(index, split="train", image_size=64, seed=DEFAULT_SEED):
    """Draws example ``index`` of ``split``.

    Args:
        index: the example's position in its split (>= 0); its label is
            ``index % NUM_CLASSES``, so any run of ``NUM_CLASSES``
            consecutive examples holds each class once.
        split: ``"train"``, ``"validation"`` or ``"test"``; each draws from
            its own seeds.
        image_size: side of the square image in pixels (>= 32).
        seed: the dataset's seed.

    Returns:
        ``(image, label)``: a ``(image_size, image_size, 3)`` uint8 array and
        an int.
    """
    if split not in SPLIT_IDS:
        raise ValueError(f"split must be one of {sorted(SPLIT_IDS)}, got "
                         f"{split!r}")
    if int(image_size) < 32:
        raise ValueError(f"image_size must be >= 32, got {image_size}")
    if int(index) < 0:
        raise ValueError(f"index must be >= 0, got {index}")
    label = int(index) % NUM_CLASSES
    spec = CLASSES[CLASS_NAMES[label]]
    size = int(image_size)
    unit = size / 64.0
    rng = np.random.default_rng([int(seed), SPLIT_IDS[split], int(index)])

    foreground, background = _colour_pair(rng)
    image = np.empty((size, size, 3), np.float64)
    image[...] = background
    _draw_clutter(rng, image, unit)

    radius = rng.uniform(*spec.scale) * size
    margin = radius + 1.0
    cx, cy = rng.uniform(margin, size - margin, size=2)
    window, x, y = _window(size, cx, cy, margin)
    x, y = _rotated(x, y, rng.uniform(0.0, 2.0 * math.pi))
    distance = _outline_distance(spec.outline, x, y, radius)
    if spec.texture != "plain":
        period = rng.uniform(*TEXTURE_PERIOD) * unit
        tx, ty = _rotated(x, y, rng.uniform(0.0, math.pi))
        ink = _texture_distance(spec.texture, tx, ty, period,
                                rng.uniform(0.0, 1.0, size=2))
        # Inside the outline: the texture's ink, or a solid rim that keeps
        # the outline readable (union, then intersection, of distances).
        rim = -(distance + TEXTURE_RIM * unit)
        distance = np.maximum(distance, np.minimum(ink, rim))
    _paint(image, window, _coverage(distance), foreground)

    image += rng.normal(0.0, rng.uniform(0.0, MAX_NOISE_STD), image.shape)
    return np.clip(np.rint(image), 0, 255).astype(np.uint8), label


def generate_examples(split="train", n=100, image_size=64, seed=DEFAULT_SEED,
                      start=0):
    """Draws examples ``start .. start + n - 1`` of ``split`` as arrays.

    Args:
        split: ``"train"``, ``"validation"`` or ``"test"``.
        n: how many examples.
        image_size: side of the square images in pixels (>= 32).
        seed: the dataset's seed.
        start: index of the first example.

    Returns:
        ``(images, labels)``: uint8 ``(n, image_size, image_size, 3)`` and
        int64 ``(n,)``.
    """
    size = int(image_size)
    images = np.empty((int(n), size, size, 3), np.uint8)
    labels = np.empty((int(n),), np.int64)
    for i in range(int(n)):
        images[i], labels[i] = generate_example(start + i, split, size, seed)
    return images, labels


# --- TFDS builder -----------------------------------------------------------

@dataclasses.dataclass(eq=False)
class InceptionShapesConfig(tfds.core.BuilderConfig):
    """A size of ``inception_shapes``: image side and examples per split."""

    image_size: int = 64
    train_size: int = 6000
    validation_size: int = 1000
    seed: int = DEFAULT_SEED


class InceptionShapes(tfds.core.GeneratorBasedBuilder):
    """The embedded default dataset; needs no download.

    ``import keras_inception.data.shapes`` registers it, after which
    ``tfds.load("inception_shapes", data_dir=...)`` (config ``64``),
    ``"inception_shapes/96"`` or ``"inception_shapes/tiny"`` (32 px, 100 +
    50 examples, for smoke tests) generate it into ``data_dir`` on first use.
    """

    name = "inception_shapes"
    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {
        "1.0.0": "Ten classes (outline x scale x texture), clutter, noise, "
                 "exchangeable colours; configs 64, 96 and tiny.",
    }
    BUILDER_CONFIGS = [
        InceptionShapesConfig(
            name="64", description="64x64 RGB, 6000 train / 1000 validation."),
        InceptionShapesConfig(
            name="96", image_size=96,
            description="96x96 RGB, 6000 train / 1000 validation."),
        InceptionShapesConfig(
            name="tiny", image_size=32, train_size=100, validation_size=50,
            description="32x32 RGB, 100 train / 50 validation: smoke tests."),
    ]
    DEFAULT_BUILDER_CONFIG_NAME = "64"

    @tfds.core.utils.classproperty
    @classmethod
    def code_path(cls):
        # TFDS 4.9 finds this file through `importlib_resources`, which it
        # declares only for Python < 3.9 (tensorflow/datasets#11212); the
        # module's own path is all it needs (to look for a checksums file).
        return epath.Path(__file__)

    def _info(self):
        size = self.builder_config.image_size
        return self.dataset_info_from_configs(
            description=__doc__.split("\n\n")[0],
            features=tfds.features.FeaturesDict({
                "image": tfds.features.Image(shape=(size, size, 3)),
                "label": tfds.features.ClassLabel(names=CLASS_NAMES),
            }),
            supervised_keys=("image", "label"),
        )

    def _split_generators(self, dl_manager):
        del dl_manager  # everything is drawn here; nothing is downloaded
        config = self.builder_config
        return {
            "train": self._generate_examples("train", config.train_size),
            "validation": self._generate_examples("validation",
                                                  config.validation_size),
        }

    def _generate_examples(self, split, n):
        config = self.builder_config
        for index in range(n):
            image, label = generate_example(index, split, config.image_size,
                                            config.seed)
            yield index, {"image": image, "label": label}
