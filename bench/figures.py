"""What every benchmark reports its timings with."""

from __future__ import annotations


def percentile(values: list[float], p: float) -> float:
    """The `p`th percentile of `values` by nearest rank (0.0 for none)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else 0.0
