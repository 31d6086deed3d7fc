"""The one generic loader: PyTorch tensors into a built Keras model, by table.

A :class:`Mapping` (one per source architecture, see
:mod:`keras_inception.convert.timm`) lists :class:`Unit` rows, each a
PyTorch module and the layer of ours it becomes:

- ``"conv_bn"``: ``{source}.conv`` and ``{source}.bn`` (timm's
  ``ConvNormAct``, torchvision's ``BasicConv2d``; other patterns, such as the
  Caffe port's ``{source}`` and ``{source}_bn``, are the mapping's
  ``conv_key``/``bn_key``) into ``{target}_conv`` and ``{target}_bn``, our
  :func:`~keras_inception.models.layers.conv_bn`;
- ``"conv"``: a convolution with bias (the Inception-ResNet up-projection);
- ``"linear"``: a classifier.

What the layouts need:

- kernels: PyTorch ``(out, in, kh, kw)`` to Keras ``(kh, kw, in, out)``;
  dense ``(out, in)`` to ``(in, out)``;
- BatchNorm: PyTorch's is affine (gamma and beta) with the epsilon the
  mapping states (a state dict does not carry it). Into a Keras BN with a
  scale, gamma is copied and the epsilon difference moved into the
  variance. Into one without (the released TensorFlow networks, our
  default), gamma is folded into the variance, ``var' = (var + eps) /
  gamma**2 - eps_keras``, which is exact; a negative gamma also flips the
  sign of its channel in the convolution before it and in the mean;
- classifiers with one row more than the model's classes (TF-slim's
  checkpoints, ported to PyTorch, keep a background class first) lose that
  first row.

Everything is checked before anything is assigned (the names even before a
model is built, :func:`check_names`): a missing, extra or
misshapen tensor, or a layer of the model that no row fills, raises one
``ValueError`` naming the first offending tensor or layer; a checkpoint of
another architecture is recognised as such. The model is never left half
converted.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

import numpy as np

KINDS = ("conv_bn", "conv", "linear")


@dataclasses.dataclass(frozen=True)
class Unit:
    """One row: PyTorch module ``source`` becomes our layer ``target``.
    ``head`` rows (classifiers) are skipped when the model was built
    without that layer (``include_top=False``, no auxiliary heads)."""

    kind: str
    source: str
    target: str
    head: bool = False


@dataclasses.dataclass(frozen=True)
class Mapping:
    """A source architecture's table: ``source`` library, its model
    ``name``, the registry ``model`` of ours that reproduces it, the
    ``units``, the epsilon of its BatchNorm layers, how a conv-BN unit's
    two modules are named from its ``source`` (``conv_key``, ``bn_key``)
    and whether those convolutions have a bias."""

    source: str
    name: str
    model: str
    units: tuple
    bn_epsilon: float = 1e-3
    classifier: Optional[str] = None  # the main classifier's source module
    conv_key: str = "{}.conv"
    bn_key: str = "{}.bn"
    conv_bias: bool = False

    def keys(self):
        """Every tensor name the table reads, in order."""
        return [key for unit in self.units
                for key in self.source_keys(unit)]

    def source_keys(self, unit):
        """The tensor names ``unit`` reads."""
        if unit.kind != "conv_bn":
            return [f"{unit.source}.weight", f"{unit.source}.bias"]
        conv = self.conv_key.format(unit.source)
        bn = self.bn_key.format(unit.source)
        return [f"{conv}.weight", *([f"{conv}.bias"] if self.conv_bias
                                    else []),
                *(f"{bn}.{p}" for p in ("weight", "bias", "running_mean",
                                        "running_var"))]


def _target_layers(unit):
    if unit.kind == "conv_bn":
        return [f"{unit.target}_conv", f"{unit.target}_bn"]
    return [unit.target]


def conv_kernel(weight):
    """PyTorch ``(out, in, kh, kw)`` as Keras ``(kh, kw, in, out)``."""
    return np.transpose(weight, (2, 3, 1, 0))


def fold_batch_norm(gamma, beta, mean, var, eps, keras_eps, scale):
    """PyTorch BatchNorm parameters as a Keras BatchNormalization's
    weights, and the per-channel sign its input must take.

    Returns ``(weights, sign)``: ``weights`` in Keras's order (``[gamma,]
    beta, moving_mean, moving_variance``); ``sign`` is all ones unless the
    Keras layer has no scale and some gamma is negative, in which case the
    caller flips those channels of the producing convolution.

    Example:
        >>> w, s = fold_batch_norm(np.float32([2.0]), np.float32([0.5]),
        ...                        np.float32([1.0]), np.float32([3.0]),
        ...                        1e-3, 1e-3, scale=False)
        >>> [round(float(v[0]), 6) for v in w], s.tolist()
        ([0.5, 1.0, 0.74925], [1.0])
    """
    f64 = [np.asarray(a, np.float64) for a in (gamma, beta, mean, var)]
    gamma, beta, mean, var = f64
    if scale:
        weights = [gamma, beta, mean, var + eps - keras_eps]
        return [w.astype(np.float32) for w in weights], np.ones_like(gamma)
    sign = np.where(gamma < 0, -1.0, 1.0)
    magnitude = np.maximum(np.abs(gamma), 1e-12)
    weights = [beta, mean * sign, (var + eps) / magnitude ** 2 - keras_eps]
    return [w.astype(np.float32) for w in weights], sign


def _failure(mapping, model_name, problem):
    return (f"cannot convert this {mapping.source} checkpoint into "
            f"{model_name!r}: {problem}.")


def _missing(key, unit):
    return (f"tensor {key!r} (for our layer {_target_layers(unit)[0]!r}) "
            "is missing from the checkpoint")


def _left_over(extra):
    return (f"tensor {extra[0]!r} has no place in the table ({len(extra)} "
            "tensors left over)")


class _Plan:
    """The arrays to assign, per Keras layer, gathered before any
    assignment; ``used`` records the tensors read."""

    def __init__(self, model, tensors, mapping):
        self.model, self.tensors, self.mapping = model, tensors, mapping
        self.layers = {layer.name: layer for layer in model.layers}
        self.assign, self.used, self.notes = {}, set(), []

    def fail(self, message):
        raise ValueError(_failure(self.mapping, self.model.name, message))

    def take(self, unit, key):
        if key not in self.tensors:
            self.fail(_missing(key, unit))
        self.used.add(key)
        return self.tensors[key]

    def shape_check(self, key, layer, index, value):
        want = tuple(layer.weights[index].shape)
        if tuple(value.shape) != want:
            self.fail(f"tensor {key!r} has shape {tuple(value.shape)} as "
                      f"{layer.name!r} needs it, and the model has {want}")

    def add(self, unit):
        names = _target_layers(unit)
        present = [name in self.layers for name in names]
        if not all(present):
            if unit.head and not any(present):
                self.used.update(k for k in self.mapping.source_keys(unit)
                                 if k in self.tensors)
                self.notes.append(f"{unit.source} left out: the model has "
                                  f"no layer {unit.target!r}")
                return
            missing = names[present.index(False)]
            self.fail(f"the model has no layer {missing!r} for "
                      f"{unit.source!r}: build {self.mapping.model!r}, the "
                      f"network that {self.mapping.source}'s "
                      f"{self.mapping.name} is")
        getattr(self, f"_{unit.kind}")(unit, [self.layers[n] for n in names])

    def _kernel(self, unit, key, layer):
        kernel = conv_kernel(self.take(unit, key))
        self.shape_check(key, layer, 0, kernel)
        return kernel

    def _conv_bn(self, unit, layers):
        conv, bn = layers
        c = self.mapping.conv_key.format(unit.source)
        b = self.mapping.bn_key.format(unit.source)
        kernel = self._kernel(unit, f"{c}.weight", conv)
        params = ("weight", "bias", "running_mean", "running_var")
        # The published Caffe port stores its BN vectors as (1, C).
        gamma, beta, mean, var = (np.reshape(v, v.shape[1:]) if v.ndim == 2
                                  and v.shape[0] == 1 else v for v in (
                                      self.take(unit, f"{b}.{p}")
                                      for p in params))
        for p, value in zip(params, (gamma, beta, mean, var)):
            # Every variable of a BN layer has the shape of its beta.
            self.shape_check(f"{b}.{p}", bn, int(bn.scale), value)
        weights, sign = fold_batch_norm(gamma, beta, mean, var,
                                        self.mapping.bn_epsilon,
                                        bn.epsilon, bn.scale)
        conv_weights = [kernel * sign.astype(np.float32)]
        bias_key = f"{c}.bias"
        if self.mapping.conv_bias and not conv.use_bias:
            self.fail(f"tensor {bias_key!r} has no place: our layer "
                      f"{conv.name!r} has no bias")
        if conv.use_bias:
            bias = (self.take(unit, bias_key) if self.mapping.conv_bias
                    else np.zeros(kernel.shape[-1], np.float32))
            conv_weights.append(bias * sign.astype(np.float32))
        self.assign[conv.name] = conv_weights
        self.assign[bn.name] = weights

    def _conv(self, unit, layers):
        (conv,) = layers
        kernel = self._kernel(unit, f"{unit.source}.weight", conv)
        bias = self.take(unit, f"{unit.source}.bias")
        self.shape_check(f"{unit.source}.bias", conv, 1, bias)
        self.assign[conv.name] = [kernel, bias]

    def _linear(self, unit, layers):
        (dense,) = layers
        key = f"{unit.source}.weight"
        weight, bias = self.take(unit, key), self.take(unit,
                                                       f"{unit.source}.bias")
        classes = dense.weights[0].shape[-1]
        if weight.shape[0] == classes + 1:
            weight, bias = weight[1:], bias[1:]
            self.notes.append(f"{unit.source}: background class (row 0) "
                              f"dropped, {classes} classes kept")
        weight = weight.T
        self.shape_check(key, dense, 0, weight)
        self.assign[dense.name] = [weight, bias]

    def finish(self):
        extra = [k for k in self.tensors if k not in self.used]
        if extra:
            self.fail(_left_over(extra))
        empty = [layer.name for layer in self.model.layers
                 if layer.weights and layer.name not in self.assign]
        if empty:
            self.fail(f"no tensor fills our layer {empty[0]!r}: was the "
                      "model built with other options than the checkpoint "
                      "(auxiliary heads, width)?")


def identify(tensors, mappings):
    """The names of the mappings in ``mappings`` whose every non-head
    tensor the checkpoint holds: what architecture it is."""
    names = set(tensors)
    return [m.name for m in mappings
            if all(k in names for u in m.units if not u.head
                   for k in m.source_keys(u))]


def _identified(message, tensors, mapping, others):
    """``message``, and which of ``others`` the checkpoint is if it is not
    ``mapping``'s architecture."""
    fits = [n for n in identify(tensors, others) if n != mapping.name]
    if fits and mapping.name not in identify(tensors, [mapping]):
        return (f"{message} The checkpoint is a {mapping.source} "
                f"{fits[0]}, not a {mapping.name}.")
    return message


