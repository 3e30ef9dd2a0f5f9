"""Parsing: every test of this module is part of Xray Test CALC-10 (a module marker)."""

import sys

import pytest
from calc import parse

pytestmark = pytest.mark.xray("CALC-10")


class TestDecimalSeparators:
    # Class markers add to the module marker: these tests also report CALC-11.
    pytestmark = pytest.mark.xray("CALC-11")

    @pytest.mark.parametrize("text", ["1.5", "1,5", " 1.5 "])
    def test_one_and_a_half(self, text):
        assert parse(text) == 1.5

    def test_integer(self):
        assert parse("42") == 42


@pytest.mark.skipif(sys.platform != "win32", reason="locale settings only tested on Windows")
def test_windows_locale():
    assert parse("1,5") == 1.5
