"""``python -m pytest_xray.emulator``: run the Xray emulator until SIGINT/SIGTERM.

Prints ``Xray <flavor> emulator listening on <url>`` once it accepts requests, then a line
naming the credentials it accepts (user names, client ids and counts; never a secret).
Credentials can also come from the environment, which keeps them out of ``ps``:
``XRAY_EMULATOR_USERS`` (``alice:s3cret,bob:pw``), ``XRAY_EMULATOR_TOKENS`` (``pat1,pat2``),
``XRAY_EMULATOR_CLIENTS`` (``cid:csecret``).
"""

from __future__ import annotations

import argparse
import os
import signal
import ssl
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from .auth import accepts_credentials, how_to_give_credentials
from .checks import MissingDependencyError
from .emulator import XrayEmulator
from .model import Config

__all__ = ["build_parser", "credentials_line", "main"]

CLI_FIRST_EXECUTION = 900000
"""Dry runs upload a project's real Test keys, often above 1000, in chunks: the execution the
first chunk creates must not take the key of a Test a later chunk sends."""


def _pair(value: str) -> tuple[str, str]:
    name, sep, secret = value.partition(":")
    if not sep or not name or not secret:
        raise argparse.ArgumentTypeError("expected NAME:SECRET")
    return name, secret


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, not {value!r}")
    return number


def _keys(value: str) -> list[str]:
    return [key.strip() for key in value.replace(";", ",").split(",") if key.strip()]


def build_parser() -> argparse.ArgumentParser:
    """The command line parser."""
    parser = argparse.ArgumentParser(
        prog="python -m pytest_xray.emulator",
        description="Run a local Xray emulator (Server/Data Center or Cloud) for dry runs.",
    )
    parser.add_argument("--flavor", choices=("server", "cloud"), default="server")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=0, help="port (0: pick a free one)")
    parser.add_argument("--context-path", default="", help="Server only, e.g. /jira")
    parser.add_argument(
        "--user",
        action="append",
        type=_pair,
        default=[],
        metavar="NAME:PASSWORD",
        help="Server Basic credentials (repeatable)",
    )
    parser.add_argument(
        "--token",
        action="append",
        default=[],
        metavar="PAT",
        help="Server Personal Access Token (repeatable)",
    )
    parser.add_argument(
        "--client",
        action="append",
        type=_pair,
        default=[],
        metavar="ID:SECRET",
        help="Cloud API client credentials (repeatable)",
    )
    parser.add_argument(
        "--known-tests",
        type=_keys,
        default=None,
        metavar="A-1,A-2",
        help="only these test keys exist (default: every well-formed key)",
    )
    parser.add_argument(
        "--non-tests",
        type=_keys,
        default=[],
        metavar="A-1,A-2",
        help="keys of issues that exist but are not Tests",
    )
    parser.add_argument(
        "--known-executions",
        action="extend",
        type=_keys,
        default=[],
        metavar="A-1,A-2",
        help="keys of existing Test Executions that imports may add to (repeatable); with "
        "this or --known-tests, an import into any other key that the emulator did not "
        "create answers 400",
    )
    parser.add_argument(
        "--first-execution",
        type=_positive,
        default=CLI_FIRST_EXECUTION,
        metavar="N",
        help="number of the first Test Execution created in a project (default: %(default)s, "
        "above your Tests' keys)",
    )
    parser.add_argument(
        "--custom-status",
        action="append",
        default=[],
        metavar="STATUS",
        help="an extra Test Run status (repeatable)",
    )
    parser.add_argument(
        "--oauth-consumer",
        action="append",
        type=_pair,
        default=[],
        metavar="KEY:PUBLIC_KEY_FILE",
        help="Server: a Jira OAuth application link and its RSA public key (PEM; repeatable)",
    )
    parser.add_argument(
        "--oauth-token",
        action="append",
        default=[],
        metavar="TOKEN",
        help="Server: an OAuth access token the consumers may use (repeatable)",
    )
    parser.add_argument("--tls-cert", default=None, help="serve HTTPS with this certificate")
    parser.add_argument("--tls-key", default=None, help="key of --tls-cert (if not inside it)")
    parser.add_argument(
        "--tls-client-ca", default=None, help="require client certificates signed by this CA"
    )
    parser.add_argument("--max-body-bytes", type=int, default=None, help="413 above this size")
    parser.add_argument("--no-auth", action="store_true", help="accept anonymous requests")
    parser.add_argument("--no-schema", action="store_true", help="skip JSON schema validation")
    parser.add_argument("--verbose", action="store_true", help="log requests to stderr")
    return parser


