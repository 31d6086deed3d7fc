"""``keras-inception``: a thin command line over the library API."""

from __future__ import annotations

import argparse
import os
import sys


def _quiet_tensorflow():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def cmd_models(args):
    from keras_inception.model_table import format_table, model_rows

    def progress(name):
        print(f"  built {name}", file=sys.stderr, flush=True)

    print(format_table(model_rows(args.names or None, progress=progress)))
    return 0


def cmd_summary(args):
    import keras

    from keras_inception import registry
    from keras_inception.plotting import plot_architecture

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
    return parser


def main(argv=None):
    _quiet_tensorflow()
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, TypeError, RuntimeError, OSError) as err:
        print(f"keras-inception {args.command}: error: {err}",
              file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
