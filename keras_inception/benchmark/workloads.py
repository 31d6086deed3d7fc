"""What the benchmark times: one call of each function is one batch.

* :func:`inference_call`: a forward pass in inference mode, traced once
  into a ``tf.function`` -- the graph ``model.predict`` runs, without its
  per-call Python -- the same for our model and the reference;
* :func:`training_call`: one optimizer step (``train_on_batch``), every
  contender compiled alike (SGD with momentum, sparse cross-entropy on every
  output, auxiliary heads weighted as the papers weight them, no XLA);
* :func:`ceiling_call`: a large 3x3 convolution, the machine's practical
  convolution rate, against which a model's achieved GFLOP/s is read;
* :func:`pipeline_call`: the training input pipeline alone (decode,
  Inception crop, flip and colour distortion, preprocessing, batching), as
  ``keras-inception train`` builds it.

The references are ``keras.applications`` models, which exist at width 1
only. FLOPs are 2 x MACs (:func:`~keras_inception.models.macs.count_macs`),
and a training step is taken as 3 forward passes' worth (the forward pass
and the two products of the backward pass), the usual convention.
"""

from __future__ import annotations

import os

import keras
import numpy as np
import tensorflow as tf

from keras_inception.data import pipeline as data_lib
from keras_inception.models import registry
from keras_inception.models.macs import count_macs
from keras_inception.training.compiling import targets_for

# Our generation -> its keras.applications counterpart.
REFERENCES = {"inception_v3": "InceptionV3",
              "inception_resnet_v2": "InceptionResNetV2"}
# Loss weight of an auxiliary head in the training step (Inception-v3's).
AUX_WEIGHT = 0.4
TRAINING_FLOPS_PER_FORWARD = 3


def reference_model(name, image_size):
    """The ``keras.applications`` model of generation ``name`` at
    ``image_size`` (random weights), or ``None`` where there is none."""
    builder = REFERENCES.get(registry.get_model_info(name).generation)
    if builder is None:
        return None
    return getattr(keras.applications, builder)(
        weights=None, input_shape=(image_size, image_size, 3))


def forward_flops(model):
    """FLOPs of one image's forward pass: 2 x multiply-adds."""
    return 2 * count_macs(model)


def random_batch(batch_size, image_size, classes, seed=0):
    """Images in [-1, 1] (any model's preprocessed range is close) and
    labels, as tensors."""
    rng = np.random.default_rng(seed)
    images = rng.uniform(-1, 1, (batch_size, image_size, image_size, 3))
    labels = rng.integers(0, classes, batch_size)
    return (tf.constant(images, tf.float32), tf.constant(labels, tf.int32))


def inference_call(model, images):
    """One forward pass of ``images`` in inference mode."""
    # The model itself, not a lambda: tf.function counts traces per Python
    # function, and one lambda traced for every contender reads to it as
    # retracing in a loop (a warning on the user's screen). Called without
    # `training`, a Keras model runs in inference mode.
    forward = tf.function(model)

    def call():
        return keras.tree.map_structure(lambda t: t.numpy(), forward(images))
    return call


def training_call(model, images, labels):
    """One optimizer step on ``(images, labels)``; compiles ``model``."""
    outputs = model.output_names
    loss = keras.losses.SparseCategoricalCrossentropy()
    weights = None
    if len(outputs) > 1:
        loss = {n: loss for n in outputs}
        weights = {n: 1.0 if n == "predictions" else AUX_WEIGHT
                   for n in outputs}
    model.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9),
                  loss=loss, loss_weights=weights, jit_compile=False)
    targets = targets_for(model, labels)

    def call():
        return model.train_on_batch(images, targets)
    return call


def ceiling_call(batch_size, side, channels):
    """A ``side`` x ``side`` x ``channels`` -> ``channels`` 3x3 convolution
    on ``batch_size`` images; returns the call and its FLOPs."""
    conv = keras.layers.Conv2D(channels, 3, padding="same", use_bias=False)
    images = tf.random.stateless_uniform(
        (batch_size, side, side, channels), seed=(1, 2))
    conv.build(images.shape)
    forward = tf.function(conv)

    def call():
        return forward(images).numpy()
    return call, 2 * batch_size * side * side * channels * channels * 9


def pipeline_call(dataset, *, image_size, batch_size, preprocessing,
                  data_dir=None):
    """The next training batch of ``dataset`` (a name or a folder), loaded
    as training loads it (Inception augmentation, non-deterministic order
    of parallel maps); returns the call and the number of training
    images."""
    data = data_lib.load(dataset, image_size=image_size,
                         batch_size=batch_size, preprocessing=preprocessing,
                         data_dir=data_dir, deterministic=False,
                         augment="inception")
    batches = iter(data.train)

    def call():
        images, _ = next(batches)
        return images.shape
    return call, data.num_train


def write_jpeg_folder(folder, *, count=96, classes=3, size=(375, 500),
                      seed=0):
    """Writes ``count`` JPEGs of ``size`` (height, width; ImageNet's
    typical 375 x 500) in ``classes`` class subfolders under ``folder``:
    smooth random colour fields with noise, which compress like photos
    rather than like flat colour. Returns ``folder``."""
    rng = np.random.default_rng(seed)
    for k in range(count):
        coarse = rng.uniform(0, 255, (1, 6, 8, 3)).astype("float32")
        image = tf.image.resize(coarse, size, method="bicubic")[0]
        image += rng.normal(0, 12, (*size, 3)).astype("float32")
        encoded = tf.io.encode_jpeg(
            tf.cast(tf.clip_by_value(image, 0, 255), tf.uint8), quality=90)
        sub = os.path.join(folder, f"class_{k % classes}")
        os.makedirs(sub, exist_ok=True)
        tf.io.write_file(os.path.join(sub, f"{k:04d}.jpg"), encoded)
    return folder
