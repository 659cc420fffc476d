"""Pure, vectorised mechanism functions: arrays in, arrays out.

One module per mechanism, in step order: :mod:`.escalation` (which level),
:mod:`.perception` (exposure and crossing), :mod:`.trust` (asymmetric update),
:mod:`.wom` (word of mouth), :mod:`.incidents` (news of data incidents),
:mod:`.churn` (hazard, contagion, Watts rule, stated-to-actual exits) and
:mod:`.purchase` (purchases and revenue). :class:`sim.model.TrustModel` only
wires them together.
"""
