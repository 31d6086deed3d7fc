"""The commands: each takes the parsed options, calls the library and
prints the result. The library (and TensorFlow with it) is imported inside
them, so ``--help`` and usage errors stay fast.
"""

from __future__ import annotations

import os
import sys

from keras_inception.cli.formatting import (format_comparison, format_export,
                                            format_predictions, format_summary)


def cmd_models(args):
    from keras_inception.models.table import format_table, table_rows

    def progress(name):
        print(f"  measured {name}", file=sys.stderr, flush=True)

    print(format_table(table_rows(args.names or None, progress=progress)))
    return 0


def _check_plot(plot):
    """``--plot`` names a .png file (or is absent), before any work."""
    if plot and not plot.lower().endswith(".png"):
        raise ValueError(f"--plot must name a .png file; received "
                         f"{plot!r}.")


def cmd_summary(args):
    _check_plot(args.plot)
    if args.dpi <= 0:
        raise ValueError(f"--dpi must be positive; received {args.dpi}.")
    from keras_inception.models import registry
    from keras_inception.utils.plotting import plot_architecture

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
    return 0


def cmd_diagrams(args):
    from keras_inception.models import registry
    from keras_inception.models.diagrams import write_pictures

    names = [registry.get_model_info(n, argument="names").generation
             for n in args.names] or None

    def progress(path):
        print(f"  wrote {path}", file=sys.stderr, flush=True)

    written = write_pictures(args.output, names, progress=progress)
    print(f"{len(written)} PNG files in {args.output}")
    return 0


def cmd_convert(args):
    from keras_inception.convert import convert_checkpoint, mapping_for

    def stage(line):
        print(f"  {line}", file=sys.stderr, flush=True)

    kwargs = {"aux_logits": True} if args.aux_logits else {}
    path = convert_checkpoint(args.model, args.checkpoint, args.output,
                              args.source, log=stage, **kwargs)
    ours = mapping_for(args.model, args.source).model
    print(f"{path}: keras_inception.get_model({ours!r}, weights={path!r}"
          f"{', aux_logits=True' if args.aux_logits else ''}) loads it")
    return 0


def _progress(args):
    """``--progress`` as the library's ``verbose`` (Keras's 0, 1, 2)."""
    from keras_inception.utils.progress import keras_verbose

    return keras_verbose("line" if args.progress == "epoch"
                         else args.progress)


_RUNTIME_OPTIONS = ("checkpoint", "weights", "threads", "export_dir")


def _load_triton_first():
    """timm and torchvision load triton (through torch._dynamo); triton and
    TensorFlow both carry LLVM, and triton's initialisers crash the process
    (SIGSEGV) when TensorFlow's LLVM came first. Loaded before TensorFlow,
    both work (README, "Converting PyTorch checkpoints")."""
    import contextlib
    with contextlib.suppress(ImportError):
        import triton  # noqa: F401


def cmd_benchmark(args):
    _check_plot(args.plot)
    if args.peers:
        _load_triton_first()
    from keras_inception import benchmark

    mode = "line" if args.progress == "epoch" else args.progress
    if args.runtimes is None:
        given = [o for o in _RUNTIME_OPTIONS if getattr(args, o) is not None]
        if given:
            raise ValueError(f"`{given[0]}` applies to --runtimes only; "
                             "add --runtimes.")
        report = benchmark.run_benchmark(
            args.models or "inception_v3,inception_resnet_v2",
            image_size=args.image_size,
            width_multiplier=args.width_multiplier,
            batch_size=args.batch_size, repeats=args.repeats,
            warmup=args.warmup, round_seconds=args.round_seconds,
            measures=args.measures, dataset=args.dataset,
            data_dir=args.data_dir, images=args.images,
            ceiling=tuple(args.ceiling), peers=args.peers, progress=mode)
    else:
        if args.peers:
            raise ValueError("`peers` applies to the speed suite, not to "
                             "--runtimes.")
        if args.models is not None and "," in args.models:
            raise ValueError(f"`model`: --runtimes measures one model; "
                             f"received {args.models!r}.")
        report = benchmark.run_runtimes(
            args.models or "inception_v3", checkpoint=args.checkpoint,
            weights=args.weights, image_size=args.image_size,
            width_multiplier=args.width_multiplier, classes=args.classes,
            batch_size=args.batch_size, repeats=args.repeats,
            warmup=args.warmup, round_seconds=args.round_seconds,
            threads=args.threads, runtimes=args.runtimes,
            dataset=args.dataset, data_dir=args.data_dir,
            agreement_images=args.agreement_images,
            calibration_images=args.calibration_images,
            export_dir=args.export_dir, progress=mode)
    output = args.output or os.path.join(
        "benchmarks", "results",
        "benchmark" if args.runtimes is None else "runtimes")
    print(benchmark.format_report(report))
    written = benchmark.write_report(report, output)
    if args.plot is not None:
        written += (benchmark.plot_report(
            report, args.plot or f"{output}.png"),)
    print("written " + ", ".join(written))
    return 0


