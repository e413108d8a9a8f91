"""Action of a planar linear map on images: exact index gathers, or interpolation.

Pixel ``(row a, column b)`` of an ``H x W`` image sits at ``(x, y) = (b - (W-1)/2, (H-1)/2 - a)``:
``x`` to the right, ``y`` up. A map ``M`` transforms a signal ``f`` into ``f'(p) = f(M^{-1} p)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

__all__ = ["transform_image"]


def _source_coordinates(matrix: np.ndarray, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column (floats) read by every output pixel, each of shape ``(h, w)``."""
    cy, cx = (h - 1) / 2.0, (w - 1) / 2.0
    rows, cols = np.meshgrid(
        np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64), indexing="ij"
    )
    pts = np.stack([cols - cx, cy - rows])  # (2, h, w) as (x, y)
    src = np.tensordot(np.linalg.inv(matrix), pts, axes=1)
    return cy - src[1], src[0] + cx


def transform_image(x: Any, matrix: np.ndarray, order: int = 3) -> Any:
    """Apply the planar linear map ``matrix`` to the last two (spatial) axes of ``x``.

    Exact (an index gather) when the map sends the pixel grid onto itself (multiples of 90°,
    reflections along the axes or the diagonals of a square image); otherwise interpolated with
    a spline of order ``order`` (:func:`scipy.ndimage.map_coordinates`, zeros outside the image;
    scipy is imported only then).

    Args:
        x: a ``torch.Tensor`` or ``numpy.ndarray`` with at least two axes ``(..., H, W)``.
        matrix: a ``2 x 2`` matrix acting on ``(x, y)`` coordinates.
        order: spline order (0 to 5) of the interpolation for inexact maps.

    Returns:
        The transformed array, of the same type, dtype and shape as ``x``.

    Shape:
        - Input: :math:`(*, H, W)`.
        - Output: :math:`(*, H, W)`.

    Example:
        >>> import numpy as np
        >>> img = np.arange(4.0).reshape(2, 2)
        >>> transform_image(img, np.array([[0.0, -1.0], [1.0, 0.0]]))  # 90° counter-clockwise
        array([[1., 3.],
               [0., 2.]])
    """
    is_numpy = isinstance(x, np.ndarray)
    t = torch.from_numpy(np.ascontiguousarray(x)) if is_numpy else x
    if not isinstance(t, torch.Tensor) or t.dim() < 2:
        raise TypeError(
            f"input: expected a tensor or array with at least 2 (spatial) axes, got "
            f"{type(x).__name__}{'' if not hasattr(x, 'shape') else tuple(x.shape)}"
        )
    h, w = t.shape[-2], t.shape[-1]
    src_r, src_c = _source_coordinates(np.asarray(matrix, dtype=np.float64), h, w)
    ri, ci = np.rint(src_r), np.rint(src_c)
    exact = (
        np.abs(src_r - ri).max() < 1e-6
        and np.abs(src_c - ci).max() < 1e-6
        and ri.min() >= 0
        and ci.min() >= 0
        and ri.max() <= h - 1
        and ci.max() <= w - 1
    )
    if exact:
        index = torch.from_numpy((ri * w + ci).astype(np.int64).reshape(-1)).to(t.device)
        out = t.reshape(*t.shape[:-2], h * w)[..., index].reshape(t.shape)
    else:
        from scipy import ndimage  # imported lazily: only interpolated actions need it

        flat = t.detach().reshape(-1, h, w).to("cpu", torch.float64).numpy()
        coords = np.stack([src_r, src_c])
        moved = np.stack(
            [
                ndimage.map_coordinates(img, coords, order=order, mode="constant", cval=0.0)
                for img in flat
            ]
        )
        out = torch.from_numpy(moved.reshape(t.shape)).to(device=t.device, dtype=t.dtype)
    if is_numpy:
        return out.numpy()
    return out
