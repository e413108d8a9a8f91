"""CPU kernels (numba ``njit(parallel=True)``), no C compiler needed.

Every kernel works on 3-D problems: 1-D and 2-D convolutions are given leading spatial axes of
size one by :mod:`semiconv_nd.ops.layout`. Arrays are C-contiguous numpy views of torch tensors:

* image ``x``: ``(B, C_in, D, H, W)``;
* kernel ``w``: ``(K_o, I, kD, kH, kW)``, already mirrored for ``kind="conv"`` (kernels always
  correlate);
* output ``y``: ``(B, C_out, oD, oH, oW)``;
* ``geo``: int64 ``[sD, sH, sW, pD, pH, pW, dD, dH, dW, O, broadcast]`` (stride, padding at the
  beginning, dilation, outputs per group, group broadcasting flag).

Modules:

* :mod:`.select_builtin`: tropical max/min forward with provenance, O(outputs) backward.
* :mod:`.select_generic`: the same algorithms for user-defined select semifields.
* :mod:`.subtract_builtin`: linear, root and (stable) log forward and recomputing backward.
* :mod:`.subtract_generic`: user-defined subtract semifields ("inverse add" backward).
* :mod:`.fast_math`: a vectorisable float32 ``exp`` for the log semifield.
* :mod:`.cache`: where numba caches the kernels (read-only installs) and the compile notice.
* :mod:`.runner`: the torch-facing functions called by the custom ops.
"""
