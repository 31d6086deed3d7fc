"""The run folder: its files, its checks, and the model rebuilt from it.

A run folder holds::

    run_config.json     what was trained (rebuilds the model for evaluate/export)
    best.weights.h5     weights of the best validation top-1
    last.weights.h5     weights after the last epoch
    history.csv         per-epoch metrics (CSVLogger)
    curves.png          loss and accuracy curves, train and validation
    summary.json        final figures: accuracy, time, images/s
    logs/               TensorBoard
    backup/             the resume point while the run is unfinished

Under ``MultiWorkerMirroredStrategy`` every worker trains; the chief writes
the run folder and the other workers keep their own backups and logs in
``workers/<task>-<index>/`` (each restores from its own copy).

:func:`prepare_output` checks a folder before a run starts,
:func:`write_run_config` records what is trained, :func:`model_for_config`
and :func:`recipe_of` turn a :class:`~keras_inception.training.config.
TrainConfig` into its model and recipe, and :func:`load_run` rebuilds a
finished run's model with its weights.

Example:
    >>> from keras_inception.training.config import TrainConfig
    >>> recipe = recipe_of(TrainConfig(model="inception_v3", warmup_epochs=2))
    >>> recipe.name, recipe.warmup_epochs
    ('rmsprop', 2)
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil

from keras_inception.utils import atomic as _io

RUN_CONFIG = "run_config.json"
SUMMARY = "summary.json"
HISTORY = "history.csv"
CURVES = "curves.png"
BEST = "best.weights.h5"
LAST = "last.weights.h5"
BACKUP = "backup"
LOGS = "logs"
WORKERS = "workers"
# What --overwrite may delete: only what a run writes.
_RUN_FILES = (RUN_CONFIG, SUMMARY, HISTORY, CURVES, BEST, LAST, BACKUP, LOGS,
              WORKERS)


def prepare_output(config, run_dir, chief):
    """Checks ``output`` before anything is trained; returns the saved
    summary when the run is already complete, else ``None``."""
    if os.path.exists(run_dir) and not os.path.isdir(run_dir):
        raise ValueError(f"`output` {run_dir!r} is a file, not a folder.")
    saved = _io.read_json(os.path.join(config.output, RUN_CONFIG))
    if chief and os.path.isdir(config.output) and config.overwrite:
        for name in _RUN_FILES:
            path = os.path.join(config.output, name)
            if os.path.isdir(path):
                shutil.rmtree(path)
            elif os.path.exists(path):
                os.remove(path)
        return None
    if saved is None:
        if chief and os.path.isdir(config.output) and \
                os.listdir(config.output):
            raise ValueError(
                f"`output` {config.output!r} exists and is not a "
                "keras-inception run folder; choose an empty or new one.")
        return None
    if saved.get("identity") != _jsonable(config.identity()):
        changed = sorted(
            k for k in config.identity()
            if _jsonable(config.identity()).get(k)
            != saved.get("identity", {}).get(k))
        raise ValueError(
            f"`output` {config.output!r} holds a run with other settings "
            f"({', '.join(changed)} differ); resume it with the same "
            "arguments, choose another output, or pass overwrite=True "
            "(--overwrite).")
    return _io.read_json(os.path.join(config.output, SUMMARY))


def _jsonable(obj):
    return json.loads(json.dumps(obj))


def write_run_config(config, model_kwargs, class_names, preprocessing,
                     source):
    """Writes ``<output>/run_config.json``: what the run trains, which
    :func:`model_from_run` rebuilds and a resumed run must match."""
    _io.write_json(os.path.join(config.output, RUN_CONFIG), {
        "identity": _jsonable(config.identity()),
        "config": _jsonable(dataclasses.asdict(config)),
        "model_kwargs": _jsonable(model_kwargs),
        "class_names": list(class_names),
        "preprocessing": preprocessing,
        "source": source,
    })


def model_for_config(config, classes):
    """A fresh model of a validated :class:`~keras_inception.training.
    config.TrainConfig` with ``classes`` outputs.

    Returns:
        ``(model, kwargs)``: the model and the ``get_model`` arguments that
        rebuild it (recorded in ``run_config.json``).
    """
    from keras_inception.models import registry
    info = registry.get_model_info(config.model)
    kwargs = {"weights": None, "classes": classes,
              "input_shape": (config.image_size, config.image_size, 3),
              "width_multiplier": config.width_multiplier,
              "classifier_activation": "softmax"}
    if info.aux:
        kwargs["aux_logits"] = (bool(info.aux) if config.aux_logits is None
                                else config.aux_logits)
    if config.dropout_rate is not None:
        kwargs["dropout_rate"] = config.dropout_rate
    if config.block_counts is not None:
        kwargs["block_counts"] = list(config.block_counts)
    return registry.get_model(info.name, **kwargs), kwargs


def model_from_run(run_dir, weights=None, argument="checkpoint"):
    """Rebuilds the model of a run folder and loads its weights.

    Args:
        run_dir: a folder written by :func:`train`.
        weights: a weights file; ``None``: the run's best, else its last.
        argument: the name errors give the run (``"artifact"`` for
            ``predict``).

    Returns:
        ``(model, run_config)``.
    """
    from keras_inception.models import registry
    from keras_inception.models.weights import load_weights
    saved = _read_run_config(run_dir, argument)
    if saved is None:
        raise ValueError(f"`{argument}` {run_dir!r} is not a run folder "
                         f"(no {RUN_CONFIG}).")
    kwargs = dict(saved["model_kwargs"])
    kwargs["input_shape"] = tuple(kwargs["input_shape"])
    model = registry.get_model(saved["config"]["model"], **kwargs)
    if weights is None:
        weights = run_weights(run_dir)
    load_weights(model, weights, argument)   # checked layer by layer first
    return model, saved


def _read_run_config(run_dir, argument):
    try:
        saved = _io.read_json(os.path.join(run_dir, RUN_CONFIG))
    except (ValueError, UnicodeDecodeError):
        saved = "damaged"
    if saved is not None and not (isinstance(saved, dict) and {
            "config", "model_kwargs"} <= saved.keys()):
        raise ValueError(f"`{argument}` {run_dir!r}: its {RUN_CONFIG} is "
                         "damaged (not the JSON a training run writes).")
    return saved


def load_run(checkpoint, weights=None, argument="checkpoint"):
    """Rebuilds the model of a run folder, or of a weights file in one.

    Args:
        checkpoint: a run folder (its best weights, else its last) or a
            weights file inside one.
        weights: a weights file to load instead (ignored when
            ``checkpoint`` is a file).
        argument: the name errors give ``checkpoint``.

    Returns:
        ``(model, run_config, run_dir, weights_file)``.
    """
    from keras_inception.utils.files import check_model_file

    if not isinstance(checkpoint, (str, os.PathLike)):
        raise TypeError(f"`{argument}` must be a run folder or a weights "
                        f"file; received {checkpoint!r}.")
    checkpoint = os.fspath(checkpoint)
    if os.path.isfile(checkpoint):
        # The file is judged as a file first: a truncated weights file
        # says so, wherever it lies.
        check_model_file(checkpoint, argument, "weights")
        run_dir, weights = os.path.dirname(checkpoint) or ".", checkpoint
        if not os.path.isfile(os.path.join(run_dir, RUN_CONFIG)):
            raise ValueError(
                f"`{argument}` {checkpoint!r} is a weights file outside a "
                f"training run (no {RUN_CONFIG} beside it), so the model it "
                "belongs to is unknown; give its run folder, or export it "
                "with --model NAME --weights FILE.")
    elif os.path.isdir(checkpoint):
        run_dir = checkpoint
    else:
        raise ValueError(f"`{argument}` {checkpoint!r} does not exist.")
    model, saved = model_from_run(run_dir, weights, argument)
    return model, saved, run_dir, weights or run_weights(run_dir)


def run_weights(run_dir):
    """The weights file a run folder stands for: its best, else its
    last."""
    for name in (BEST, LAST):
        if os.path.exists(os.path.join(run_dir, name)):
            return os.path.join(run_dir, name)
    raise ValueError(f"`checkpoint` {run_dir!r} holds no weights yet "
                     f"({BEST} or {LAST}).")


def recipe_of(config):
    """The :class:`~keras_inception.training.Recipe` a config trains with:
    its ``recipe`` (``"auto"``: the model's paper's) with its
    ``warmup_epochs`` when set."""
    from keras_inception.training import recipes as training
    recipe = (training.default_recipe(config.model) if config.recipe == "auto"
              else training.RECIPES[config.recipe])
    if config.warmup_epochs is not None:
        recipe = dataclasses.replace(recipe,
                                     warmup_epochs=config.warmup_epochs)
    return recipe
