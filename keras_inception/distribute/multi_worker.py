"""The multi-worker correction for Keras 3 (TensorFlow backend only).

:func:`for_strategy` makes a model trainable with
``MultiWorkerMirroredStrategy`` and :func:`sync_moving_statistics` averages
batch norm's moving statistics over the replicas.

What is wrong in Keras (keras-team/keras#20585, still in keras 3.15.1):
``model.fit`` under ``tf.distribute.MultiWorkerMirroredStrategy`` with more
than one worker fails twice over, both in
``keras/src/backend/tensorflow/trainer.py``:

1. ``TensorFlowTrainer._maybe_symbolic_build`` takes the first batch of the
   distributed dataset and calls ``strategy.reduce("MEAN", batch,
   axis=None)`` on it before ``Trainer._symbolic_build``, which only needs
   the batch's shapes and dtypes. Across workers that reduction is a
   collective on the *data* (integer labels included) and fails with
   ``ValueError: Attempt to convert a value (PerReplica:{...}) with an
   unsupported type``.
2. ``reduce_per_replica``, which reduces the logs every train/test step
   returns, asks for ``strategy.reduce("MEAN", v, axis=0)`` whenever the
   strategy is in multi-worker mode. The logs are scalars (loss, metric
   results), which have no axis 0: ``Invalid reduction dimension 0 for
   input with 0 dimensions``. The right call is a mean over replicas with no
   axis.

What :func:`for_strategy` does, without patching Keras: it returns a
:class:`MultiWorkerModel`, a functional model over the *same* layers
(``keras.Model`` subclass built with ``inputs=``/``outputs=``), whose
overrides call ``super()`` for everything and only

1. in ``_maybe_symbolic_build``, take one replica's local value of the
   first batch (``strategy.experimental_local_results(v)[0]``, the shapes
   the symbolic build needs) and hand it to Keras's method as
   ``data_batch``, so that no collective runs on the data;
2. in ``train_step``/``test_step``, return each scalar log as a vector of
   one element. Keras's ``strategy.reduce("MEAN", v, axis=0)`` then sums
   that one element on every replica and divides by the number of replicas:
   exactly the mean over replicas. ``make_train_function`` and
   ``make_test_function`` turn those values back into scalars should a
   later Keras reduce them with ``axis=None`` (the upstream fix), so the
   logs are scalars with either behaviour.

Also, ``steps_per_execution`` > 1 fails under this strategy in keras 3.15
(TensorFlow cannot run the cross-worker reductions inside Keras's multi-step
``tf.while_loop``, with or without this correction): the corrected model
refuses it with a clear ``ValueError`` instead. Batch norm's moving
statistics are variables with aggregation ``"none"`` in Keras 3, updated by
each replica from its own batch, so they drift apart across replicas (the
trained weights do not); :func:`sync_moving_statistics` averages them over
all replicas, which the runner does at every epoch end.

Outside multi-worker mode (one worker, or any other strategy) the overrides
do nothing; :func:`for_strategy` then returns the model unchanged. The
Keras methods it overrides are checked on first use: if a Keras release
changes their signatures, :func:`for_strategy` raises an error that says
which, instead of training wrongly.
"""

from __future__ import annotations

import inspect
import weakref

import keras
import tensorflow as tf
from keras import tree

from keras_inception.distribute.strategies import is_multi_worker

_ISSUE = "https://github.com/keras-team/keras/issues/20585"


def sync_moving_statistics(model, strategy):
    """Averages batch norm's moving statistics over every replica.

    Keras 3 creates ``moving_mean``/``moving_variance`` with aggregation
    ``"none"``: each replica updates its copy from its own share of the
    batch, so under ``MirroredStrategy`` and ``MultiWorkerMirroredStrategy``
    the copies drift apart, and which one a checkpoint holds depends on the
    worker. The mean of the replicas' moving means is the moving mean of the
    global batch means (the moving variances' mean omits the spread between
    replicas' batch means, as synchronized-BN-free training always has).
    Call it on every worker at the same point (a collective), e.g. at epoch
    ends; with one replica it does nothing.

    Args:
        model: a model built in ``strategy.scope()``.
        strategy: its ``tf.distribute.Strategy``.

    Returns:
        The number of variables averaged.
    """
    if strategy.num_replicas_in_sync < 2:
        return 0
    variables = [v for v in model.non_trainable_variables
                 if v.path.rsplit("/", 1)[-1] in ("moving_mean",
                                                  "moving_variance")]
    if not variables:
        return 0
    function = _SYNC_FUNCTIONS.get(model)
    if function is None:
        values = [v.value for v in variables]

        @tf.function
        def function():
            def replica_mean():
                context = tf.distribute.get_replica_context()
                return context.all_reduce(
                    tf.distribute.ReduceOp.MEAN,
                    [tf.identity(v) for v in values])   # local copies
            return strategy.run(replica_mean)

        _SYNC_FUNCTIONS[model] = function
    means = strategy.experimental_local_results(function())[0]
    for variable, mean in zip(variables, means):
        variable.assign(mean)
    return len(variables)


