"""A small calculator, the system under test of the example project."""

from __future__ import annotations


def add(a: float, b: float) -> float:
    return a + b


def divide(a: float, b: float) -> float:
    if b == 0:
        raise ZeroDivisionError("division by zero")
    return a / b


def parse(text: str) -> float:
    """Parse a number written with a dot or a comma as decimal separator."""
    return float(text.strip().replace(",", "."))
