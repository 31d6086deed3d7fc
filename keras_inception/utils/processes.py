"""Child processes with prefixed output: the local launchers of distributed
training (:func:`keras_inception.distribute.launch`) and of keras-tuner
workers (:func:`keras_inception.tuning.launch_local`) run through here.

Example:
    >>> import sys
    >>> from keras_inception.utils.processes import run_processes
    >>> run_processes([{}], [sys.executable, "-c", "print('hi')"],
    ...               labels=["worker 0"], stream=sys.stdout)
    [worker 0] hi
    0
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time

log = logging.getLogger(__name__)


def free_ports(count):
    """``count`` distinct TCP ports free on localhost right now."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("localhost", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _pump(label, pipe, stream, lock):
    prefix = f"[{label}] "
    for raw in iter(pipe.readline, b""):
        line = raw.decode("utf-8", errors="replace")
        if not line.endswith("\n"):
            line += "\n"
        with lock:
            stream.write(prefix + line)
            stream.flush()
    pipe.close()


def _terminate(procs, grace=10.0):
    running = [p for p in procs if p.poll() is None]
    for proc in running:
        proc.terminate()
    deadline = time.monotonic() + grace
    for proc in running:
        try:
            proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _exit_code(returncode):
    # A worker killed by signal N reads as the shell's 128 + N.
    return returncode if returncode >= 0 else 128 - returncode


def run_processes(envs, command, *, labels, timeout=None, stream=None):
    """Runs ``command`` once per environment in ``envs`` (each added to
    this one's), printing their lines prefixed ``"[label] "``, until all
    exit; the shared core of :func:`keras_inception.distribute.launch` and
    :func:`keras_inception.tuning.launch_local`.

    Returns 0 when every process succeeded, else the exit code of the first
    that failed (128 + N for a signal N), after terminating the others --
    which, in a distributed job, would wait for the one that is gone.

    Raises:
        TimeoutError: ``timeout`` seconds passed (all are terminated).
    """
    stream = sys.stdout if stream is None else stream
    base_env = dict(os.environ)
    base_env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    base_env.setdefault("PYTHONUNBUFFERED", "1")
    lock = threading.Lock()
    procs, pumps = [], []
    try:
        for label, extra in zip(labels, envs):
            proc = subprocess.Popen(list(command), env={**base_env, **extra},
                                    stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT)
            procs.append(proc)
            pump = threading.Thread(target=_pump, daemon=True,
                                    args=(label, proc.stdout, stream, lock))
            pump.start()
            pumps.append(pump)
        deadline = None if timeout is None else time.monotonic() + timeout
        code = 0
        while True:
            codes = [proc.poll() for proc in procs]
            failed = [(i, c) for i, c in enumerate(codes) if c not in (0, None)]
            if failed:
                index, returncode = failed[0]
                code = _exit_code(returncode)
                log.error("%s exited with code %d; terminating the "
                          "others.", labels[index].capitalize(), code)
                break
            if all(c == 0 for c in codes):
                break
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"The {len(procs)} processes did not "
                                   f"finish within {timeout} s.")
            time.sleep(0.05)
    finally:
        # Ctrl-C, a timeout or a failed process: stop every one still
        # running.
        _terminate(procs)
        for pump in pumps:
            pump.join(timeout=5)
    return code
