"""The GPU measurement, the Python part of ``benchmarks/gpu.sh``: training
and inference images/s of Inception-v3, Inception-v4 and
Inception-ResNet-v2 with ``mixed_bfloat16`` and XLA (``jit_compile=True``)
on synthetic data, and the achieved fraction of the GPU's bf16 peak.

For each model: the training step at ``--batch-size`` (default 128; SGD
with momentum, the loss of the main head, every step's batch already on
the device) and inference at ``--inference-batch`` (default 256), each
``--steps`` timed calls after ``--warmup`` untimed ones (the first traces
and compiles). Achieved TFLOP/s are 2 x multiply-adds per image x images/s
(a training step counts as 3 forward passes) over the peak of the GPU
named by the driver, from :data:`BF16_PEAK_TFLOPS` (dense bf16 tensor-core
figures from NVIDIA's data sheets; an unknown GPU prints ``-``).

Prints one table, one row per model and measure::

    model | image | measure | batch | images/s | ms/step | TFLOP/s | of bf16 peak

and writes it as CSV beside ``--output`` when given. ``--cpu-test`` runs
the same code on the CPU with tiny settings (75 px, width 0.125, batch 4,
2 steps), which is what the test suite checks; on an H100 the full run
takes about 3-5 minutes, mostly XLA compiling (no GPU was lent while this
was written: that figure is an estimate, the script prints its own time).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

MODELS = ("inception_v3", "inception_v4", "inception_resnet_v2")
# Dense bf16 tensor-core peak (TFLOP/s, no sparsity), by a substring of the
# device name the driver reports; the first match wins (longest first).
BF16_PEAK_TFLOPS = {"H200": 989.0, "H100 PCIe": 756.0, "H100 NVL": 835.0,
                    "H100": 989.0, "GH200": 989.0, "B200": 2250.0,
                    "A100": 312.0, "A800": 312.0, "L40S": 362.0,
                    "L40": 181.0, "L4": 121.0, "A10G": 70.0, "A10": 125.0,
                    "RTX 4090": 165.0, "RTX 6000 Ada": 364.0,
                    "A6000": 155.0, "RTX 3090": 71.0}
COLUMNS = ("model", "image", "measure", "batch", "images_per_s",
           "ms_per_step", "tflops", "of_peak", "device")


def peak_tflops(device_name):
    """The bf16 peak of ``device_name`` from :data:`BF16_PEAK_TFLOPS`, or
    ``None``."""
    for key in sorted(BF16_PEAK_TFLOPS, key=len, reverse=True):
        if key.lower() in (device_name or "").lower():
            return BF16_PEAK_TFLOPS[key]
    return None


def device_name():
    import tensorflow as tf
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return "CPU"
    details = tf.config.experimental.get_device_details(gpus[0])
    return details.get("device_name", "GPU")


def _timed(call, steps, warmup):
    for _ in range(warmup):
        call()
    start = time.perf_counter()
    for _ in range(steps):
        call()
    return (time.perf_counter() - start) / steps


def measure(name, *, image_size, width, batch_size, inference_batch, steps,
            warmup, peak):
    """The training and inference rows of one model."""
    import keras
    import tensorflow as tf

    from keras_inception.benchmark.workloads import forward_flops
    from keras_inception.models import registry

    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        info = registry.get_model_info(name)
        model = registry.get_model(
            name, input_shape=(image_size, image_size, 3),
            width_multiplier=width,
            **({"aux_logits": False} if info.aux else {}))
        model.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9),
                      loss="sparse_categorical_crossentropy",
                      jit_compile=True)
        flops = forward_flops(model)
        rows = []
        for what, batch in (("training", batch_size),
                            ("inference", inference_batch)):
            images = tf.random.stateless_uniform(
                (batch, image_size, image_size, 3), (1, 2), -1, 1)
            labels = tf.random.stateless_uniform((batch,), (3, 4), 0, 1000,
                                                 tf.int32)
            if what == "training":
                def call():
                    return model.train_on_batch(images, labels)
                work = 3 * flops
            else:
                forward = tf.function(model, jit_compile=True)

                def call():
                    return forward(images).numpy()
                work = flops
            seconds = _timed(call, steps, warmup)
            rate = batch / seconds
            tflops = work * rate / 1e12
            rows.append({"model": name, "image": image_size, "measure": what,
                         "batch": batch, "images_per_s": rate,
                         "ms_per_step": 1000 * seconds, "tflops": tflops,
                         "of_peak": None if peak is None else tflops / peak})
        return rows
    finally:
        keras.mixed_precision.set_global_policy("float32")


def format_table(rows, device):
    lines = [f"GPU benchmark on {device}: mixed_bfloat16, XLA, synthetic "
             "data", "",
             "| model | image | measure | batch | images/s | ms/step | "
             "TFLOP/s | of bf16 peak |", "|---|---:|---|---:|---:|---:|---:|"
             "---:|"]
    for r in rows:
        frac = "-" if r["of_peak"] is None else f"{100 * r['of_peak']:.0f}%"
        lines.append(f"| {r['model']} | {r['image']} | {r['measure']} | "
                     f"{r['batch']} | {r['images_per_s']:.1f} | "
                     f"{r['ms_per_step']:.1f} | {r['tflops']:.2f} | {frac} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--inference-batch", type=int, default=256)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--output", help="also write the rows as CSV here")
    parser.add_argument("--cpu-test", action="store_true",
                        help="tiny settings on the CPU (the suite's check)")
    args = parser.parse_args(argv)
    for value, flag in ((args.batch_size, "--batch-size"),
                        (args.inference_batch, "--inference-batch"),
                        (args.steps, "--steps"), (args.warmup, "--warmup")):
        if value < 1:
            parser.error(f"{flag} must be >= 1; received {value}")
    sys.path.insert(0, os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    from keras_inception.models import registry
    names = [registry.get_model_info(n.strip()).name
             for n in args.models.split(",") if n.strip()]
    device = device_name()
    if args.cpu_test:
        sizes, width = {n: 75 for n in names}, 0.125
        args.batch_size, args.inference_batch = 4, 4
        args.steps, args.warmup = 2, 1
    else:
        if device == "CPU":
            parser.error("no GPU found (run with --cpu-test to check the "
                         "script on a CPU)")
        sizes = {n: registry.get_model_info(n).default_size for n in names}
        width = 1.0
    peak = peak_tflops(device)
    start = time.perf_counter()
    rows = []
    for name in names:
        print(f"measuring {name} ...", file=sys.stderr, flush=True)
        rows += measure(name, image_size=sizes[name], width=width,
                        batch_size=args.batch_size,
                        inference_batch=args.inference_batch,
                        steps=args.steps, warmup=args.warmup, peak=peak)
    print(format_table(rows, device))
    print(f"({time.perf_counter() - start:.0f} s)", file=sys.stderr)
    if args.output:
        from keras_inception.utils import atomic
        out = io.StringIO()
        writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
        writer.writeheader()
        for r in rows:
            writer.writerow({**r, "device": device})
        atomic.write_text(args.output, out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
