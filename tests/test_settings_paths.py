"""Settings messages that name what the user set: output paths, and what selects Server."""

from __future__ import annotations

import pytest

from tests.test_settings import MARKED, usage_error


@pytest.mark.parametrize(
    ("args", "ini", "where", "example"),
    [
        (["--xray-output=out"], "", "--xray-output", "out/xray-report.json"),
        (["--xray-output=out/"], "", "--xray-output", "out/xray-report.json"),
        ([], "xray_output = out", "ini key xray_output", "out/xray-report.json"),
        (["--xray-result-file=out"], "", "--xray-result-file", "out/xray-result.json"),
    ],
)
def test_an_output_path_that_is_a_directory_is_a_usage_error(
    pytester: pytest.Pytester, args: list[str], ini: str, where: str, example: str
) -> None:
    pytester.makepyfile(MARKED)
    pytester.mkdir("out")
    if ini:
        pytester.makeini(f"[pytest]\n{ini}\n")
    result = pytester.runpytest("--xray", *args)
    usage_error(result, where, "is a directory; give a file path such as", example)


def test_an_output_path_in_a_new_directory_is_fine(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(MARKED)
    result = pytester.runpytest("--xray", "--xray-output=new/report.json")
    assert result.ret == 0
    assert (pytester.path / "new" / "report.json").is_file()