def cmd_train(args):
    from keras_inception.training import runner

    fields = {f.name for f in __import__("dataclasses").fields(
        runner.TrainConfig)}
    values = {k: v for k, v in vars(args).items()
              if k in fields and v is not None}
    values["verbose"] = _progress(args)
    if args.mixed_precision is not None:
        if args.precision != "float32":
            raise ValueError("`precision`: give --precision or "
                             "--mixed-precision, not both.")
        values["precision"] = f"mixed_{args.mixed_precision}"
    summary = runner.train(runner.TrainConfig(**values))
    print(format_summary(summary, args.output))
    return 0


def cmd_evaluate(args):
    from keras_inception.training import runner

    result = runner.evaluate(args.checkpoint, args.dataset,
                             batch_size=args.batch_size,
                             data_dir=args.data_dir,
                             verbose=_progress(args))
    print(f"evaluated {result['weights']} on {result['dataset']}: "
          f"top-1 {100 * result['top1']:.2f}%, top-5 "
          f"{100 * result['top5']:.2f}%, loss {result['loss']:.4f}; "
          f"{result['images']} images in {result['seconds']:.1f} s "
          f"({result['images_per_second']:.1f} images/s)")
    return 0


def cmd_launch(args):
    command = list(args.train_args)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise ValueError("give the command after `--`, e.g. `keras-inception"
                         " launch --workers 2 -- train --model inception_v1 "
                         "--strategy multi_worker`.")
    if command[0] != "train":
        raise ValueError("`launch` runs `train`; received "
                         f"{command[0]!r}.")
    from keras_inception.distribute import launcher

    return launcher.launch(
        args.workers, [sys.executable, "-m", "keras_inception.cli", *command],
        timeout=args.timeout)


def cmd_export(args):
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
                  overwrite=args.overwrite, verbose=_progress(args))
    from keras_inception.deploy import export

    if args.checkpoint is not None:
        result = export.export_checkpoint(args.checkpoint, **common)
    else:
        result = export.export_weights(args.model, args.weights, **common)
    print(format_export(result))
    return 0


def cmd_predict(args):
    from keras_inception.utils.checks import check_count

    check_count(args.top, "top")   # before loading anything
    check_count(args.count, "count")
    if bool(args.images) == (args.dataset is not None):
        raise ValueError("give image files or --dataset NAME (its first "
                         "--count validation images), not both or neither.")
    from keras_inception.deploy.artifacts import artifact_kind, load_artifact
    from keras_inception.deploy.serving import check_image_file

    artifact_kind(args.artifact)
    if args.compare is not None:
        artifact_kind(args.compare)
    for image in args.images:   # bad files fail before a model is built
        check_image_file(image, max_pixels=float("inf"))
    if args.dataset is not None:
        from keras_inception.data.catalog import validation_samples
        samples = validation_samples(args.dataset, args.count,
                                     data_dir=args.data_dir)
    else:
        samples = None
    artifacts = [load_artifact(args.artifact)]
    if args.compare is not None:
        artifacts.append(load_artifact(args.compare))
        if artifacts[1].class_names != artifacts[0].class_names:
            raise ValueError(f"--compare {args.compare!r} predicts other "
                             "classes than --artifact; compare models of "
                             "one dataset.")
    results = []
    for artifact in artifacts:
        if samples is None:
            results.append(artifact.predict_files(args.images))
        else:
            results.append(artifact.predict_encoded(
                [s.data for s in samples], [s.name for s in samples]))
    names = args.images if samples is None else [s.name for s in samples]
    labels = None if samples is None else [s.label for s in samples]
    if len(artifacts) == 1:
        print(format_predictions(artifacts[0], results[0], names, labels,
                                 args.top))
    else:
        print(format_comparison(artifacts, results, names, labels))
    return 0


def _parse_range(text):
    """``LOW:HIGH[:STEP][:log]`` or ``A,B,C`` -> a tuning.Range."""
    from keras_inception.tuning.space import Range

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
    from keras_inception import tuning

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
    options["verbose"] = _progress(args)
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


