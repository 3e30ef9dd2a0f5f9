"""A malformed ``xray`` marker is a collection error that names the test and the fix."""

from __future__ import annotations

import pytest

from tests.conftest import RunXray


@pytest.mark.parametrize(
    ("marker", "expected"),
    [
        ("xray()", "needs at least one Test key"),
        ("xray('calc-1')", "has 'calc-1'; expected a Jira issue key such as 'CALC-12'"),
        ("xray('CALC-01')", "has 'CALC-01'"),
        ("xray('CALC')", "has 'CALC'"),
        ("xray('1CALC-1')", "has '1CALC-1'"),
        ("xray(12)", "has 12 (int)"),
        ("xray(['CALC-1'])", "has ['CALC-1'] (list)"),
        (
            "xray(['A-1', 'A-2'])",
            "has ['A-1', 'A-2'] (list); expected a Jira issue key such as 'CALC-12' (project key "
            "in capitals, '-', a number); give several keys as separate arguments: "
            "@pytest.mark.xray('A-1', 'A-2').",
        ),
        ("xray('CALC-1', defects=[['CALC-2']])", "defects= has ['CALC-2'] (list); expected a J"),
        (
            "xray(('C-1', 'C-2'))",
            "(tuple); *; give several * arguments: @pytest.mark.xray('C-1', 'C-2').",
        ),
        ("xray(['C-1'])", "(list); *; give several * arguments: @pytest.mark.xray('A-1', 'A-2')."),
        ("xray('CALC-1', defect=['CALC-2'])", "unknown keyword 'defect'; known keywords: defects"),
        ("xray('CALC-1', defects='CALC-2')", "defects= must be a list of issue keys"),
        ("xray('CALC-1', defects=['bug'])", "defects= has 'bug'"),
        ("xray('CALC-1', requirements=[3])", "requirements= has 3 (int)"),
        ("xray('CALC-1', custom_fields=['a'])", "custom_fields= must be a dict of Test Run"),
        ("xray('CALC-1', custom_fields={1: 'a'})", "custom_fields= has the id 1; ids are"),
        ("xray('CALC-1', custom_fields={'a': {'b': 1}})", "custom_fields= has {'b': 1} for 'a'"),
        ("xray('CALC-1', custom_fields={'a': [object]})", "values are strings, numbers"),
    ],
)
def test_bad_marker_is_a_collection_error(
    pytester: pytest.Pytester, run_xray: RunXray, marker: str, expected: str
) -> None:
    pytester.makepyfile(
        f"""
        import pytest
        @pytest.mark.{marker}
        def test_bad(): pass
        def test_good(): pass
        """
    )
    run = run_xray()
    assert run.result.ret == pytest.ExitCode.INTERRUPTED
    run.result.stdout.fnmatch_lines(
        [
            "*ERROR collecting*",
            "*test_bad_marker_is_a_collection_error.py::test_bad: @pytest.mark.xray*"
            + expected.replace("[", "[[]")
            + "*",
            "*1 error*",
        ]
    )
    assert "INTERNALERROR" not in run.output
    assert "Traceback" not in run.output
    assert not run.report_path.exists()


def test_every_bad_marker_in_a_module_is_listed(
    pytester: pytest.Pytester, run_xray: RunXray
) -> None:
    pytester.makepyfile(
        """
        import pytest
        @pytest.mark.xray("bad-one")
        def test_one(): pass
        @pytest.mark.xray("CALC-1", "bad-two")
        def test_two(): pass
        """
    )
    run = run_xray()
    run.result.stdout.fnmatch_lines(["*::test_one: *'bad-one'*", "*::test_two: *'bad-two'*"])


