"""Expansion of the steerable basis for whole field types, one block per pair of representations.

The weights are the concatenation, over the unique ``(input repr, output repr)`` pairs sorted by
name, of arrays ``(output fields of that repr, input fields of that repr, basis elements)`` in
row-major order: e2cnn's layout, so its checkpoints load one to one.

The filter is assembled with one matrix product per pair and one strided copy per pair of runs
of equal fields (see :mod:`._layout`); there is no advanced indexing in the forward pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from e2_steerable.group import Representation
from e2_steerable.kernels.basis import EmptyBasisException, KernelBasis
from e2_steerable.nn.field_type import FieldType
from e2_steerable.nn.modules.r2_conv._layout import FieldLayout, Run
from e2_steerable.nn.modules.r2_conv.basisexpansion import BasisExpansion
from e2_steerable.nn.modules.r2_conv.basisexpansion_singleblock import (
    block_basisexpansion,
    element_id,
)

__all__ = ["MAX_BLOCK_COPIES", "BlocksBasisExpansion"]

#: Above this many strided block copies, assemble in field-sorted order and gather once.
MAX_BLOCK_COPIES = 64


@dataclass(frozen=True)
class _Pair:
    in_name: str
    out_name: str
    module_name: str
    offset: int  # first weight of the pair
    n_out: int  # output fields of out_name
    n_in: int  # input fields of in_name
    dim: int  # basis elements
    out_runs: tuple[Run, ...]
    in_runs: tuple[Run, ...]

    @property
    def size(self) -> int:
        return self.n_out * self.n_in * self.dim


def _sorted_channel_positions(reprs: list[Representation], order: list[int]) -> np.ndarray:
    """For every original channel, its position once the fields are put in ``order``."""
    sizes = np.array([r.size for r in reprs], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    position = np.empty(int(sizes.sum()), dtype=np.int64)
    cursor = 0
    for field in order:
        position[starts[field] : starts[field] + sizes[field]] = np.arange(
            cursor, cursor + sizes[field]
        )
        cursor += int(sizes[field])
    return position


def _irrep_starts(reprs: list[Representation]) -> np.ndarray:
    counts = np.array([len(r.irreps) for r in reprs], dtype=np.int64)
    return np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)


class BlocksBasisExpansion(BasisExpansion):
    r"""Basis expansion for a pair of field types, built block by block on representation pairs.

    Args:
        in_type: the input field type.
        out_type: the output field type.
        basis_generator: ``(in_repr, out_repr, **kwargs) -> KernelBasis``, for example
            ``gspace.build_kernel_basis``.
        points: ``(P, 2)`` points where the bases are sampled.
        basis_filter: optional filter over the elements' attributes (e.g. the band-limit).
        recompute: sample every basis anew instead of reusing cached ones.
        **kwargs: passed to ``basis_generator``.

    Attributes:
        S: the number of sampling points ``P``.

    Raises:
        EmptyBasisException: if no pair of representations admits a non-zero kernel.

    Shape:
        - weights: :math:`(\text{dim},)`.
        - Output: :math:`(C_\text{out}, C_\text{in}, P)`.
    """

    def __init__(
        self,
        in_type: FieldType,
        out_type: FieldType,
        basis_generator: Callable[..., KernelBasis],
        points: np.ndarray,
        basis_filter: Callable[[dict[str, Any]], bool] | None = None,
        recompute: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        if in_type.gspace != out_type.gspace:
            raise ValueError(
                f"in_type and out_type live on different gspaces: {in_type.gspace.name} and "
                f"{out_type.gspace.name}"
            )
        self.in_type = in_type
        self.out_type = out_type
        points = np.asarray(points, dtype=np.float64)
        self.S = int(points.shape[0])
        in_list, out_list = list(in_type.representations), list(out_type.representations)
        # the original layouts give the global field indices (weights and attributes) ...
        self._in_fields = FieldLayout(in_list)
        self._out_fields = FieldLayout(out_list)
        # ... and the assembly layouts the runs the filter is built from (see _choose_layouts)
        self._in_layout, self._out_layout = self._in_fields, self._out_fields
        self._choose_layouts(in_list, out_list)
        in_reprs = self._in_layout.representations
        out_reprs = self._out_layout.representations
        pairs: list[_Pair] = []
        offset = 0
        for in_name in sorted(in_reprs):
            for out_name in sorted(out_reprs):
                basis = basis_generator(in_reprs[in_name], out_reprs[out_name], **kwargs)
                try:
                    block = block_basisexpansion(basis, points, basis_filter, recompute=recompute)
                except EmptyBasisException:
                    continue
                module_name = f"block_expansion_{(in_name, out_name)}"
                self.add_module(module_name, block)
                pair = _Pair(
                    in_name,
                    out_name,
                    module_name,
                    offset,
                    len(self._out_layout.fields_of[out_name]),
                    len(self._in_layout.fields_of[in_name]),
                    block.dimension(),
                    tuple(r for r in self._out_layout.runs if r.name == out_name),
                    tuple(r for r in self._in_layout.runs if r.name == in_name),
                )
                pairs.append(pair)
                offset += pair.size
        if not pairs:
            raise EmptyBasisException(
                f"the steerable kernel basis from {in_type} to {out_type} is empty for these "
                "sampling parameters; use a larger kernel_size, more `rings`, or a higher "
                "`frequencies_cutoff` (e.g. a float such as 3.0)"
            )
        self._pairs = pairs
        self._dim = offset
        covered = {(p.in_name, p.out_name) for p in pairs}
        self._full = all((a, b) in covered for a in in_reprs for b in out_reprs)

    def _choose_layouts(
        self, in_list: list[Representation], out_list: list[Representation]
    ) -> None:
        """Use field-sorted layouts plus one final gather when the types have too many runs.

        A type without a repeating pattern (e.g. irreps in random order) would need one strided
        copy per pair of runs; past :data:`MAX_BLOCK_COPIES` the filter is instead assembled with
        the fields grouped by representation (one run each) and its channels are put back in
        order by a single gather.
        """
        self.register_buffer("_channel_gather", None, persistent=False)
        lay_i, lay_o = self._in_fields, self._out_fields
        copies = 0
        for name_o in lay_o.representations:
            for name_i in lay_i.representations:
                n_o = sum(r.name == name_o for r in lay_o.runs)
                n_i = sum(r.name == name_i for r in lay_i.runs)
                copies += n_o * n_i
        if copies <= MAX_BLOCK_COPIES:
            return
        order_i = sorted(range(len(in_list)), key=lambda k: in_list[k].name)
        order_o = sorted(range(len(out_list)), key=lambda k: out_list[k].name)
        self._in_layout = FieldLayout([in_list[k] for k in order_i])
        self._out_layout = FieldLayout([out_list[k] for k in order_o])
        sorted_in = _sorted_channel_positions(in_list, order_i)
        sorted_out = _sorted_channel_positions(out_list, order_o)
        c_in = len(sorted_in)
        index = sorted_out[:, None] * c_in + sorted_in[None, :]
        self._channel_gather = torch.from_numpy(index.reshape(-1))

    # ---------------------------------------------------------------------------- expansion
    def dimension(self) -> int:
        return self._dim

    def _block(self, pair: _Pair) -> torch.Tensor:
        return getattr(self, pair.module_name).sampled_basis

    def forward(self, weights: torch.Tensor) -> torch.Tensor:
        if weights.shape != (self._dim,):
            raise ValueError(f"weights: expected shape ({self._dim},), got {tuple(weights.shape)}")
        lay_o, lay_i = self._out_layout, self._in_layout
        r_out, r_in = lay_o.repetitions, lay_i.repetitions
        c_out, c_in, p = self.out_type.size, self.in_type.size, self.S
        pairs = self._pairs
        if (
            len(pairs) == 1
            and len(lay_o.runs) == 1
            and len(lay_i.runs) == 1
            and self._channel_gather is None
        ):
            # a single representation pair (e.g. regular -> regular): one GEMM + one permute
            pair = pairs[0]
            expanded = self._expand_pair(pair, weights)
            return expanded.permute(0, 1, 4, 2, 3, 5, 6).reshape(c_out, c_in, p)
        make = torch.empty if self._full else torch.zeros
        filt = make(
            (r_out, lay_o.pattern_size, r_in, lay_i.pattern_size, p),
            dtype=weights.dtype,
            device=weights.device,
        )
        for pair in pairs:
            expanded = self._expand_pair(pair, weights)
            o, i = expanded.shape[4], expanded.shape[5]
            for ro in pair.out_runs:
                for ri in pair.in_runs:
                    blk = expanded[:, ro.rank : ro.rank + ro.count, :, ri.rank : ri.rank + ri.count]
                    window = filt[
                        :,
                        ro.channel : ro.channel + ro.count * o,
                        :,
                        ri.channel : ri.channel + ri.count * i,
                    ].view(r_out, ro.count, o, r_in, ri.count, i, p)
                    # one strided copy straight into the filter (no intermediate contiguous copy)
                    window.copy_(blk.permute(0, 1, 4, 2, 3, 5, 6))
        if self._channel_gather is not None:
            rows = filt.reshape(c_out * c_in, p).index_select(0, self._channel_gather)
            return rows.reshape(c_out, c_in, p)
        return filt.reshape(c_out, c_in, p)

    def _expand_pair(self, pair: _Pair, weights: torch.Tensor) -> torch.Tensor:
        """``(R_out, n_out/R_out, R_in, n_in/R_in, O, I, P)`` block of one representation pair."""
        basis = self._block(pair)
        if basis.dtype != weights.dtype:
            basis = basis.to(weights.dtype)
        w = weights[pair.offset : pair.offset + pair.size].reshape(pair.n_out * pair.n_in, pair.dim)
        out = w @ basis.reshape(pair.dim, -1)
        lay_o, lay_i = self._out_layout, self._in_layout
        return out.reshape(
            lay_o.repetitions,
            lay_o.per_pattern[pair.out_name],
            lay_i.repetitions,
            lay_i.per_pattern[pair.in_name],
            basis.shape[1],
            basis.shape[2],
            basis.shape[3],
        )

    # ---------------------------------------------------------------------------- attributes
    def weight_attributes(self) -> dict[str, np.ndarray]:
        """Per-coefficient attributes as arrays of length ``dimension()`` (computed on demand).

        Keys: ``in_irrep`` / ``out_irrep`` (names as integer codes into ``irrep_names``),
        ``in_irreps_position`` / ``out_irreps_position`` (global irrep slots in the field
        types), ``in_field`` / ``out_field`` (global field indices), ``radius``, ``frequency``,
        ``pair`` (index of the representation pair) and ``element`` (index inside the pair's
        sampled basis).
        """
        names: dict[str, int] = {}
        in_starts = _irrep_starts(list(self.in_type.representations))
        out_starts = _irrep_starts(list(self.out_type.representations))
        chunks: dict[str, list[np.ndarray]] = {}
        for k, pair in enumerate(self._pairs):
            block = getattr(self, pair.module_name)
            arr = block.attribute_arrays()
            in_repr = self._in_fields.representations[pair.in_name]
            out_repr = self._out_fields.representations[pair.out_name]
            in_codes = np.array([names.setdefault(n, len(names)) for n in in_repr.irreps])
            out_codes = np.array([names.setdefault(n, len(names)) for n in out_repr.irreps])
            out_fields = np.asarray(self._out_fields.fields_of[pair.out_name])
            in_fields = np.asarray(self._in_fields.fields_of[pair.in_name])
            shape = (pair.n_out, pair.n_in, pair.dim)
            fo = np.broadcast_to(out_fields[:, None, None], shape)
            fi = np.broadcast_to(in_fields[None, :, None], shape)
            ii = np.broadcast_to(arr["in_irrep_idx"][None, None, :], shape)
            oo = np.broadcast_to(arr["out_irrep_idx"][None, None, :], shape)
            values = {
                "out_field": fo,
                "in_field": fi,
                "out_irreps_position": out_starts[fo] + oo,
                "in_irreps_position": in_starts[fi] + ii,
                "in_irrep": in_codes[ii],
                "out_irrep": out_codes[oo],
                "radius": np.broadcast_to(arr["radius"][None, None, :], shape),
                "frequency": np.broadcast_to(arr["frequency"][None, None, :], shape),
                "element": np.broadcast_to(np.arange(pair.dim)[None, None, :], shape),
                "pair": np.full(shape, k),
            }
            for key, v in values.items():
                chunks.setdefault(key, []).append(np.ascontiguousarray(v).reshape(-1))
        self.irrep_names = list(names)
        return {k: np.concatenate(v) for k, v in chunks.items()}

    def get_element_info(self, name: str | int) -> dict[str, Any]:
        if isinstance(name, str):
            names = self.get_basis_names()
            if name not in names:
                raise KeyError(f"no basis element named {name!r}")
            name = names.index(name)
        idx = int(name)
        if not 0 <= idx < self._dim:
            raise IndexError(f"basis element index {idx} out of range [0, {self._dim})")
        return self._element_info(idx, self.weight_attributes())

    def _element_info(self, idx: int, a: dict[str, np.ndarray]) -> dict[str, Any]:
        pair = self._pairs[int(a["pair"][idx])]
        attr = getattr(self, pair.module_name).get_element_info(int(a["element"][idx]))
        attr["in_irreps_position"] = int(a["in_irreps_position"][idx])
        attr["out_irreps_position"] = int(a["out_irreps_position"][idx])
        attr["in_field_position"] = int(a["in_field"][idx])
        attr["out_field_position"] = int(a["out_field"][idx])
        attr["in_repr"] = pair.in_name
        attr["out_repr"] = pair.out_name
        attr["id"] = (
            f"({pair.in_name}[{attr['in_field_position']}]->"
            f"{pair.out_name}[{attr['out_field_position']}])_" + element_id(attr)
        )
        attr["idx"] = idx
        return attr

    def get_basis_info(self) -> Iterator[dict[str, Any]]:
        a = self.weight_attributes()
        for i in range(self._dim):
            yield self._element_info(i, a)

    def get_basis_names(self) -> list[str]:
        return [attr["id"] for attr in self.get_basis_info()]
