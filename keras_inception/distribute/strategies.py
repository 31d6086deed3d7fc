"""``tf.distribute`` strategies by name, and what a strategy implies.

:func:`get_strategy` picks a strategy by name (:data:`STRATEGIES`),
:func:`check_global_batch` splits a global batch over its replicas,
:func:`task_info` says which task this process is and
:func:`is_multi_worker` whether Keras treats a strategy as multi-worker
(TensorFlow backend only) and :func:`describe_devices` what a strategy
computes on, in words.

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

import numbers
import os

import tensorflow as tf

from keras_inception.distribute.tf_config import (TF_CONFIG_EXAMPLE,
                                                  num_training_tasks,
                                                  parse_tf_config)

STRATEGIES = ("auto", "one_device", "mirrored", "multi_worker", "tpu")


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
        if config is not None and num_training_tasks(config) > 1:
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


def describe_devices(strategy=None):
    """What ``strategy`` (default: the current one) computes on, for a
    message: ``"CPU (2 cores); no GPU found"``, ``"1 GPU (NVIDIA H100 80GB
    HBM3)"``, ``"2 GPUs (...), MirroredStrategy with 2 replicas"``.

    Example:
        >>> describe_devices().startswith("CPU (")   # this machine: no GPU
        True
    """
    strategy = strategy or tf.distribute.get_strategy()
    gpus = tf.config.list_physical_devices("GPU")
    try:
        devices = [d.upper() for d in strategy.extended.worker_devices]
        used = sum("GPU:" in d for d in devices)
    except RuntimeError:
        # The default strategy names no devices: TensorFlow places ops on
        # GPU:0 when there is one.
        used = min(len(gpus), 1)
    if used:
        names = sorted({tf.config.experimental.get_device_details(g).get(
            "device_name", g.name) for g in gpus})
        text = f"{used} GPU{'s' if used > 1 else ''} ({', '.join(names)})"
    else:
        cores = (len(os.sched_getaffinity(0))
                 if hasattr(os, "sched_getaffinity") else os.cpu_count())
        text = f"CPU ({cores} cores); " + (
            "no GPU found" if not gpus else
            f"{len(gpus)} GPU{'s' if len(gpus) > 1 else ''} not used")
    replicas = strategy.num_replicas_in_sync
    if replicas > 1 or is_multi_worker(strategy):
        text += (f", {type(strategy).__name__} with {replicas} "
                 f"replica{'s' if replicas > 1 else ''}")
    return text


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
            f"variable, set on every machine: {TF_CONFIG_EXAMPLE}. To try "
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
        if task_type is None or not is_multi_worker(strategy):
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


def is_multi_worker(strategy):
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
