r"""The :class:`HourglassLayer` module."""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn
from torch.nn.modules.lazy import LazyModuleMixin
from torch.nn.parameter import UninitializedParameter

from hourglass_layer.activations import ActivationSpec, resolve_activation
from hourglass_layer.constraints import resolve_constraint, track_constrained
from hourglass_layer.initializers import resolve_initializer
from hourglass_layer.penalty import check_normalization, hourglass_penalty
from hourglass_layer.spectral import (
    check_spectral_strategy,
    largest_eigenvalue,
    spectral_compute_dtype,
)
from hourglass_layer.weight_regularizers import resolve_weight_regularizer

__all__ = ["HourglassLayer"]

_DTYPES = {
    "float16": torch.float16,
    "half": torch.float16,
    "bfloat16": torch.bfloat16,
    "float32": torch.float32,
    "float": torch.float32,
    "float64": torch.float64,
    "double": torch.float64,
}


class HourglassLayer(LazyModuleMixin, nn.Module):
    r"""Two unbiased dense maps through a narrow waist, with the hourglass regulariser.

    .. math::

        Y = \sigma_2\left(\sigma_1(F W_1) W_2\right), \qquad
        W_1 \in \mathbb{R}^{D_{in} \times D_h},\; W_2 \in \mathbb{R}^{D_h \times D_{out}}

    ``W1`` and ``W2`` are parameters in this (Keras) orientation, so weights trained with the
    original layer copy across without transposing. ``Din`` is inferred on the first forward
    (like :class:`torch.nn.LazyLinear`) unless ``in_features`` is given.

    The regulariser :math:`\beta \mathcal{L}_h` with

    .. math::

        \mathcal{L}_h = \left\lVert \frac{W_1^\intercal W_1}{\lVert W_1\rVert_2^2} - I
        \right\rVert_F

    is not added behind the user's back: :meth:`regularization_loss` returns it, and
    :func:`hourglass_layer.regularization_loss` sums it over a whole model, so a training
    loop writes ``loss = task_loss + regularization_loss(model)``.

    Args:
        Dh: Internal (waist) dimension :math:`D_h > 0`.
        Dout: Output dimension :math:`D_{out} > 0`.
        activation: :math:`\sigma_1`: a name from :data:`hourglass_layer.activations.ACTIVATIONS`
            (case-insensitive), ``None`` (identity), an ``nn.Module`` or a callable.
        activation2: :math:`\sigma_2`, same choices.
        regularize: Whether :meth:`regularization_loss` includes :math:`\beta\mathcal{L}_h`.
        spectral_strategy: How :math:`\lVert W_1\rVert_2` is computed: ``"unsafe"`` (eigh),
            ``"safe"`` (guarded SVD, never raises) or ``"approx"`` (eigh of
            :math:`W_1^\intercal W_1 + \lambda I`); ``None`` means ``"approx"``.
        beta: The loss factor :math:`\beta`.
        built_W1: ``True`` asks for ``W1`` to be built now, which needs ``in_features``.
            ``False`` (default) builds it as soon as ``Din`` is known.
        built_W2: Same for ``W2`` (built together with ``W1``).
        W1_initializer: ``None`` (glorot_uniform, the Keras default), a name from
            :data:`hourglass_layer.initializers.INITIALIZERS`, a Keras-serialised dict, or a
            callable that fills the tensor in place (like :func:`torch.nn.init.orthogonal_`).
        W1_regularizer: Extra weight penalty included in :meth:`regularization_loss`:
            ``"l1"``, ``"l2"``, ``"l1_l2"``, a dict, or a ``weight -> scalar`` callable.
        W1_constraint: Projection applied in place after every optimizer step that updates
            ``W1`` (as in Keras): ``"non_neg"``, ``"unit_norm"``, ``"max_norm"``,
            ``"min_max_norm"``, a Keras dict, or a ``weight -> weight`` callable.
        W2_initializer: As ``W1_initializer``, for ``W2``.
        W2_regularizer: As ``W1_regularizer``, for ``W2``.
        W2_constraint: As ``W1_constraint``, for ``W2``.
        sigma: If given, overrides ``activation`` (any activation spec). Unlike the original,
            it is kept by :meth:`get_config` (as ``activation``).
        sigma2: If given, overrides ``activation2``.
        in_features: ``Din``; builds the weights eagerly.
        normalization: ``"squared"`` (default: divide by :math:`\lVert W_1\rVert_2^2` as the
            documentation writes) or ``"vl3d"`` (divide by :math:`\lVert W_1\rVert_2`, what the
            VirtuaLearn3D code computes; use it to port trained models).
        tikhonov_lambda: :math:`\lambda` of ``"approx"``; ``None`` means ``1e-5`` for
            float32/half/bfloat16 weights and ``1e-10`` for float64.
        name: Optional name, kept in the config (Keras ``name``).
        trainable: ``False`` creates the weights with ``requires_grad=False``.
        dtype: Weight dtype (``torch.dtype`` or its name); default ``torch.get_default_dtype()``.
        device: Weight device.
        input_shape: Keras-style input shape; its last entry is ``in_features``.
        batch_input_shape: Keras-style batch input shape; its last entry is ``in_features``.

    Shape:
        - Input: :math:`(*, m, D_{in})`, at least 2 dims, typically :math:`(K, m, D_{in})`.
        - Output: :math:`(*, m, D_{out})`.

    Example:
        >>> import torch
        >>> from hourglass_layer import HourglassLayer, regularization_loss
        >>> layer = HourglassLayer(Dh=8, Dout=32)
        >>> y = layer(torch.randn(4, 100, 64))
        >>> y.shape, tuple(layer.W1.shape), tuple(layer.W2.shape)
        (torch.Size([4, 100, 32]), (64, 8), (8, 32))
        >>> loss = y.square().mean() + regularization_loss(layer)
        >>> loss.backward()
    """

    W1: nn.Parameter
    W2: nn.Parameter

    def __init__(
        self,
        Dh: int,
        Dout: int,
        activation: ActivationSpec = "relu",
        activation2: ActivationSpec = "relu",
        regularize: bool = True,
        spectral_strategy: str | None = "approx",
        beta: float = 0.1,
        built_W1: bool = False,
        built_W2: bool = False,
        W1_initializer: Any = None,
        W1_regularizer: Any = None,
        W1_constraint: Any = None,
        W2_initializer: Any = None,
        W2_regularizer: Any = None,
        W2_constraint: Any = None,
        sigma: ActivationSpec = None,
        sigma2: ActivationSpec = None,
        *,
        in_features: int | None = None,
        normalization: str = "squared",
        tikhonov_lambda: float | None = None,
        name: str | None = None,
        trainable: bool = True,
        dtype: torch.dtype | str | None = None,
        device: torch.device | str | None = None,
        input_shape: Sequence[int | None] | None = None,
        batch_input_shape: Sequence[int | None] | None = None,
    ) -> None:
        super().__init__()
        self.Dh = _positive_int(Dh, "Dh")
        self.Dout = _positive_int(Dout, "Dout")
        self.regularize = _bool(regularize, "regularize")
        self.beta = _finite_float(beta, "beta")
        self.spectral_strategy = check_spectral_strategy(spectral_strategy)
        self.normalization = check_normalization(normalization)
        self.tikhonov_lambda = (
            None if tikhonov_lambda is None else _finite_float(tikhonov_lambda, "tikhonov_lambda")
        )
        if self.tikhonov_lambda is not None and self.tikhonov_lambda < 0:
            raise ValueError(f"tikhonov_lambda must be >= 0, got {tikhonov_lambda}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a str or None, got {type(name).__name__}")
        self.name = name
        self.trainable = _bool(trainable, "trainable")

        self.sigma, self.activation = resolve_activation(
            activation if sigma is None else sigma, "sigma" if sigma is not None else "activation"
        )
        self.sigma2, self.activation2 = resolve_activation(
            activation2 if sigma2 is None else sigma2,
            "sigma2" if sigma2 is not None else "activation2",
        )
        self.W1_initializer = resolve_initializer(W1_initializer, "W1_initializer")
        self.W2_initializer = resolve_initializer(W2_initializer, "W2_initializer")
        self.W1_regularizer = resolve_weight_regularizer(W1_regularizer, "W1_regularizer")
        self.W2_regularizer = resolve_weight_regularizer(W2_regularizer, "W2_regularizer")
        self.W1_constraint = resolve_constraint(W1_constraint, "W1_constraint")
        self.W2_constraint = resolve_constraint(W2_constraint, "W2_constraint")

        din = _resolve_in_features(in_features, input_shape, batch_input_shape)
        for flag, flag_name in ((built_W1, "built_W1"), (built_W2, "built_W2")):
            if _bool(flag, flag_name) and din is None:
                raise ValueError(
                    f"{flag_name}=True builds the weights now, which needs Din: pass in_features "
                    "(or input_shape); otherwise leave it False and the layer builds itself on "
                    "its first forward"
                )
        factory = {"dtype": _resolve_dtype(dtype), "device": device}
        self.W1 = UninitializedParameter(requires_grad=self.trainable, **factory)
        self.W2 = UninitializedParameter(requires_grad=self.trainable, **factory)
        self.register_load_state_dict_post_hook(_check_loaded_shapes)
        if din is not None:
            self.build(din)
        if self.W1_constraint is not None or self.W2_constraint is not None:
            track_constrained(self)

    # ------------------------------------------------------------------ building
    @property
    def in_features(self) -> int | None:
        """``Din``, or ``None`` while the layer is not built."""
        return None if isinstance(self.W1, UninitializedParameter) else int(self.W1.shape[0])

    @property
    def built_W1(self) -> bool:
        """Whether ``W1`` exists (materialised)."""
        return not isinstance(self.W1, UninitializedParameter)

    @property
    def built_W2(self) -> bool:
        """Whether ``W2`` exists (materialised)."""
        return not isinstance(self.W2, UninitializedParameter)

    def build(self, dim_in: int | Sequence[int | None]) -> None:
        """Create and initialise ``W1`` and ``W2`` for ``Din`` (an int or an input shape).

        Building an already built layer with the same ``Din`` does nothing.

        >>> from hourglass_layer import HourglassLayer
        >>> layer = HourglassLayer(4, 6)
        >>> layer.build((10, 50, 3))
        >>> layer.in_features
        3
        """
        din = _positive_int(dim_in[-1] if isinstance(dim_in, Sequence) else dim_in, "dim_in")
        self._materialize(din)
        if hasattr(self, "_initialize_hook"):  # no longer lazy: drop LazyModuleMixin's hooks
            self._initialize_hook.remove()
            self._load_hook.remove()
            del self._initialize_hook
            del self._load_hook

    def initialize_parameters(self, F: torch.Tensor, *args: Any, **kwargs: Any) -> None:
        """Infer ``Din`` from the first input (called by the lazy-module machinery)."""
        _check_input_tensor(F)
        if F.shape[-1] == 0:
            raise ValueError(
                "F must have at least one input feature (last dimension Din > 0) to build the "
                f"layer, got shape {tuple(F.shape)}"
            )
        self._materialize(int(F.shape[-1]))

    def _materialize(self, din: int) -> None:
        if self.built_W1 and din != self.in_features:
            raise ValueError(
                f"the layer is already built with Din={self.in_features}, got Din={din}"
            )
        with torch.no_grad():  # only what is still lazy (a state_dict may have filled the rest)
            if not self.built_W1:
                self.W1.materialize((din, self.Dh))
                self.W1_initializer(self.W1)
            if not self.built_W2:
                self.W2.materialize((self.Dh, self.Dout))
                self.W2_initializer(self.W2)

    def reset_parameters(self) -> None:
        """Re-draw ``W1`` and ``W2`` from their initialisers."""
        if not (self.built_W1 and self.built_W2):
            return
        self.W1_initializer(self.W1)
        self.W2_initializer(self.W2)

    # ------------------------------------------------------------------ forward
    def forward(self, F: torch.Tensor) -> torch.Tensor:
        r"""Compute :math:`\sigma_2(\sigma_1(F W_1) W_2)`.

        Shape:
            - F: :math:`(*, m, D_{in})`.
            - output: :math:`(*, m, D_{out})`.
        """
        W1 = self.W1
        _check_input_tensor(F)
        if F.shape[-1] != W1.shape[0]:
            raise ValueError(
                f"F must have last dimension Din={W1.shape[0]} (the layer is built), got "
                f"shape {tuple(F.shape)}"
            )
        if F.device != W1.device:
            raise ValueError(
                f"F is on device {F.device} but the weights are on {W1.device}; move one of "
                f"them (e.g. layer.to(F.device) or F.to({str(W1.device)!r}))"
            )
        if F.dtype != W1.dtype and not torch.is_autocast_enabled(F.device.type):
            raise TypeError(
                f"F has dtype {F.dtype} but the weights are {W1.dtype}; convert one of them "
                "(e.g. layer.to(F.dtype)) or run under torch.autocast"
            )
        return self.sigma2(self.sigma(F @ W1) @ self.W2)

    def call(self, inputs: torch.Tensor, training: bool = False, mask: Any = False) -> torch.Tensor:
        """Keras-style alias of ``self(inputs)``; ``training`` has no effect (no dropout/BN).

        Raises:
            ValueError: If a mask is given (the layer has no masking semantics).
        """
        if mask is not None and mask is not False:
            raise ValueError("mask is not supported by HourglassLayer; pass mask=False or None")
        return self(inputs)

    # ------------------------------------------------------------------ regularisation
    def _require_built(self, what: str) -> None:
        if not self.built_W1:
            raise RuntimeError(
                f"{what} needs the weights, but the HourglassLayer is not built yet: run a "
                "forward pass, call build(Din) or pass in_features"
            )

    def hourglass_loss(self) -> torch.Tensor:
        r"""The raw term :math:`\mathcal{L}_h` of the current ``W1`` (without :math:`\beta`).

        Differentiable; float32 for half/bfloat16 weights.
        """
        self._require_built("hourglass_loss()")
        return hourglass_penalty(
            self.W1, self.spectral_strategy, self.normalization, self.tikhonov_lambda
        )

    def do_hourglass_regularization(self) -> torch.Tensor:
        r""":math:`\beta \mathcal{L}_h` of the current weights (whatever ``regularize`` says)."""
        return self.beta * self.hourglass_loss()

    def do_no_regularization(self) -> torch.Tensor:
        """A zero tensor on the weights' device, in the regulariser's dtype."""
        self._require_built("do_no_regularization()")
        return self.W1.new_zeros((), dtype=spectral_compute_dtype(self.W1.dtype))

    def regularization_loss(self) -> torch.Tensor:
        r"""The term to add to the task loss: :math:`\beta \mathcal{L}_h` (0 if not ``regularize``).

        Plus the ``W1_regularizer`` / ``W2_regularizer`` penalties when they are set, as Keras
        adds them to ``model.losses``. Computed from the current weights and differentiable.

        Raises:
            RuntimeError: If the layer is not built yet.
        """
        self._require_built("regularization_loss()")
        loss = (
            self.do_hourglass_regularization() if self.regularize else self.do_no_regularization()
        )
        if self.W1_regularizer is not None:
            loss = loss + self.W1_regularizer(self.W1)
        if self.W2_regularizer is not None:
            loss = loss + self.W2_regularizer(self.W2)
        return loss

    def compute_spectral_unsafe(self, cov: torch.Tensor) -> torch.Tensor:
        r""":math:`\sqrt{\lambda_{\max}(C)}` by ``eigh`` (the spectral norm of :math:`W_1`)."""
        return torch.sqrt(largest_eigenvalue(cov, "unsafe"))

    def compute_spectral_safe(self, cov: torch.Tensor) -> torch.Tensor:
        r""":math:`\sqrt{\lambda_{\max}(C)}` by a guarded SVD that never raises."""
        return torch.sqrt(largest_eigenvalue(cov, "safe"))

    def compute_spectral_approx(self, cov: torch.Tensor) -> torch.Tensor:
        r""":math:`\sqrt{\lambda_{\max}(C + \lambda I)}` by ``eigh``."""
        return torch.sqrt(largest_eigenvalue(cov, "approx", self.tikhonov_lambda))

    # ------------------------------------------------------------------ constraints
    def apply_constraints(self, parameters: set[int] | None = None) -> None:
        """Project the weights in place with ``W1_constraint`` / ``W2_constraint``.

        Called automatically after every optimizer step that updates the weights.

        Args:
            parameters: Only constrain weights whose ``id`` is in this set (``None``: all).
        """
        for weight, constraint in ((self.W1, self.W1_constraint), (self.W2, self.W2_constraint)):
            if constraint is None or isinstance(weight, UninitializedParameter):
                continue
            if parameters is None or id(weight) in parameters:
                with torch.no_grad():
                    weight.copy_(constraint(weight))

    # ------------------------------------------------------------------ serialisation
    def get_config(self) -> dict[str, Any]:
        """A JSON-serialisable dict such that ``from_config(get_config())`` rebuilds the layer.

        The weights are not included; they live in the ``state_dict``.

        Raises:
            TypeError: If an activation, initialiser, regulariser or constraint is a callable
                (it cannot be written as JSON); use a name instead.

        >>> from hourglass_layer import HourglassLayer
        >>> HourglassLayer(4, 8, activation="GELU").get_config()["activation"]
        'gelu'
        """
        config: dict[str, Any] = {
            "Dh": self.Dh,
            "Dout": self.Dout,
            "activation": _named(self.activation, "activation"),
            "activation2": _named(self.activation2, "activation2"),
            "regularize": self.regularize,
            "spectral_strategy": self.spectral_strategy,
            "beta": self.beta,
            "normalization": self.normalization,
            "tikhonov_lambda": self.tikhonov_lambda,
            "in_features": self.in_features,
            "name": self.name,
            "trainable": self.trainable,
            "dtype": str(self.W1.dtype).removeprefix("torch."),
        }
        for key in (
            "W1_initializer",
            "W1_regularizer",
            "W1_constraint",
            "W2_initializer",
            "W2_regularizer",
            "W2_constraint",
        ):
            config[key] = _serialise(getattr(self, key), key)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> HourglassLayer:
        """Build a layer from :meth:`get_config` output (or a VirtuaLearn3D/Keras config).

        >>> from hourglass_layer import HourglassLayer
        >>> layer = HourglassLayer(4, 8, in_features=16)
        >>> HourglassLayer.from_config(layer.get_config()).W1.shape
        torch.Size([16, 4])
        """
        return cls(**config)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, Dh={self.Dh}, Dout={self.Dout}, "
            f"activation={_describe(self.sigma, self.activation)}, "
            f"activation2={_describe(self.sigma2, self.activation2)}, "
            f"regularize={self.regularize}, beta={self.beta}, "
            f"spectral_strategy={self.spectral_strategy!r}, normalization={self.normalization!r}"
        )

    def _replicate_for_data_parallel(self) -> HourglassLayer:
        if not self.built_W1:  # the lazy mixin refuses; a built layer replicates normally
            return super()._replicate_for_data_parallel()
        return nn.Module._replicate_for_data_parallel(self)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        if self.W1_constraint is not None or self.W2_constraint is not None:
            track_constrained(self)