_SYNC_FUNCTIONS = weakref.WeakKeyDictionary()   # model -> tf.function


def _local_value(strategy, value):
    if isinstance(value, tf.distribute.DistributedValues):
        return strategy.experimental_local_results(value)[0]
    return value


# Keras methods overridden below, with the parameters they must take.
_OVERRIDDEN = {
    "_maybe_symbolic_build": ("self", "iterator", "data_batch"),
    "train_step": ("self", "data"),
    "test_step": ("self", "data"),
    "make_train_function": ("self", "force"),
    "make_test_function": ("self", "force"),
}
_checked = []


def _check_keras():
    """Fail clearly if this Keras no longer has what the overrides expect.

    ``_maybe_symbolic_build`` may be missing (releases before it existed
    did not reduce the data, and a release may remove it): the override is
    then never called, which is right. A changed signature is an error.
    """
    if _checked:
        return
    if keras.backend.backend() != "tensorflow":
        raise RuntimeError("keras_inception.distribute needs the TensorFlow "
                           "backend (KERAS_BACKEND=tensorflow); this Keras "
                           f"runs on {keras.backend.backend()!r}.")
    problems = []
    for name, params in _OVERRIDDEN.items():
        method = getattr(keras.Model, name, None)
        if method is None:
            if name != "_maybe_symbolic_build":
                problems.append(f"`keras.Model.{name}` no longer exists")
            continue
        found = tuple(inspect.signature(method).parameters)
        if found != params:
            problems.append(f"`keras.Model.{name}{found}` takes other "
                            f"arguments than the expected {params}")
    if problems:
        raise RuntimeError(
            f"keras {keras.__version__} changed the trainer methods that "
            "keras_inception.distribute overrides to correct "
            f"MultiWorkerMirroredStrategy training ({_ISSUE}): "
            + "; ".join(problems) + ". Check whether this Keras fixed the "
            "issue (then for_strategy is not needed) or use keras 3.15.")
    _checked.append(True)


@keras.saving.register_keras_serializable(package="keras_inception")
class MultiWorkerModel(keras.Model):
    """A functional model corrected for ``MultiWorkerMirroredStrategy``.

    Built by :func:`for_strategy` over the layers of an existing model; see
    the module docstring for what each override corrects (keras#20585).
    Outside multi-worker mode every override is Keras's own method.
    """

    def _multi_worker(self):
        return is_multi_worker(self.distribute_strategy)

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Keras reduces the first distributed batch across the workers to
        # get a batch to build from; one replica's local batch has the
        # shapes and dtypes the symbolic build needs, without a collective.
        if iterator is not None and self._multi_worker():
            for step in iterator:
                batch = next(step[-1])
                break
            else:
                return super()._maybe_symbolic_build(iterator=iterator,
                                                     data_batch=data_batch)
            strategy = self.distribute_strategy
            data_batch = tree.map_structure(
                lambda v: _local_value(strategy, v), batch)
            iterator = None
        return super()._maybe_symbolic_build(iterator=iterator,
                                             data_batch=data_batch)

    def train_step(self, data):
        return self._vector_logs(super().train_step(data), "train")

    def test_step(self, data):
        return self._vector_logs(super().test_step(data), "test")

    def _vector_logs(self, logs, kind):
        # Keras reduces each log with strategy.reduce("MEAN", v, axis=0);
        # a scalar has no axis 0, one element does: summed on each replica
        # and divided by the replica count, it is the mean over replicas.
        if not self._multi_worker():
            return logs
        flat = tree.flatten(logs)
        scalars = [_rank(v) == 0 for v in flat]
        self._vectorised()[kind] = scalars   # at tracing: the log structure
        return tree.pack_sequence_as(logs, [
            tf.reshape(v, (1,)) if scalar else v
            for v, scalar in zip(flat, scalars)])

    def _vectorised(self):
        # A plain dict, kept out of Keras's attribute tracking.
        if "_vectorised_logs" not in self.__dict__:
            object.__setattr__(self, "_vectorised_logs", {})
        return self.__dict__["_vectorised_logs"]

    def make_train_function(self, force=False):
        self._check_steps_per_execution()
        super().make_train_function(force)
        self.train_function = self._scalar_logs(self.train_function,
                                                "train")
        return self.train_function

    def make_test_function(self, force=False):
        self._check_steps_per_execution()
        super().make_test_function(force)
        self.test_function = self._scalar_logs(self.test_function, "test")
        return self.test_function

    def _check_steps_per_execution(self):
        # Keras 3.15 runs steps_per_execution > 1 in a tf.while_loop whose
        # tf.cond holds the cross-worker reductions; TensorFlow fails on it
        # ("You must feed a value for placeholder tensor .../while/cond/
        # Placeholder"), with or without this correction.
        steps = getattr(self, "steps_per_execution", 1)
        if steps > 1 and self._multi_worker():
            raise ValueError(
                f"steps_per_execution={steps} does not work under "
                "MultiWorkerMirroredStrategy with keras "
                f"{keras.__version__} (TensorFlow fails on the cross-worker "
                "reductions inside its multi-step loop); compile with "
                "steps_per_execution=1.")

    def _scalar_logs(self, function, kind):
        # A Keras that reduces with axis=None (the upstream fix) returns the
        # one-element vectors of _vector_logs: make those scalars again.
        if (function is None or not self._multi_worker()
                or getattr(function, "_scalar_logs", False)):
            return function
        vectorised = self._vectorised()

        def scalar_logs(*args, **kwargs):
            logs = function(*args, **kwargs)
            flat = tree.flatten(logs)
            scalars = vectorised.get(kind, ())
            if len(scalars) != len(flat):
                return logs
            return tree.pack_sequence_as(logs, [
                tf.reshape(v, ()) if scalar and _rank(v) == 1 else v
                for v, scalar in zip(flat, scalars)])

        scalar_logs._scalar_logs = True
        return scalar_logs


