"""Searches: keras-tuner's tuners around an :class:`~keras_inception.tuning.
hypermodel.InceptionHyperModel`, and distributed tuning on one machine.

:func:`search` runs a whole search into one folder -- resumable, one log
line per trial, a table of trials (CSV), a PNG of validation accuracy
against GMACs with the Pareto front, and the best trial as a run folder
(``best/``) that ``keras-inception export --checkpoint`` takes. Distributed
tuning is keras-tuner's: the chief (``KERASTUNER_TUNER_ID=chief``) serves
the oracle at ``KERASTUNER_ORACLE_IP:KERASTUNER_ORACLE_PORT``, workers
(``tuner0``, ``tuner1`` ...) run trials; :func:`launch_local` starts one
chief and N workers on this machine.
"""

from __future__ import annotations

import logging
import os
import sys

import keras_tuner
from keras_tuner.src import config as tuner_config

from keras_inception.training.config import TrainConfig
from keras_inception.training.run_folder import RUN_CONFIG
from keras_inception.tuning.hypermodel import REJECTED, InceptionHyperModel
from keras_inception.tuning.report import (BEST, HYPERPARAMETERS_JSON,
                                           trial_row, write_report)
from keras_inception.utils import atomic as _io
from keras_inception.utils import faults
from keras_inception.utils.checks import check_count

logger = logging.getLogger("keras_inception")

TUNERS = ("random", "bayesian", "hyperband")
PROJECT = "search"          # keras-tuner's project folder in the output


class _TrialFault(faults.MachineFault, keras_tuner.errors.FatalError):
    """A fault of the machine inside a trial (its disk full): keras-tuner
    stops the search on a ``FatalError`` instead of marking the trial
    invalid and trying the next one on the same full disk."""


class _Reporting:
    """Mixed into keras-tuner's tuners by :func:`make_tuner`: one log line
    as each trial begins and ends, rejections and failures included; a
    machine fault in a trial stops the search."""

    def run_trial(self, trial, *args, **kwargs):
        try:
            return super().run_trial(trial, *args, **kwargs)
        except faults.MachineFault as err:
            raise _TrialFault(str(err), err.errno, err.folder) from err
        except keras_tuner.errors.FailedTrialError as err:
            # keras-tuner prints the stack trace of every failed trial while
            # its config.DEBUG is on (the default). A trial over budget is
            # expected and on_trial_end logs it in one line: no trace for
            # it; any other failure keeps keras-tuner's.
            if str(err).startswith(REJECTED):
                self._debug, tuner_config.DEBUG = tuner_config.DEBUG, False
            raise

    def on_trial_begin(self, trial):
        super().on_trial_begin(trial)
        shown = _shown(trial.hyperparameters.values)
        logger.info("trial %s: %s", trial.trial_id, shown)

    def on_trial_end(self, trial):
        if getattr(self, "_debug", None) is not None:
            tuner_config.DEBUG, self._debug = self._debug, None
        super().on_trial_end(trial)
        row = trial_row(self, trial)
        if row["status"] == "COMPLETED":
            logger.info("trial %s: val top-1 %.4f, %s parameters, %.4g "
                        "GMACs, %.1f s", trial.trial_id, row["val_top1"],
                        f"{row['parameters']:,}", row["gmacs"],
                        row["seconds"])
        else:
            logger.info("trial %s: %s -- %s", trial.trial_id,
                        row["status"].lower(), row["reason"])


def _shown(values):
    return ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                     for k, v in values.items() if not k.startswith("tuner/"))


def make_tuner(hypermodel, tuner="bayesian", *, max_trials=10, output,
               overwrite=False, seed=0, **kwargs):
    """keras-tuner's tuner for ``hypermodel``, writing into ``output``.

    Args:
        hypermodel: an :class:`InceptionHyperModel`.
        tuner: ``"random"`` (``RandomSearch``), ``"bayesian"``
            (``BayesianOptimization``) or ``"hyperband"`` (``Hyperband``
            with ``max_epochs`` the hypermodel's ``epochs``; ``max_trials``
            caps its brackets).
        max_trials: trials in all, rejected ones included.
        output: the search folder (keras-tuner's project is
            ``output/search``).
        overwrite: start afresh; otherwise an existing search resumes.
        seed: the oracle's seed.
        **kwargs: more arguments of the keras-tuner class.
    """
    if not isinstance(hypermodel, InceptionHyperModel):
        raise TypeError("`hypermodel` must be an InceptionHyperModel; "
                        f"received {type(hypermodel).__name__}.")
    if tuner not in TUNERS:
        raise ValueError(f"`tuner` must be one of {TUNERS}; received "
                         f"{tuner!r}.")
    check_count(max_trials, "max_trials")
    check_count(seed, "seed", 0)
    base = {"random": keras_tuner.RandomSearch,
            "bayesian": keras_tuner.BayesianOptimization,
            "hyperband": keras_tuner.Hyperband}[tuner]
    cls = type(base.__name__, (_Reporting, base), {})
    options = dict(hypermodel=hypermodel, objective=hypermodel.objective,
                   directory=os.fspath(output), project_name=PROJECT,
                   overwrite=overwrite, seed=seed,
                   # A rejected configuration is a failed trial: let a
                   # tight budget reject several in a row.
                   max_consecutive_failed_trials=max(3, max_trials))
    if tuner == "hyperband":
        hypermodel.check_epochs(1, " (Hyperband trains trials for as little "
                                "as 1 epoch)")
        options["max_epochs"] = max(hypermodel.base.epochs, 2)
    else:
        options["max_trials"] = max_trials
    options.update(kwargs)
    made = cls(**options)
    if tuner == "hyperband":
        made.oracle.max_trials = max_trials
    return made


