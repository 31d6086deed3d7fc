"""Distributed training: strategies, TF_CONFIG, a local launcher and the
multi-worker correction for Keras 3 (TensorFlow backend only).

:func:`get_strategy` picks a ``tf.distribute`` strategy by name,
:func:`parse_tf_config` validates a cluster description,
:func:`check_global_batch` splits a global batch over the replicas,
:func:`task_info` says which task this process is, :func:`launch` runs N
local workers for testing and :func:`for_strategy` makes a model trainable
with ``MultiWorkerMirroredStrategy``.

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

Example:
    >>> import keras_inception
    >>> from keras_inception import distribute
    >>> strategy = distribute.get_strategy("auto")
    >>> distribute.check_global_batch(32, strategy)  # one CPU: one replica
    32
    >>> distribute.task_info(strategy)
    ('worker', 0, True)
"""

from __future__ import annotations

import inspect
import json
import logging
import numbers
import os
import sys
import weakref

import keras
import tensorflow as tf
from keras import tree

from keras_inception.utils.processes import free_ports, run_processes

log = logging.getLogger(__name__)

STRATEGIES = ("auto", "one_device", "mirrored", "multi_worker", "tpu")

_TF_CONFIG_EXAMPLE = (
    'TF_CONFIG=\'{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
    '"task": {"type": "worker", "index": 0}}\' (the same cluster on every '
    'machine, each with its own "index")')
_ISSUE = "https://github.com/keras-team/keras/issues/20585"


# --------------------------------------------------------------------------
# TF_CONFIG
# --------------------------------------------------------------------------
def _tf_config_error(problem):
    return ValueError(f"Invalid TF_CONFIG: {problem}. Example: "
                      f"{_TF_CONFIG_EXAMPLE}.")


def _check_address(job, i, address):
    if not isinstance(address, str):
        raise _tf_config_error(f"cluster[{job!r}][{i}] must be a "
                               f"'host:port' string; received {address!r}")
    host, sep, port = address.rpartition(":")
    if not (sep and host and port.isdigit() and 0 < int(port) < 65536):
        raise _tf_config_error(f"cluster[{job!r}][{i}] = {address!r} is not "
                               "'host:port' with a port in 1..65535")


def parse_tf_config(text_or_none=None):
    """Parse and validate a ``TF_CONFIG`` cluster description.

    ``TF_CONFIG`` is the JSON that ``tf.distribute`` reads to learn the
    cluster (every task's ``host:port``, grouped by job) and which task this
    process is. Every machine gets the same ``cluster`` and its own
    ``task``.

    Args:
        text_or_none: the JSON text; ``None`` reads the ``TF_CONFIG``
            environment variable.

    Returns:
        The parsed dict, or ``None`` when ``TF_CONFIG`` is unset or empty.

    Raises:
        ValueError: saying what is wrong, with an example ``TF_CONFIG``:
            not JSON, no ``cluster``, no ``worker`` or ``chief`` job, an
            address without a port, a ``task`` whose ``type`` is not a job
            of the cluster or whose ``index`` is out of range.

    Example:
        >>> cfg = parse_tf_config('{"cluster": {"worker": ["a:1", "b:1"]},'
        ...                       ' "task": {"type": "worker", "index": 1}}')
        >>> cfg["task"]
        {'type': 'worker', 'index': 1}
        >>> parse_tf_config("") is None
        True
    """
    text = (os.environ.get("TF_CONFIG") if text_or_none is None
            else text_or_none)
    if text is None or not str(text).strip():
        return None
    try:
        config = json.loads(text)
    except (TypeError, json.JSONDecodeError) as err:
        raise _tf_config_error(f"not valid JSON ({err})") from None
    if not isinstance(config, dict):
        raise _tf_config_error("must be a JSON object with 'cluster' and "
                               f"'task'; received {type(config).__name__}")
    cluster = config.get("cluster")
    if not isinstance(cluster, dict) or not cluster:
        raise _tf_config_error("no 'cluster' (a mapping of job name to a "
                               "list of 'host:port')")
    if "worker" not in cluster and "chief" not in cluster:
        raise _tf_config_error("the cluster has no 'worker' (or 'chief') "
                               f"job; jobs: {sorted(cluster)}")
    seen = {}
    for job, addresses in cluster.items():
        if not isinstance(addresses, list) or not addresses:
            raise _tf_config_error(f"cluster[{job!r}] must be a non-empty "
                                   "list of 'host:port' strings; received "
                                   f"{addresses!r}")
        for i, address in enumerate(addresses):
            _check_address(job, i, address)
            if address in seen:
                raise _tf_config_error(
                    f"{address!r} is both {seen[address]} and {job}:{i}; "
                    "every task needs its own host:port")
            seen[address] = f"{job}:{i}"
    if len(cluster.get("chief", ())) > 1:
        raise _tf_config_error("the 'chief' job must have one task; it has "
                               f"{len(cluster['chief'])}")
    task = config.get("task")
    if not isinstance(task, dict):
        raise _tf_config_error("no 'task' (e.g. {\"type\": \"worker\", "
                               "\"index\": 0}) saying which task this is")
    task_type, index = task.get("type"), task.get("index", 0)
    if task_type not in cluster:
        raise _tf_config_error(f"task type {task_type!r} is not a job of the "
                               f"cluster ({sorted(cluster)})")
    if isinstance(index, bool) or not isinstance(index, int):
        raise _tf_config_error(f"task index must be an integer; received "
                               f"{index!r}")
    if not 0 <= index < len(cluster[task_type]):
        raise _tf_config_error(
            f"task index {index} is out of range: job {task_type!r} has "
            f"{len(cluster[task_type])} task(s), indices 0.."
            f"{len(cluster[task_type]) - 1}")
    return config