# ---------------------------------------------------------------------- helpers
def _check_input_tensor(F: Any) -> None:
    if not isinstance(F, torch.Tensor):
        raise TypeError(f"F must be a torch.Tensor, got {type(F).__name__}")
    if not F.is_floating_point():
        raise TypeError(f"F must have a floating dtype, got {F.dtype}")
    if F.dim() < 2:
        raise ValueError(f"F must have at least 2 dims (..., m, Din), got shape {tuple(F.shape)}")


def _check_loaded_shapes(module: nn.Module, incompatible_keys: Any) -> None:
    assert isinstance(module, HourglassLayer)
    if module.built_W1 and module.W1.shape[1] != module.Dh:
        raise ValueError(
            f"loaded W1 has shape {tuple(module.W1.shape)}, expected (Din, {module.Dh})"
        )
    if module.built_W2 and tuple(module.W2.shape) != (module.Dh, module.Dout):
        raise ValueError(
            f"loaded W2 has shape {tuple(module.W2.shape)}, expected ({module.Dh}, {module.Dout})"
        )


def _positive_int(value: Any, argument: str) -> int:
    message = f"{argument} must be a positive int, got {type(value).__name__}: {value!r}"
    if isinstance(value, bool):
        raise TypeError(message)
    try:
        value = operator.index(value)  # int, numpy integers, integer 0-dim tensors
    except TypeError:
        raise TypeError(message) from None
    if value <= 0:
        raise ValueError(f"{argument} must be a positive int, got {value}")
    return value


