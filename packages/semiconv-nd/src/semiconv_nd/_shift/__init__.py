"""Chunked "shift" engines behind :class:`~semiconv_nd.BroadcastSemifield`.

* :mod:`.plan`: tap enumeration, strided tap slices and output blocks of one geometry;
* :mod:`.select`: tropical max/min with first-tap (or spread) gradients, O(outputs) backward;
* :mod:`.accumulate`: linear, root and log semifields, recomputing backward;
* :mod:`.generic`: user-defined semifields, block-wise broadcast with rematerialised backward.
"""
