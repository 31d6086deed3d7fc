"""Compiling a model of this package with a recipe, and its targets.

:func:`compile_for_training` compiles a model built by this package with a
:class:`~keras_inception.training.recipes.Recipe`: the optimizer and
learning-rate schedule (Keras's own), sparse categorical cross-entropy on
every output (:mod:`keras_inception.training.losses`), the auxiliary
classifiers weighted as the papers weight them, and top-1/top-5 accuracy on
``predictions``. :func:`targets_for` turns integer labels into the targets
``fit`` expects from such a model.
"""

from __future__ import annotations

import keras

from keras_inception.models import registry
from keras_inception.training.losses import sparse_crossentropy
from keras_inception.training.recipes import RECIPES, Recipe, default_recipe
from keras_inception.utils.checks import (check_count, check_in_range,
                                         check_non_negative, check_positive)


def targets_for(model, labels):
    """The targets ``fit`` expects from integer labels: a dict with the same
    labels for every output of a model with auxiliary heads, else the labels.

    Args:
        model: the model to train.
        labels: integer class ids (array, tensor or dataset element).

    Example:
        >>> import keras
        >>> x = keras.Input((4,))
        >>> m = keras.Model(x, {"predictions": keras.layers.Dense(3)(x),
        ...                     "aux": keras.layers.Dense(3)(x)})
        >>> targets_for(m, [0, 2])
        {'predictions': [0, 2], 'aux': [0, 2]}

        In a ``tf.data`` pipeline:
        ``ds.map(lambda x, y: (x, targets_for(model, y)))``.
    """
    if isinstance(model.output, dict):
        return {key: labels for key in model.output}
    return labels