def _bool(value: Any, argument: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{argument} must be a bool, got {type(value).__name__}: {value!r}")
    return value


def _finite_float(value: Any, argument: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{argument} must be a real number, got {type(value).__name__}: {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{argument} must be finite, got {value}")
    return float(value)


def _resolve_dtype(dtype: torch.dtype | str | None) -> torch.dtype:
    if dtype is None:
        return torch.get_default_dtype()
    if isinstance(dtype, str):
        key = dtype.strip().lower().removeprefix("torch.")
        if key not in _DTYPES:
            raise ValueError(
                f"dtype must be one of {sorted(_DTYPES)} or a torch.dtype, got {dtype!r}"
            )
        return _DTYPES[key]
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating torch.dtype or its name, got {dtype!r}")
    return dtype


def _resolve_in_features(
    in_features: int | None,
    input_shape: Sequence[int | None] | None,
    batch_input_shape: Sequence[int | None] | None,
) -> int | None:
    candidates = {}
    if in_features is not None:
        candidates["in_features"] = _positive_int(in_features, "in_features")
    for argument, shape in (("input_shape", input_shape), ("batch_input_shape", batch_input_shape)):
        if shape is not None:
            if not isinstance(shape, Sequence) or len(shape) == 0:
                raise TypeError(f"{argument} must be a non-empty sequence of ints, got {shape!r}")
            candidates[argument] = _positive_int(shape[-1], f"{argument}[-1]")
    if len(set(candidates.values())) > 1:
        raise ValueError(f"conflicting input dimensions: {candidates}")
    return next(iter(candidates.values()), None)


def _describe(activation: Any, name: str | None) -> str:
    if name is not None:
        return repr(name)
    if isinstance(activation, nn.Module):
        return "<module>"  # printed as a child below
    return getattr(activation, "__name__", None) or repr(activation)


def _named(name: str | None, argument: str) -> str:
    if name is None:
        raise TypeError(
            f"{argument} is a module or callable and cannot be written to a JSON config; "
            "use an activation name instead"
        )
    return name


def _serialise(spec: Any, argument: str) -> Any:
    if spec is None:
        return None
    get_config = getattr(spec, "get_config", None)
    if get_config is None:
        raise TypeError(
            f"{argument} is a callable and cannot be written to a JSON config; use a name or a "
            "Keras-style dict instead"
        )
    return get_config()
