"""Plain-torch channel plumbing: permutation, field dropout, spatial mask, branching and merging."""

# TorchScript needs typing.List/Tuple/Dict/Optional in the scripted signatures.
# ruff: noqa: UP006, UP035
from typing import Dict, List, Tuple

import torch
from torch import nn

__all__ = [
    "BranchAndMerge",
    "BranchChannels",
    "ChannelPermutation",
    "FieldDropoutPlain",
    "MergeChannels",
    "SelectInput",
    "SelectPair",
    "SpatialMask",
    "field_dropout",
]


def field_dropout(
    input: torch.Tensor, runs: List[Tuple[int, int, int]], p: float, training: bool
) -> torch.Tensor:
    """The computation of :class:`FieldDropoutPlain`."""
    if not training or p == 0.0:
        return input
    b, h, w = input.shape[0], input.shape[2], input.shape[3]
    pieces: List[torch.Tensor] = []
    for c0, c1, d in runs:
        n = (c1 - c0) // d
        keep = (torch.rand(b, n, 1, h, w, device=input.device) >= p).to(input.dtype)
        fm = input[:, c0:c1].reshape(b, n, d, h, w) * keep / (1.0 - p)
        pieces.append(fm.reshape(b, c1 - c0, h, w))
    return pieces[0] if len(pieces) == 1 else torch.cat(pieces, dim=1)


class ChannelPermutation(nn.Module):
    """Reorder the channels: output channel ``i`` is input channel ``permutation[i]``.

    Args:
        permutation: the source channel of every output channel.

    Shape:
        - input: :math:`(B, C, *)`
        - output: :math:`(B, C, *)`

    Example:
        >>> import torch
        >>> ChannelPermutation([2, 0, 1])(torch.arange(3.0).reshape(1, 3)).tolist()
        [[2.0, 0.0, 1.0]]
    """

    permutation: torch.Tensor

    def __init__(self, permutation: List[int]) -> None:
        super().__init__()
        self.register_buffer("permutation", torch.as_tensor(list(permutation), dtype=torch.long))

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        """Gather the channels in the new order."""
        return torch.index_select(input, 1, self.permutation)

    def extra_repr(self) -> str:
        return f"channels={self.permutation.numel()}"


