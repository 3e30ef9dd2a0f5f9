"""The README works as written: its commands run, its examples work, its reference is complete.

Convention: an HTML comment ``<!-- test: WORDS -->`` right before a fenced block marks it:

* ``run``: a ``bash`` block run with ``bash -e`` in a scratch directory holding a copy of
  ``example_project`` (``cwd=example_project`` runs it inside the copy), with this environment's
  ``pytest`` and ``pytest-xray`` first on ``PATH``. ``emulator=server`` / ``emulator=cloud`` start
  the Xray emulator and point the block at it: the placeholders ``https://jira.example.com``,
  ``XRAY_TOKEN=...``, ``XRAY_CLIENT_ID=...`` and ``XRAY_CLIENT_SECRET=...`` get the emulator's URL
  and credentials. The environment starts as the quick start of that product leaves it (the
  emulator's URL, the credentials, for Server the project), for blocks that rely on it; Cloud's
  also has ``XRAY_CLOUD=true``, since the real Cloud host is otherwise the default URL.
* ``conftest``: ``python`` blocks used together as the ``conftest.py`` of a real session.

Blocks left unmarked are not run, for a reason: installing (the environment running this test is
what they produce, and ``.ci/run`` runs them in a fresh one), this suite itself, output samples,
and CI configuration (their ``pytest`` commands are run below instead). Every ``python`` block is
checked to be valid and formatted as ``ruff format`` wants.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pytest_xray.cli import build_parser
from pytest_xray.emulator import XrayEmulator
from pytest_xray.markers import KEYWORDS
from tests.conftest import CLIENT_ID, CLIENT_SECRET, PAT, RunXray, assert_no_secret, validate

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BIN = Path(sys.executable).parent

_FENCE = re.compile(
    r"(?:<!-- test: (?P<spec>[^>]*?) -->\n)?^```(?P<lang>\w*)\n(?P<body>.*?)^```$", re.S | re.M
)


@dataclass(frozen=True)
class Block:
    """A fenced block of the README and its ``<!-- test: ... -->`` marker words."""

    lang: str
    body: str
    line: int
    words: tuple[str, ...]

    def option(self, name: str) -> str | None:
        prefix = f"{name}="
        return next((w.removeprefix(prefix) for w in self.words if w.startswith(prefix)), None)

    @property
    def id(self) -> str:
        return f"line{self.line}"


def blocks(text: str | None = None) -> list[Block]:
    text = README.read_text("utf-8") if text is None else text
    return [
        Block(
            m["lang"],
            m["body"],
            text.count("\n", 0, m.start("body")),
            tuple((m["spec"] or "").split()),
        )
        for m in _FENCE.finditer(text)
    ]


RUN_BLOCKS = [b for b in blocks() if "run" in b.words]


def test_markers_are_well_formed() -> None:
    text = README.read_text("utf-8")
    marked = [b for b in blocks() if b.words]
    assert text.count("<!-- test:") == len(marked), "a marker not right before a fence"
    assert all(b.lang == "bash" for b in RUN_BLOCKS)
    assert {b.option("emulator") for b in RUN_BLOCKS} == {None, "server", "cloud"}
    assert [b.lang for b in marked if "conftest" in b.words] == ["python", "python"]


def clean_env() -> dict[str, str]:
    """The environment of a user's shell: no XRAY_*, no pytest or GitHub Actions variables of
    this run (a README command must not write into this CI job's summary)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("XRAY_", "PYTEST_", "GITHUB_"))
    }
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    shutil.copytree(
        ROOT / "example_project",
        tmp_path / "example_project",
        ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", "xray-report.json"),
    )
    return tmp_path


@pytest.fixture
def emulators() -> Iterator[dict[str, XrayEmulator]]:
    with (
        XrayEmulator(flavor="server", tokens={PAT}, custom_statuses={"SKIPPED"}) as server,
        XrayEmulator(flavor="cloud", clients={CLIENT_ID: CLIENT_SECRET}) as cloud,
    ):
        yield {"server": server, "cloud": cloud}


def prepare(block: Block, emulator: XrayEmulator | None, env: dict[str, str]) -> str:
    """The block's script, pointed at ``emulator``; sets ``env`` for what the block leaves out."""
    script = block.body
    if emulator is None:
        return script
    env["XRAY_URL"] = emulator.url
    if emulator.flavor == "cloud":
        env.update(XRAY_CLOUD="true", XRAY_CLIENT_ID=CLIENT_ID, XRAY_CLIENT_SECRET=CLIENT_SECRET)
    else:
        env.update(XRAY_TOKEN=PAT, XRAY_PROJECT="CALC")
    replacements = {
        "https://jira.example.com": emulator.url,
        "XRAY_TOKEN=...": f"XRAY_TOKEN={PAT}",
        "XRAY_CLIENT_ID=...": f"XRAY_CLIENT_ID={CLIENT_ID}",
        "XRAY_CLIENT_SECRET=...": f"XRAY_CLIENT_SECRET={CLIENT_SECRET}",
    }
    for placeholder, value in replacements.items():
        script = script.replace(placeholder, value)
    return script


