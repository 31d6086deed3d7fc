"""Compile recipes of the Inception papers: optimizer, schedule and losses.

Each recipe is a frozen :class:`Recipe` in :data:`RECIPES` whose numbers
cite their source; :func:`default_recipe` names a generation's paper's.
:func:`keras_inception.training.compiling.compile_for_training` compiles a
model with one of them.

Sources:
    * Going Deeper (Szegedy et al., 2014), GoogLeNet: Section 5 (auxiliary
      classifiers), Section 6 (training methodology).
    * Batch Normalization (Ioffe & Szegedy, 2015), BN-Inception:
      Sections 4.2.1 and 4.2.2.
    * Rethinking the Inception Architecture (Szegedy et al., 2015),
      Inception-v2/v3: Section 7 (label smoothing), Section 8 (training).
    * Inception-v4, Inception-ResNet (Szegedy et al., 2016): Section 4.
    * TF-slim's ``train_image_classifier.py`` (tensorflow/models,
      research/slim), where a paper leaves a number out.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

import keras

from keras_inception.models import registry
from keras_inception.utils.checks import (check_count, check_in_range,
                                         check_non_negative, check_positive)

_OPTIMIZERS = ("sgd", "rmsprop", "adamw")
_SCHEDULES = ("exponential", "cosine")
# Never decayed by the modern recipes' weight decay (timm and most
# ImageNet recipes leave normalisation parameters and biases undecayed).
_NO_DECAY = ("gamma", "beta", "bias")


@dataclasses.dataclass(frozen=True)
class Recipe:
    """A training recipe: optimizer, learning-rate schedule and losses.

    Attributes:
        name: the key in :data:`RECIPES`.
        optimizer: ``"sgd"``, ``"rmsprop"`` or ``"adamw"``.
        learning_rate: the initial (or, after warm-up, the peak) rate.
        schedule: ``"exponential"`` (``keras.optimizers.schedules.
            ExponentialDecay``, multiplied by ``decay_rate`` every
            ``decay_epochs``) or ``"cosine"`` (``CosineDecay`` to zero at
            ``epochs``, after a linear warm-up of ``warmup_epochs``).
        decay_rate, decay_epochs, staircase: the exponential schedule.
        warmup_epochs, epochs: the cosine schedule.
        momentum, nesterov: SGD and RMSProp momentum.
        rho, epsilon: RMSProp's decay and epsilon (Keras adds epsilon under
            the square root, as TensorFlow 1's ``RMSPropOptimizer`` that the
            papers used did, so 1.0 means the same here); ``epsilon`` is
            AdamW's too, and ``None`` keeps the Keras default.
        weight_decay: decoupled weight decay of the Keras optimizer, or
            ``None``. The papers give none (TF-slim regularised kernels with
            L2 instead, which these models do not carry).
        global_clipnorm: clip gradients to this global norm, or ``None``.
        label_smoothing: the smoothing of the targets (Rethinking, Sec. 7).
        aux_weight: the loss weight of each auxiliary classifier.
        source: where the numbers come from.
    """

    name: str
    optimizer: str
    learning_rate: float
    schedule: str = "exponential"
    decay_rate: float = 1.0
    decay_epochs: float = 1.0
    staircase: bool = True
    warmup_epochs: float = 0.0
    epochs: Optional[int] = None
    momentum: float = 0.0
    nesterov: bool = False
    rho: float = 0.9
    epsilon: Optional[float] = None
    weight_decay: Optional[float] = None
    global_clipnorm: Optional[float] = None
    label_smoothing: float = 0.0
    aux_weight: float = 0.0
    source: str = ""

    def __post_init__(self):
        if self.optimizer not in _OPTIMIZERS:
            raise ValueError(f"`optimizer` must be one of {_OPTIMIZERS}; "
                             f"received {self.optimizer!r}.")
        if self.schedule not in _SCHEDULES:
            raise ValueError(f"`schedule` must be one of {_SCHEDULES}; "
                             f"received {self.schedule!r}.")
        check_positive(self.learning_rate, "learning_rate")
        check_positive(self.decay_epochs, "decay_epochs")
        check_positive(self.decay_rate, "decay_rate")
        check_in_range(self.decay_rate, "decay_rate", 0, 1, closed=True)
        check_in_range(self.momentum, "momentum", 0, 1)
        check_in_range(self.rho, "rho", 0, 1)
        for arg in ("epsilon", "global_clipnorm"):
            if getattr(self, arg) is not None:
                check_positive(getattr(self, arg), arg)
        if self.weight_decay is not None:
            check_non_negative(self.weight_decay, "weight_decay")
        check_in_range(self.label_smoothing, "label_smoothing", 0, 1)
        check_non_negative(self.aux_weight, "aux_weight")
        check_non_negative(self.warmup_epochs, "warmup_epochs")
        if self.epochs is not None:
            check_count(self.epochs, "epochs")
            if self.warmup_epochs >= self.epochs:
                raise ValueError(
                    f"`warmup_epochs` must be below `epochs`; received "
                    f"warmup_epochs={self.warmup_epochs}, "
                    f"epochs={self.epochs}.")

    def build_schedule(self, steps_per_epoch, *, learning_rate=None,
                       epochs=None):
        """The Keras learning-rate schedule for ``steps_per_epoch``.

        Args:
            steps_per_epoch: optimizer steps in one epoch (a positive int).
            learning_rate: overrides :attr:`learning_rate`.
            epochs: overrides :attr:`epochs` (cosine schedule only).

        Returns:
            A ``keras.optimizers.schedules.LearningRateSchedule``.

        Example:
            >>> from keras_inception.training import RECIPES
            >>> s = RECIPES["rmsprop"].build_schedule(100)
            >>> round(float(s(200)), 5)   # 0.045 * 0.94 after two epochs
            0.0423
        """
        check_count(steps_per_epoch, "steps_per_epoch")
        lr = self.learning_rate if learning_rate is None else learning_rate
        check_positive(lr, "learning_rate")
        schedules = keras.optimizers.schedules
        if self.schedule == "exponential":
            return schedules.ExponentialDecay(
                initial_learning_rate=float(lr),
                decay_steps=float(self.decay_epochs * steps_per_epoch),
                decay_rate=float(self.decay_rate), staircase=self.staircase)
        epochs = self.epochs if epochs is None else epochs
        if epochs is None:
            raise ValueError(f"Recipe {self.name!r} decays over the whole "
                             "run: pass `epochs` (a positive integer).")
        check_count(epochs, "epochs")
        if self.warmup_epochs >= epochs:
            raise ValueError(f"`epochs` must exceed the recipe's "
                             f"{self.warmup_epochs} warm-up epochs; "
                             f"received epochs={epochs}.")
        warmup_steps = int(round(self.warmup_epochs * steps_per_epoch))
        decay_steps = epochs * steps_per_epoch - warmup_steps
        if warmup_steps:
            return schedules.CosineDecay(
                initial_learning_rate=0.0, decay_steps=decay_steps,
                warmup_target=float(lr), warmup_steps=warmup_steps)
        return schedules.CosineDecay(initial_learning_rate=float(lr),
                                     decay_steps=decay_steps)

    def build_optimizer(self, steps_per_epoch, *, learning_rate=None,
                        epochs=None):
        """A fresh Keras optimizer with :meth:`build_schedule`'s schedule.

        Example:
            >>> from keras_inception.training import RECIPES
            >>> opt = RECIPES["rmsprop"].build_optimizer(100)
            >>> type(opt).__name__, opt.rho, opt.epsilon, opt.global_clipnorm
            ('RMSprop', 0.9, 1.0, 2.0)
        """
        schedule = self.build_schedule(steps_per_epoch,
                                       learning_rate=learning_rate,
                                       epochs=epochs)
        common = dict(learning_rate=schedule,
                      weight_decay=self.weight_decay,
                      global_clipnorm=self.global_clipnorm)
        if self.epsilon is not None and self.optimizer != "sgd":
            common["epsilon"] = self.epsilon
        if self.optimizer == "sgd":
            opt = keras.optimizers.SGD(momentum=self.momentum,
                                       nesterov=self.nesterov, **common)
        elif self.optimizer == "rmsprop":
            opt = keras.optimizers.RMSprop(rho=self.rho,
                                           momentum=self.momentum, **common)
        else:
            opt = keras.optimizers.AdamW(**common)
        if self.weight_decay:
            # Not part of the optimizer's config: a reloaded optimizer
            # decays every variable.
            opt.exclude_from_weight_decay(var_names=list(_NO_DECAY))
        return opt


RECIPES = {
    # GoogLeNet, Going Deeper with Convolutions.
    "googlenet": Recipe(
        name="googlenet",
        optimizer="sgd",
        momentum=0.9,           # Sec. 6: "asynchronous SGD with 0.9 momentum"
        # Not published (Sec. 6 gives only the decay); 0.01 is our choice
        # (also TF-slim's default --learning_rate).
        learning_rate=0.01,
        schedule="exponential",
        decay_rate=0.96,        # Sec. 6: "decreasing the learning rate by 4%
        decay_epochs=8,         #          every 8 epochs"
        staircase=True,
        aux_weight=0.3,         # Sec. 5: aux losses "weighted by 0.3"
        label_smoothing=0.0,    # predates label smoothing
        source="Going Deeper with Convolutions, Sections 5 and 6"),
    # BN-Inception, Batch Normalization paper. Its Inception baseline is
    # GoogLeNet's training (SGD with momentum, exponential decay); the BN
    # network changes it as Sec. 4.2.1 lists.
    "bn_inception": Recipe(
        name="bn_inception",
        optimizer="sgd",
        momentum=0.9,           # Sec. 4.2: "SGD with momentum"; value not
                                # published, 0.9 as Going Deeper Sec. 6
        learning_rate=0.045,    # Sec. 4.2.2: BN-x30, 30 x Inception's 0.0015
                                # (the best of the paper's BN networks)
        schedule="exponential",
        decay_rate=0.96,        # Going Deeper Sec. 6 ...
        decay_epochs=8 / 6,     # ... "6 times faster" (BN Sec. 4.2.1)
        staircase=True,
        aux_weight=0.0,         # BN-Inception has no auxiliary classifier
        label_smoothing=0.0,    # predates label smoothing
        source="Batch Normalization, Sections 4.2.1 and 4.2.2; Going "
               "Deeper, Section 6"),
    # Inception-v2/v3 (Rethinking) and Inception-v4 / Inception-ResNet.
    "rmsprop": Recipe(
        name="rmsprop",
        optimizer="rmsprop",
        rho=0.9,                # Rethinking Sec. 8, v4 Sec. 4: "RMSProp with
        epsilon=1.0,            #   decay of 0.9 and epsilon = 1.0"
        momentum=0.9,           # not in the papers: TF-slim's
                                # --rmsprop_momentum default
        learning_rate=0.045,    # Rethinking Sec. 8, v4 Sec. 4: "learning rate
        schedule="exponential", #   of 0.045, decayed every two epochs using
        decay_rate=0.94,        #   an exponential rate of 0.94"
        decay_epochs=2,
        staircase=True,
        global_clipnorm=2.0,    # Rethinking Sec. 8: "gradient clipping with
                                #   threshold 2.0"
        label_smoothing=0.1,    # Rethinking Sec. 7: epsilon = 0.1
        aux_weight=0.4,         # not in the paper: TF-slim's
                                # train_image_classifier weights AuxLogits 0.4
        source="Rethinking the Inception Architecture, Sections 7 and 8; "
               "Inception-v4, Section 4; TF-slim train_image_classifier"),
    # Not from the papers: a current large-batch ImageNet recipe.
    "modern": Recipe(
        name="modern",
        optimizer="sgd",
        momentum=0.9,
        nesterov=True,
        learning_rate=0.1,      # Goyal et al. 2017: 0.1 x batch / 256
        schedule="cosine",      # Loshchilov & Hutter 2017 (SGDR), no restarts
        warmup_epochs=5,        # Goyal et al. 2017: 5-epoch linear warm-up
        epochs=100,             # Rethinking Sec. 8 trains 100 epochs
        # Keras applies weight decay decoupled (w -= lr*wd*w), outside the
        # momentum: 4e-4 matches a coupled L2 of 4e-5 (TF-slim's Inception
        # weight_decay) under momentum 0.9, i.e. 4e-5 / (1 - 0.9).
        weight_decay=4e-4,
        label_smoothing=0.1,    # Rethinking Sec. 7
        aux_weight=0.4,         # as "rmsprop"
        source="not from the papers: Goyal et al. 2017 (linear scaling, "
               "warm-up), SGDR cosine decay, Nesterov momentum"),
    "modern_adamw": Recipe(
        name="modern_adamw",
        optimizer="adamw",
        learning_rate=1e-3,     # DeiT: 5e-4 x batch / 512 (1e-3 at 1024)
        schedule="cosine",
        warmup_epochs=5,        # DeiT, Goyal et al. 2017
        epochs=100,
        weight_decay=0.05,      # DeiT / timm, PyTorch's lr*wd convention
        label_smoothing=0.1,    # Rethinking Sec. 7
        aux_weight=0.4,
        source="not from the papers: AdamW (Loshchilov & Hutter 2019) with "
               "DeiT's learning rate and weight decay, cosine decay"),
}

# Which recipe trains which generation (registry names).
_DEFAULTS = {"inception_v1": "googlenet", "bn_inception": "bn_inception"}


def default_recipe(model_name):
    """The recipe of a generation's paper.

    ``inception_v1`` trains with ``"googlenet"``, ``bn_inception`` with
    ``"bn_inception"`` (the BN paper accelerates GoogLeNet's SGD: 30x the
    learning rate, decay 6x faster; Sec. 4.2.1), every later generation
    with ``"rmsprop"`` (Rethinking Sec. 8, Inception-v4 Sec. 4).

    Args:
        model_name: a registry name or builder name (``"InceptionV3"``).

    Returns:
        The :class:`Recipe`.

    Example:
        >>> from keras_inception.training import default_recipe
        >>> [default_recipe(n).name for n in ("inception_v1", "InceptionV4")]
        ['googlenet', 'rmsprop']
    """
    key = registry.get_model_info(model_name).generation
    return RECIPES[_DEFAULTS.get(key, "rmsprop")]
