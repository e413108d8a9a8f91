"""``FourPackageNet``: one forward pass through all four packages.

images ``(B, 1, S, S)``
  -> ``e2_steerable``: R2Conv -> InnerBatchNorm -> ReLU -> PointwiseMaxPool -> R2Conv ->
     InnerBatchNorm -> ReLU -> GroupPooling (rotation-invariant channels, ``(B, C, S/2, S/2)``)
  -> ``semiconv_nd``: depthwise quadratic tropical (max-plus) dilation, stride 2, as pooling
     (``(B, C, S/4, S/4)``)
  -> ``hourglass_layer``: HourglassLayer on the ``S/4 * S/4`` pixels as a point set
     (``(B, m, D)``: a cloud of ``m`` points in ``R^D`` per image)
  -> ``torchph_lite``: 0-dimensional Vietoris-Rips diagram of every cloud, vectorised by an
     ``SLayerExponential`` (``(B, N)``)
  -> linear head on the persistence features and the cloud's mean (``(B, classes)``).

The equivariant stage is an ``e2_steerable.nn.SequentialModule`` built from a list of blocks,
so more modules (other non-linearities, norm batch norms, antialiased pools) slot in by
appending to :meth:`FourPackageNet._equivariant_blocks`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import torch
from torch import nn

import semiconv_nd
from e2_steerable import gspaces
from e2_steerable import nn as enn
from fourpack.data import NUM_CLASSES
from hourglass_layer import HourglassLayer
from torchph_lite.nn import SLayerExponential
from torchph_lite.pershom import vr_persistence_l2

SemifieldKind = Literal["broadcast", "compiled"]


@dataclass(frozen=True)
class ModelConfig:
    """Hyper-parameters of :class:`FourPackageNet` (a plain, picklable record).

    Attributes:
        rotations: Order ``N`` of the rotation group ``C_N`` of the equivariant stage.
        fields: Regular fields per equivariant layer (channels after group pooling).
        bottleneck: Width ``Dh`` of the hourglass bottleneck.
        cloud_dim: Dimension ``D`` of the hourglass output, i.e. of the persistence point cloud.
        structure_elements: Number ``N`` of SLayer structure elements.
        input_elements: Structure elements for optional precomputed input diagrams (0: none).
        semifield: ``"broadcast"`` (plain torch ops) or ``"compiled"`` (numba/CUDA custom op).
        num_classes: Output classes.
    """

    rotations: int = 4
    fields: int = 4
    bottleneck: int = 2
    cloud_dim: int = 3
    structure_elements: int = 8
    input_elements: int = 0
    semifield: SemifieldKind = "broadcast"
    num_classes: int = NUM_CLASSES

    def __post_init__(self) -> None:
        for name in ("rotations", "fields", "bottleneck", "cloud_dim", "structure_elements"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if self.semifield not in ("broadcast", "compiled"):
            raise ValueError(f"semifield must be 'broadcast' or 'compiled', got {self.semifield!r}")


def tropical_pooling(channels: int, kind: SemifieldKind) -> semiconv_nd.GenericConv:
    """Depthwise max-plus dilation with learnable quadratic structuring functions, stride 2."""
    if kind == "compiled":
        semifield = semiconv_nd.SelectSemifield.tropical_max().lazy_fixed()
    else:
        semifield = semiconv_nd.BroadcastSemifield.tropical_max().dynamic()
    kernel = semiconv_nd.QuadraticKernelSpectral2D(1, channels, 3)
    return semiconv_nd.GenericConv(kernel, semifield, padding="same", stride=2, groups=channels)


class FourPackageNet(nn.Module):
    """Classifier using ``e2_steerable``, ``semiconv_nd``, ``hourglass_layer`` and ``torchph_lite``.

    Args:
        config: The hyper-parameters; defaults to ``ModelConfig()``.

    Shape:
        - images: :math:`(B, 1, S, S)` with ``S`` divisible by 4
        - output of :meth:`forward`: logits :math:`(B, classes)` and, per image, the death times
          of its cloud's 0-dimensional diagram (for the connectivity loss)
    """

    def __init__(self, config: ModelConfig | None = None) -> None:
        super().__init__()
        self.config = config or ModelConfig()
        cfg = self.config
        self.gspace = gspaces.Rot2dOnR2(N=cfg.rotations)
        self.in_type = enn.FieldType(self.gspace, [self.gspace.trivial_repr])
        self.equivariant = enn.SequentialModule(*self._equivariant_blocks())
        self.pool = tropical_pooling(cfg.fields, cfg.semifield)
        self.hourglass = HourglassLayer(
            Dh=cfg.bottleneck, Dout=cfg.cloud_dim, in_features=cfg.fields
        )
        self.slayer = SLayerExponential(cfg.structure_elements, point_dimension=2)
        self.input_slayer = (
            SLayerExponential(cfg.input_elements, point_dimension=2) if cfg.input_elements else None
        )
        features = cfg.structure_elements + cfg.cloud_dim + cfg.input_elements
        self.head = nn.Linear(features, cfg.num_classes)

    def _equivariant_blocks(self) -> list[enn.EquivariantModule]:
        regular = enn.FieldType(self.gspace, self.config.fields * [self.gspace.regular_repr])
        return [
            enn.R2Conv(self.in_type, regular, kernel_size=3, padding=1),
            enn.InnerBatchNorm(regular),
            enn.ReLU(regular),
            enn.PointwiseMaxPool(regular, kernel_size=2),
            enn.R2Conv(regular, regular, kernel_size=3, padding=1),
            enn.InnerBatchNorm(regular),
            enn.ReLU(regular),
            enn.GroupPooling(regular),
        ]

    def invariant_features(self, images: torch.Tensor) -> torch.Tensor:
        """The equivariant stage and group pooling: ``(B, 1, S, S)`` -> ``(B, C, S/2, S/2)``."""
        if images.ndim != 4 or images.shape[1] != 1:
            raise ValueError(f"images must have shape (B, 1, S, S), got {tuple(images.shape)}")
        if images.shape[-1] % 4 or images.shape[-2] % 4:
            raise ValueError(f"image sides must be divisible by 4, got {tuple(images.shape)}")
        return self.equivariant(enn.GeometricTensor(images, self.in_type)).tensor

    def point_clouds(self, images: torch.Tensor) -> torch.Tensor:
        """Pooled features of every pixel through the hourglass: ``(B, (S/4)^2, D)``."""
        pooled = self.pool(self.invariant_features(images))
        points = pooled.flatten(2).transpose(1, 2)  # (B, m, C): one point per pixel
        return self.hourglass(points)

    def forward(
        self, images: torch.Tensor, input_diagrams: list[torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        clouds = self.point_clouds(images)
        # Each cloud's diagram is computed locally (in DDP: on the rank that owns the image).
        diagrams = [non_essential[0] for non_essential, _ in vr_persistence_l2(clouds, 0)]
        features = [self.slayer(diagrams).reshape(len(diagrams), -1), clouds.mean(dim=1)]
        if self.input_slayer is not None:
            if input_diagrams is None or len(input_diagrams) != len(diagrams):
                raise ValueError(
                    "this model was built with input_elements > 0: pass one input diagram per "
                    f"image, got {None if input_diagrams is None else len(input_diagrams)}"
                )
            features.append(self.input_slayer(input_diagrams).reshape(len(diagrams), -1))
        logits = self.head(torch.cat(features, dim=1))
        return logits, [diagram[:, 1] for diagram in diagrams]

    def export_equivariant(self) -> nn.Sequential:
        """The equivariant stage as plain torch modules (call in eval mode)."""
        if self.training:
            raise RuntimeError("export_equivariant() needs eval mode: call model.eval() first")
        return self.equivariant.export()

    def extra_repr(self) -> str:
        return ", ".join(f"{key}={value!r}" for key, value in asdict(self.config).items())
