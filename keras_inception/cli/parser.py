"""The ``keras-inception`` commands, their options and option types.

It runs over 400 lines because every subcommand's options are declared
here, the one place the command line's surface (and its help) is read from.

Example:
    >>> from keras_inception.cli.parser import build_parser
    >>> args = build_parser().parse_args(["export", "--checkpoint", "runs/a",
    ...                                   "--format", "onnx"])
    >>> args.func.__name__, args.format, args.output
    ('cmd_export', 'onnx', 'saved_models')
"""

from __future__ import annotations

import argparse
import os

from keras_inception.cli.commands import (cmd_benchmark, cmd_convert, cmd_diagrams,
                                          cmd_evaluate, cmd_export,
                                          cmd_launch, cmd_models,
                                          cmd_predict, cmd_summary, cmd_train,
                                          cmd_tune)


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
    p.add_argument("--mixed-precision", choices=("bfloat16", "float16"),
                   help="the same as --precision mixed_bfloat16 / "
                   "mixed_float16")
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


PROGRESS = ("auto", "bar", "epoch", "none")


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line that says where the options are listed
    (argparse's default prints the whole usage block first). Subcommand
    parsers are of this class too."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} ({self.prog} --help "
                  "lists the options)\n")


def _flag_names(parser):
    """``{dest: option}`` of a command's options, so that the library's
    `` `batch_size` `` reads ``--batch-size`` in its errors."""
    return {action.dest: action.option_strings[-1]
            for action in parser._actions   # argparse keeps no public list
            if action.option_strings and action.dest != "help"
            and not isinstance(action, argparse._StoreConstAction)}


def _common_options(progress):
    """The options every command takes (``--verbose``) and, with
    ``progress``, ``--progress``: a parent parser."""
    common = _Parser(add_help=False)
    # SUPPRESS: a subcommand's default must not undo `keras-inception
    # --verbose COMMAND`.
    common.add_argument("--verbose", action="store_true",
                        default=argparse.SUPPRESS,
                        help="show TensorFlow's own log lines and the full "
                        "traceback of an error")
    if progress:
        common.add_argument(
            "--progress", choices=PROGRESS, default="auto",
            help="bar: a progress bar with images/s and ETA; epoch: one "
            "line per epoch; none; auto: a bar on a terminal, else a line "
            "per epoch (default: %(default)s)")
    return common