def _rank(value):
    shape = getattr(value, "shape", None)
    return None if shape is None else len(shape)


def for_strategy(model, strategy):
    """``model``, ready to compile and fit under ``strategy``.

    Under ``MultiWorkerMirroredStrategy`` with several workers, returns a
    :class:`MultiWorkerModel` over the same layers and variables (no copy,
    same name, interchangeable ``save_weights`` files) that corrects
    keras-team/keras#20585 (see the module docstring); otherwise returns
    ``model`` itself. Build ``model`` inside ``strategy.scope()`` and call
    this before ``compile``. A ``.keras`` file saved from the returned
    model names ``keras_inception>MultiWorkerModel``, so import
    ``keras_inception.distribute`` before loading it (or save ``model``:
    the same variables, as a plain functional model).

    Args:
        model: a functional ``keras.Model`` (every model of this package).
        strategy: the ``tf.distribute.Strategy`` it will train under.

    Returns:
        A ``keras.Model``.

    Raises:
        TypeError: ``model`` is not a functional Keras model.
        ValueError: ``model`` is compiled already, or its variables were
            not created in ``strategy.scope()``.
        RuntimeError: this Keras changed the methods the correction
            overrides.

    Example:
        >>> import keras_inception, tensorflow as tf
        >>> strategy = tf.distribute.get_strategy()
        >>> with strategy.scope():
        ...     m = keras_inception.InceptionV1(input_shape=(32, 32, 3),
        ...                                     classes=4,
        ...                                     width_multiplier=0.25)
        ...     m = for_strategy(m, strategy)   # one process: unchanged
        >>> type(m).__name__
        'Functional'
    """
    if not isinstance(model, keras.Model):
        raise TypeError("`model` must be a keras.Model; received "
                        f"{type(model).__name__}.")
    if not is_multi_worker(strategy) or isinstance(model, MultiWorkerModel):
        return model
    _check_keras()
    if getattr(model, "compiled", False):
        raise ValueError("Call for_strategy(model, strategy) before "
                         "model.compile(): the returned model is the one to "
                         "compile and fit.")
    outside = [v.path for v in model.variables
               if not strategy.extended.variable_created_in_scope(v.value)]
    if outside:
        raise ValueError(
            f"{len(outside)} variable(s) of model {model.name!r} (e.g. "
            f"{outside[0]!r}) were not created in strategy.scope(): build the "
            "model inside `with strategy.scope():`.")
    return _wrap(model, strategy)


def _wrap(model, strategy, cls=None):
    inputs = getattr(model, "_inputs_struct", None)
    outputs = getattr(model, "_outputs_struct", None)
    if inputs is None or outputs is None:
        try:
            inputs, outputs = model.input, model.output
        except (AttributeError, ValueError):
            raise TypeError(
                f"for_strategy needs a functional model (built with "
                f"keras.Model(inputs, outputs)); {model.name!r} is a "
                f"{type(model).__name__} without symbolic inputs.") from None
    with strategy.scope():
        return (cls or MultiWorkerModel)(inputs=inputs, outputs=outputs,
                                         name=model.name)