def search(hypermodel, tuner="bayesian", *, max_trials=10, output,
           overwrite=False, seed=0, callbacks=None, **kwargs):
    """Runs a search into ``output`` and reports it.

    Started again with the same arguments after an interruption, the
    search resumes: finished trials are kept, an interrupted one resumes
    from its training backup, and only the remaining trials run. Under
    distributed tuning (``KERASTUNER_*`` variables set) the chief serves
    the oracle and writes the report; workers only run trials.

    Args:
        hypermodel, tuner, max_trials, output, overwrite, seed, **kwargs:
            as :func:`make_tuner`.
        callbacks: Keras callbacks for every trial's ``fit`` (keras-tuner
            copies them per trial).

    Returns:
        A :class:`SearchReport` (``None`` on a worker).

    Raises:
        TypeError, ValueError: bad arguments, before any trial.
        keras_inception.utils.faults.MachineFault: the disk of ``output``
            full or not writable (the search stops; rerun to resume).
    """
    output = _check_output(output)
    made = make_tuner(hypermodel, tuner, max_trials=max_trials,
                      output=output, overwrite=overwrite, seed=seed, **kwargs)
    done = sum(t.status in ("COMPLETED", "FAILED")
               for t in getattr(made.oracle, "trials", {}).values())
    if done:
        logger.info("resuming the search in %s: %d of %d trials done",
                    output, done, max_trials)
    # keras-tuner's own display (hyperparameter tables on stdout) is off:
    # each trial shows its training progress and a line when it ends
    # (InceptionHyperModel.fit).
    with faults.writing(output, f"tuning search {output}"):
        made.search(verbose=0, callbacks=list(callbacks or ()))
        if _is_worker():
            return None
        return write_report(made, output)


def _is_worker():
    from keras_tuner.src.distribute import utils
    return utils.has_chief_oracle() and not utils.is_chief_oracle()


def _check_output(output):
    if not isinstance(output, (str, os.PathLike)) or not os.fspath(output):
        raise TypeError("`output` must be a folder path; received "
                        f"{output!r}.")
    output = os.fspath(output)
    if os.path.exists(output) and not os.path.isdir(output):
        raise ValueError(f"`output` {output!r} is a file, not a folder.")
    return output


def load_best(output):
    """The best trial a search saved: ``(hyperparameters record,
    TrainConfig)`` -- the config retrains it (set another ``output``)."""
    best = os.path.join(_check_output(output), BEST)
    record = _io.read_json(os.path.join(best, HYPERPARAMETERS_JSON))
    saved = _io.read_json(os.path.join(best, RUN_CONFIG))
    if record is None or saved is None:
        raise ValueError(f"{output!r} holds no finished search ({BEST}/"
                         f"{HYPERPARAMETERS_JSON} is missing).")
    return record, TrainConfig(**saved["config"])


# --------------------------------------------------------------------------
# Distributed tuning on one machine
# --------------------------------------------------------------------------
def launch_local(num_workers, command, *, timeout=None, stream=None):
    """Runs ``command`` as one keras-tuner chief and ``num_workers``
    workers on this machine, sharing one oracle.

    The chief gets ``KERASTUNER_TUNER_ID=chief``, the workers ``tuner0``,
    ``tuner1`` ...; all get ``KERASTUNER_ORACLE_IP=127.0.0.1`` and a free
    ``KERASTUNER_ORACLE_PORT``. Lines are prefixed ``[chief]``,
    ``[tuner0]`` ... . Returns 0 when all succeeded, else the first failed
    exit code; on a failure the others are stopped.
    """
    from keras_inception.utils import processes

    check_count(num_workers, "num_workers")
    port = processes.free_ports(1)[0]
    shared = {"KERASTUNER_ORACLE_IP": "127.0.0.1",
              "KERASTUNER_ORACLE_PORT": str(port)}
    ids = ["chief"] + [f"tuner{i}" for i in range(num_workers)]
    return processes.run_processes(
        [{**shared, "KERASTUNER_TUNER_ID": i} for i in ids], command,
        labels=ids, timeout=timeout, stream=stream or sys.stdout)