def _num_training_tasks(config):
    cluster = config["cluster"]
    return len(cluster.get("chief", ())) + len(cluster.get("worker", ()))


# --------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------
def get_strategy(name="auto", *, devices=None):
    """The ``tf.distribute`` strategy called ``name``.

    Create the strategy at the start of the program, before any TensorFlow
    operation runs: ``multi_worker`` configures collective operations and
    ``tpu`` connects to the TPU system, which TensorFlow only allows before
    its runtime starts (logical devices, e.g. two CPUs for ``mirrored``,
    likewise must be configured before). Build and compile the model inside
    ``strategy.scope()``.

    Args:
        name: one of :data:`STRATEGIES`:

            * ``"auto"``: ``multi_worker`` when ``TF_CONFIG`` describes
              more than one task, else ``mirrored`` over the GPUs when there
              are several (or over ``devices`` when it names several), else
              ``one_device`` on ``devices[0]`` if given, else TensorFlow's
              default strategy (one replica on the default device).
            * ``"one_device"``: ``OneDeviceStrategy`` on ``devices[0]``,
              else ``GPU:0`` if there is one, else ``CPU:0``.
            * ``"mirrored"``: ``MirroredStrategy(devices)``: all GPUs, or
              ``CPU:0`` without GPUs, unless ``devices`` lists them.
            * ``"multi_worker"``: ``MultiWorkerMirroredStrategy`` over the
              cluster in ``TF_CONFIG`` (validated by
              :func:`parse_tf_config`); wrap models with
              :func:`for_strategy`.
            * ``"tpu"``: ``TPUStrategy``; ``devices`` may hold the TPU's
              name or ``grpc://`` address.
        devices: device names (``["/gpu:0", "/gpu:1"]``), or ``None``.

    Returns:
        A ``tf.distribute.Strategy``.

    Raises:
        ValueError: an unknown ``name``; ``multi_worker`` without
            ``TF_CONFIG``; an invalid ``TF_CONFIG``.
        RuntimeError: no TPU; a strategy created too late.

    Example:
        >>> get_strategy("one_device").num_replicas_in_sync
        1
    """
    key = _strategy_name(name)
    if devices is not None:
        if isinstance(devices, str):
            devices = [devices]
        devices = list(devices)
        if not devices or not all(isinstance(d, str) for d in devices):
            raise ValueError("`devices` must be a non-empty list of device "
                             f"names (e.g. ['/gpu:0']); received {devices!r}.")
    gpus = tf.config.list_physical_devices("GPU")
    if key == "auto":
        config = parse_tf_config()
        if config is not None and _num_training_tasks(config) > 1:
            return _multi_worker_strategy(devices)
        if devices is not None and len(devices) > 1:
            return tf.distribute.MirroredStrategy(devices)
        if devices is None and len(gpus) > 1:
            return tf.distribute.MirroredStrategy()
        if devices is not None:
            return tf.distribute.OneDeviceStrategy(devices[0])
        return tf.distribute.get_strategy()
    if key == "one_device":
        if devices is not None and len(devices) > 1:
            raise ValueError("'one_device' takes one device; received "
                             f"devices={devices!r} (use 'mirrored').")
        device = devices[0] if devices else ("/gpu:0" if gpus else "/cpu:0")
        return tf.distribute.OneDeviceStrategy(device)
    if key == "mirrored":
        if devices is None and not gpus:
            devices = ["/cpu:0"]
        return tf.distribute.MirroredStrategy(devices)
    if key == "multi_worker":
        return _multi_worker_strategy(devices)
    return _tpu_strategy(devices)


