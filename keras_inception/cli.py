"""``keras-inception``: a thin command line over the library API."""

from __future__ import annotations

import argparse
import logging
import os
import sys


def _quiet_tensorflow():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def cmd_models(args):
    from keras_inception.models.table import format_table, model_rows

    def progress(name):
        print(f"  built {name}", file=sys.stderr, flush=True)

    print(format_table(model_rows(args.names or None, progress=progress)))
    return 0


def cmd_summary(args):
    import keras

    from keras_inception.models import registry
    from keras_inception.utils.plotting import plot_architecture

    if args.plot and not args.plot.lower().endswith(".png"):
        raise ValueError(f"--plot must name a .png file; received "
                         f"{args.plot!r}.")
    if args.dpi <= 0:
        raise ValueError(f"--dpi must be positive; received {args.dpi}.")
    kwargs = {}
    if args.input_size is not None:
        kwargs["input_shape"] = (args.input_size, args.input_size, 3)
    if args.width_multiplier != 1.0:
        kwargs["width_multiplier"] = args.width_multiplier
    model = registry.get_model(args.name, **kwargs)
    if not sys.stdout.isatty():
        # Keras renders through rich, which assumes 80 columns when piped
        # and cut the parameter and connection columns off.
        os.environ.setdefault("COLUMNS", "160")
    model.summary(line_length=160)
    if args.plot:
        path = plot_architecture(model, args.plot, dpi=args.dpi)
        print(f"architecture diagram written to {path}")
    del keras
    return 0


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a message comes, not the
    stream of the first call: a program (or a test) that calls ``main``
    more than once may have replaced and closed that one since."""

    def __init__(self):
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


def _show_logs():
    """Library messages (resume points, skipped files) on stderr, once
    however often ``main`` runs in one process."""
    log = logging.getLogger("keras_inception")
    if any(isinstance(h, _StderrHandler) for h in log.handlers):
        return
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("keras-inception: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


def _verbose(args):
    if args.verbose is not None:
        return args.verbose
    return 1 if sys.stdout.isatty() else 2


def _bool_or_auto(text):
    value = text.strip().lower()
    if value == "auto":
        return "auto"
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(
        f"expected auto, true or false; received {text!r}")


def _int_list(text):
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers; received {text!r}") from None


def cmd_train(args):
    from keras_inception.training import runner

    fields = {f.name for f in __import__("dataclasses").fields(
        runner.TrainConfig)}
    values = {k: v for k, v in vars(args).items()
              if k in fields and v is not None}
    values["verbose"] = _verbose(args)
    summary = runner.train(runner.TrainConfig(**values))
    print(_format_summary(summary, args.output))
    return 0


def _format_summary(summary, output):
    def pct(value):
        return "-" if value is None else f"{100 * value:.2f}%"
    lines = [
        f"run {output}: {summary['model']} on {summary['dataset']}",
        f"  validation top-1 {pct(summary['val_top1'])}, top-5 "
        f"{pct(summary['val_top5'])} (best top-1 "
        f"{pct(summary['best_val_top1'])} at epoch {summary['best_epoch']})",
        f"  {summary['epochs']} epochs x {summary['steps_per_epoch']} steps,"
        f" batch {summary['batch_size']}, {summary['parameters']:,} "
        f"parameters, {summary['replicas']} replica(s)",
        f"  training time {summary['train_seconds_this_process']:.1f} s, "
        f"{summary['images_per_second'] or 0:.1f} images/s",
    ]
    if summary["skipped_files"]:
        lines.append(f"  skipped {len(summary['skipped_files'])} unreadable "
                     f"files: {', '.join(summary['skipped_files'][:3])}")
    lines.append(f"  files: {os.path.join(output, 'summary.json')}, "
                 "best.weights.h5, last.weights.h5, history.csv, "
                 "curves.png, logs/")
    return "\n".join(lines)


def cmd_evaluate(args):
    from keras_inception.training import runner

    result = runner.evaluate(args.checkpoint, args.dataset,
                             batch_size=args.batch_size,
                             data_dir=args.data_dir,
                             verbose=_verbose(args))
    print(f"evaluated {result['weights']} on {result['dataset']}: "
          f"top-1 {100 * result['top1']:.2f}%, top-5 "
          f"{100 * result['top5']:.2f}%, loss {result['loss']:.4f}; "
          f"{result['images']} images in {result['seconds']:.1f} s "
          f"({result['images_per_second']:.1f} images/s)")
    return 0


def cmd_launch(args):
    from keras_inception.distribute import strategies as distribute

    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise ValueError("give the command after `--`, e.g. `keras-inception"
                         " launch --workers 2 -- train --model inception_v1 "
                         "--strategy multi_worker`.")
    if command[0] != "train":
        raise ValueError("`launch` runs `train`; received "
                         f"{command[0]!r}.")
    return distribute.launch(
        args.workers, [sys.executable, "-m", "keras_inception.cli", *command],
        timeout=args.timeout)


def cmd_export(args):
    from keras_inception.deploy import export

    if (args.checkpoint is None) == (args.model is None):
        raise ValueError("give either --checkpoint RUN (a training run or a "
                         "weights file in one) or --model NAME --weights "
                         "FILE.")
    if args.model is not None and args.weights is None:
        raise ValueError("--model needs --weights FILE (the weights to "
                         "export).")
    if args.checkpoint is not None and args.weights is not None:
        raise ValueError("--weights goes with --model; with --checkpoint, "
                         "pass the weights file as --checkpoint.")
    # Options left out take the library's defaults (one place for them).
    given = dict(quantize=args.quantize, version=args.version,
                 opset=args.opset, max_pixels=args.max_pixels,
                 top_k=args.top_k, name=args.name, dataset=args.dataset,
                 data_dir=args.data_dir,
                 calibration_images=args.calibration_images,
                 evaluation_images=args.evaluation_images)
    if args.model is not None:
        given.update(classes=args.classes, input_size=args.input_size,
                     width_multiplier=args.width_multiplier)
    common = {k: v for k, v in given.items() if v is not None}
    common.update(path=args.output, formats=args.format,
                  overwrite=args.overwrite)
    if args.checkpoint is not None:
        result = export.export_checkpoint(args.checkpoint, **common)
    else:
        result = export.export_weights(args.model, args.weights, **common)
    print(_format_export(result))
    return 0


def _format_export(result):
    lines = [f"exported {result.manifest['model_name']} version "
             f"{result.version} to {result.path}"]
    for key, entry in result.manifest["artifacts"].items():
        parity = entry["parity"]
        text = (f"  {key:15s} {entry['bytes'] / 1e6:8.2f} MB  max |diff| "
                f"{parity['max_abs_diff']:.2e}, top-1 agreement "
                f"{100 * parity['top1_agreement']:.1f}% on "
                f"{parity['images']} images")
        accuracy = entry.get("accuracy")
        if accuracy:
            text += (f"; top-1 {100 * accuracy['top1']:.2f}% vs Keras "
                     f"{100 * accuracy['keras_top1']:.2f}% on "
                     f"{accuracy['images']} labelled images")
        if entry.get("meets_targets") is False:
            text += "  (below target)"
        lines.append(text)
    lines.append(f"  manifest: {result.path}/manifest.json")
    return "\n".join(lines)


def cmd_predict(args):
    from keras_inception.deploy.artifacts import load_artifact
    from keras_inception.utils.checks import check_count

    check_count(args.top, "top")   # before loading anything
    artifact = load_artifact(args.artifact)
    probabilities = artifact.predict_files(args.images)
    print(f"{artifact.kind}: {artifact.path}")
    for image, best in zip(args.images,
                           artifact.top_k(probabilities, args.top)):
        print(image)
        for rank, (name, score) in enumerate(best, 1):
            print(f"  {rank}. {name:30s} {score:.4f}")
    return 0


def _parse_range(text):
    """``LOW:HIGH[:STEP][:log]`` or ``A,B,C`` -> a tuning.Range."""
    from keras_inception.tuning.hypermodel import Range

    def number(part):
        return _number(part, "--search", "LOW:HIGH[:STEP][:log] or A,B,C")
    if ":" not in text:
        return [number(p) for p in text.split(",") if p.strip()]
    parts = text.split(":")
    sampling = "log" if parts[-1] == "log" else "linear"
    parts = parts[:-1] if sampling == "log" else parts
    if len(parts) not in (2, 3):
        raise ValueError(f"--search: {text!r} is not LOW:HIGH[:STEP][:log].")
    low, high, *step = [number(p) for p in parts]
    return Range(low, high, step[0] if step else None, sampling)


def _number(text, flag, form):
    try:
        return int(text) if text.strip().lstrip("-").isdigit() \
            else float(text)
    except ValueError:
        raise ValueError(f"{flag}: {text!r} is not a number (give "
                         f"{form}).") from None


def _name_value(text, flag):
    name, sep, value = text.partition("=")
    if not name:
        raise ValueError(f"{flag}: expected NAME or NAME=VALUE; received "
                         f"{text!r}.")
    return name.strip(), (value.strip() if sep else None)


def cmd_tune(args):
    from keras_inception.tuning import hypermodel as tuning

    if args.workers is not None:
        argv = list(args.argv)
        for i, arg in enumerate(argv):
            if arg == "--workers":
                del argv[i:i + 2]
                break
            if arg.startswith("--workers="):
                del argv[i]
                break
        return tuning.launch_local(
            args.workers, [sys.executable, "-m", "keras_inception.cli",
                           *argv], timeout=args.timeout)
    space = None
    if args.search:
        space = {}
        for text in args.search:
            name, value = _name_value(text, "--search")
            space[name] = None if value is None else _parse_range(value)
    fixed = {}
    for text in args.fixed or ():
        name, value = _name_value(text, "--fixed")
        if value is None:
            raise ValueError(f"--fixed {text!r}: give NAME=VALUE.")
        fixed[name] = _number(value, "--fixed", "NAME=VALUE")
    options = {k: getattr(args, k) for k in (
        "dataset", "epochs", "batch_size", "image_size", "recipe",
        "warmup_epochs", "strategy", "precision", "jit_compile",
        "run_eagerly", "seed",
        "deterministic", "data_dir", "validation_fraction", "cache")
        if getattr(args, k) is not None}
    options["verbose"] = args.verbose or 0
    hypermodel = tuning.InceptionHyperModel(
        args.model, space=space, fixed=fixed, max_params=args.max_params,
        max_gmacs=args.max_gmacs, **options)
    output = args.output or os.path.join("tuning", hypermodel.model_name)
    report = tuning.search(hypermodel, args.tuner,
                           max_trials=args.max_trials, output=output,
                           overwrite=args.overwrite, seed=args.seed)
    if report is None:       # a worker of a distributed search
        return 0
    print(report.table())
    if report.best is not None:
        print(f"best: trial {report.best['trial']}, val top-1 "
              f"{100 * report.best['val_top1']:.2f}%, "
              f"{report.best['gmacs']:.4g} GMACs; run folder "
              f"{report.best_dir} (keras-inception export --checkpoint "
              f"{report.best_dir})")
    print(f"files: {report.csv}" + (f", {report.png}" if report.png else ""))
    return 0


def _add_train_arguments(p):
    d = "(default: %(default)s)"
    p.add_argument("--model", default="inception_v3",
                   help=f"registry name {d}")
    p.add_argument("--dataset", default="default",
                   help="'default' (the embedded inception_shapes), a TFDS "
                   "name or a folder of class subfolders " + d)
    p.add_argument("--output", default=os.path.join("runs", "default"),
                   help=f"run folder {d}")
    p.add_argument("--epochs", type=int, default=10, help=d)
    p.add_argument("--batch-size", type=int, default=32,
                   help=f"global batch, split across replicas {d}")
    p.add_argument("--image-size", type=int,
                   help="input side (default: 64 for the embedded data, "
                   "else the model's)")
    p.add_argument("--width-multiplier", type=float, default=1.0, help=d)
    p.add_argument("--block-counts", type=_int_list, metavar="N,N,N",
                   help="repeated blocks per stage (inception_v3: 17x17; "
                   "inception_v4, inception_resnet_*: 35x35,17x17,8x8); "
                   "default: the paper's")
    p.add_argument("--no-aux", dest="aux_logits", action="store_const",
                   const=False, help="train without the auxiliary heads")
    p.add_argument("--dropout-rate", type=float)
    p.add_argument("--recipe", default="auto",
                   help="'auto' (the paper's), googlenet, bn_inception, "
                   f"rmsprop, modern, modern_adamw {d}")
    p.add_argument("--learning-rate", type=float)
    p.add_argument("--aux-weight", type=float)
    p.add_argument("--label-smoothing", type=float)
    p.add_argument("--warmup-epochs", type=float)
    p.add_argument("--strategy", default="auto",
                   help=f"auto, one_device, mirrored, multi_worker, tpu {d}")
    p.add_argument("--precision", default="float32",
                   help="float32, mixed_float16 or mixed_bfloat16 " + d)
    p.add_argument("--jit-compile", type=_bool_or_auto, default="auto",
                   help=f"XLA: auto, true or false {d}")
    p.add_argument("--steps-per-execution", type=int, default=1, help=d)
    p.add_argument("--run-eagerly", action="store_true",
                   help="no graph tracing: for debugging, and faster for "
                   "runs of a few steps")
    p.add_argument("--seed", type=int, default=0, help=d)
    p.add_argument("--deterministic", action="store_true",
                   help="deterministic TensorFlow ops (slower): reruns and "
                   "resumed runs give the same weights")
    p.add_argument("--data-dir", help="TFDS data folder")
    p.add_argument("--validation-fraction", type=float, default=0.1, help=d)
    p.add_argument("--augment", choices=("inception", "light", "none"))
    p.add_argument("--min-crop-area", type=float)
    p.add_argument("--central-fraction", type=float)
    p.add_argument("--cache", action="store_true",
                   help="keep decoded images in memory")
    p.add_argument("--backup-every", type=int, default=0,
                   help="also back up every N steps (0: each epoch) " + d)
    p.add_argument("--overwrite", action="store_true",
                   help="delete an existing run in --output first")
    p.add_argument("--verbose", type=int, choices=(0, 1, 2),
                   help="0 silent, 1 progress bar, 2 a line per epoch "
                   "(default: 1 on a terminal, else 2)")


def build_parser():
    parser = argparse.ArgumentParser(
        prog="keras-inception",
        description="Inception-family models for Keras 3.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("models", help="table of every generation: "
                       "parameters and GMACs beside the papers' figures")
    p.add_argument("names", nargs="*", help="only these models")
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("summary", help="Keras summary of one model and, "
                       "with --plot, its architecture diagram (PNG)")
    p.add_argument("name", help="model name, e.g. inception_v3")
    p.add_argument("--plot", metavar="FILE.png",
                   help="write the architecture diagram here (Graphviz)")
    p.add_argument("--input-size", type=int, default=None)
    p.add_argument("--width-multiplier", type=float, default=1.0)
    p.add_argument("--dpi", type=int, default=72)
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser("train", help="train a model: checkpoints, logs, "
                       "curves PNG, summary; rerun to resume")
    _add_train_arguments(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="top-1/top-5 of a run's weights on "
                       "a dataset's validation split")
    p.add_argument("--checkpoint", required=True,
                   help="run folder (best weights) or a weights file in one")
    p.add_argument("--dataset", help="default: the run's dataset")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--data-dir")
    p.add_argument("--verbose", type=int, choices=(0, 1, 2))
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("export", help="SavedModel (TF Serving), TFLite and "
                       "ONNX of a run or a weights file, each checked "
                       "against Keras")
    src = p.add_argument_group("what to export")
    src.add_argument("--checkpoint",
                     help="a training run folder, or a weights file in one")
    src.add_argument("--model", help="a registry name (with --weights)")
    src.add_argument("--weights", help="weights file for --model")
    src.add_argument("--classes", type=int,
                     help="with --model (default: 1000)")
    src.add_argument("--input-size", type=int,
                     help="with --model (default: the model's)")
    src.add_argument("--width-multiplier", type=float,
                     help="with --model (default: 1.0)")
    p.add_argument("--format", default="saved_model",
                   help="comma-separated: saved_model, tflite, onnx "
                   "(default: %(default)s)")
    p.add_argument("--quantize", help="TFLite variants, comma-separated: "
                   "none (fp32), fp16, dynamic, int8 (default: none)")
    p.add_argument("--version", type=int,
                   help="version number (default: one above the newest)")
    p.add_argument("--output", default="saved_models",
                   help="export folder (default: %(default)s)")
    p.add_argument("--name", help="model name (default: the run's folder "
                   "name, or the registry name)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an existing version")
    p.add_argument("--opset", type=int, help="ONNX opset (default: 17)")
    p.add_argument("--max-pixels", type=int,
                   help="largest image predict_images decodes "
                   "(default: 40000000)")
    p.add_argument("--top-k", type=int,
                   help="classes in top_k_* outputs (default: 5)")
    p.add_argument("--dataset", help="images for int8 calibration and the "
                   "checks (default: the run's dataset)")
    p.add_argument("--data-dir", help="TFDS data folder")
    p.add_argument("--calibration-images", type=int,
                   help="(default: 200)")
    p.add_argument("--evaluation-images", type=int,
                   help="labelled images quantized models are scored on "
                   "(default: 1000)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("predict", help="top-5 classes of image files from a "
                       "SavedModel, .tflite, .onnx or training run")
    p.add_argument("images", nargs="+", metavar="IMAGE",
                   help="JPEG, PNG, GIF or BMP files")
    p.add_argument("--artifact", required=True,
                   help="SavedModel folder, .tflite, .onnx, or a run folder "
                   "/ weights file")
    p.add_argument("--top", type=int, default=5,
                   help="classes per image (default: %(default)s)")
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("tune", help="keras-tuner search over width and "
                       "depth (and more) within a parameter/GMAC budget: "
                       "trials table (CSV), Pareto PNG, best run folder")
    d = "(default: %(default)s)"
    p.add_argument("--model", default="inception_v3", help=d)
    p.add_argument("--dataset", default="default", help=d)
    p.add_argument("--tuner", default="bayesian",
                   choices=("random", "bayesian", "hyperband"), help=d)
    p.add_argument("--max-trials", type=int, default=10,
                   help="trials in all, budget rejections included " + d)
    p.add_argument("--max-gmacs", type=float,
                   help="GMACs budget of the inference model")
    p.add_argument("--max-params", type=float,
                   help="parameter budget of the inference model")
    p.add_argument("--search", action="append", metavar="NAME[=RANGE]",
                   help="a hyperparameter to search, with LOW:HIGH[:STEP]"
                   "[:log] or A,B,C (default range without); repeat. "
                   "Default: width_multiplier and the blocks_* counts")
    p.add_argument("--fixed", action="append", metavar="NAME=VALUE",
                   help="pin a hyperparameter; repeat")
    p.add_argument("--output", help="search folder (default: "
                   "tuning/<model>); rerun the same command to resume")
    p.add_argument("--epochs", type=int, default=2,
                   help=f"per trial (Hyperband: the most) {d}")
    p.add_argument("--batch-size", type=int, default=32, help=d)
    p.add_argument("--image-size", type=int)
    p.add_argument("--recipe")
    p.add_argument("--warmup-epochs", type=float)
    p.add_argument("--strategy")
    p.add_argument("--precision")
    p.add_argument("--jit-compile", type=_bool_or_auto)
    p.add_argument("--run-eagerly", action="store_true", default=None,
                   help="no graph tracing in the trials (faster for "
                   "trials of a few steps)")
    p.add_argument("--seed", type=int, default=0,
                   help="of every trial's training and of the oracle " + d)
    p.add_argument("--deterministic", action="store_true", default=None,
                   help="deterministic ops: a trial retrained with its "
                   "hyperparameters gives the same accuracy")
    p.add_argument("--data-dir")
    p.add_argument("--validation-fraction", type=float)
    p.add_argument("--cache", action="store_true", default=None)
    p.add_argument("--overwrite", action="store_true",
                   help="start the search afresh")
    p.add_argument("--workers", type=int,
                   help="run a keras-tuner chief and this many workers on "
                   "this machine, sharing one oracle")
    p.add_argument("--timeout", type=float,
                   help="with --workers: seconds before all are stopped")
    p.add_argument("--verbose", type=int, choices=(0, 1, 2),
                   help="Keras progress inside each trial (default: 0)")
    p.set_defaults(func=cmd_tune)

    p = sub.add_parser("launch", help="start N local workers of `train` "
                       "with TF_CONFIG set (MultiWorkerMirroredStrategy)")
    p.add_argument("--workers", type=int, required=True)
    p.add_argument("--timeout", type=float, default=None,
                   help="seconds before all workers are stopped")
    p.add_argument("command", nargs=argparse.REMAINDER,
                   help="-- train ARGS...")
    p.set_defaults(func=cmd_launch)
    return parser


def main(argv=None):
    _quiet_tensorflow()
    argv = sys.argv[1:] if argv is None else [str(a) for a in argv]
    args = build_parser().parse_args(argv)
    args.argv = argv
    _show_logs()
    try:
        return args.func(args)
    except (ValueError, TypeError, RuntimeError, OSError) as err:
        print(f"keras-inception {args.command}: error: {err}",
              file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
