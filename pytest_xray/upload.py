"""Sending a report to Xray: in chunks, once, resumable.

The first request creates the Test Execution (:func:`create_execution`), every later one
imports into its key (:func:`import_into`), which is safe to repeat. Progress is recorded after
each request (:mod:`pytest_xray.progress`), so a resend skips what Xray already has; a 413
halves the chunk and tries again. Used by the session end and by ``pytest-xray upload``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pytest_xray.answers import ImportResult
from pytest_xray.chunks import Chunk, Limits, encode_body, next_chunk
from pytest_xray.client import XrayClient
from pytest_xray.errors import TooLargeError, UncertainError, XrayError
from pytest_xray.payload import execution_issue
from pytest_xray.progress import Progress, ProgressFile

__all__ = [
    "Announce",
    "PartialUploadError",
    "Upload",
    "create_execution",
    "import_into",
    "send_payload",
]

Announce = Callable[[str], None]
"""Told a short line about the upload's requests as they go, for the terminal: which results a
request of a chunked upload carries ("chunk 2 of 5: results 1001-2000 of 5000")."""


@dataclass
class Upload:
    """What an upload did: the execution, Xray's complaints, and how much was sent now."""

    key: str
    requests: int = 0
    sent: int = 0
    skipped: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    info_messages: list[str] = field(default_factory=list)
    unsent: list[str] = field(default_factory=list)
    """After a failure part-way (:class:`PartialUploadError`): the test keys of the entries
    not sent (``tests[N]`` for an entry without a key), in the order they were to go."""

    def as_import_result(self) -> ImportResult:
        """The upload as one import's answer."""
        return ImportResult(
            key=self.key, failed=list(self.failed), info_messages=list(self.info_messages)
        )


class PartialUploadError(XrayError):
    """An upload that failed after part of the report reached Xray: :attr:`upload` names the
    Test Execution that holds it, what Xray did not record of it, and what was not sent."""

    def __init__(self, message: str, upload: Upload, *, status: int | None = None) -> None:
        super().__init__(message, status=status)
        self.upload = upload


def create_execution(client: XrayClient, head: dict[str, Any], parts: list[bytes]) -> ImportResult:
    """The first request: creates the Test Execution from ``head["info"]`` with the first
    chunk, through the multipart endpoint when ``xray_execution_fields`` gives it Jira fields.
    Never repeated once it may have reached Xray."""
    return _post_create(client, *_create_request(client, head, parts))


def _create_request(
    client: XrayClient, head: dict[str, Any], parts: list[bytes]
) -> tuple[bytes, dict[str, Any] | None]:
    """The body of a create, and the Jira fields of its multipart variant (or ``None``)."""
    return encode_body(head, parts), execution_issue(head, client.settings)


def _post_create(client: XrayClient, body: bytes, issue: dict[str, Any] | None) -> ImportResult:
    if issue is not None:
        return client.import_multipart(body, issue)
    return client.import_json(body, creates=True)


def import_into(
    client: XrayClient, key: str, head: dict[str, Any], parts: list[bytes]
) -> ImportResult:
    """Import a chunk into the existing execution ``key``: re-importing only updates the same
    Test Runs, so this is safe to repeat."""
    return client.import_json(encode_body({"testExecutionKey": key, **head}, parts), creates=False)


