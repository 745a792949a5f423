"""Amounts of money as shown to a person, the same in the CLI and the TUI."""

from __future__ import annotations


def usd(value: float) -> str:
    """An amount in USD: to the cent, and below a cent to two significant digits ('0.0012 USD'), so that the
    raw materials of a small ingot are never shown as costing '0.00 USD' when they cost something."""
    value = float(value)
    if value == 0 or abs(value) >= 0.01 or abs(float(f"{value:.2g}")) >= 0.01:
        return f"{value:.2f} USD"
    digits = 0
    while abs(value) * 10 ** (digits + 1) < 1:  # the zeros after the point, then two significant digits
        digits += 1
    return f"{value:.{digits + 2}f}".rstrip("0") + " USD"  # 0.001, not 0.0010
