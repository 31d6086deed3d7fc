"""Latency and throughput of one model in every deployment runtime, side by
side in one run: Keras, the SavedModel (TensorFlow), TFLite fp32 and int8
(ai-edge-litert) and ONNX Runtime, with their file sizes.

Every runtime runs the same exported graph (preprocessing included) on the
same images, on this machine, one after the other; figures are medians over
``--repeats`` timed calls after ``--warmup`` untimed ones. Ratios are against
Keras measured in the same run, which is what survives a noisy shared
machine.

    python benchmarks/deploy_latency.py                      # full-size Inception-v3
    python benchmarks/deploy_latency.py --model inception_v1 --image-size 224
    python benchmarks/deploy_latency.py --checkpoint runs/demo   # a trained run

Prints a Markdown table and writes it, with a PNG chart, beside ``--output``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")



def _timed(fn, batch, warmup, repeats):
    for _ in range(warmup):
        fn(batch)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(batch)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _export(args, folder):
    """Exports the model; returns the export and the Keras model it came
    from (preprocessing included), for timing side by side."""
    from keras_inception.deploy import artifacts
    from keras_inception.deploy import export
    from keras_inception.deploy.verification import random_images
    from keras_inception.deploy.wrapping import deployable
    from keras_inception.models import registry
    common = dict(formats="saved_model,tflite,onnx", quantize="none,int8",
                  calibration_images=args.calibration_images,
                  parity_images=8, evaluation_images=8)
    if args.checkpoint:
        result = export.export_checkpoint(args.checkpoint, folder, **common)
        return result, artifacts.load_artifact(args.checkpoint).model
    info = registry.get_model_info(args.model)
    size = args.image_size or info.default_size
    model = registry.get_model(info.name, input_shape=(size, size, 3),
                               width_multiplier=args.width_multiplier)
    calibration = random_images(args.calibration_images, size, seed=1)
    result = export.export(model, folder, calibration_data=calibration,
                           **common)
    return result, deployable(model, info.preprocessing)


RUNTIMES = (("SavedModel (TensorFlow)", "saved_model"),
            ("TFLite fp32 (LiteRT)", "tflite"),
            ("TFLite int8 (LiteRT)", "tflite_int8"),
            ("ONNX Runtime", "onnx"))


def _runtimes(result, threads):
    from keras_inception.deploy import artifacts

    loaded, sizes = {}, {}
    for label, key in RUNTIMES:
        loaded[label] = artifacts.load_artifact(result.artifact(key),
                                                num_threads=threads)
        sizes[label] = result.manifest["artifacts"][key]["bytes"]
    return loaded, sizes


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="inception_v3")
    parser.add_argument("--image-size", type=int)
    parser.add_argument("--width-multiplier", type=float, default=1.0)
    parser.add_argument("--checkpoint", help="a training run instead of a "
                        "randomly initialised --model")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--batch", type=int, default=16,
                        help="throughput batch (default: %(default)s)")
    parser.add_argument("--threads", type=int, default=os.cpu_count(),
                        help="CPU threads for LiteRT and ONNX Runtime "
                        "(TensorFlow uses its own pool; default: all)")
    parser.add_argument("--calibration-images", type=int, default=32)
    parser.add_argument("--output", default=os.path.join(
        "benchmarks", "results", "deploy_latency.md"))
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.warmup < 0 or args.batch < 1:
        parser.error("--repeats and --batch must be >= 1, --warmup >= 0")

    import tensorflow as tf

    from keras_inception.deploy.verification import random_images

    with tempfile.TemporaryDirectory() as folder:
        print("exporting (SavedModel, TFLite fp32 + int8, ONNX) ...",
              file=sys.stderr, flush=True)
        start = time.perf_counter()
        result, deploy = _export(args, folder)
        print(f"  exported in {time.perf_counter() - start:.0f} s",
              file=sys.stderr)
        loaded, sizes = _runtimes(result, args.threads)
        images = random_images(
            args.batch, result.manifest["input"]["height"], seed=3)
        # Keras: the deployable model the export came from, as a traced
        # tf.function (how predict runs it, without XLA).
        keras_fn = tf.function(lambda x: deploy(x, training=False))
        runners = {"Keras (tf.function)":
                   lambda x: keras_fn(tf.constant(x)).numpy()}
        for name, artifact in loaded.items():
            runners[name] = artifact._run
        rows = []
        for name, fn in runners.items():
            print(f"timing {name} ...", file=sys.stderr, flush=True)
            latency = _timed(fn, images[:1], args.warmup, args.repeats)
            batch_time = _timed(fn, images, args.warmup,
                                max(2, args.repeats // 2))
            rows.append({"runtime": name, "bytes": sizes.get(name),
                         "latency_ms": 1000 * latency,
                         "throughput": args.batch / batch_time})
    _report(rows, args, result.manifest)
    return 0


def _report(rows, args, manifest):
    from keras_inception.utils import atomic as _io

    base = rows[0]
    what = (f"{manifest['architecture'] or manifest['model_name']} "
            f"{manifest['input']['height']}x{manifest['input']['height']}"
            + (f", width {args.width_multiplier}"
               if args.width_multiplier != 1 else ""))
    lines = [f"Deployment runtimes, {what}, {os.cpu_count()} CPU cores "
             f"({args.threads} threads for LiteRT/ONNX Runtime); median of "
             f"{args.repeats} calls (batch 1) and {max(2, args.repeats // 2)}"
             f" calls (batch {args.batch}).", "",
             f"| runtime | file size (MB) | batch-1 latency (ms) | speed vs "
             f"Keras | batch-{args.batch} throughput (images/s) | vs Keras |",
             "|---|---:|---:|---:|---:|---:|"]
    for row in rows:
        size = "-" if row["bytes"] is None else f"{row['bytes'] / 1e6:.1f}"
        lines.append(
            f"| {row['runtime']} | {size} | {row['latency_ms']:.1f} | "
            f"{base['latency_ms'] / row['latency_ms']:.2f}x | "
            f"{row['throughput']:.1f} | "
            f"{row['throughput'] / base['throughput']:.2f}x |")
    table = "\n".join(lines) + "\n"
    print(table)
    _io.write_text(args.output, table)
    _chart(rows, args, what, os.path.splitext(args.output)[0] + ".png")
    print(f"written {args.output} and its .png", file=sys.stderr)


def _chart(rows, args, what, path):
    from keras_inception.utils.plotting import pyplot, save_png
    plt = pyplot()
    names = [r["runtime"] for r in rows]
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    axes[0].barh(names, [r["latency_ms"] for r in rows], color="#4c72b0")
    axes[0].set_xlabel("batch-1 latency (ms, lower is better)")
    axes[1].barh(names, [r["throughput"] for r in rows], color="#55a868")
    axes[1].set_xlabel(f"batch-{args.batch} throughput (images/s)")
    axes[1].set_yticklabels([])
    for ax in axes:
        ax.invert_yaxis()
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(f"Deployment runtimes: {what}")
    save_png(fig, path, dpi=100)


if __name__ == "__main__":
    sys.exit(main())