def _strategy_name(name):
    key = (name.strip().lower().replace("-", "_")
           if isinstance(name, str) else name)
    if key not in STRATEGIES:
        raise ValueError(f"Unknown strategy {name!r}; `name` must be one of "
                         f"{STRATEGIES}.")
    return key


def _multi_worker_strategy(devices):
    if devices is not None:
        raise ValueError("'multi_worker' uses every local GPU of each "
                         "worker (or its CPU); do not pass `devices`.")
    if parse_tf_config() is None:
        raise ValueError(
            "'multi_worker' needs the cluster in the TF_CONFIG environment "
            f"variable, set on every machine: {_TF_CONFIG_EXAMPLE}. To try "
            "it on this machine, `keras-inception launch --workers 2 -- "
            "train ...` starts the workers with TF_CONFIG set.")
    try:
        return tf.distribute.MultiWorkerMirroredStrategy()
    except RuntimeError as err:
        raise RuntimeError(
            f"Could not create MultiWorkerMirroredStrategy ({err}): create "
            "the strategy at the start of the program, before any "
            "TensorFlow operation runs.") from None


def _tpu_strategy(devices):
    if devices is not None and len(devices) > 1:
        raise ValueError("'tpu' takes at most one TPU name or address in "
                         f"`devices`; received {devices!r}.")
    tpu = devices[0] if devices else None
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu)
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    except (ValueError, RuntimeError, tf.errors.OpError) as err:
        message = str(err).strip().splitlines()[0] if str(err) else ""
        raise RuntimeError(
            f"No TPU available ({type(err).__name__}: {message}). Run on a "
            "Cloud TPU VM, or name the TPU (devices=['my-tpu'] or its "
            "grpc:// address); on GPUs or CPUs choose another strategy "
            f"from {STRATEGIES}.") from None


def check_global_batch(batch_size, strategy):
    """The per-replica batch of a global ``batch_size`` under ``strategy``.

    ``model.fit`` and ``tf.data`` batch with the global batch; each replica
    computes on ``batch_size / num_replicas_in_sync`` examples.

    Raises:
        TypeError, ValueError: ``batch_size`` is not a positive integer,
            is smaller than the number of replicas or is not a multiple.

    Example:
        >>> import tensorflow as tf
        >>> check_global_batch(64, tf.distribute.get_strategy())
        64
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size,
                                                      numbers.Integral):
        raise TypeError(f"`batch_size` must be a positive integer; received "
                        f"{batch_size!r}.")
    replicas = int(strategy.num_replicas_in_sync)
    if batch_size < 1:
        raise ValueError(f"`batch_size` must be a positive integer; "
                         f"received {batch_size}.")
    if batch_size < replicas or batch_size % replicas:
        raise ValueError(
            f"`batch_size` ({batch_size}) must be a multiple of the "
            f"{replicas} replicas in sync (the global batch is split "
            f"evenly); e.g. {replicas * max(1, batch_size // replicas)}.")
    return batch_size // replicas


def task_info(strategy=None):
    """This process's task: ``(task_type, task_id, is_chief)``.

    The chief (task ``"chief"``, or worker 0 when the cluster has no chief)
    is the one that should write checkpoints, logs and exported models.
    A single-process run is ``("worker", 0, True)``.

    Args:
        strategy: the strategy in use; ``None`` reads ``TF_CONFIG``.

    Example:
        >>> task_info()   # no TF_CONFIG
        ('worker', 0, True)
    """
    if strategy is not None:
        resolver = getattr(strategy, "cluster_resolver", None)
        task_type = getattr(resolver, "task_type", None)
        if task_type is None or not _is_multi_worker(strategy):
            return ("worker", 0, True)
        task_id = int(resolver.task_id or 0)
        cluster = resolver.cluster_spec().as_dict()
    else:
        config = parse_tf_config()
        if config is None:
            return ("worker", 0, True)
        task_type = config["task"]["type"]
        task_id = int(config["task"].get("index", 0))
        cluster = config["cluster"]
    if "chief" in cluster:
        is_chief = task_type == "chief"
    else:
        is_chief = task_type == "worker" and task_id == 0
    return (task_type, task_id, is_chief)


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


# --------------------------------------------------------------------------
# The keras#20585 correction
# --------------------------------------------------------------------------
def _is_multi_worker(strategy):
    """Whether Keras treats ``strategy`` as multi-worker: the condition of
    ``_collective_all_reduce_multi_worker`` in Keras's TF trainer."""
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return False
    in_multi_worker = getattr(strategy.extended, "_in_multi_worker_mode",
                              None)
    if callable(in_multi_worker):
        return bool(in_multi_worker())
    return (strategy.num_replicas_in_sync
            > len(strategy.extended.worker_devices))


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
        return _is_multi_worker(self.distribute_strategy)

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
    if not _is_multi_worker(strategy) or isinstance(model, MultiWorkerModel):
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


