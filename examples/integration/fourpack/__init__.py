"""One model built from all four packages of the toolkit, its synthetic data and its losses.

``FourPackageNet`` chains an ``e2_steerable`` rotation-equivariant feature extractor, a
``semiconv_nd`` learnable tropical-dilation pooling, a ``hourglass_layer`` bottleneck applied to
the pooled features as a point set, and ``torchph_lite`` persistent homology of that point set
vectorised by an ``SLayerExponential``. It is used by the training script
``examples/integration/train_four_packages.py`` (single process, DDP over gloo/NCCL, ``torchrun``)
and by ``tests-integration/``.
"""

from fourpack.data import BlobImages, DiagramDataset, collate_with_diagrams, pixel_cloud_diagram
from fourpack.losses import connectivity_loss, training_loss
from fourpack.model import FourPackageNet, ModelConfig

__all__ = [
    "BlobImages",
    "DiagramDataset",
    "FourPackageNet",
    "ModelConfig",
    "collate_with_diagrams",
    "connectivity_loss",
    "pixel_cloud_diagram",
    "training_loss",
]
