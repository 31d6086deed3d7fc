#!/usr/bin/env python
"""Regenerate ``keras_inception/resources/imagenet_class_index.json``.

The class index maps the ImageNet-1k (ILSVRC-2012) output index of a
classifier to its WordNet id and a short human-readable name::

    {"0": ["n01440764", "tench"], "1": ["n01443537", "goldfish"], ...}

Index ``i`` is the ``i``-th WordNet id in sorted order, which is the order
used by every common ImageNet-1k checkpoint.  The class name is the first
lemma of the synset with spaces replaced by underscores (for example
``"great_white_shark"``), the same convention as the index that ships with
``keras.applications``.

The synset list and lemmas are read from the metadata files bundled with
the ``timm`` package (``timm/data/_info/imagenet_synsets.txt`` and
``timm/data/_info/imagenet_synset_to_lemma.txt``), either straight out of a
``timm`` wheel or from the two text files on disk.  ``timm`` itself does not
need to be installed.

Usage::

    python tools/make_imagenet_class_index.py \\
        --wheel timm-1.0.31-py3-none-any.whl

    python tools/make_imagenet_class_index.py \\
        --synsets imagenet_synsets.txt \\
        --lemmas imagenet_synset_to_lemma.txt \\
        --output keras_inception/resources/imagenet_class_index.json
"""

import argparse
import json
import os
import re
import sys
import zipfile

SYNSETS_MEMBER = "timm/data/_info/imagenet_synsets.txt"
LEMMAS_MEMBER = "timm/data/_info/imagenet_synset_to_lemma.txt"
NUM_CLASSES = 1000
_WNID_RE = re.compile(r"^n\d{8}$")

DEFAULT_OUTPUT = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    "keras_inception",
    "resources",
    "imagenet_class_index.json",
)


def _read_from_wheel(wheel_path):
    with zipfile.ZipFile(wheel_path) as archive:
        synsets = archive.read(SYNSETS_MEMBER).decode("utf-8")
        lemmas = archive.read(LEMMAS_MEMBER).decode("utf-8")
    return synsets, lemmas


def _read_text(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def build_class_index(synsets_text, lemmas_text):
    """Returns a list of ``(wnid, name)`` pairs, one per class, in order."""
    wnids = [line.strip() for line in synsets_text.splitlines()]
    wnids = [wnid for wnid in wnids if wnid]
    if len(wnids) != NUM_CLASSES:
        raise ValueError(
            f"Expected {NUM_CLASSES} WordNet ids, found {len(wnids)}."
        )
    for wnid in wnids:
        if not _WNID_RE.match(wnid):
            raise ValueError(f"Malformed WordNet id: {wnid!r}.")
    if len(set(wnids)) != NUM_CLASSES:
        raise ValueError("The WordNet id list contains duplicates.")
    if wnids != sorted(wnids):
        raise ValueError(
            "The WordNet ids are not sorted; ImageNet-1k indices follow the "
            "sorted order."
        )

    first_lemma = {}
    for line in lemmas_text.splitlines():
        if not line.strip():
            continue
        wnid, sep, lemmas = line.partition("\t")
        if not sep:
            raise ValueError(f"Malformed lemma line: {line!r}.")
        first_lemma[wnid.strip()] = lemmas.split(",")[0].strip()

    entries = []
    for wnid in wnids:
        lemma = first_lemma.get(wnid)
        if not lemma:
            raise ValueError(f"No lemma found for WordNet id {wnid}.")
        entries.append((wnid, lemma.replace(" ", "_")))
    return entries


def render_json(entries):
    """Renders the index as JSON text with one class per line."""

    lines = [
        f"  {json.dumps(str(i))}: {json.dumps([wnid, name])}"
        for i, (wnid, name) in enumerate(entries)
    ]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Regenerate the ImageNet-1k class index JSON from the "
        "metadata files bundled with timm."
    )
    parser.add_argument(
        "--wheel",
        help="Path to a timm wheel (.whl); the two metadata files are read "
        "from inside it.",
    )
    parser.add_argument(
        "--synsets",
        help="Path to imagenet_synsets.txt (alternative to --wheel).",
    )
    parser.add_argument(
        "--lemmas",
        help="Path to imagenet_synset_to_lemma.txt (alternative to --wheel).",
    )
    parser.add_argument(
        "--output",
        default=DEFAULT_OUTPUT,
        help="Where to write the JSON (default: %(default)s).",
    )
    args = parser.parse_args(argv)

    if args.wheel and (args.synsets or args.lemmas):
        parser.error("pass either --wheel or --synsets/--lemmas, not both")
    if args.wheel:
        synsets_text, lemmas_text = _read_from_wheel(args.wheel)
    elif args.synsets and args.lemmas:
        synsets_text = _read_text(args.synsets)
        lemmas_text = _read_text(args.lemmas)
    else:
        parser.error("pass --wheel, or both --synsets and --lemmas")

    entries = build_class_index(synsets_text, lemmas_text)
    text = render_json(entries)
    out_dir = os.path.dirname(os.path.abspath(args.output))
    os.makedirs(out_dir, exist_ok=True)
    with open(args.output, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    print(f"Wrote {len(entries)} classes to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
