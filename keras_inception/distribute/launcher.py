"""A local launcher: N workers of one cluster on this machine.

:func:`launch` starts a command as every worker of a
``MultiWorkerMirroredStrategy`` cluster on localhost ports, each with its
own ``TF_CONFIG``, and prefixes their output (a test of multi-worker
training on one machine).
"""

from __future__ import annotations

import json
import logging
import numbers
import sys

from keras_inception.utils.processes import free_ports, run_processes

log = logging.getLogger(__name__)


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
