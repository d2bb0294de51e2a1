"""Trading signals: the int8 convention, adapters from indicator outputs, the combiner, storage.

A signal is an ``int8`` array: ``1`` long, ``-1`` short, ``0`` nothing, set on the bar whose
close confirms it. ``adapt`` turns an indicator's outputs into one (``sniper:major``,
``vzo:adaptive``, ``spectral:turns``, ...), ``combine`` merges named signals as spec section 7
defines, and ``store_signal`` writes one to ``indicator_signals`` with its parameters as JSON.
"""

from uptrade.errors import SignalError
from uptrade.signals.adapters import ADAPTERS, Adapter, adapt, compute_signal, indicator_frame, parse_source
from uptrade.signals.combine import MODES, CombinerConfig, combine
from uptrade.signals.conventions import as_signal, from_flags, store_signal

__all__ = [
    "ADAPTERS",
    "MODES",
    "Adapter",
    "CombinerConfig",
    "SignalError",
    "adapt",
    "as_signal",
    "combine",
    "compute_signal",
    "from_flags",
    "indicator_frame",
    "parse_source",
    "store_signal",
]
