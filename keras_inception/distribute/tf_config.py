"""``TF_CONFIG``: the cluster description ``tf.distribute`` reads.

:func:`parse_tf_config` validates one (every task's ``host:port``, grouped
by job, and which task this process is) and says what is wrong with an
example; :data:`TF_CONFIG_EXAMPLE` is that example.
"""

from __future__ import annotations

import json
import os

TF_CONFIG_EXAMPLE = (
    'TF_CONFIG=\'{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
    '"task": {"type": "worker", "index": 0}}\' (the same cluster on every '
    'machine, each with its own "index")')


def _tf_config_error(problem):
    return ValueError(f"Invalid TF_CONFIG: {problem}. Example: "
                      f"{TF_CONFIG_EXAMPLE}.")


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


def num_training_tasks(config):
    """How many tasks of a parsed ``TF_CONFIG`` train: its chief and
    workers."""
    cluster = config["cluster"]
    return len(cluster.get("chief", ())) + len(cluster.get("worker", ()))
