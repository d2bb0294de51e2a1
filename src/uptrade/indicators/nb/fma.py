"""``fma_nb(a, b, c)``: ``a*b + c`` with one rounding, callable from any ``@njit`` kernel.

Why by hand: numba has no fused multiply-add (``math.fma`` is Python 3.13+ and numba does not
compile it; NumPy has no such ufunc), and ``fastmath={"contract"}`` lets LLVM choose which
product to fuse and where, so a batch kernel and the streaming machine it must equal bit for
bit could round differently. This intrinsic emits LLVM's ``llvm.fma.f64`` with the operands
fixed: one instruction where the CPU has FMA (x86-64 since Haswell, every arm64), a correctly
rounded libm call where it has not, and the same result everywhere. It is numba's public
extension API (``numba.extending.intrinsic``), so it also compiles under numba 0.61.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from llvmlite import ir
from numba import types as nbtypes
from numba.extending import intrinsic


def _float3_intrinsic(typer: Any) -> Callable[[float, float, float], float]:
    """numba's ``intrinsic``, typed as the kernels call the result: three floats in, one out."""
    return cast(Callable[[float, float, float], float], intrinsic(typer))


@_float3_intrinsic
def fma_nb(typingctx: Any, a: Any, b: Any, c: Any) -> Any:
    """``a*b + c`` rounded once (float operands, float64 result); only inside ``@njit`` code."""
    if not all(isinstance(t, nbtypes.Float) for t in (a, b, c)):
        return None
    sig = nbtypes.float64(nbtypes.float64, nbtypes.float64, nbtypes.float64)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        f64 = ir.DoubleType()
        fn = builder.module.declare_intrinsic("llvm.fma", [f64], ir.FunctionType(f64, [f64, f64, f64]))
        return builder.call(fn, args)

    return sig, codegen
