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
from numba import types
from numba.extending import intrinsic


def _fma_typer(typingctx: Any, a: Any, b: Any, c: Any) -> Any:
    """Typing and code generation of :data:`fma_nb` (float operands, float64 result)."""
    if not all(isinstance(t, types.Float) for t in (a, b, c)):
        return None
    sig = types.float64(types.float64, types.float64, types.float64)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        vals = [context.cast(builder, v, t, types.float64) for v, t in zip(args, signature.args, strict=True)]
        f64 = ir.DoubleType()
        fn = builder.module.declare_intrinsic("llvm.fma", [f64], ir.FunctionType(f64, [f64, f64, f64]))
        return builder.call(fn, vals)

    return sig, codegen


#: ``fma_nb(a, b, c)``: ``a*b + c`` rounded once; only inside ``@njit`` code.
fma_nb = cast(Callable[[float, float, float], float], intrinsic(_fma_typer))  # typed as numba calls it
