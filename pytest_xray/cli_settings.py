"""How the ``pytest-xray`` command reads its settings: as a pytest run would.

The command's ``--xray-*`` options, ``-c FILE`` and ``--rootdir DIR`` go through pytest's own
configuration machinery (with only pytest-xray loaded, no ``conftest.py``), so the ini file,
``addopts``, ``PYTEST_ADDOPTS`` and ``XRAY_*`` variables give the same :class:`Settings` as in a
pytest run. :func:`load_settings` is the entry; :func:`xray_options` picks the ``--xray-*``
options out of the command's arguments.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import shlex
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

import pytest

from pytest_xray.options import add_options
from pytest_xray.settings import Settings, resolve

__all__ = ["config_args", "load_settings", "xray_options"]


def load_settings(pytest_args: Sequence[str]) -> Settings:
    """Resolve settings as a pytest run with ``--xray`` and ``pytest_args`` would."""
    config = _read_config(pytest_args)
    try:
        stray = config.getoption("file_or_dir")  # a value after an --xray-... flag
        if stray:
            raise pytest.UsageError(f"unrecognized arguments: {' '.join(stray)}")
        return resolve(config, check_upload=False)
    finally:
        config._ensure_unconfigure()


_CONFIG_ARGS = (
    "--xray",
    # The project's conftest.py files and other plugins are not needed to read settings, and
    # a resend step in CI often lacks the tests' dependencies that they import.
    "--noconftest",
    "-p",
    "pytest_xray.plugin",
    "-p",
    "no:cacheprovider",
    # A config-time warning (a deprecation) is no reason to stop, whatever filterwarnings says.
    "-p",
    "no:warnings",
    # Plugin autoload is off (_read_config), so the plugins the ini requires are not loaded.
    "-o",
    "required_plugins=",
)


def _read_config(pytest_args: Sequence[str]) -> pytest.Config:
    """pytest's configuration for ``pytest_args`` (``--xray-*``, ``-c``, ``--rootdir``), with
    only pytest-xray loaded: the ini file, ``addopts`` and ``PYTEST_ADDOPTS`` are read as a run
    reads them, keeping of ``addopts`` only the ``--xray-*`` options (the others may belong to
    plugins or conftest files not loaded here). A failure is one line (:class:`UsageError`)."""
    # pytest's own configuration machinery reads the ini file and our options, so the
    # command and the plugin can never disagree about a setting.
    options, others = xray_options(pytest_args)
    pytest_args = [*others, *options]
    args = [*_CONFIG_ARGS, *pytest_args]
    with _autoload_disabled():
        config = _parse_config(args)
        extra = [
            *_xray_args(config.getini("addopts")),
            *_xray_args(shlex.split(os.environ.get("PYTEST_ADDOPTS", ""))),
        ]
        if extra:  # as pytest orders them: the ini's, the environment's, the command line's
            config._ensure_unconfigure()
            config = _parse_config([*_CONFIG_ARGS, *extra, *pytest_args])
    return config


def _parse_config(args: list[str]) -> pytest.Config:
    from _pytest.config import get_config

    try:
        config = get_config(list(args))
    except Exception as error:
        raise _config_error(error) from None
    try:
        config.parse(list(args), addopts=False)  # addopts: see _read_config
    except BaseException as error:
        config._ensure_unconfigure()
        if isinstance(error, Exception):
            raise _config_error(error) from None
        raise
    return config


def _config_error(error: Exception) -> pytest.UsageError:
    """One line: pytest's parser says ``usage: ...``, then the error, then the ini file."""
    text = str(error)
    if isinstance(error, pytest.UsageError):
        said = re.findall(r"error: (.+)", text)
        return pytest.UsageError(said[-1].strip() if said else " ".join(text.split()))
    cause = error.__cause__
    if cause is not None and str(cause) not in text:  # PluginImportFailure: the plugin's name
        text = f"{text}: {type(cause).__name__}: {cause}"
    return pytest.UsageError(
        f"cannot read the pytest configuration: {type(error).__name__}: {' '.join(text.split())}"
    )


@contextmanager
def _autoload_disabled() -> Iterator[None]:
    """No plugin but pytest-xray (given with ``-p``) while the configuration is read."""
    name = "PYTEST_DISABLE_PLUGIN_AUTOLOAD"
    before = os.environ.get(name)
    os.environ[name] = "1"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


def _xray_args(args: Sequence[str]) -> list[str]:
    """The ``--xray-*`` options in ``args`` (``addopts``), as :func:`xray_options` gives them."""
    return xray_options(args)[0]


def xray_options(args: Sequence[str]) -> tuple[list[str], list[str]]:
    """``args`` split into the ``--xray-*`` options, each with its value joined as
    ``--xray-url=URL``, and the other arguments. Joined, a value is never taken for a test path
    by pytest's early search for the ini file, which runs before plugin options are known (a
    path there makes it look for the ini file beside that path)."""
    options: list[str] = []
    others: list[str] = []
    rest = iter(args)
    for arg in rest:
        if not arg.startswith("--xray"):
            others.append(arg)
        elif _takes_value(arg):
            value = next(rest, None)
            options.append(arg if value is None else f"{arg}={value}")  # None: pytest says so
        else:
            options.append(arg)
    return options, others


class _OptionRecorder:
    """Stands in for pytest's parser to learn which options :func:`add_options` defines."""

    def __init__(self) -> None:
        self.with_value: set[str] = set()
        self.flags: set[str] = set()

    def getgroup(self, *args: object, **kwargs: object) -> _OptionRecorder:
        return self

    def addoption(self, *names: str, **attrs: Any) -> None:
        flag = attrs.get("action") in ("store_true", "store_false", "count")
        (self.flags if flag else self.with_value).update(names)

    def addini(self, *args: object, **kwargs: object) -> None:
        pass


@functools.cache
def _options() -> _OptionRecorder:
    recorder = _OptionRecorder()
    add_options(cast(pytest.Parser, recorder))
    return recorder


def _takes_value(arg: str) -> bool:
    """``--xray-url`` (and every option with a value) without its ``=VALUE``."""
    return arg in _options().with_value


def config_args(args: argparse.Namespace) -> list[str]:
    """``-c FILE`` and ``--rootdir DIR`` as given, for pytest and for the resend command."""
    given = [("-c", args.config_file), ("--rootdir", args.rootdir)]
    return [part for option, value in given if value is not None for part in (option, value)]