@pytest.mark.parametrize("block", RUN_BLOCKS, ids=[b.id for b in RUN_BLOCKS])
def test_command_runs_as_written(
    block: Block, scratch: Path, emulators: dict[str, XrayEmulator]
) -> None:
    flavor = block.option("emulator")
    emulator = emulators[flavor] if flavor else None
    env = clean_env()
    script = prepare(block, emulator, env)
    output = bash(script, scratch / (block.option("cwd") or ""), env)
    assert "xray:" in output or "Test Execution" in output, output
    assert_no_secret(output)
    if emulator is not None:
        assert emulator.executions, f"README line {block.line} uploaded nothing:\n{output}"
        if "--xray-check" in script:
            assert any(r.path.endswith(("api/test", "graphql")) for r in emulator.requests)
    # Every report a README command leaves is valid Xray JSON: the example project's, or the
    # copy an upload keeps in the cache.
    reports = [*scratch.rglob("xray-report.json"), *scratch.rglob("last-report.json")]
    assert reports, f"README line {block.line} left no report:\n{output}"
    for report in reports:
        validate(json.loads(report.read_text("utf-8")))


def bash(script: str, cwd: Path, env: dict[str, str]) -> str:
    """Run ``script`` with ``bash -e``; it must succeed without a traceback. Its output."""
    done = subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"failed:\n{script}\n{output}"
    assert "Traceback" not in output
    return output


def ci_commands() -> list[str]:
    """The ``pytest`` commands of the CI recipes (YAML ``run:`` / ``- `` lines, Groovy ``sh``)."""
    commands = []
    for block in blocks():
        if block.lang in ("yaml", "groovy"):
            commands += re.findall(r"(?:run: |- |sh ')(pytest [^'\n]*)", block.body)
    return sorted(set(commands))


def test_ci_recipes_command_works(scratch: Path, emulators: dict[str, XrayEmulator]) -> None:
    # The general recipes' command; the shard recipes' commands need pytest-split and CI
    # artifacts, and their options are checked with every other option the README names.
    recipe = "pytest --xray-check --xray-result-file xray-result.json"
    commands = ci_commands()
    assert recipe in commands
    server = emulators["server"]
    env = clean_env()
    # The recipes' variables; the token comes from the CI's secret store.
    env.update(XRAY_ENABLE="1", XRAY_URL=server.url, XRAY_PROJECT="CALC", XRAY_TOKEN=PAT)
    project = scratch / "example_project"
    bash(recipe, project, env)
    outcome = json.loads((project / "xray-result.json").read_text())
    assert outcome["execution_key"] in server.executions
    assert outcome["uploaded"] is True


def test_ci_recipes_install_this_project_not_the_pypi_namesake() -> None:
    # "pytest-xray" on PyPI is an unrelated project: a recipe that names it bare installs that.
    installs = [
        line
        for block in blocks()
        if block.lang in ("yaml", "groovy")
        for line in block.body.splitlines()
        if "pip install" in line
    ]
    assert len(installs) >= 5
    for line in installs:
        named = re.findall(r"""["']?(pytest-xray[^"'\s]*(?: @ [^"'\s]+)?)""", line)
        assert named, line
        assert all(" @ git+" in spec for spec in named), line


def shard_commands() -> list[str]:
    """The final job's commands of the shard recipes (merge, then upload)."""
    commands = []
    for block in blocks():
        if block.lang == "yaml":
            commands += re.findall(r"(?:run: |- )(pytest-xray [^\n]*)", block.body)
    return sorted(set(commands))


def test_shard_recipe_commands_work(scratch: Path, emulators: dict[str, XrayEmulator]) -> None:
    # The shards themselves need pytest-split and CI artifacts: two -k shards stand in for them,
    # written with the recipe's options; the final job's commands run as the README gives them.
    merge, upload = 'pytest-xray merge "shard-*.json" -o all.json', "pytest-xray upload all.json"
    assert shard_commands() == [merge, upload]
    server = emulators["server"]
    env = clean_env()
    env["XRAY_PROJECT"] = "CALC"
    project = scratch / "example_project"
    shards = [
        f"pytest --xray --xray-dry-run --xray-output shard-{n}.json -k '{select}' || true"
        for n, select in ((1, "arithmetic"), (2, "not arithmetic"))
    ]
    env_final = {**env, "XRAY_URL": server.url, "XRAY_TOKEN": PAT}
    bash("\n".join(shards), project, env)
    bash(f"{merge}\n{upload}", project, env_final)
    merged = validate(json.loads((project / "all.json").read_text()))
    [execution] = server.executions.values()
    shard_tests = [
        len(json.loads((project / f"shard-{n}.json").read_text())["tests"]) for n in (1, 2)
    ]
    assert min(shard_tests) > 0
    assert set(execution.runs) == {t["testKey"] for t in merged["tests"]}


