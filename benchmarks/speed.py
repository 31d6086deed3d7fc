"""Our models beside keras.applications on this machine, in one run:
inference latency (batch 1) and throughput (batch 16), the training step
with and without the auxiliary heads, peak resident memory, achieved
GFLOP/s against a measured 3x3-convolution ceiling, and the input pipeline
beside the training step it feeds.

A thin script over ``keras-inception benchmark`` (``keras_inception.
benchmark.run_benchmark``); it takes the same options and, by default,
writes ``benchmarks/results/benchmark.{csv,json,md,png}``:

    python benchmarks/speed.py                                # v3 and IR-v2, 299 px
    python benchmarks/speed.py --models inception_v4 --repeats 3
"""

import sys

from keras_inception.cli import main

if __name__ == "__main__":
    argv = sys.argv[1:]
    if "--plot" not in argv:
        argv.append("--plot")
    sys.exit(main(["benchmark", *argv]))