class _Sender:
    """One upload's state: the execution key, the progress, the chunk limits."""

    def __init__(
        self,
        client: XrayClient,
        payload: dict[str, Any],
        progress_file: ProgressFile | None,
        new_execution: bool,
    ) -> None:
        self.client = client
        self.tests: list[dict[str, Any]] = payload["tests"]
        self.head = {k: v for k, v in payload.items() if k not in ("tests", "testExecutionKey")}
        self.file = progress_file
        self.progress = progress_file.load(len(self.tests)) if progress_file else Progress()
        self.progress.total = len(self.tests)
        earlier = progress_file.earlier if progress_file else None
        self.key: str | None = self._starting_key(payload.get("testExecutionKey"), new_execution)
        if earlier is not None and client.notify is not None:
            warning = self._changed_warning(earlier)
            if warning:
                client.notify(warning)
        self.limits = Limits(client.settings.chunk_tests, client.settings.chunk_bytes)
        self.upload = Upload(key=self.key or "")
        self.announce: Announce | None = None
        self.pending: list[int] = []
        """The indices of ``tests`` this upload sends, in order; ``pending[:position]`` went."""
        self.position = 0
        self.cut_by_bytes = False
        """A chunk held fewer tests than the limit because of its size: the number of chunks
        announced is an estimate."""

    def _where(self) -> str:
        return str(self.file.report) if self.file else "the report"

    def _starting_key(self, given: object, new_execution: bool) -> str | None:
        state = self.progress
        key = given if isinstance(given, str) and given else None
        if state.execution is not None:
            if key is not None and key != state.execution:
                raise XrayError(
                    f"{self._where()} was already partly sent to Test Execution "
                    f"{state.execution}; resend it there (without --xray-execution), or delete "
                    f"{self.file.path if self.file else 'its progress file'} to start over."
                )
            if state.url is not None and state.url != self.client.base:
                raise XrayError(
                    f"{self._where()} was partly sent to {state.url} (Test Execution "
                    f"{state.execution}), not {self.client.base}; resend it there."
                )
            return state.execution
        if key is not None:
            # Recorded before the first request: a resend without --xray-execution goes on
            # into this execution, and "nothing to send" can name it.
            state.execution, state.url, state.creating_since = key, self.client.base, None
            self.save()
            return key
        if state.creating_since is not None and not new_execution:
            raise UncertainError(
                f"an earlier upload of {self._where()} got no answer when creating a Test "
                f"Execution ({state.creating_since}), so one may exist"
            )
        if state.sent and not state.done:
            # Progress of an older pytest-xray, which recorded no key it was given.
            raise XrayError(
                f"{self._where()} was already partly sent to a Test Execution its progress file "
                "does not name; resend it with --xray-execution KEY (that execution)."
            )
        return None

    def _changed_warning(self, earlier: Progress) -> str | None:
        """What a report that changed since part of it was sent is about to do."""
        if earlier.execution is not None and (earlier.sent or earlier.not_recorded):
            if self.key == earlier.execution:
                return None
            going = (
                f"the results go to Test Execution {self.key}"
                if self.key
                else "a new Test Execution is created"
            )
            return (
                f"WARNING: {self._where()} changed since part of it was sent to Test Execution "
                f"{earlier.execution}; its progress starts afresh and {going} (to add the results "
                f"to {earlier.execution} instead: --xray-execution {earlier.execution})"
            )
        if earlier.creating_since is not None and earlier.execution is None and not self.key:
            return (
                f"WARNING: {self._where()} changed since an upload of it got no answer when "
                f"creating a Test Execution ({earlier.creating_since}); Xray may have created "
                "one, and this upload creates another"
            )
        return None

    def save(self) -> None:
        if self.file is not None:
            self.file.save(self.progress)

    def run(self) -> Upload:
        try:
            return self._run()
        except UncertainError:
            raise
        except XrayError as error:
            if self.key is None or not self.progress.sent:
                raise  # Xray answered no import into an execution (a resend's earlier count)
            has = self.progress.sent - len(self.progress.not_recorded)
            self.upload.key = self.key
            self.upload.unsent = [self._label(i) for i in self.pending[self.position :]]
            raise PartialUploadError(
                f"{error} (Test Execution {self.key} has {has} of {len(self.tests)} results; "
                "a resend sends the rest)",
                self.upload,
                status=error.status,
            ) from None

    def _run(self) -> Upload:
        state = self.progress
        retry_failed = set(state.not_recorded)  # not recorded last time: send them again
        failed_now: set[int] = set()
        pending = sorted(retry_failed) + list(range(state.sent, len(self.tests)))
        self.upload.skipped = len(self.tests) - len(pending)
        self.pending, self.position = pending, 0
        while self.position < len(pending):
            chunk = next_chunk(self.tests, pending, self.position, self.limits, self.head)
            if self.announce is not None and len(chunk) < len(pending):
                self._announce(chunk)
            try:
                result = self._send(chunk)
            except TooLargeError as error:
                self._shrink(chunk, error)
                continue
            self.position += len(chunk)
            self.upload.requests += 1
            self.upload.sent += len(chunk)
            self.upload.info_messages.extend(result.info_messages)
            self.upload.failed.extend(result.failed)
            refused = {key for key, _ in result.failed}
            failed_now.update(i for i in chunk.indices if self.tests[i].get("testKey") in refused)
            retry_failed.difference_update(chunk.indices)
            state.not_recorded = sorted(retry_failed | failed_now)
            state.sent = max(state.sent, max(chunk.indices) + 1)
            self.save()
        self.upload.key = self.key or ""
        return self.upload

    def _label(self, index: int) -> str:
        key = self.tests[index].get("testKey")
        return key if isinstance(key, str) and key else f"tests[{index}]"

    def _announce(self, chunk: Chunk) -> None:
        """``chunk 2 of 5: results 1001-2000 of 5000``. The chunks still to go are counted as
        large as this one: exact while the test limit makes them, ``about`` once the byte
        limit has cut one short (a 413's smaller chunks are counted anew)."""
        assert self.announce is not None
        total = len(self.pending)
        first, last = self.position + 1, self.position + len(chunk)
        rest = total - last
        if rest and len(chunk) < self.limits.tests:
            self.cut_by_bytes = True
        number = self.upload.requests + 1
        chunks = number + -(-rest // len(chunk))
        about = "about " if rest and self.cut_by_bytes else ""
        which = f"result {first}" if first == last else f"results {first}-{last}"
        self.announce(f"chunk {number} of {about}{chunks}: {which} of {total}")

    def _send(self, chunk: Chunk) -> ImportResult:
        if self.key is not None:
            return import_into(self.client, self.key, self.head, chunk.parts)
        state = self.progress
        # Built before the mark: whatever fails here, nothing was sent, nothing was created.
        body, issue = _create_request(self.client, self.head, chunk.parts)
        state.url = self.client.base
        state.mark_creating()
        self.save()
        try:
            result = _post_create(self.client, body, issue)
        except UncertainError:
            raise  # the mark stays: a resend must not create blindly
        except XrayError:
            state.creating_since = None  # surely nothing was created
            self.save()
            raise
        self.key = state.execution = result.key
        state.creating_since = None
        return result

    def _shrink(self, chunk: Chunk, error: TooLargeError) -> None:
        if len(chunk) == 1:
            test = self.tests[chunk.indices[0]]
            name = test.get("testKey") or "one test"
            raise XrayError(
                f"{error}: the result of {name} alone is {size_text(chunk.size)}; "
                "make its evidence smaller."
            ) from None
        self.limits = chunk_limits = self.limits.shrunk(chunk)
        if self.client.notify is not None:
            self.client.notify(
                f"{error}; sending at most {chunk_limits.tests} tests "
                f"({size_text(chunk_limits.bytes)}) per request"
            )


def size_text(size: int) -> str:
    """``size`` bytes for people: ``48.8 KiB``, ``20.0 MiB``."""
    if size < 1024**2:
        return f"{size / 1024:.1f} KiB"
    return f"{size / 1024**2:.1f} MiB"


def send_payload(
    client: XrayClient,
    payload: dict[str, Any],
    progress_file: ProgressFile | None = None,
    *,
    new_execution: bool = False,
    announce: Announce | None = None,
) -> Upload:
    """Send ``payload`` in chunks, skipping what ``progress_file`` says Xray already has.

    ``new_execution``: create an execution even though an earlier attempt may have created
    one (the user checked). Raises :class:`XrayError` (:class:`UncertainError` when a create
    may have happened) after recording the progress.
    """
    sender = _Sender(client, payload, progress_file, new_execution)
    sender.announce = announce
    return sender.run()