def build_parser():
    parser = _Parser(
        prog="keras-inception",
        description="Inception-family models for Keras 3.",
        parents=[_common_options(progress=False)])
    parser.set_defaults(verbose=False)
    quiet, progress = _common_options(False), _common_options(True)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "models", parents=[quiet],
        help="table of every generation: "
        "parameters and GMACs beside the papers' figures")
    p.add_argument("names", nargs="*", help="only these models")
    p.set_defaults(func=cmd_models)

    p = sub.add_parser(
        "summary", parents=[quiet],
        help="Keras summary of one model and, "
        "with --plot, its architecture diagram (PNG)")
    p.add_argument("name", help="model name, e.g. inception_v3")
    p.add_argument("--plot", metavar="FILE.png",
                   help="write the architecture diagram here (Graphviz)")
    p.add_argument("--input-size", type=int, default=None)
    p.add_argument("--width-multiplier", type=float, default=1.0)
    p.add_argument("--dpi", type=int, default=72)
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser(
        "diagrams", parents=[quiet],
        help="block diagram PNG of each generation's stages "
        "and the model table as a chart, into one folder")
    p.add_argument("names", nargs="*",
                   help="only these generations (default: all seven)")
    p.add_argument("--output", default="docs",
                   help="folder for the PNGs (default: %(default)s)")
    p.set_defaults(func=cmd_diagrams)

    p = sub.add_parser(
        "train", parents=[progress],
        help="train a model: checkpoints, logs, "
        "curves PNG, summary; rerun to resume")
    _add_train_arguments(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser(
        "evaluate", parents=[progress],
        help="top-1/top-5 of a run's weights on "
        "a dataset's validation split")
    p.add_argument("--checkpoint", required=True,
                   help="run folder (best weights) or a weights file in one")
    p.add_argument("--dataset", help="default: the run's dataset")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--data-dir")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser(
        "export", parents=[progress],
        help="SavedModel (TF Serving), TFLite and "
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
                   "none (fp32), fp16, dynamic, int8 (default: none); int8 "
                   "also writes model_int8.onnx beside model.onnx")
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

    p = sub.add_parser(
        "predict", parents=[quiet],
        help="top-5 classes of image files from a "
        "SavedModel, .tflite, .onnx or training run")
    p.add_argument("images", nargs="*", metavar="IMAGE",
                   help="JPEG, PNG, GIF or BMP files (or --dataset)")
    p.add_argument("--artifact", required=True,
                   help="SavedModel folder, .tflite, .onnx, or a run folder "
                   "/ weights file")
    p.add_argument("--compare", metavar="ARTIFACT",
                   help="a second artifact (e.g. the training run) whose "
                   "top-1 is printed beside --artifact's")
    p.add_argument("--dataset",
                   help="instead of files: the first --count validation "
                   "images of this dataset, as encoded bytes")
    p.add_argument("--count", type=int, default=1,
                   help="images taken from --dataset (default: %(default)s)")
    p.add_argument("--data-dir", help="TFDS data folder for --dataset")
    p.add_argument("--top", type=int, default=5,
                   help="classes per image (default: %(default)s)")
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser(
        "tune", parents=[progress],
        help="keras-tuner search over width and "
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
    p.set_defaults(func=cmd_tune)

    p = sub.add_parser(
        "convert", parents=[quiet],
        help="a timm or torchvision checkpoint (.safetensors; .pth with "
        "torch) as our .weights.h5")
    p.add_argument("--source", default="timm",
                   help="library that wrote the checkpoint (default: "
                   "%(default)s)")
    p.add_argument("--model", required=True,
                   help="its model name there, e.g. inception_v4")
    p.add_argument("--checkpoint", required=True, metavar="FILE",
                   help=".safetensors, .pth or .bin state dict")
    p.add_argument("--output", required=True, metavar="FILE.weights.h5")
    p.add_argument("--aux-logits", action="store_true",
                   help="keep the checkpoint's auxiliary head "
                   "(Inception-v3)")
    p.set_defaults(func=cmd_convert)

    p = sub.add_parser(
        "benchmark", parents=[progress],
        help="inference, training-step and input-pipeline speed beside "
        "keras.applications and the machine's convolution ceiling; with "
        "--runtimes, every export runtime beside the Keras model")
    p.add_argument("--models",
                   help="comma-separated generations (default: "
                   "inception_v3,inception_resnet_v2, which keras.applications "
                   "has; with --runtimes one model, default inception_v3)")
    p.add_argument("--image-size", type=int,
                   help="input side (default: each model's)")
    p.add_argument("--width-multiplier", type=float, default=1.0,
                   help="our models' width; the references exist at 1 only")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--repeats", type=int, default=5,
                   help="timed rounds per contender (default: %(default)s)")
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--round-seconds", type=float, default=1.0,
                   help="about how long one round lasts (default: "
                   "%(default)s)")
    p.add_argument("--measures", default="inference,training,pipeline",
                   help="some of inference, training, pipeline (default: "
                   "%(default)s)")
    p.add_argument("--dataset", default="default",
                   help="data of the pipeline measure, or the held-out and "
                   "calibration images of --runtimes (default: the "
                   "embedded set)")
    p.add_argument("--data-dir")
    p.add_argument("--images", metavar="FOLDER",
                   help="JPEGs in class subfolders for the pipeline "
                   "(default: 96 generated 375x500 JPEGs)")
    p.add_argument("--ceiling", type=_int_list, default=[56, 256],
                   metavar="SIDE,CHANNELS",
                   help="the 3x3 convolution of the ceiling (default: 56,256)")
    p.add_argument("--peers", action="store_true",
                   help="also timm's inception_v3, inception_v4, "
                   "inception_resnet_v2 and torchvision's googlenet (needs "
                   "torch), ours with their weights")
    runtimes = p.add_argument_group(
        "--runtimes", "every export runtime of one model beside the Keras "
        "model (SavedModel, TFLite fp32/fp16/dynamic/int8, ONNX fp32/int8)")
    runtimes.add_argument(
        "--runtimes", nargs="?", const="all", metavar="KEYS",
        help="all (the default) or a comma list of runtimes such as "
        "tflite,tflite_int8,onnx,onnx_int8 (a wrong one lists them all; "
        "the Keras model is always timed)")
    runtimes.add_argument("--checkpoint", metavar="RUN",
                          help="a training run to export and time instead "
                          "of --models")
    runtimes.add_argument("--weights", metavar="FILE",
                          help="weights for --models (default: random, "
                          "which agree by chance only)")
    runtimes.add_argument("--classes", type=int, default=1000,
                          help="classes of --models (default: %(default)s)")
    runtimes.add_argument("--threads", type=int,
                          help="LiteRT and ONNX Runtime threads (default: "
                          "every core)")
    runtimes.add_argument("--agreement-images", type=int, default=200,
                          help="held-out images of the top-1 agreement "
                          "(default: %(default)s)")
    runtimes.add_argument("--calibration-images", type=int, default=100,
                          help="training images calibrating int8 (default: "
                          "%(default)s)")
    runtimes.add_argument("--export-dir", metavar="FOLDER",
                          help="keep the export here (default: a temporary "
                          "folder)")
    p.add_argument("--output", metavar="PREFIX",
                   help="writes PREFIX.csv, .json, .md (default: "
                   "benchmarks/results/benchmark, or .../runtimes)")
    p.add_argument("--plot", nargs="?", const="", default=None,
                   metavar="FILE.png",
                   help="also a chart (default file: PREFIX.png)")
    p.set_defaults(func=cmd_benchmark)

    p = sub.add_parser(
        "launch", parents=[quiet],
        help="start N local workers of `train` "
        "with TF_CONFIG set (MultiWorkerMirroredStrategy)")
    p.add_argument("--workers", type=int, required=True)
    p.add_argument("--timeout", type=float, default=None,
                   help="seconds before all workers are stopped")
    # Not dest="command": that is the subcommand's name.
    p.add_argument("train_args", nargs=argparse.REMAINDER,
                   metavar="command", help="-- train ARGS...")
    p.set_defaults(func=cmd_launch)
    for command, p in sub.choices.items():
        p.set_defaults(flags={**_flag_names(p),
                              **_LIBRARY_NAMES.get(command, {})})
    return parser


# Library arguments whose option has another name.
_LIBRARY_NAMES = {"export": {"path": "--output", "formats": "--format"},
                  "benchmark": {"model": "--models"},
                  "convert": {"name": "--model"},
                  "summary": {"input_shape": "--input-size"},
                  "launch": {"num_workers": "--workers"},
                  "tune": {"space": "--search"}}
