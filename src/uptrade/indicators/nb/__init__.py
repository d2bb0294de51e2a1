"""Pure numba kernels (``*_nb``) behind the indicators; wrappers live one level up."""

from uptrade.indicators.nb.rolling import (
    ema_nb,
    first_valid_nb,
    linreg_nb,
    rolling_extreme_nb,
    sma_nb,
    wma_nb,
)

__all__ = ["ema_nb", "first_valid_nb", "linreg_nb", "rolling_extreme_nb", "sma_nb", "wma_nb"]
