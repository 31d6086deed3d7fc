"""Published figures the tests check against, copied from
``../shared/reference/models.md`` (the team's reference; its sources are the
papers, keras.applications, torchvision, timm, facenet-pytorch and the
pretrainedmodels port), whose copy in ``tests/data/reference/models.md``
travels with the repository: ``test_reference_figures_match_shared_file``
checks that every number here appears in it.
"""

# name -> (builder kwargs, reference parameters, tolerance,
#          reference GMACs, tolerance)
PARAMS_AND_MACS = {
    "inception_v1": ({}, 7_005_832, 0.03, 1.58, 0.06),
    "inception_v1_paper": ({"batch_norm": False}, 6_800_000, 0.05, None, None),
    "inception_v2": ({}, None, None, 4.8, 0.25),
    "bn_inception": ({}, 11_295_240, 0.08, 2.03, 0.05),
    "inception_v3": ({}, 23_851_784, 0.0, 5.71, 0.03),
    "inception_v3_aux": ({"aux_logits": True}, 27_161_264, 0.02, None, None),
    "inception_v4": ({}, 42_679_816, 0.01, 12.25, 0.03),
    "inception_resnet_v1": ({}, 24_357_096, 0.03, 6.31, 0.05),
    "inception_resnet_v2": ({}, 55_873_736, 0.0, 13.16, 0.03),
    # "~ InceptionV4's" GMACs, +-25%.
    "inception_resnet_v2_paper": ({"variant": "paper"}, None, None,
                                  12.25, 0.25),
}

# GoogLeNet as published: Table 1 of Going Deeper gives 1.5 B multiply-adds
# in the text, but its own "ops" column (in millions, per row) sums to
# 1,586 M; we check the rows, the stronger statement.
GOOGLENET_TABLE_1_OPS_M = {
    "conv_1a_7x7": 118, "conv_2": 360, "inception_3a": 128,
    "inception_3b": 304, "inception_4a": 73, "inception_4b": 88,
    "inception_4c": 100, "inception_4d": 119, "inception_4e": 170,
    "inception_5a": 54, "inception_5b": 71, "predictions": 1,
}


def _repeat(prefix, n, shape, start=1):
    return {f"{prefix}{i}": shape for i in range(start, start + n)}


# Stage output shapes (height, width, channels) at the default input size.
STAGE_SHAPES = {
    "inception_v1": {
        "conv_1a_7x7": (112, 112, 64), "maxpool_2a_3x3": (56, 56, 64),
        "conv_2c_3x3": (56, 56, 192), "maxpool_3a_3x3": (28, 28, 192),
        "inception_3a": (28, 28, 256), "inception_3b": (28, 28, 480),
        "maxpool_4a_3x3": (14, 14, 480), "inception_4a": (14, 14, 512),
        "inception_4b": (14, 14, 512), "inception_4c": (14, 14, 512),
        "inception_4d": (14, 14, 528), "inception_4e": (14, 14, 832),
        "maxpool_5a_3x3": (7, 7, 832), "inception_5a": (7, 7, 832),
        "inception_5b": (7, 7, 1024), "avg_pool": (1024,),
    },
    "inception_v2": {
        "conv_1a_3x3": (149, 149, 32), "conv_2a_3x3": (147, 147, 32),
        "conv_2b_3x3": (147, 147, 64), "maxpool_3a_3x3": (73, 73, 64),
        "conv_3b_3x3": (71, 71, 80), "conv_4a_3x3": (35, 35, 192),
        "conv_4b_3x3": (35, 35, 288),
        "mixed_5b": (35, 35, 288), "mixed_5c": (35, 35, 288),
        "mixed_5d": (35, 35, 288), "mixed_6a": (17, 17, 768),
        **{f"mixed_6{c}": (17, 17, 768) for c in "bcdef"},
        "mixed_7a": (8, 8, 1280), "mixed_7b": (8, 8, 2048),
        "mixed_7c": (8, 8, 2048), "avg_pool": (2048,),
    },
    "bn_inception": {
        "conv_1a_7x7": (112, 112, 64), "maxpool_2a_3x3": (56, 56, 64),
        "conv_2c_3x3": (56, 56, 192), "maxpool_3a_3x3": (28, 28, 192),
        "inception_3a": (28, 28, 256), "inception_3b": (28, 28, 320),
        "inception_3c": (14, 14, 576), "inception_4a": (14, 14, 576),
        "inception_4b": (14, 14, 576), "inception_4c": (14, 14, 608),
        "inception_4d": (14, 14, 608), "inception_4e": (7, 7, 1056),
        "inception_5a": (7, 7, 1024), "inception_5b": (7, 7, 1024),
    },
    "inception_v3": {
        "maxpool_5a_3x3": (35, 35, 192), "mixed0": (35, 35, 256),
        "mixed1": (35, 35, 288), "mixed2": (35, 35, 288),
        "mixed3": (17, 17, 768),
        **{f"mixed{i}": (17, 17, 768) for i in range(4, 8)},
        "mixed8": (8, 8, 1280), "mixed9": (8, 8, 2048),
        "mixed10": (8, 8, 2048),
    },
    "inception_v4": {
        "mixed_5a": (35, 35, 384),
        **_repeat("inception_a_", 4, (35, 35, 384)),
        "reduction_a": (17, 17, 1024),
        **_repeat("inception_b_", 7, (17, 17, 1024)),
        "reduction_b": (8, 8, 1536),
        **_repeat("inception_c_", 3, (8, 8, 1536)),
    },
    "inception_resnet_v1": {
        "conv_4b_3x3": (35, 35, 256), **_repeat("block35_", 5, (35, 35, 256)),
        "mixed_6a": (17, 17, 896), **_repeat("block17_", 10, (17, 17, 896)),
        "mixed_7a": (8, 8, 1792), **_repeat("block8_", 5, (8, 8, 1792)),
    },
    "inception_resnet_v2": {
        "mixed_5b": (35, 35, 320), **_repeat("block35_", 10, (35, 35, 320)),
        "mixed_6a": (17, 17, 1088),
        **_repeat("block17_", 20, (17, 17, 1088)),
        "mixed_7a": (8, 8, 2080), **_repeat("block8_", 10, (8, 8, 2080)),
        "conv_7b": (8, 8, 1536),
    },
    "inception_resnet_v2_paper": {
        "mixed_5a": (35, 35, 384), **_repeat("block35_", 5, (35, 35, 384)),
        "mixed_6a": (17, 17, 1152),
        **_repeat("block17_", 10, (17, 17, 1152)),
        "mixed_7a": (8, 8, 2144), **_repeat("block8_", 5, (8, 8, 2144)),
    },
}

# Figures as models.md prints them, for the consistency check.
SHARED_FILE_STRINGS = (
    "7,005,832", "11,295,240", "23,851,784", "27,161,264", "42,679,816",
    "24,357,096", "55,873,736", "1.58", "2.03", "5.71", "12.25", "6.31",
    "13.16", "~4.8", "28x28x480", "35x35x288", "17x17x1024", "8x8x1536",
    "8x8x2144", "17x17x896", "7x7x1056",
)
