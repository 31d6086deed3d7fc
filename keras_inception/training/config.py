"""What a training run is: :class:`TrainConfig`, its checks and defaults.

Each field of :class:`TrainConfig` is a ``train`` flag; :meth:`TrainConfig.
validated` checks them all and fills the defaults that depend on the
dataset (:func:`keras_inception.data.catalog.is_embedded`: mild crops at 64 pixels for the embedded
``inception_shapes`` data, Inception crops at the model's size for real
images).

Example:
    >>> from keras_inception.training.config import TrainConfig
    >>> config = TrainConfig(model="inception_v1").validated()
    >>> config.image_size, config.augment, config.central_fraction
    (64, 'light', 1.0)
"""

from __future__ import annotations

import dataclasses
import os

from keras_inception.utils.checks import (check_bool, check_count,
                                         check_number, check_str)

PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")
# The embedded dataset's classes differ in scale (keras_inception.data.shapes.
# shapes), so its crops stay large and evaluation keeps the whole image.
_EMBEDDED_DEFAULTS = {"augment": "light", "min_crop_area": 0.75,
                      "central_fraction": 1.0, "image_size": 64}
_IMAGENET_DEFAULTS = {"augment": "inception", "min_crop_area": 0.08,
                      "central_fraction": 0.875}


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything :func:`~keras_inception.training.runner.train` needs;
    each field is a ``train`` flag.

    Attributes:
        model: registry name (``keras_inception.list_models()``).
        dataset: ``"default"`` (the embedded ``inception_shapes``), a TFDS
            name or a folder of class subfolders (:func:`keras_inception.
            data.load`).
        output: the run folder.
        epochs, batch_size: ``batch_size`` is global, split across replicas.
        image_size: input side; ``None``: 64 for the embedded data, else the
            model's default (299 for Inception-v3).
        width_multiplier: channel width factor (TF-slim's depth multiplier).
        block_counts: repeated blocks per stage, for the generations that
            repeat them (``get_model_info(model).block_stages``); ``None``:
            the paper's.
        aux_logits: train the auxiliary classifiers; ``None``: when the
            model has them.
        dropout_rate: ``None``: the paper's.
        recipe: ``"auto"`` (the paper's) or a name in
            ``keras_inception.training.RECIPES``.
        learning_rate, aux_weight, label_smoothing, warmup_epochs:
            override the recipe's (``None`` keeps it).
        strategy: ``auto``, ``one_device``, ``mirrored``, ``multi_worker``
            or ``tpu`` (:func:`keras_inception.distribute.get_strategy`).
        precision: ``float32``, ``mixed_float16`` or ``mixed_bfloat16``.
        jit_compile: XLA: ``"auto"``, ``True`` or ``False``.
        run_eagerly: run every step eagerly, nothing traced (Keras's
            ``compile(run_eagerly=True)``): for debugging, and faster for
            runs of a few steps, where tracing the graph costs more than
            the steps (a trial of a search on the tiny embedded data).
        steps_per_execution: training steps per ``tf.function`` call.
        seed: seeds weights, data order, augmentation and dropout.
        deterministic: deterministic TensorFlow ops too (slower), so a rerun
            -- or a killed and resumed run -- gives the same weights.
        data_dir: TFDS data folder (``None``: TFDS's default).
        validation_fraction: share of a folder (or of a TFDS dataset without
            a validation split) held out.
        augment, min_crop_area, central_fraction: the input pipeline's
            (``None``: the dataset's defaults; Inception crops for real
            images, mild crops and the whole image for the embedded data).
        cache: keep decoded images in memory after the first epoch.
        backup_every: also back up every this many steps (0: at epoch ends
            only).
        overwrite: delete an existing run in ``output`` first.
        verbose: Keras progress: 0 silent, 1 progress bar, 2 one line per
            epoch.
    """

    model: str = "inception_v3"
    dataset: str = "default"
    output: str = os.path.join("runs", "default")
    epochs: int = 10
    batch_size: int = 32
    image_size: int | None = None
    width_multiplier: float = 1.0
    block_counts: tuple | None = None
    aux_logits: bool | None = None
    dropout_rate: float | None = None
    recipe: str = "auto"
    learning_rate: float | None = None
    aux_weight: float | None = None
    label_smoothing: float | None = None
    warmup_epochs: float | None = None
    strategy: str = "auto"
    precision: str = "float32"
    jit_compile: bool | str = "auto"
    run_eagerly: bool = False
    steps_per_execution: int = 1
    seed: int = 0
    deterministic: bool = False
    data_dir: str | None = None
    validation_fraction: float = 0.1
    augment: str | None = None
    min_crop_area: float | None = None
    central_fraction: float | None = None
    cache: bool = False
    backup_every: int = 0
    overwrite: bool = False
    verbose: int = 1

    def validated(self):
        """Checks every field and fills the dataset-dependent defaults.

        Returns:
            A new config with ``image_size``, ``augment``,
            ``min_crop_area`` and ``central_fraction`` set.

        Raises:
            TypeError, ValueError: naming the field and what it allows.
        """
        from keras_inception.distribute import strategies as distribute
        from keras_inception.models import registry
        from keras_inception.training import recipes as training
        from keras_inception.models.builder import check_block_counts

        info = registry.get_model_info(self.model, "model")
        check_str(self.dataset, "dataset")
        check_str(self.output, "output")
        for arg in ("epochs", "batch_size", "steps_per_execution"):
            check_count(getattr(self, arg), arg)
        check_count(self.backup_every, "backup_every", 0)
        check_count(self.seed, "seed", 0)
        if self.image_size is not None:
            check_count(self.image_size, "image_size")
            if self.image_size < info.min_size:
                raise ValueError(
                    f"`image_size` must be at least {info.min_size} for "
                    f"{info.name}; received {self.image_size}.")
        check_number(self.width_multiplier, "width_multiplier")
        if self.width_multiplier <= 0:
            raise ValueError("`width_multiplier` must be > 0; received "
                             f"{self.width_multiplier}.")
        block_counts = (None if self.block_counts is None else
                        check_block_counts(self.block_counts, info))
        for arg in ("aux_logits",):
            value = getattr(self, arg)
            if value is not None and not isinstance(value, bool):
                raise TypeError(f"`{arg}` must be True, False or None; "
                                f"received {value!r}.")
        if self.aux_logits and not info.aux:
            raise ValueError(f"`aux_logits=True`: {info.name} has no "
                             "auxiliary classifier.")
        for arg in ("deterministic", "cache", "overwrite", "run_eagerly"):
            check_bool(getattr(self, arg), arg)
        if not (isinstance(self.recipe, str) and
                (self.recipe == "auto" or self.recipe in training.RECIPES)):
            raise ValueError(f"`recipe` must be 'auto' or one of "
                             f"{sorted(training.RECIPES)}; received "
                             f"{self.recipe!r}.")
        for arg in ("learning_rate", "aux_weight", "label_smoothing",
                    "warmup_epochs", "dropout_rate"):
            value = getattr(self, arg)
            if value is not None:
                check_number(value, arg)
                if value < 0 or (arg == "learning_rate" and value == 0):
                    raise ValueError(f"`{arg}` must be "
                                     f"{'> 0' if arg == 'learning_rate' else '>= 0'}"
                                     f"; received {value}.")
        if self.strategy not in distribute.STRATEGIES:
            raise ValueError(f"`strategy` must be one of "
                             f"{distribute.STRATEGIES}; received "
                             f"{self.strategy!r}.")
        if self.precision not in PRECISIONS:
            raise ValueError(f"`precision` must be one of {PRECISIONS}; "
                             f"received {self.precision!r}.")
        if not (self.jit_compile == "auto" or
                isinstance(self.jit_compile, bool)):
            raise ValueError("`jit_compile` must be 'auto', True or False; "
                             f"received {self.jit_compile!r}.")
        if self.verbose not in (0, 1, 2):
            raise ValueError("`verbose` must be 0, 1 or 2; received "
                             f"{self.verbose!r}.")
        from keras_inception.data.catalog import check_dataset, is_embedded

        check_dataset(self.dataset)   # a missing folder, before any work

        defaults = (_EMBEDDED_DEFAULTS if is_embedded(self.dataset)
                    else {**_IMAGENET_DEFAULTS,
                          "image_size": info.default_size})
        filled = {k: v for k, v in defaults.items()
                  if getattr(self, k) is None}
        if block_counts is not None:
            filled["block_counts"] = list(block_counts)
        if "image_size" in filled:
            filled["image_size"] = max(filled["image_size"], info.min_size)
        validated = dataclasses.replace(self, **filled)
        from keras_inception.data.pipeline import check_pipeline_options
        check_pipeline_options(**{k: getattr(validated, k) for k in (
            "validation_fraction", "seed", "augment", "min_crop_area",
            "central_fraction")})
        return validated

    def identity(self):
        """The fields that define what is trained: a run may resume only
        with the same identity."""
        skip = ("output", "overwrite", "verbose", "data_dir", "strategy",
                "jit_compile", "steps_per_execution", "cache", "run_eagerly")
        return {k: v for k, v in dataclasses.asdict(self).items()
                if k not in skip}
