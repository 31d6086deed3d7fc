"""The model as every artifact runs it: auxiliary heads removed,
preprocessing and (for a logits model) a softmax inside the graph, float32
0-255 RGB pixels in and probabilities out; the BN-folded copy artifacts
are written from; and its inference call traced once as the
``tf.function`` the signatures and the Keras reference take.

Example:
    >>> import keras_inception
    >>> from keras_inception.deploy.wrapping import deployable
    >>> model = keras_inception.InceptionV1(input_shape=(32, 32, 3),
    ...                                     width_multiplier=0.25, classes=3)
    >>> deploy = deployable(model, "tf")
    >>> [layer.name for layer in deploy.layers[:2]], deploy.output_shape
    (['images', 'preprocessing'], (None, 3))
"""

from __future__ import annotations

import logging

import keras

logger = logging.getLogger("keras_inception")


def _output_activation(model):
    """The activation of the layer producing ``model.output``."""
    from keras_inception.models import registry
    layer = registry.unwrap(model).output._keras_history.operation
    return getattr(getattr(layer, "activation", None), "__name__", None)


def deployable(model, preprocessing):
    """The model as it is exported: float32 0-255 RGB images in (input
    ``images``), probabilities out.

    Auxiliary heads are removed (:func:`keras_inception.strip_aux`),
    ``preprocessing`` (a mode of ``preprocess_input``) is applied by a
    :class:`keras_inception.models.custom_layers.Preprocessing` layer, and a model ending
    in logits gets a softmax. Weights are shared with ``model``.
    """
    from keras_inception.models import builder
    from keras_inception.models.custom_layers import Preprocessing
    model = builder.strip_aux(model)
    if isinstance(model.output, (list, tuple, dict)) or \
            len(model.output.shape) != 2:
        raise ValueError("`model` must end in a classifier: one output of "
                         "shape (batch, classes); received output shape "
                         f"{getattr(model.output, 'shape', model.output)}.")
    shape = tuple(model.input_shape[1:])
    if len(shape) != 3 or shape[2] != 3 or shape[0] is None or \
            shape[0] != shape[1]:
        raise ValueError("`model` must take square RGB images of a fixed "
                         "size, input shape (S, S, 3); received "
                         f"{shape}. Rebuild it with input_shape=(S, S, 3).")
    images = keras.Input(shape, name="images", dtype="float32")
    outputs = model(Preprocessing(preprocessing, name="preprocessing")(
        images))
    if _output_activation(model) in (None, "linear"):
        outputs = keras.layers.Softmax(name="probabilities")(outputs)
    return keras.Model(images, outputs, name=f"{model.name}_deployable")


def folded(model):
    """The copy every artifact is written from: ``model`` with its batch
    normalisations folded into the convolutions
    (:func:`keras_inception.fold_batch_norm`), the same function with one
    pass over each activation less -- the SavedModel of the full-size
    Inception-v3 infers faster so (``keras-inception benchmark
    --runtimes``) -- or ``model`` itself when it is not a functional
    network that can be cloned (a subclassed model inside)."""
    from keras_inception.models.folding import fold_batch_norm
    try:
        return fold_batch_norm(model)
    except (TypeError, ValueError, NotImplementedError) as err:
        logger.info("export: batch normalisation left unfolded (%s)", err)
        return model


def core(model, image_size):
    """``model``'s inference call as one ``tf.function`` (traced once,
    shared by every signature and the Keras reference outputs)."""
    import tensorflow as tf
    return tf.function(lambda images: model(images, training=False),
                       input_signature=[tf.TensorSpec(
                           (None, image_size, image_size, 3), tf.float32,
                           name="images")])
