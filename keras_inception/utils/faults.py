"""Faults of the machine, said plainly: a full disk, a folder without write
permission, a read-only file system.

Writers fail in several dialects -- ``OSError`` with an ``errno`` from
Python, h5py's ``OSError`` with the errno only in its text, TensorFlow's
``ResourceExhaustedError`` / ``PermissionDeniedError`` from its C++ file
layer. :func:`writing` wraps a block that writes into one folder and turns
any of them into one :class:`MachineFault` that names the folder, what was
being written and, for a full disk, the space needed and free::

    not enough space in /data/saved_models for export demo/3: about 9.1 MB
    needed, 2.9 MB free

:func:`check_space` refuses a job before it starts when its lower-bound
estimate already does not fit. The command line gives a ``MachineFault``
exit code 1 (bad input is 2).

Example:
    >>> import errno
    >>> fault_errno(OSError(errno.ENOSPC, "No space left on device"))
    28
    >>> fault_errno(RuntimeError("x.pb.tmp; No space left on device"))
    28
    >>> format_size(3 * 2 ** 20)
    '3.0 MB'
"""

from __future__ import annotations

import contextlib
import errno as _errno
import math
import os
import shutil

__all__ = ["MachineFault", "check_space", "fault_errno", "format_size",
           "free_bytes", "variables_bytes", "writing"]

# errno -> what the text of an error from h5py or TensorFlow says for it.
_WRITE_FAULTS = {
    _errno.ENOSPC: "No space left on device",
    _errno.EDQUOT: "Disk quota exceeded",
    _errno.EACCES: "Permission denied",
    _errno.EPERM: "Operation not permitted",
    _errno.EROFS: "Read-only file system",
    _errno.EFBIG: "File too large",
}
_SPACE = (_errno.ENOSPC, _errno.EDQUOT, _errno.EFBIG)


class MachineFault(OSError):
    """The machine could not do what was asked (disk full, no permission):
    not a fault of the input. ``errno`` says which; ``folder`` where."""

    def __init__(self, message, errno=None, folder=None):
        super().__init__(message)
        self.errno = errno
        self.folder = folder

    def __str__(self):
        return self.args[0]


def fault_errno(err):
    """The errno of a write fault in ``err`` (or in its causes), from the
    exception or from its text; ``None`` when it is not one."""
    seen = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        code = getattr(err, "errno", None)
        if code in _WRITE_FAULTS:
            return code
        text = str(err)
        for code, words in _WRITE_FAULTS.items():
            if words in text or f"[Errno {code}]" in text:
                return code
        err = err.__cause__
    return None


def free_bytes(folder):
    """Free bytes on the file system that holds ``folder`` (or its nearest
    existing parent, for a folder not made yet)."""
    folder = os.path.abspath(os.fspath(folder))
    while not os.path.exists(folder) and os.path.dirname(folder) != folder:
        folder = os.path.dirname(folder)
    return shutil.disk_usage(folder).free


def format_size(size):
    """Bytes as ``'3.0 MB'`` (binary megabytes, as ``df -m`` counts)."""
    return f"{size / 2 ** 20:.1f} MB"


def _space_message(folder, what, needed):
    free = free_bytes(folder)
    needs = f"about {format_size(needed)} needed, " if needed else ""
    return (f"not enough space in {folder} for {what}: {needs}"
            f"{format_size(free)} free")


def check_space(folder, what, needed, minimum=None):
    """Raises :class:`MachineFault` before any work when ``minimum`` bytes
    (a lower bound of what ``what`` writes; default ``needed``) do not fit
    in ``folder``; the message gives ``needed``, the estimate."""
    minimum = needed if minimum is None else minimum
    if minimum and free_bytes(folder) < minimum:
        raise MachineFault(_space_message(folder, what, needed),
                           _errno.ENOSPC, folder)


def variables_bytes(variables):
    """Bytes of the values of ``variables`` (Keras or TensorFlow): what a
    checkpoint of them holds at the least."""
    import numpy as np
    return sum(math.prod(v.shape) * np.dtype(
        getattr(v.dtype, "name", v.dtype)).itemsize for v in variables)


def _fault(err, folder, what, needed):
    code = fault_errno(err)
    if code is None:
        return None
    if code in _SPACE:
        return MachineFault(_space_message(folder, what, needed), code,
                            folder)
    return MachineFault(f"cannot write {what} in {folder}: "
                        f"{_WRITE_FAULTS[code].lower()}", code, folder)


class _Job:
    """What :func:`writing` yields: :meth:`expect` sets the estimate once
    the job knows it (a model built) and checks it fits."""

    def __init__(self, folder, what, needed):
        self.folder, self.what, self.needed = folder, what, needed

    def expect(self, needed, minimum=None):
        self.needed = needed
        check_space(self.folder, self.what, needed, minimum)


@contextlib.contextmanager
def writing(folder, what, needed=None):
    """Runs the block; a write fault inside it becomes one
    :class:`MachineFault` naming ``folder`` and ``what`` (with ``needed``
    bytes, an estimate, and the free space for a full disk). Other errors,
    and a ``MachineFault`` raised inside (already worded), pass unchanged.

    The block's own clean-up (``finally`` clauses, atomic renames) runs
    before the free space is measured, so the figure is what a retry has.

    Example:
        >>> import errno, tempfile
        >>> try:
        ...     with writing(tempfile.gettempdir(), "the report"):
        ...         raise OSError(errno.EACCES, "Permission denied")
        ... except MachineFault as err:
        ...     print(str(err).split(": ")[-1])
        permission denied
    """
    job = _Job(os.fspath(folder), what, needed)
    try:
        yield job
    except MachineFault:
        raise
    except Exception as err:   # OSError, h5py's, TensorFlow's OpError
        fault = _fault(err, job.folder, job.what, job.needed)
        if fault is None:
            raise
        raise fault from err
