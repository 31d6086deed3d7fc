"""The benchmark suite: our models beside keras.applications, in one run.

:func:`run_benchmark` measures, for each generation asked for:

* inference latency at batch 1 and images/s at ``batch_size``, ours and
  the reference (``keras.applications``' InceptionV3 and
  InceptionResNetV2, at width 1) in alternating rounds;
* the training step's images/s at ``batch_size``, ours without and with
  the auxiliary heads (where the generation has them) and the reference's;

and once per run: the machine's convolution ceiling (a large 3x3
convolution) and the training input pipeline alone on the embedded data
and on a folder of JPEGs, at the first generation's input size. Every
figure is a median of ``repeats`` rounds with its min and max
(:mod:`.timing`); every row carries the peak resident memory seen while it
ran, and model rows their achieved GFLOP/s and its fraction of the
ceiling.

Example:
    >>> import tempfile
    >>> report = run_benchmark("inception_v1", image_size=75,
    ...     width_multiplier=0.25, batch_size=2, repeats=1,
    ...     round_seconds=0.01, measures=("inference",), ceiling=(8, 16),
    ...     progress="none")
    >>> sorted({row["measure"] for row in report.rows})
    ['conv_ceiling', 'inference', 'latency']
"""

from __future__ import annotations

import contextlib
import datetime
import gc
import os
import platform
import tempfile

from keras_inception.benchmark import peers as peers_lib
from keras_inception.benchmark import workloads
from keras_inception.benchmark.report import Report, make_row, ratios_of
from keras_inception.benchmark.timing import Rounds, time_side_by_side
from keras_inception.data.catalog import check_dataset
from keras_inception.models import registry
from keras_inception.models.folding import fold_batch_norm
from keras_inception.utils.checks import (check_choice, check_count,
                                         check_positive)
from keras_inception.utils.progress import MODES as PROGRESS_MODES

MEASURES = ("inference", "training", "pipeline")
OURS, REFERENCE = "keras_inception", "keras.applications"
FOLDED = f"{OURS} BN-folded"


def machine():
    """The machine a report was measured on: CPU model, cores, versions."""
    import keras
    import psutil
    import tensorflow as tf

    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    return {"cpu": cpu, "cores": os.cpu_count(),
            "physical_cores": psutil.cpu_count(logical=False),
            "memory_gib": round(psutil.virtual_memory().total / 2 ** 30, 1),
            "gpus": len(tf.config.list_physical_devices("GPU")),
            "tensorflow": tf.__version__, "keras": keras.__version__,
            "python": platform.python_version(),
            "platform": platform.platform()}


def _check(names, image_size, width_multiplier, batch_size, repeats, warmup,
           round_seconds, measures, ceiling, dataset, data_dir, images,
           progress):
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    if not names or not all(isinstance(n, str) for n in names):
        raise TypeError(f"`models` must name one or more generations (a "
                        f"name, a comma list or a list); received {names!r}.")
    infos = [registry.get_model_info(n, argument="models") for n in names]
    if image_size is not None:
        check_count(image_size, "image_size")
        small = [i.name for i in infos if image_size < i.min_size]
        if small:
            raise ValueError(f"`image_size` must be at least each model's "
                             f"smallest input ({small[0]}: "
                             f"{registry.get_model_info(small[0]).min_size});"
                             f" received {image_size}.")
    check_positive(width_multiplier, "width_multiplier")
    for value, arg in ((batch_size, "batch_size"), (repeats, "repeats"),
                       (warmup, "warmup")):
        check_count(value, arg)
    check_positive(round_seconds, "round_seconds")
    if isinstance(measures, str):
        measures = tuple(m.strip() for m in measures.split(",") if m.strip())
    if not measures:
        raise ValueError(f"`measures` must list some of {MEASURES}; "
                         "received none.")
    for m in measures:
        check_choice(m, "measures", MEASURES)
    if not (isinstance(ceiling, (tuple, list)) and len(ceiling) == 2):
        raise TypeError(f"`ceiling` must be (side, channels); received "
                        f"{ceiling!r}.")
    for value in ceiling:
        check_count(value, "ceiling")
    check_dataset(dataset)
    check_choice(progress, "progress", PROGRESS_MODES)
    if data_dir is not None and not isinstance(data_dir, (str, os.PathLike)):
        raise TypeError(f"`data_dir` must be a path or None; received "
                        f"{data_dir!r}.")
    if images is not None and not os.path.isdir(images):
        raise ValueError(f"`images` must be a folder of class subfolders of "
                         f"images; {images!r} is not a folder.")
    return infos, tuple(measures)