def compile_for_training(model, recipe="auto", *, steps_per_epoch,
                         aux_weight=None, label_smoothing=None,
                         learning_rate=None, epochs=None, jit_compile="auto",
                         steps_per_execution=1, run_eagerly=False,
                         model_name=None):
    """Compile a model built by this package with a paper's recipe.

    Builds the recipe's optimizer and schedule, sparse categorical
    cross-entropy on every output (labels are integer class ids) and
    top-1/top-5 accuracy on ``predictions`` (logged as ``top1``/``top5``,
    or ``predictions_top1``/``predictions_top5`` with aux heads). A model
    built with ``aux_logits=True`` gets ``loss`` and ``loss_weights`` dicts
    keyed by output name: 1.0 for ``predictions``, ``aux_weight`` for each
    auxiliary head (Keras then logs each unweighted loss as
    ``<output>_loss`` and their weighted sum as ``loss``); its targets are a
    dict too (:func:`targets_for`). A model without auxiliary heads ignores
    ``aux_weight``, whatever its value. ``from_logits`` follows the
    classifier: softmax outputs are probabilities, a model built with
    ``classifier_activation=None`` outputs logits.

    The papers' learning rates go with their batch sizes (32 per replica,
    many replicas); scale ``learning_rate`` with yours.

    Args:
        model: a ``keras.Model`` from this package with its classifier
            (``include_top=True``, ``classifier_activation`` "softmax" or
            ``None``).
        recipe: ``"auto"`` (the paper's: :func:`default_recipe`), a name in
            :data:`RECIPES`, or a :class:`Recipe`.
        steps_per_epoch: optimizer steps per epoch; schedules are in epochs.
        aux_weight: loss weight of each auxiliary head (>= 0); ``None``:
            the recipe's.
        label_smoothing: in [0, 1); ``None``: the recipe's.
        learning_rate: initial (peak) learning rate; ``None``: the recipe's.
        epochs: length of the run for schedules that need it (cosine);
            ``None``: the recipe's.
        jit_compile, steps_per_execution, run_eagerly: passed to
            ``model.compile``.
        model_name: registry name of the architecture, used by
            ``recipe="auto"``; ``None``: read from the model's input layer
            (``<name>_input``, as the builders name it).

    Returns:
        The model, compiled.

    Raises:
        TypeError, ValueError: naming the bad argument and what it allows.

    Example:
        >>> import keras_inception
        >>> from keras_inception.training import compile_for_training
        >>> m = keras_inception.InceptionV1(aux_logits=True,
        ...                                 input_shape=(32, 32, 3),
        ...                                 classes=3, width_multiplier=0.25)
        >>> m = compile_for_training(m, steps_per_epoch=100)
        >>> opt = m.optimizer
        >>> type(opt).__name__, round(float(opt.learning_rate), 6)
        ('SGD', 0.01)
        >>> _ = opt.iterations.assign(800)   # 8 epochs: 4% less
        >>> round(float(opt.learning_rate), 6)
        0.0096
    """
    if not isinstance(model, keras.Model):
        raise TypeError("`model` must be a keras.Model built by "
                        f"keras_inception; received {type(model).__name__}.")
    check_count(steps_per_epoch, "steps_per_epoch")
    if aux_weight is not None:
        check_non_negative(aux_weight, "aux_weight")
    if label_smoothing is not None:
        check_in_range(label_smoothing, "label_smoothing", 0, 1)
    if learning_rate is not None:
        check_positive(learning_rate, "learning_rate")
    if epochs is not None:
        check_count(epochs, "epochs")
    if not (jit_compile == "auto" or isinstance(jit_compile, bool)):
        raise ValueError("`jit_compile` must be 'auto', True or False; "
                         f"received {jit_compile!r}.")
    check_count(steps_per_execution, "steps_per_execution")
    if not isinstance(run_eagerly, bool):
        raise TypeError("`run_eagerly` must be True or False; received "
                        f"{run_eagerly!r}.")
    recipe = _resolve_recipe(recipe, model, model_name)
    if aux_weight is None:
        aux_weight = recipe.aux_weight
    if label_smoothing is None:
        label_smoothing = recipe.label_smoothing

    heads = _classifier_layers(model)
    from_logits = _from_logits(heads)
    optimizer = recipe.build_optimizer(steps_per_epoch,
                                       learning_rate=learning_rate,
                                       epochs=epochs)

    def loss():
        return sparse_crossentropy(label_smoothing=label_smoothing,
                                   from_logits=from_logits)

    def metrics():
        return [keras.metrics.SparseCategoricalAccuracy(name="top1"),
                keras.metrics.SparseTopKCategoricalAccuracy(
                    k=5, name="top5")]

    if isinstance(model.output, dict):
        losses = {key: loss() for key in model.output}
        loss_weights = {key: 1.0 if key == "predictions"
                        else float(aux_weight) for key in model.output}
        compiled_metrics = {"predictions": metrics()}
    else:
        losses, loss_weights, compiled_metrics = loss(), None, metrics()
    model.compile(optimizer=optimizer, loss=losses, loss_weights=loss_weights,
                  metrics=compiled_metrics, jit_compile=jit_compile,
                  steps_per_execution=steps_per_execution,
                  run_eagerly=run_eagerly)
    return model


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------
def _resolve_recipe(recipe, model, model_name):
    if isinstance(recipe, Recipe):
        return recipe
    if not isinstance(recipe, str):
        raise TypeError("`recipe` must be 'auto', a name in "
                        f"{sorted(RECIPES)} or a Recipe; received "
                        f"{type(recipe).__name__}.")
    if recipe != "auto":
        if recipe not in RECIPES:
            raise ValueError(f"Unknown `recipe` {recipe!r}; `recipe` must be "
                             f"'auto' or one of {sorted(RECIPES)}.")
        return RECIPES[recipe]
    if model_name is None:
        model_name = registry.architecture_of(model)
        if model_name is None:
            raise ValueError(
                "`recipe='auto'` needs the architecture: pass `model_name` "
                f"(one of {registry.list_models()}) or a `recipe` (one of "
                f"{sorted(RECIPES)}); this model's input layer does not "
                "name it.")
    elif not isinstance(model_name, str):
        raise TypeError(f"`model_name` must be one of "
                        f"{registry.list_models()}; received {model_name!r}.")
    try:
        return default_recipe(model_name)
    except ValueError:
        raise ValueError(f"Unknown `model_name` {model_name!r}; it must be "
                         f"one of {registry.list_models()}.") from None


def _producer(tensor, key):
    """The layer producing ``tensor``, looking inside nested models (a
    model built with ``input_tensor`` wraps the network as one layer)."""
    layer = tensor._keras_history.operation
    while isinstance(layer, keras.Model):
        out = layer.output
        tensor = out[key] if isinstance(out, dict) else out
        layer = tensor._keras_history.operation
    return layer


def _classifier_layers(model):
    outputs = model.output
    if not isinstance(outputs, dict):
        outputs = {"predictions": outputs}
    heads = {key: _producer(t, key) for key, t in outputs.items()}
    bad = [k for k, layer in heads.items()
           if not isinstance(layer, keras.layers.Dense)
           or len(outputs[k].shape) != 2]
    if bad or "predictions" not in heads:
        raise ValueError(
            "`model` must end in its classifier (built with "
            "`include_top=True`); its output comes from "
            f"{[type(h).__name__ for h in heads.values()]}.")
    return heads


def _from_logits(heads):
    activations = {keras.activations.serialize(layer.activation)
                   for layer in heads.values()}
    if activations == {"softmax"}:
        return False
    if activations == {"linear"}:
        return True
    raise ValueError("The classifier's activation must be 'softmax' or None "
                     "(logits) for a cross-entropy loss; the model was built "
                     f"with `classifier_activation` {sorted(activations)}.")
