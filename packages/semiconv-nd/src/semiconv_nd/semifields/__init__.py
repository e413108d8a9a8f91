"""Semifield definitions and the convolution modules they create.

* :class:`BroadcastSemifield` (:mod:`.broadcast`): any semifield given by PyTorch tensor
  operations; runs on every device with no compilation, in memory-bounded blocks.
* :class:`SelectSemifield` (:mod:`.select`): semifields whose addition selects one argument
  (tropical max/min), compiled for CPU and CUDA, O(outputs) backward.
* :class:`SubtractSemifield` (:mod:`.subtract`): semifields whose addition can be inverted
  (linear, root, log), compiled for CPU and CUDA, O(input + output) memory.
"""

from semiconv_nd.semifields.broadcast import BroadcastConv, BroadcastSemifield
from semiconv_nd.semifields.select import SelectSemifield
from semiconv_nd.semifields.subtract import SubtractSemifield

__all__ = ["BroadcastConv", "BroadcastSemifield", "SelectSemifield", "SubtractSemifield"]
