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
        (["--xray-output=./"], "", "--xray-output", "such as ./xray-report.json."),
        (["--xray-output=/"], "", "--xray-output", "such as /xray-report.json."),
        (["--xray-output=out//"], "", "--xray-output", "such as out/xray-report.json."),
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


@pytest.mark.parametrize("blank", ["", " ", "\t"])
def test_a_blank_output_path_is_the_default(pytester: pytest.Pytester, blank: str) -> None:
    """Not the directory pytest runs in (``Path("")`` is ``.``): no path was given."""
    pytester.makepyfile(MARKED)
    result = pytester.runpytest("--xray", "--xray-output", blank, "--xray-result-file", blank)
    assert result.ret == 0, result.stderr.str()
    assert (pytester.path / "xray-report.json").is_file()


def test_an_output_path_in_a_new_directory_is_fine(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(MARKED)
    result = pytester.runpytest("--xray", "--xray-output=new/report.json")
    assert result.ret == 0
    assert (pytester.path / "new" / "report.json").is_file()


@pytest.mark.parametrize(
    ("args", "env", "ini", "fragments"),
    [
        (
            ["--xray-server"],
            {},
            "",
            ["but --xray-server selects Xray Server", "drop --xray-server"],
        ),
        (
            [],
            {"XRAY_CLOUD": "false"},
            "",
            ["environment variable XRAY_CLOUD is 'false', which selects Xray Server",
             "set XRAY_CLOUD to true"],
        ),
        (
            [],
            {},
            "xray_cloud = no",
            ["ini key xray_cloud in tox.ini is 'no', which selects Xray Server",
             "set xray_cloud to true"],
        ),
        (
            ["--xray-url=https://jira.example.com"],
            {},
            "",
            ["https://jira.example.com is not an Xray Cloud host, so it is treated as Xray Server",
             "or --xray-cloud"],
        ),
    ],
)  # fmt: skip
def test_cloud_credentials_for_server_name_what_selected_server(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    ini: str,
    fragments: list[str],
) -> None:
    pytester.makepyfile(MARKED)
    if ini:
        pytester.makeini(f"[pytest]\n{ini}\n")
    monkeypatch.setenv("XRAY_CLIENT_ID", "id")
    monkeypatch.setenv("XRAY_CLIENT_SECRET", "secret")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    text = usage_error(pytester.runpytest("--xray", *args), "Cloud credentials", *fragments)
    assert "None" not in text
    assert "secret" not in text.replace("XRAY_CLIENT_SECRET", "")
