"""One table of what the tests know about each generation, independently of
the registry they check: a test that needs a per-generation fact reads it
here, so a fact is written once (published figures are in
``reference_figures.py``).

Each row: the registry name; the smallest input the paper's stem allows;
the output keys of the classifier with ``aux_logits=True`` (empty: no
auxiliary heads); the repeated stages and their default block counts (the
builders' ``block_counts``); the layer-name prefix of each stage's blocks;
the channels of the feature maps at strides 4, 8, 16 and 32 (full width);
and the learning rate under which two steps of the generation's own recipe
lower its loss on a fixed batch (``test_training``; ``None``: the recipe's).
"""

import dataclasses
from typing import Optional


@dataclasses.dataclass(frozen=True)
class Generation:
    name: str
    min_size: int
    aux_outputs: tuple = ()
    block_stages: tuple = ()
    block_counts: tuple = ()
    block_prefixes: tuple = ()
    feature_channels: tuple = ()
    train_lr: Optional[float] = None

    @property
    def has_aux(self):
        return bool(self.aux_outputs)


STAGES_3 = ("35x35", "17x17", "8x8")
RESNET_PREFIXES = ("block35_", "block17_", "block8_")

GENERATIONS = {g.name: g for g in (
    Generation("inception_v1", 32, ("predictions", "aux_1", "aux_2"),
               feature_channels=(192, 480, 832, 1024), train_lr=0.045),
    Generation("bn_inception", 32,
               feature_channels=(192, 320, 608, 1024)),
    Generation("inception_v2", 75, ("predictions", "aux"),
               feature_channels=(80, 288, 768, 2048), train_lr=2e-5),
    Generation("inception_v3", 75, ("predictions", "aux"), ("17x17",), (4,),
               ("mixed",), (192, 288, 768, 2048), 2e-5),
    Generation("inception_v4", 75, (), STAGES_3, (4, 7, 3),
               ("inception_a_", "inception_b_", "inception_c_"),
               (192, 384, 1024, 1536), 1e-5),
    Generation("inception_resnet_v1", 75, (), STAGES_3, (5, 10, 5),
               RESNET_PREFIXES, (192, 256, 896, 1792)),
    Generation("inception_resnet_v2", 75, (), STAGES_3, (10, 20, 9),
               RESNET_PREFIXES, (192, 320, 1088, 1536)),
)}
NAMES = tuple(GENERATIONS)
WITH_AUX = tuple(n for n, g in GENERATIONS.items() if g.has_aux)
WITH_STAGES = tuple(n for n, g in GENERATIONS.items() if g.block_stages)