def test_markers_are_checked_only_with_xray(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("import pytest\n@pytest.mark.xray()\ndef test_a(): pass\n")
    pytester.runpytest().assert_outcomes(passed=1)


def test_documented_signature_matches_the_parser(
    pytester: pytest.Pytester, run_xray: RunXray
) -> None:
    """Every keyword the marker's documentation names is accepted by the parser."""
    from pytest_xray.markers import KEYWORDS
    from pytest_xray.options import MARKER_DOC

    signature = MARKER_DOC.split(":", 1)[0]
    for keyword in KEYWORDS:
        assert f"{keyword}=" in signature
    values = {"defects": "['CALC-9']", "requirements": "['CALC-8']", "custom_fields": "{'f': 1}"}
    assert set(values) == set(KEYWORDS)
    arguments = ", ".join(f"{k}={v}" for k, v in values.items())
    pytester.makepyfile(
        f"import pytest\n@pytest.mark.xray('CALC-1', {arguments})\ndef test_a(): pass\n"
    )
    run = run_xray()
    run.result.assert_outcomes(passed=1)
    entry = run.test("CALC-1")
    assert entry["defects"] == ["CALC-9"]
    assert entry["testInfo"]["requirementKeys"] == ["CALC-8"]
    assert entry["customFields"] == [{"id": "f", "value": 1}]


def test_a_parameter_whose_str_raises_is_named_by_its_id(
    pytester: pytest.Pytester, run_xray: RunXray
) -> None:
    pytester.makepyfile(
        """
        import pytest
        class Broken:
            def __str__(self):
                raise RuntimeError("no text")
        @pytest.mark.xray("CALC-1")
        @pytest.mark.parametrize("obj", [Broken(), Broken()], ids=["first", None])
        def test_p(obj): pass
        """
    )
    run = run_xray()
    assert run.result.ret == 0, run.output
    assert "INTERNALERROR" not in run.output
    iterations = run.test("CALC-1")["iterations"]
    assert [i["parameters"] for i in iterations] == [
        [{"name": "obj", "value": "first"}],
        [{"name": "obj", "value": "obj1"}],
    ]


def test_parameter_values_are_the_same_in_every_run(
    pytester: pytest.Pytester, run_xray: RunXray
) -> None:
    """Functions and classes by name; objects whose text holds an address, or that have no
    text, by their own id: ``ids=``, ``pytest.param(id=...)``, an ``ids`` function, a
    parametrized fixture's ids, else ``{name}{index}``; never by the whole test id."""
    pytester.makepyfile(
        """
        import pytest

        def double(x): return 2 * x

        class Thing:
            def method(self): pass

        class Opaque:
            pass

        def make():
            def inner(): pass
            return inner

        def name_of(value):
            return "named" if isinstance(value, Opaque) else None

        @pytest.fixture(params=[Opaque()], ids=["fixture-id"])
        def fix(request):
            return request.param

        @pytest.mark.xray("CALC-1")
        @pytest.mark.parametrize("n", [1])
        @pytest.mark.parametrize(
            "func, kind, obj",
            [
                (double, Thing, Opaque()),
                (lambda: 0, Thing().method, object()),
                pytest.param(make(), int, Opaque(), id="own"),
            ],
            ids=["first", None, "ignored"],
        )
        @pytest.mark.parametrize("other", [Opaque()], ids=name_of)
        def test_p(func, kind, obj, n, other, fix): pass
        """
    )
    runs = [run_xray().test("CALC-1")["iterations"] for _ in range(2)]
    assert [i["parameters"] for i in runs[0]] == [i["parameters"] for i in runs[1]]
    iterations = runs[0]
    values = [{p["name"]: p["value"] for p in i["parameters"]} for i in iterations]
    assert values == [
        {
            "func": "double",
            "kind": "Thing",
            "obj": "first",
            "n": "1",
            "other": "named",
            "fix": "fixture-id",
        },
        {
            "func": "<lambda>",
            "kind": "Thing.method",
            "obj": "obj1",
            "n": "1",
            "other": "named",
            "fix": "fixture-id",
        },
        {
            "func": "inner",
            "kind": "int",
            "obj": "own",
            "n": "1",
            "other": "named",
            "fix": "fixture-id",
        },
    ]


def test_markers_added_after_collection_count(pytester: pytest.Pytester, run_xray: RunXray) -> None:
    # The README's example: keys from a table, added in pytest_collection_modifyitems.
    pytester.makeconftest(
        """
        import pytest

        KEYS = {"test_login": "CALC-12"}

        def pytest_itemcollected(item):
            if item.name == "test_other":
                item.add_marker(pytest.mark.xray("CALC-13", defects=["CALC-99"]))

        def pytest_collection_modifyitems(items):
            for item in items:
                if item.originalname in KEYS:
                    item.add_marker(pytest.mark.xray(KEYS[item.originalname]))
        """
    )
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("user", ["alice", "bob"])
        def test_login(user): pass

        def test_other(): pass

        def test_unmarked(): pass
        """
    )
    run = run_xray("--junitxml=junit.xml")
    assert [t["testKey"] for t in run.payload["tests"]] == ["CALC-12", "CALC-13"]
    assert len(run.test("CALC-12")["iterations"]) == 2
    assert run.test("CALC-13")["defects"] == ["CALC-99"]
    assert 'name="test_key" value="CALC-12"' in (pytester.path / "junit.xml").read_text()
    run.result.stdout.fnmatch_lines(["*; 1 test without an xray marker left out"])


def test_markers_added_after_collection_to_marked_tests_count(
    pytester: pytest.Pytester, run_xray: RunXray
) -> None:
    """Keys, defects and class markers added later also reach tests that already had keys."""
    pytester.makeconftest(
        """
        import pytest

        def pytest_itemcollected(item):
            if item.name == "test_b":
                item.add_marker(pytest.mark.xray("CALC-60"))

        def pytest_collection_modifyitems(items):
            for item in items:
                item.add_marker(pytest.mark.slow)  # not an xray marker: changes nothing
                if item.cls is None:
                    item.add_marker(pytest.mark.xray("CALC-50", defects=["CALC-99"]))
            items[-1].parent.add_marker(pytest.mark.xray("CALC-70"))  # on the class
        """
    )
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.xray("CALC-1")
        def test_a(): pass

        @pytest.mark.xray("CALC-2", defects=["CALC-98"])
        def test_b(): pass

        def test_c(): pass

        @pytest.mark.xray("CALC-3")
        class TestD:
            def test_d(self): pass
        """
    )
    run = run_xray("--junitxml=junit.xml")
    keys = {t["testKey"] for t in run.payload["tests"]}
    assert keys == {"CALC-1", "CALC-2", "CALC-3", "CALC-50", "CALC-60", "CALC-70"}
    assert [i["name"] for i in run.test("CALC-50")["iterations"]] == [
        "test_markers_added_after_collection_to_marked_tests_count.py::test_a",
        "test_markers_added_after_collection_to_marked_tests_count.py::test_b",
        "test_markers_added_after_collection_to_marked_tests_count.py::test_c",
    ]
    assert run.test("CALC-1")["defects"] == ["CALC-99"]
    assert sorted(run.test("CALC-2")["defects"]) == ["CALC-98", "CALC-99"]
    assert "defects" not in run.test("CALC-70")
    junit = (pytester.path / "junit.xml").read_text()
    for key in sorted(keys):  # each test's properties once, not once per reading
        assert junit.count(f'name="test_key" value="{key}"') == (3 if key == "CALC-50" else 1)


def test_a_bad_marker_added_after_collection_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        "import pytest\n"
        "def pytest_collection_modifyitems(items):\n"
        "    items[0].add_marker(pytest.mark.xray('calc-1'))\n"
    )
    pytester.makepyfile("def test_a(): pass\n")
    result = pytester.runpytest("--xray")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: test_*.py::test_a: @pytest.mark.xray key has 'calc-1'*"])
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
