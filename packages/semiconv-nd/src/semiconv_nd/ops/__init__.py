"""Compiled select/subtract semifield convolutions: custom ops, registry and modules.

* :mod:`.entries`: the leaf the backends import: registry entries, ``geo`` slot names.
* :mod:`.layout`: 1-D/2-D/3-D calls brought to the 3-D layout of the kernels.
* :mod:`.registry`: semifields registered under string keys, with their compiled kernels.
* :mod:`.custom_ops`: the ``torch.library`` custom ops (fake implementations and autograd).
* :mod:`.eager`: the same backends behind autograd Functions, used outside tracing.
* :mod:`.modules`: the modules returned by ``.dynamic()`` and ``.lazy_fixed()``.

The kernels themselves live in :mod:`semiconv_nd._cpu` (numba) and :mod:`semiconv_nd._cuda`
(numba-cuda).
"""