def test_hook_examples_work(
    pytester: pytest.Pytester,
    run_xray: RunXray,
    emulators: dict[str, XrayEmulator],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    examples = "\n\n".join(b.body for b in blocks() if "conftest" in b.words)
    server = emulators["server"]
    monkeypatch.setenv("XRAY_TOKEN", PAT)
    monkeypatch.setenv("CHAT_WEBHOOK", f"{server.url}/chat")
    pytester.makeconftest(examples)
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.xray("CALC-1")
        def test_defect(record_property):
            record_property("defect", "CALC-99")

        @pytest.mark.xray("CALC-2")
        def test_skipped():
            pytest.skip("not on this platform")
        """
    )
    run = run_xray(f"--xray-url={server.url}", "--xray-project=CALC", "--xray-output=sent.json",
                   report="sent.json")  # fmt: skip
    assert run.result.ret == pytest.ExitCode.OK
    assert run.test("CALC-1")["defects"] == ["CALC-99"]
    assert run.test("CALC-2")["status"] == "SKIPPED"
    assert run.payload["info"]["user"] == "qa-bot"
    [chat] = [r for r in server.requests if r.path == "/chat"]
    link = f"{server.url}/browse/CALC-1000"
    assert json.loads(chat.body) == {"text": f"Xray: CALC-1000 {link}"}
    assert "hook " not in run.output  # no hook error line
    run.result.stdout.fnmatch_lines([f"Results: {link}"])  # get_execution()
    # With the plugin off, the same conftest.py is no error: the hooks are optional.
    off = pytester.runpytest("-p", "no:xray")
    off.assert_outcomes(passed=1, skipped=1)


def test_python_examples_are_valid_and_formatted() -> None:
    python = [b for b in blocks() if b.lang == "python"]
    assert len(python) >= 3
    ruff = shutil.which("ruff", path=str(BIN)) or shutil.which("ruff")
    assert ruff is not None, "ruff (the test extra) is needed"
    for block in python:
        compile(block.body, f"README.md:{block.line}", "exec")
        done = subprocess.run(
            [ruff, "format", "--diff", "--stdin-filename", "README_example.py", "-"],
            input=block.body,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, f"README line {block.line}:\n{done.stdout}{done.stderr}"


def pytest_output(*args: str, cwd: Path = ROOT) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *args, "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )
    return done.stdout


def test_reference_names_every_option_ini_key_variable_and_fixture(tmp_path: Path) -> None:
    text = README.read_text("utf-8")
    help_text = pytest_output("--help")
    listing = pytest_output("--fixtures", "-v", cwd=tmp_path)  # an empty directory: no tests
    fixtures = set(re.findall(r"^(\w+)(?: \[[\w ]+\])? -- \S*pytest_xray/", listing, re.M))
    assert "xray_evidence" in fixtures
    options = set(re.findall(r"(--xray(?:-[a-z]+)*)", help_text))
    ini_keys = set(re.findall(r"^  (xray_[a-z_]+) ", help_text, re.M))
    assert {"--xray", "--xray-check", "--xray-result-file"} <= options
    assert {"xray_check", "xray_result_file"} <= ini_keys
    sources = "".join(
        path.read_text("utf-8")
        for path in (ROOT / "pytest_xray").glob("*.py")
        if path.name != "__main__.py"
    )
    variables = set(re.findall(r"\"(XRAY_[A-Z_]+)\"", sources))
    assert {"XRAY_ENABLE", "XRAY_CHECK", "XRAY_RESULT_FILE", "XRAY_TOKEN"} <= variables
    hooks = set(
        re.findall(r"^def (pytest_xray_\w+)", (ROOT / "pytest_xray/hooks.py").read_text(), re.M)
    )
    assert len(hooks) == 4
    subcommands = next(
        action
        for action in build_parser()._actions
        if isinstance(action, argparse._SubParsersAction)
    )
    commands = {f"pytest-xray {name}" for name in subcommands.choices}
    words = set(re.findall(r"[\w-]+", text))
    names = options | ini_keys | variables | hooks | set(KEYWORDS) | fixtures
    missing = sorted(name for name in names if name not in words)
    missing += sorted(c for c in commands if c not in text)
    assert missing == [], f"not in README.md: {missing}"
    # and the README names no option that does not exist (beside pytest-jira-xray's own)
    migration = re.search(r"^## Migrating from pytest-jira-xray$.*?^## ", text, re.M | re.S)
    assert migration is not None
    ours = text.replace(migration.group(0), "")
    written = set(re.findall(r"(--xray(?:-[a-z]+)*)", ours))
    assert written <= options, sorted(written - options)
