"""Speed and memory, measured: our models beside keras.applications.

``keras-inception benchmark`` and ``benchmarks/speed.py`` call
:func:`run_benchmark` (:mod:`.suite`), which times each contender in
alternating rounds (:mod:`.timing`) on the workloads of :mod:`.workloads`
and returns a :class:`Report` (:mod:`.report`): a Markdown table, CSV and
JSON files with the machine and the date, and a PNG chart.
``keras-inception benchmark --runtimes`` calls :func:`run_runtimes`
(:mod:`.runtimes`): every export runtime of one model beside the Keras
model, with file sizes and top-1 agreement, in the same kind of report.

Layer: above models, convert, data, training and deploy (it builds models,
converts the PyTorch peers' weights, loads the input pipeline, compiles
training steps and exports); below the CLI.
"""

from keras_inception.benchmark.report import (COLUMNS, Report,
                                              format_report, plot_report,
                                              write_report)
from keras_inception.benchmark.runtimes import run_runtimes, runtime_ratios
from keras_inception.benchmark.suite import MEASURES, machine, run_benchmark

__all__ = ["COLUMNS", "MEASURES", "Report", "format_report", "machine",
           "plot_report", "run_benchmark", "run_runtimes", "runtime_ratios",
           "write_report"]
