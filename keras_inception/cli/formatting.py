"""What the commands print: a training run's summary, an export's
version folder with a line of figures per artifact, and predictions (one
artifact's top-k, or two artifacts' top-1 side by side).

Example:
    >>> from keras_inception.cli.formatting import format_summary
    >>> summary = dict(model="inception_v1", dataset="default",
    ...                val_top1=0.8125, val_top5=1.0, best_val_top1=0.875,
    ...                best_epoch=3, epochs=4, steps_per_epoch=10,
    ...                batch_size=32, parameters=1_234_567, replicas=1,
    ...                train_seconds_this_process=12.0,
    ...                images_per_second=106.7, skipped_files=[])
    >>> for line in format_summary(summary, "runs/demo").splitlines()[:3]:
    ...     print(line)
    run runs/demo: inception_v1 on default
      validation top-1 81.25%, top-5 100.00% (best top-1 87.50% at epoch 3)
      4 epochs x 10 steps, batch 32, 1,234,567 parameters, 1 replica(s)
"""

from __future__ import annotations

import os


def format_summary(summary, output):
    """What ``train`` prints: the run's ``summary`` (``summary.json``) and
    where its files are in the run folder ``output``."""
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


def format_export(result):
    """What ``export`` prints: the version folder and, per artifact, its
    size and parity (and accuracy) figures from the manifest."""
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


def _heading(name, label):
    return name if label is None else f"{name} (label: {label})"


def format_predictions(artifact, probabilities, names, labels, k):
    """What ``predict`` prints for one artifact: each image's top ``k``."""
    lines = [f"{artifact.kind}: {artifact.path}"]
    for i, best in enumerate(artifact.top_k(probabilities, k)):
        lines.append(_heading(names[i], labels and labels[i]))
        for rank, (name, score) in enumerate(best, 1):
            lines.append(f"  {rank}. {name:30s} {score:.4f}")
    return "\n".join(lines)


def format_comparison(artifacts, results, names, labels):
    """What ``predict --compare`` prints: per image each artifact's top-1
    beside the other's, then how far apart the two are."""
    import numpy as np

    width = max(len(a.kind) for a in artifacts)
    lines = [" beside ".join(f"{a.kind} {a.path}" for a in artifacts)]
    tops = [a.top_k(r, 1) for a, r in zip(artifacts, results)]
    for i, name in enumerate(names):
        lines.append(_heading(name, labels and labels[i]))
        for artifact, top in zip(artifacts, tops):
            label, score = top[i][0]
            lines.append(f"  {artifact.kind:{width}s}  {label:24s} "
                         f"{score:.4f}")
    agree = sum(a[0][0] == b[0][0] for a, b in zip(*tops))
    diff = float(np.abs(results[0] - results[1]).max())
    lines.append(f"top-1 agrees on {agree} of {len(names)} image(s); max "
                 f"|probability difference| {diff:.2e}")
    return "\n".join(lines)