def _total_rounds(infos, measures, width_multiplier, repeats, with_peers):
    total = repeats                                       # the ceiling
    for info in infos:
        has_ref = width_multiplier == 1 and \
            info.generation in workloads.REFERENCES
        has_ref += bool(with_peers and info.name in peers_lib.PEERS)
        if "inference" in measures:
            total += 2 * repeats * (2 + has_ref)
        if "training" in measures:
            total += repeats * (1 + bool(info.aux) + has_ref)
    if "pipeline" in measures:
        total += 2 * repeats
    return total


def run_benchmark(models="inception_v3,inception_resnet_v2", *,
                  image_size=None, width_multiplier=1.0, batch_size=16,
                  repeats=5, warmup=1, round_seconds=1.0, measures=MEASURES,
                  dataset="default", data_dir=None, images=None,
                  ceiling=(56, 256), peers=False, progress="auto"):
    """Measures ``models`` beside their keras.applications counterparts
    (and, with ``peers``, timm's and torchvision's).

    Args:
        models: generation names (registry names or aliases): a list or a
            comma-separated string.
        image_size: input side for every model (``None``: each model's
            default; the pipeline uses the first model's).
        width_multiplier: our models' width (> 0); the references exist at
            width 1 only and are left out otherwise.
        batch_size: images per throughput and training batch (>= 1).
        repeats: timed rounds per contender (>= 1).
        warmup: untimed calls per contender first (>= 1).
        round_seconds: about how long one round lasts (> 0).
        measures: some of ``"inference"``, ``"training"``, ``"pipeline"``
            (list or comma string); the convolution ceiling is always
            measured.
        dataset: the embedded (or any) dataset for the pipeline.
        data_dir: TFDS data folder for ``dataset`` (``None``: TFDS's).
        images: a folder of JPEGs in class subfolders for the pipeline
            (``None``: 96 generated 375 x 500 JPEGs).
        ceiling: ``(side, channels)`` of the ceiling's convolution, run at
            ``batch_size``.
        peers: also time the PyTorch model of each generation that has one
            (:data:`.peers.PEERS`; needs torch), our model then carrying
            the peer's weights, their logits checked to agree first.
        progress: ``"auto"``, ``"bar"``, ``"line"`` or ``"none"``.

    Returns:
        A :class:`~keras_inception.benchmark.report.Report`.

    Raises:
        TypeError, ValueError: for a bad argument, naming it, before any
            model is built.
    """
    infos, measures = _check(models, image_size, width_multiplier,
                             batch_size, repeats, warmup, round_seconds,
                             measures, ceiling, dataset, data_dir, images,
                             progress)
    from keras_inception.utils.checks import check_bool
    check_bool(peers, "peers")
    if peers and not peers_lib.torch_available():
        raise ValueError("`peers` needs torch (and timm, torchvision): pip "
                         "install 'keras-inception[convert]' timm "
                         "torchvision.")
    if peers and width_multiplier != 1:
        raise ValueError(f"`peers` exist at width 1 only; received "
                         f"width_multiplier={width_multiplier}.")
    timing = dict(repeats=repeats, warmup=warmup,
                  round_seconds=round_seconds)
    rounds = Rounds(_total_rounds(infos, measures, width_multiplier,
                                   repeats, peers), progress)
    started = datetime.datetime.now(datetime.timezone.utc)
    rows = []
    try:
        rounds.start("convolution ceiling")
        call, flops = workloads.ceiling_call(batch_size, *ceiling)
        t = time_side_by_side({"ceiling": call}, on_round=rounds.tick,
                              **timing)["ceiling"]
        rows.append(make_row("-", "tensorflow", "conv_ceiling", batch_size,
                             ceiling[0], t, rate=flops / 1e9,
                             unit="GFLOP/s"))
        if peers:
            from keras_inception.deploy.artifacts import default_threads
            peers_lib.limit_threads(default_threads())
        for info in infos:
            rows += _model_rows(info, image_size or info.default_size,
                                width_multiplier, batch_size, measures,
                                timing, rounds, peers)
            gc.collect()   # this generation's models, before the next's
        if "pipeline" in measures:
            rows += _pipeline_rows(infos[0], image_size, batch_size, dataset,
                                   data_dir, images, timing, rounds)
    finally:
        rounds.bar.close()
    settings = dict(models=[i.name for i in infos], image_size=image_size,
                    width_multiplier=width_multiplier, batch_size=batch_size,
                    measures=list(measures), dataset=dataset,
                    images=images, ceiling=list(ceiling), peers=peers,
                    **timing)
    return Report(machine=machine(), date=started.isoformat(
        timespec="seconds"), settings=settings, rows=rows,
        ratios=ratios_of(rows))


