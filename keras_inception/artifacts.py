"""The documented import path of :mod:`keras_inception.deploy.artifacts`
(``keras_inception.artifacts.load_artifact``)."""

from keras_inception.deploy.artifacts import (KINDS, Artifact,
                                              KerasArtifact, OnnxArtifact,
                                              SavedModelArtifact,
                                              TFLiteArtifact, artifact_kind,
                                              load_artifact)
from keras_inception.deploy.manifest import MANIFEST

__all__ = [
    "KINDS", "MANIFEST", "Artifact", "KerasArtifact", "OnnxArtifact",
    "SavedModelArtifact", "TFLiteArtifact", "artifact_kind", "load_artifact",
]
