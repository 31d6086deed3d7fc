"""Every deployment runtime beside the Keras model: the two runs of the
README's deployment table, each ``keras-inception benchmark --runtimes``
(``keras_inception.benchmark.run_runtimes``) with its chart.

1. ``speed``: the full-size Inception-v3 (299 px, random weights; speed does
   not depend on the weights) -- batch-1 latency, batch-16 images/s and
   file size of the SavedModel, TFLite fp32/fp16/dynamic/int8 and ONNX
   Runtime fp32/int8 against Keras, into
   ``benchmarks/results/runtimes.{csv,json,md,png}``.
2. ``agreement``: the trained Inception-v3 of ``tests/data/trained`` (width
   0.125, 107 px, 10 classes of the embedded dataset) -- each artifact's
   top-1 agreement with the fp32 Keras model on 1000 held-out images,
   into ``benchmarks/results/runtimes_trained.*``. No ImageNet weights
   can be downloaded here; this is the trained Inception-v3 we ship.

    python benchmarks/runtimes.py                  # both (about 10 minutes)
    python benchmarks/runtimes.py speed --repeats 3
    python benchmarks/runtimes.py agreement

Options after the run's name go to ``keras-inception benchmark``.
"""

import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "benchmarks", "results")
RUNS = {
    "speed": ["--models", "inception_v3", "--output",
              os.path.join(RESULTS, "runtimes")],
    "agreement": ["--models", "inception_v3", "--classes", "10",
                  "--width-multiplier", "0.125", "--image-size", "107",
                  "--agreement-images", "1000", "--output",
                  os.path.join(RESULTS, "runtimes_trained")],
}


def main(argv):
    names = [a for a in argv[:1] if a in RUNS] or list(RUNS)
    extra = argv[1:] if argv[:1] and argv[0] in RUNS else argv
    sys.path.insert(0, ROOT)
    from keras_inception.cli import main as cli

    with tempfile.TemporaryDirectory() as scratch:
        for name in names:
            args = ["benchmark", "--runtimes", *RUNS[name], "--plot", *extra]
            if name == "agreement":
                from tests.trained_fixtures import trained_model
                weights = os.path.join(scratch, "inception_v3.weights.h5")
                trained_model("inception_v3").save_weights(weights)
                args += ["--weights", weights]
            code = cli(args)
            if code:
                return code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