# --------------------------------------------------------------------------
# Local launcher
# --------------------------------------------------------------------------
def launch(num_workers, command, *, env=None, base_port=None, timeout=None,
           stream=None):
    """Run ``command`` as ``num_workers`` local workers of one cluster.

    Each worker gets its own ``TF_CONFIG`` (``{"cluster": {"worker":
    ["localhost:p0", ...]}, "task": {"type": "worker", "index": i}}``) on
    free localhost ports, so ``get_strategy("multi_worker")`` in
    ``command`` trains across them: a test of multi-worker training on
    one machine. Every line a worker prints is written to ``stream``
    prefixed ``"[worker i] "``. If a worker fails, the others (which would
    wait for it forever) are terminated.

    Args:
        num_workers: how many workers (>= 1).
        command: the argv list every worker runs, e.g.
            ``[sys.executable, "-m", "keras_inception.cli", "train", ...]``.
        env: variables added to (or overriding) this process's environment.
            ``TF_CPP_MIN_LOG_LEVEL`` defaults to ``2`` and
            ``PYTHONUNBUFFERED`` to ``1``.
        base_port: use ports ``base_port + i`` instead of free ones.
        timeout: seconds before every worker is terminated and
            ``TimeoutError`` raised; ``None`` waits.
        stream: where output goes; ``None``: ``sys.stdout``.

    Returns:
        0 when every worker succeeded, else the exit code of the first that
        failed (128 + N for a signal N).

    Raises:
        TypeError, ValueError: bad arguments.
        TimeoutError: ``timeout`` passed.
        KeyboardInterrupt: after terminating the workers on Ctrl-C.

    Example:
        >>> import sys
        >>> launch(2, [sys.executable, "-c", "print('hi')"],
        ...        stream=sys.stdout)   # doctest: +SKIP
        [worker 0] hi
        [worker 1] hi
        0
    """
    if isinstance(num_workers, bool) or not isinstance(num_workers,
                                                       numbers.Integral):
        raise TypeError(f"`num_workers` must be an integer >= 1; received "
                        f"{num_workers!r}.")
    if num_workers < 1:
        raise ValueError(f"`num_workers` must be >= 1; received "
                         f"{num_workers}.")
    if (isinstance(command, str) or not command
            or not all(isinstance(arg, str) for arg in command)):
        raise TypeError("`command` must be a non-empty list of argument "
                        f"strings (argv); received {command!r}.")
    if timeout is not None and timeout <= 0:
        raise ValueError(f"`timeout` must be > 0 seconds or None; received "
                         f"{timeout!r}.")
    stream = sys.stdout if stream is None else stream
    if base_port is None:
        ports = free_ports(num_workers)
    else:
        ports = [int(base_port) + i for i in range(num_workers)]
        if not (0 < ports[0] and ports[-1] < 65536):
            raise ValueError(f"`base_port` {base_port} gives ports outside "
                             "1..65535.")
    cluster = {"worker": [f"localhost:{port}" for port in ports]}
    envs = [{**(env or {}), "TF_CONFIG": json.dumps(
        {"cluster": cluster, "task": {"type": "worker", "index": index}})}
        for index in range(num_workers)]
    log.info("Launching %d workers on %s", num_workers, cluster["worker"])
    return run_processes(envs, command,
                         labels=[f"worker {i}" for i in range(num_workers)],
                         timeout=timeout, stream=stream)
