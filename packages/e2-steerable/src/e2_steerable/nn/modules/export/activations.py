"""Plain-torch activations acting on groups of channels: norm, gated, vector-field, concatenated."""

# TorchScript needs typing.List/Tuple/Dict/Optional in the scripted signatures.
# ruff: noqa: UP006, UP035, UP045
import math
from typing import List, Optional, Tuple

import torch
from torch import nn

__all__ = [
    "ConcatenatedActivation",
    "GatedActivation",
    "NormActivation",
    "VectorFieldActivation",
    "apply_norm_function",
    "concatenated_activation",
    "gate_values",
    "gated_output",
    "norm_activation",
    "vector_field_activation",
]

NORM_FUNCTIONS = ("n_relu", "n_sigmoid", "squash")


def apply_norm_function(function: str, t: torch.Tensor) -> torch.Tensor:
    """The scalar function of a norm non-linearity (``'n_relu'``, ``'n_sigmoid'``, ``'squash'``)."""
    if function == "n_relu":
        return torch.relu(t)
    if function == "n_sigmoid":
        return torch.sigmoid(t)
    return t / (1.0 + t)


def norm_activation(
    input: torch.Tensor,
    runs: List[Tuple[int, int, int, int, int]],
    bias: Optional[torch.Tensor],
    function: str,
    eps: float,
) -> torch.Tensor:
    """The computation of :class:`NormActivation` (``bias`` already exponentiated, or ``None``)."""
    b, h, w = input.shape[0], input.shape[2], input.shape[3]
    pieces: List[torch.Tensor] = []
    for c0, c1, d, b0, rep in runs:
        groups = (c1 - c0) // d
        fm = input[:, c0:c1].reshape(b, groups, d, h, w)
        norms = torch.linalg.vector_norm(fm, dim=2, keepdim=True)
        if bias is not None:
            run_bias = bias[b0 : b0 + groups // rep]
            if rep > 1:
                run_bias = run_bias.repeat_interleave(rep)
            shifted = norms - run_bias.view(1, -1, 1, 1, 1)
        else:
            shifted = norms
        new_norms = apply_norm_function(function, shifted)
        safe = torch.clamp(norms, min=eps)
        scale = torch.where(norms > eps, new_norms / safe, torch.zeros_like(norms))
        pieces.append((fm * scale).reshape(b, c1 - c0, h, w))
    return pieces[0] if len(pieces) == 1 else torch.cat(pieces, dim=1)


def gate_values(
    source: torch.Tensor, gate_runs: List[Tuple[int, int]], bias: torch.Tensor, gate_size: int
) -> torch.Tensor:
    """Sigmoid gates of :class:`GatedActivation`: the gate channels of ``source`` minus ``bias``."""
    pieces = [source[:, a:b] for a, b in gate_runs]
    gates = pieces[0] if len(pieces) == 1 else torch.cat(pieces, dim=1)
    bias = bias.reshape(-1)
    if gate_size > 1:
        bias = bias.repeat_interleave(gate_size)
    return torch.sigmoid(gates - bias.view(1, -1, 1, 1))


def gated_output(
    gates: torch.Tensor, input: torch.Tensor, out_runs: List[Tuple[int, int, int, int, int, int]]
) -> torch.Tensor:
    """Assemble the output of :class:`GatedActivation` from the gates and the gated channels."""
    b, h, w = input.shape[0], input.shape[2], input.shape[3]
    pieces: List[torch.Tensor] = []
    for kind, c0, c1, d, g0, g1 in out_runs:
        if kind == 0:
            pieces.append(gates[:, g0:g1])
        else:
            fm = input[:, c0:c1].reshape(b, g1 - g0, d, h, w)
            pieces.append((fm * gates[:, g0:g1].unsqueeze(2)).reshape(b, c1 - c0, h, w))
    return pieces[0] if len(pieces) == 1 else torch.cat(pieces, dim=1)


def vector_field_activation(input: torch.Tensor, rotations: int) -> torch.Tensor:
    """The computation of :class:`VectorFieldActivation`."""
    b, c, h, w = input.shape
    fm = input.reshape(b, c // rotations, rotations, h, w)
    values, indices = torch.max(fm, dim=2)
    lengths = torch.relu(values)
    angles = indices.to(input.dtype) * (2 * math.pi / rotations)
    out = torch.stack([torch.cos(angles) * lengths, torch.sin(angles) * lengths], dim=2)
    return out.reshape(b, 2 * (c // rotations), h, w)


def concatenated_activation(input: torch.Tensor, function: str) -> torch.Tensor:
    """The computation of :class:`ConcatenatedActivation`."""
    b, c, h, w = input.shape
    if function == "c_relu":
        pos, neg = torch.relu(input), torch.relu(-input)
    elif function == "c_sigmoid":
        pos, neg = torch.sigmoid(input), torch.sigmoid(-input)
    else:
        pos, neg = torch.tanh(input), torch.tanh(-input)
    return torch.stack([pos, neg], dim=2).reshape(b, 2 * c, h, w)


class NormActivation(nn.Module):
    r"""Rescale groups of channels by :math:`f(\|v\| - b) / \|v\|` (0 where the norm is tiny).

    Each entry of ``runs`` is ``(first_channel, end_channel, group_size, first_bias, repeat)``: the
    channels are cut into groups of ``group_size``; group ``j`` of the run uses the bias
    ``exp(log_bias[first_bias + j // repeat])``.

    Args:
        runs: the channel runs, covering all channels in order.
        log_bias: logarithm of the biases, or ``None`` for no bias.
        function: ``'n_relu'``, ``'n_sigmoid'`` or ``'squash'``.
        eps: norms at most ``eps`` give a zero output.

    Shape:
        - input: :math:`(B, C, H, W)`
        - output: same as input

    Example:
        >>> import torch
        >>> act = NormActivation([(0, 4, 2, 0, 1)], torch.zeros(2), "n_relu")
        >>> act(torch.tensor([3.0, 4.0, 0.3, 0.4]).reshape(1, 4, 1, 1)).flatten().tolist()
        [2.4000000953674316, 3.200000047683716, 0.0, 0.0]
    """

    runs: List[Tuple[int, int, int, int, int]]
    log_bias: torch.Tensor

    def __init__(
        self,
        runs: List[Tuple[int, int, int, int, int]],
        log_bias: Optional[torch.Tensor],
        function: str = "n_relu",
        eps: float = 1e-10,
    ) -> None:
        super().__init__()
        if function not in NORM_FUNCTIONS:
            raise ValueError(f"NormActivation: `function` must be one of {NORM_FUNCTIONS}")
        self.runs = [tuple(int(v) for v in r) for r in runs]  # type: ignore[misc]
        self.function = function
        self.eps = float(eps)
        self.has_bias = log_bias is not None
        bias = torch.zeros(1) if log_bias is None else log_bias.detach().reshape(-1).clone()
        self.register_buffer("log_bias", bias)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        """Apply the activation to every group of channels."""
        bias = torch.exp(self.log_bias) if self.has_bias else None
        return norm_activation(input, self.runs, bias, self.function, self.eps)

    def extra_repr(self) -> str:
        return f"function={self.function!r}, runs={self.runs}"


class GatedActivation(nn.Module):
    r"""Multiply groups of channels by sigmoid gates: :math:`v \sigma(g - b)`.

    The gates are the channels listed in ``gate_runs`` (``(first, end)`` channel ranges, in order),
    each shifted by its ``bias`` (one per gate field, broadcast over ``gate_size`` channels). The
    output is assembled from ``out_runs`` entries ``(kind, first_channel, end_channel, group_size,
    first_gate_channel, end_gate_channel)``: ``kind`` 0 copies the sigmoid gates
    ``[first_gate_channel, end_gate_channel)``; ``kind`` 1 multiplies the input channels, cut into
    groups of ``group_size``, by those gates, one gate channel per group.

    With ``separate_gates`` the module takes ``(gates, input)``, two tensors, and ``gate_runs``
    index the first one.

    Shape:
        - input: :math:`(B, C_{in}, H, W)` (or the pair ``(gates, input)``)
        - output: :math:`(B, C_{out}, H, W)`

    Example:
        >>> import torch
        >>> act = GatedActivation([(0, 1)], torch.zeros(1), 1, [(1, 1, 3, 2, 0, 1)])
        >>> act(torch.tensor([0.0, 2.0, 4.0]).reshape(1, 3, 1, 1)).flatten().tolist()
        [1.0, 2.0]
    """

    gate_runs: List[Tuple[int, int]]
    out_runs: List[Tuple[int, int, int, int, int, int]]
    bias: torch.Tensor

    def __init__(
        self,
        gate_runs: List[Tuple[int, int]],
        bias: torch.Tensor,
        gate_size: int,
        out_runs: List[Tuple[int, int, int, int, int, int]],
        separate_gates: bool = False,
    ) -> None:
        super().__init__()
        self.gate_runs = [(int(a), int(b)) for a, b in gate_runs]
        self.out_runs = [tuple(int(v) for v in r) for r in out_runs]  # type: ignore[misc]
        self.gate_size = int(gate_size)
        self.separate_gates = bool(separate_gates)
        self.register_buffer("bias", bias.detach().reshape(-1).clone())

    def forward(self, input: torch.Tensor, gated: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Gate ``input`` (or, with ``separate_gates``, gate ``gated`` with the gates ``input``)."""
        if self.separate_gates:
            if gated is None:
                raise ValueError("GatedActivation: expected two tensors (gates, input)")
            return gated_output(
                gate_values(input, self.gate_runs, self.bias, self.gate_size), gated, self.out_runs
            )
        gates = gate_values(input, self.gate_runs, self.bias, self.gate_size)
        return gated_output(gates, input, self.out_runs)

    def extra_repr(self) -> str:
        return f"gate_runs={self.gate_runs}, out_runs={self.out_runs}"


class VectorFieldActivation(nn.Module):
    r"""Replace each group of ``N`` channels by the 2-D vector of length
    :math:`\max(0, \max_i v_i)` and angle :math:`2\pi \arg\max_i v_i / N`.

    Args:
        rotations: the group size ``N``.

    Shape:
        - input: :math:`(B, F N, H, W)`
        - output: :math:`(B, 2F, H, W)`

    Example:
        >>> import torch
        >>> act = VectorFieldActivation(4)
        >>> act(torch.tensor([3.0, 1.0, 0.0, 2.0]).reshape(1, 4, 1, 1)).flatten().tolist()
        [3.0, 0.0]
    """

    def __init__(self, rotations: int) -> None:
        super().__init__()
        self.rotations = int(rotations)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        """Vector-field activation of every group of channels."""
        return vector_field_activation(input, self.rotations)

    def extra_repr(self) -> str:
        return f"rotations={self.rotations}"


class ConcatenatedActivation(nn.Module):
    """Interleave ``f(x)`` and ``f(-x)`` for every channel (``f`` = relu, sigmoid or tanh).

    Args:
        function: ``'c_relu'``, ``'c_sigmoid'`` or ``'c_tanh'``.

    Shape:
        - input: :math:`(B, C, H, W)`
        - output: :math:`(B, 2C, H, W)`

    Example:
        >>> import torch
        >>> act = ConcatenatedActivation("c_relu")
        >>> act(torch.tensor([2.0, -1.0]).reshape(1, 2, 1, 1)).flatten()
        tensor([2., 0., 0., 1.])
    """

    def __init__(self, function: str = "c_relu") -> None:
        super().__init__()
        if function not in ("c_relu", "c_sigmoid", "c_tanh"):
            raise ValueError(
                f"ConcatenatedActivation: `function` must be 'c_relu', 'c_sigmoid' or 'c_tanh', "
                f"got {function!r}"
            )
        self.function = function

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        """``(f(x_0), f(-x_0), f(x_1), f(-x_1), ...)`` along the channels."""
        return concatenated_activation(input, self.function)

    def extra_repr(self) -> str:
        return f"function={self.function!r}"
