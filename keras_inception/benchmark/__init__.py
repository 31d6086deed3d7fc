"""Speed and memory, measured: our models beside keras.applications.

``keras-inception benchmark`` and ``benchmarks/speed.py`` call
:func:`run_benchmark` (:mod:`.suite`), which times each contender in
alternating rounds (:mod:`.timing`) on the workloads of :mod:`.workloads`
and returns a :class:`Report` (:mod:`.report`): a Markdown table, CSV and
JSON files with the machine and the date, and a PNG chart.

Layer: above models, data and training (it builds models, loads the input
pipeline and compiles training steps); below the CLI.
"""

from keras_inception.benchmark.report import (COLUMNS, Report,
                                              format_report, plot_report,
                                              write_report)
from keras_inception.benchmark.suite import MEASURES, machine, run_benchmark

__all__ = ["COLUMNS", "MEASURES", "Report", "format_report", "machine",
           "plot_report", "run_benchmark", "write_report"]
