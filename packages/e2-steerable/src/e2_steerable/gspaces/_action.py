"""Action of a planar linear map on images: exact index gathers, or interpolation.

Pixel ``(row a, column b)`` of an ``H x W`` image sits at ``(x, y) = (b - (W-1)/2, (H-1)/2 - a)``:
``x`` to the right, ``y`` up. A map ``M`` transforms a signal ``f`` into ``f'(p) = f(M^{-1} p)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

__all__ = ["output_grid", "transform_image"]


def _source_coordinates(
    matrix: np.ndarray, h: int, w: int, out_h: int, out_w: int
) -> tuple[np.ndarray, np.ndarray]:
    """Row and column (floats) of the ``h x w`` input read by every pixel of the
    ``out_h x out_w`` output, each of shape ``(out_h, out_w)``."""
    rows, cols = np.meshgrid(
        np.arange(out_h, dtype=np.float64), np.arange(out_w, dtype=np.float64), indexing="ij"
    )
    pts = np.stack([cols - (out_w - 1) / 2.0, (out_h - 1) / 2.0 - rows])  # (2, out_h, out_w)
    src = np.tensordot(np.linalg.inv(matrix), pts, axes=1)
    return (h - 1) / 2.0 - src[1], src[0] + (w - 1) / 2.0


def output_grid(matrix: np.ndarray, h: int, w: int) -> tuple[int, int]:
    """The grid the image lands on: ``(w, h)`` for maps that swap the axes (±90°, diagonal
    reflections), ``(h, w)`` otherwise (as :func:`torch.rot90` does)."""
    m = np.asarray(matrix, dtype=np.float64)
    swaps = abs(m[0, 0]) < 1e-9 and abs(m[1, 1]) < 1e-9 and abs(abs(m[0, 1]) - 1.0) < 1e-9
    return (w, h) if swaps else (h, w)


def transform_image(x: Any, matrix: np.ndarray, order: int = 3) -> Any:
    """Apply the planar linear map ``matrix`` to the last two (spatial) axes of ``x``.

    Exact (an index gather) when the map sends the pixel grid onto a pixel grid (multiples of
    90°, reflections along the axes or the diagonals); maps that swap the axes turn an ``H x W``
    image into a ``W x H`` one, as :func:`torch.rot90` does. Otherwise interpolated with
    a spline of order ``order`` (:func:`scipy.ndimage.map_coordinates`, zeros outside the image;
    scipy is imported only then).

    Args:
        x: a ``torch.Tensor`` or ``numpy.ndarray`` with at least two axes ``(..., H, W)``.
        matrix: a ``2 x 2`` matrix acting on ``(x, y)`` coordinates.
        order: spline order (0 to 5) of the interpolation for inexact maps.

    Returns:
        The transformed array, of the same type and dtype as ``x``.

    Shape:
        - Input: :math:`(*, H, W)`.
        - Output: :math:`(*, W, H)` for maps that swap the axes, else :math:`(*, H, W)`.

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
    m = np.asarray(matrix, dtype=np.float64)
    out_h, out_w = output_grid(m, h, w)
    src_r, src_c = _source_coordinates(m, h, w, out_h, out_w)
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
        out = t.reshape(*t.shape[:-2], h * w)[..., index].reshape(*t.shape[:-2], out_h, out_w)
    else:
        from scipy import ndimage  # imported lazily: only interpolated actions need it

        if (out_h, out_w) != (h, w):  # an inexact map that swaps the axes: keep the grid
            out_h, out_w = h, w
            src_r, src_c = _source_coordinates(m, h, w, h, w)
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