def _with_peer(info, size, images):
    """``({label: peer}, our model with its weights)``, their logits
    checked to agree (:mod:`.peers`), and the largest logit difference;
    ``({}, None, None)`` without one."""
    if info.name not in peers_lib.PEERS:
        return {}, None, None
    peer = peers_lib.peer_model(info.name, size)
    model = peers_lib.converted(info.name, peer, size)
    gap = peers_lib.logit_gap(model, peer, images[:2])
    if not gap <= peers_lib.LOGIT_TOLERANCE:
        raise RuntimeError(f"{info.name}: our model with the weights of "
                           f"{peers_lib.PEERS[info.name][1]} differs from it by "
                           f"{gap:.3g} in the logits; the comparison would "
                           "not be like for like.")
    return {peers_lib.PEERS[info.name][0]: peer}, model, gap


def _model_rows(info, size, width, batch_size, measures, timing, rounds,
                with_peers=False):
    rounds.start(f"building {info.name}")
    kwargs = dict(input_shape=(size, size, 3), width_multiplier=width)
    images, labels = workloads.random_batch(batch_size, size, 1000)
    # With peers, ours is the peer's function: its weights, converted.
    others, same, gap = _with_peer(info, size, images) if with_peers \
        else ({}, None, None)
    ours = {OURS: same or registry.get_model(info.name, **kwargs)}
    reference = workloads.reference_model(info.name, size) \
        if width == 1 else None
    if reference is not None:
        ours[REFERENCE] = reference
    flops = {k: workloads.forward_flops(m) for k, m in ours.items()}
    params = {k: m.count_params() for k, m in ours.items()}
    flops.update({k: flops[OURS] for k in others})
    params.update({k: peers_lib.parameters(p) for k, p in others.items()})
    rows = []

    def add(measure, batch, timings, per_image, **rate):
        for label, t in timings.items():
            rows.append(make_row(
                info.name, label, measure, batch, size, t, **rate,
                params=params[label], gflop_per_image=per_image[label] / 1e9,
                width_multiplier=width,
                **({"logit_gap": gap} if label in others else {})))

    if "inference" in measures:
        # The inference copy users deploy: BN folded into the convolutions.
        inferring = {OURS: ours[OURS], FOLDED: fold_batch_norm(ours[OURS]),
                     **{k: m for k, m in ours.items() if k != OURS}}
        flops[FOLDED] = flops[OURS]
        params[FOLDED] = inferring[FOLDED].count_params()
        rounds.start(f"{info.name} inference, batch 1")
        one = {**{k: workloads.inference_call(m, images[:1])
                  for k, m in inferring.items()},
               **{k: peers_lib.inference_call(p, images[:1])
                  for k, p in others.items()}}
        add("latency", 1, time_side_by_side(one, on_round=rounds.tick,
                                            **timing), flops)
        rounds.start(f"{info.name} inference, batch {batch_size}")
        many = {**{k: workloads.inference_call(m, images)
                   for k, m in inferring.items()},
                **{k: peers_lib.inference_call(p, images)
                   for k, p in others.items()}}
        add("inference", batch_size, time_side_by_side(
            many, on_round=rounds.tick, **timing), flops, rate=batch_size)
    if "training" in measures:
        rounds.start(f"{info.name} training step, batch {batch_size}")
        steps = {**{k: workloads.training_call(m, images, labels)
                    for k, m in ours.items()},
                 **{k: peers_lib.training_call(p, images, labels)
                    for k, p in others.items()}}
        train_flops = {k: workloads.TRAINING_FLOPS_PER_FORWARD * f
                       for k, f in flops.items()}
        if info.aux:
            aux_model = registry.get_model(info.name, aux_logits=True,
                                           **kwargs)
            label = f"{OURS} +aux"
            steps[label] = workloads.training_call(aux_model, images, labels)
            params[label] = aux_model.count_params()
            train_flops[label] = workloads.TRAINING_FLOPS_PER_FORWARD * \
                workloads.forward_flops(aux_model)
        add("training", batch_size, time_side_by_side(
            steps, on_round=rounds.tick, **timing), train_flops,
            rate=batch_size)
    return rows


def _pipeline_rows(info, image_size, batch_size, dataset, data_dir, images,
                   timing, rounds):
    size = image_size or info.default_size
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        if images is None:
            rounds.start("writing JPEGs")
            images = workloads.write_jpeg_folder(os.path.join(scratch, "jpg"))
        for label, source in (("embedded", dataset), ("jpeg_folder", images)):
            rounds.start(f"input pipeline, {label}")
            call, count = workloads.pipeline_call(
                source, image_size=size, batch_size=batch_size,
                preprocessing=info.preprocessing, data_dir=data_dir)
            # One pipeline at a time: a prefetching pipeline would fill its
            # buffer while another one is timed.
            t = time_side_by_side({label: call}, on_round=rounds.tick,
                                  **timing)[label]
            rows.append(make_row("-", label, "pipeline", batch_size, size,
                                 t, rate=batch_size, source=str(source),
                                 train_images=count))
    return rows