class FieldDropoutPlain(nn.Module):
    """Dropout of whole groups of channels (fields), independently per pixel; identity in eval.

    Each entry of ``runs`` is ``(first_channel, end_channel, group_size)``.

    Args:
        runs: the channel runs, covering all channels in order.
        p: the probability of zeroing a group.

    Shape:
        - input: :math:`(B, C, H, W)`
        - output: same as input

    Example:
        >>> import torch
        >>> drop = FieldDropoutPlain([(0, 4, 2)], 0.5).eval()
        >>> bool((drop(torch.ones(1, 4, 3, 3)) == 1).all())
        True
    """

    runs: List[Tuple[int, int, int]]

    def __init__(self, runs: List[Tuple[int, int, int]], p: float = 0.5) -> None:
        super().__init__()
        self.runs = [(int(a), int(b), int(d)) for a, b, d in runs]
        self.p = float(p)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        """Zero each field with probability ``p`` and rescale the rest (training only)."""
        return field_dropout(input, self.runs, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, runs={self.runs}"


class SpatialMask(nn.Module):
    """Multiply every channel by a fixed ``(S, S)`` mask.

    Shape:
        - input: :math:`(B, C, S, S)`
        - output: same as input

    Example:
        >>> import torch
        >>> SpatialMask(torch.ones(1, 1, 2, 2))(torch.full((1, 1, 2, 2), 3.0)).sum().item()
        12.0
    """

    mask: torch.Tensor

    def __init__(self, mask: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("mask", mask.detach().clone())

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        """Mask the input."""
        return input * self.mask


class BranchChannels(nn.Module):
    """Split the channels into named groups: returns ``{label: tensor}``.

    Each label owns a list of ``(first_channel, end_channel)`` ranges, concatenated in order.

    Example:
        >>> import torch
        >>> split = BranchChannels({"a": [(0, 1), (2, 3)], "b": [(1, 2)]})
        >>> {k: v.flatten().tolist() for k, v in split(torch.arange(3.0).reshape(1, 3)).items()}
        {'a': [0.0, 2.0], 'b': [1.0]}
    """

    ranges: Dict[str, List[Tuple[int, int]]]

    def __init__(self, ranges: Dict[str, List[Tuple[int, int]]]) -> None:
        super().__init__()
        self.ranges = {str(k): [(int(a), int(b)) for a, b in v] for k, v in ranges.items()}

    def forward(self, input: torch.Tensor) -> Dict[str, torch.Tensor]:
        """The channels of every label."""
        out: Dict[str, torch.Tensor] = {}
        for label, ranges in self.ranges.items():
            pieces = [input[:, a:b] for a, b in ranges]
            out[label] = pieces[0] if len(pieces) == 1 else torch.cat(pieces, dim=1)
        return out


class SelectInput(nn.Module):
    """Call ``module`` on the entry ``label`` of a ``{label: tensor}`` input.

    Example:
        >>> import torch
        >>> SelectInput(torch.nn.ReLU(), "b")({"a": torch.ones(1), "b": -torch.ones(1)})
        tensor([0.])
    """

    def __init__(self, module: nn.Module, label: str) -> None:
        super().__init__()
        self.module = module
        self.label = str(label)

    def forward(self, input: Dict[str, torch.Tensor]) -> torch.Tensor:
        """``module(input[label])``."""
        return self.module(input[self.label])


class SelectPair(nn.Module):
    """Call ``module`` on the entries ``first`` and ``second`` of a ``{label: tensor}`` input.

    Example:
        >>> import torch
        >>> class Add(torch.nn.Module):
        ...     def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        ...         return a + b
        >>> SelectPair(Add(), "a", "b")({"a": torch.ones(1), "b": torch.ones(1)})
        tensor([2.])
    """

    def __init__(self, module: nn.Module, first: str, second: str) -> None:
        super().__init__()
        self.module = module
        self.first = str(first)
        self.second = str(second)

    def forward(self, input: Dict[str, torch.Tensor]) -> torch.Tensor:
        """``module(input[first], input[second])``."""
        return self.module(input[self.first], input[self.second])


class MergeChannels(nn.Module):
    """Apply one module per entry of ``labels`` to ``{label: tensor}`` and concatenate the results
    along the channels.

    Args:
        branches: the modules.
        labels: for every module, the label (or the two labels) of its input(s).

    Example:
        >>> import torch
        >>> merge = MergeChannels([torch.nn.Identity(), torch.nn.ReLU()], [["a"], ["b"]])
        >>> merge({"a": -torch.ones(1, 1), "b": -torch.ones(1, 2)}).tolist()
        [[-1.0, 0.0, 0.0]]
    """

    def __init__(self, branches: List[nn.Module], labels: List[List[str]]) -> None:
        super().__init__()
        selected: List[nn.Module] = []
        for module, labs in zip(branches, labels):
            if len(labs) == 1:
                selected.append(SelectInput(module, labs[0]))
            elif len(labs) == 2:
                selected.append(SelectPair(module, labs[0], labs[1]))
            else:
                raise ValueError(f"MergeChannels: expected one or two labels, got {labs!r}")
        self.branches = nn.ModuleList(selected)

    def forward(self, input: Dict[str, torch.Tensor]) -> torch.Tensor:
        """Concatenate the branches' outputs."""
        pieces: List[torch.Tensor] = []
        for branch in self.branches:
            pieces.append(branch(input))
        return pieces[0] if len(pieces) == 1 else torch.cat(pieces, dim=1)


class BranchAndMerge(nn.Module):
    """``merge(branch(x))``: split the channels by label, process and concatenate again.

    Example:
        >>> import torch
        >>> net = BranchAndMerge(
        ...     BranchChannels({"a": [(0, 1)], "b": [(1, 2)]}),
        ...     MergeChannels([torch.nn.ReLU(), torch.nn.Identity()], [["a"], ["b"]]),
        ... )
        >>> net(-torch.ones(1, 2)).tolist()
        [[0.0, -1.0]]
    """

    def __init__(self, branch: nn.Module, merge: nn.Module) -> None:
        super().__init__()
        self.branch = branch
        self.merge = merge

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        """Branch, then merge."""
        return self.merge(self.branch(input))
