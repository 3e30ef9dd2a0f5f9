"""Arithmetic: each Xray Test is one requirement of the calculator."""

import json

import pytest
from calc import add, divide


@pytest.mark.xray("CALC-1")
def test_add_integers():
    assert add(2, 3) == 5


# A parametrized test reports ONE Xray Test with one iteration per parameter set.
@pytest.mark.xray("CALC-2", defects=["CALC-101"])
@pytest.mark.parametrize(("a", "b", "expected"), [(1, 2, 0.5), (9, 3, 3), (-4, 2, -2)])
def test_divide(a, b, expected):
    assert divide(a, b) == expected


@pytest.mark.xray("CALC-3")
def test_divide_by_zero():
    with pytest.raises(ZeroDivisionError):
        divide(1, 0)


# One test can count for several Xray Tests.
@pytest.mark.xray("CALC-4", "CALC-5")
def test_add_is_commutative():
    assert add(0.1, 0.2) == add(0.2, 0.1)


@pytest.mark.xray("CALC-6")
@pytest.mark.xfail(reason="CALC-102: floats are not exact", strict=True)
def test_add_floats_exactly():
    assert add(0.1, 0.2) == 0.3


# Requirements are linked to the Test; xray_evidence attaches files to its Test Run.
@pytest.mark.xray("CALC-7", requirements=["CALC-100"])
def test_add_table(xray_evidence):
    """Adding each row of a table gives its total."""
    rows = [(1, 2, 3), (10, -5, 5), (0.5, 0.25, 0.75)]
    xray_evidence(json.dumps(rows).encode(), filename="table.json")
    for a, b, total in rows:
        assert add(a, b) == total


def test_not_in_xray():
    """Tests without a marker are left out of the report."""
    assert add(1, 1) == 2