def check_names(tensors, mapping, others=(), model_name=None):
    """What can be judged from the tensor names alone, before a model is
    built: a tensor the table needs is missing, or one has no place in
    it. Raises the ``ValueError`` :func:`load_state_dict` would raise."""
    problem = next((_missing(key, unit) for unit in mapping.units
                    if not unit.head for key in mapping.source_keys(unit)
                    if key not in tensors), None)
    if problem is None:
        known = set(mapping.keys())
        extra = [key for key in tensors if key not in known]
        problem = _left_over(extra) if extra else None
    if problem:
        raise ValueError(_identified(
            _failure(mapping, model_name or mapping.model, problem),
            tensors, mapping, others))


def load_state_dict(model, tensors, mapping, others=()):
    """Assign the PyTorch ``tensors`` to ``model`` by ``mapping``.

    Everything is converted and checked first; a failure raises
    ``ValueError`` naming the first offending tensor or layer (and, if the
    checkpoint is one of ``others``, which mapping fits it) and leaves the
    model as it was. Returns notes on what was left out or dropped (a
    classifier the model has no layer for, a background class).
    """
    plan = _Plan(model, tensors, mapping)
    try:
        for unit in mapping.units:
            plan.add(unit)
        plan.finish()
    except ValueError as err:
        raise ValueError(_identified(str(err), tensors, mapping,
                                     others)) from None
    before = {name: [np.array(v) for v in plan.layers[name].weights]
              for name in plan.assign}
    try:
        for name, weights in plan.assign.items():
            plan.layers[name].set_weights(weights)
    except Exception:
        for name, weights in before.items():
            plan.layers[name].set_weights(weights)
        raise
    return plan.notes