def _env_pairs(name: str, parser: argparse.ArgumentParser) -> list[tuple[str, str]]:
    pairs = []
    for item in _keys(os.environ.get(name, "")):
        try:
            pairs.append(_pair(item))
        except argparse.ArgumentTypeError:
            parser.error(f"{name}: expected NAME:SECRET[,NAME:SECRET...]")
    return pairs


def _names(kind: str, names: Sequence[str]) -> str:
    return f"{kind} {', '.join(sorted(names))}"


def _count(kind: str, count: int) -> str:
    return f"{count} {kind}{'s' if count != 1 else ''}"


def credentials_line(config: Config) -> str:
    """What the emulator accepts, for its start-up output: names and counts, never a secret."""
    if not config.require_auth:
        return "Credentials: none needed (--no-auth): every request is accepted"
    if not accepts_credentials(config):
        hint = how_to_give_credentials(config.flavor)
        return f"Credentials: none accepted, every API request answers 401: {hint}"
    accepted: list[str] = []
    ignored: list[str] = []
    if config.flavor == "server":
        if config.users:
            accepted.append(_names("Basic auth for user(s)", list(config.users)))
        if config.tokens:
            accepted.append(_count("Personal Access Token", len(config.tokens)))
        if config.oauth_consumers:
            accepted.append(
                _names("OAuth 1.0a for consumer(s)", list(config.oauth_consumers))
                + f" with {_count('access token', len(config.oauth_tokens))}"
            )
        if config.clients:
            ignored.append("--client (a Cloud setting)")
    else:
        if config.clients:
            accepted.append(_names("API client id(s)", list(config.clients)))
        if config.tokens:
            accepted.append(_count("pre-issued Bearer token", len(config.tokens)))
        if config.users:
            ignored.append("--user (a Server setting)")
        if config.oauth_consumers:
            ignored.append("--oauth-consumer (a Server setting)")
    line = "Credentials: " + "; ".join(accepted)
    if ignored:
        line += f"; ignored: {', '.join(ignored)}"
    return line


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.context_path and args.flavor == "cloud":
        parser.error("--context-path is a Server setting; Cloud has none")
    users = dict(_env_pairs("XRAY_EMULATOR_USERS", parser) + args.user)
    clients = dict(_env_pairs("XRAY_EMULATOR_CLIENTS", parser) + args.client)
    tokens = _keys(os.environ.get("XRAY_EMULATOR_TOKENS", "")) + args.token
    options = {} if args.max_body_bytes is None else {"max_body_bytes": args.max_body_bytes}
    files = [("--oauth-consumer", file) for _, file in args.oauth_consumer]
    files += [("--tls-cert", args.tls_cert), ("--tls-key", args.tls_key)]
    files += [("--tls-client-ca", args.tls_client_ca)]
    for option, path in files:
        try:
            if path is not None:
                Path(path).read_bytes()
        except OSError as exc:
            parser.error(f"{option}: cannot read {path}: {exc.strerror or exc}")
    consumers = {key: Path(file).read_text() for key, file in args.oauth_consumer}
    try:
        emulator = XrayEmulator(
            flavor=args.flavor,
            host=args.host,
            port=args.port,
            context_path=args.context_path,
            users=users,
            tokens=tokens,
            clients=clients,
            known_tests=args.known_tests,
            require_auth=not args.no_auth,
            non_tests=args.non_tests,
            known_executions=args.known_executions,
            custom_statuses=args.custom_status,
            validate_schema=not args.no_schema,
            quiet=not args.verbose,
            oauth_consumers=consumers,
            oauth_tokens=args.oauth_token,
            tls_cert=args.tls_cert,
            tls_key=args.tls_key,
            tls_client_ca=args.tls_client_ca,
            first_execution=args.first_execution,
            **options,
        )
        emulator.start()
    except (ValueError, MissingDependencyError, ssl.SSLError) as exc:
        parser.error(str(exc))
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    print(f"Xray {args.flavor} emulator listening on {emulator.url}", flush=True)
    print(credentials_line(emulator.config), flush=True)
    try:
        while not stop.wait(0.2):
            pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
