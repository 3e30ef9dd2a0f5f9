"""The retry rule and the chunk planner as pure functions (no sockets, no sleeping)."""

from __future__ import annotations

import json

import pytest

from pytest_xray import retry
from pytest_xray.chunks import Limits, encode_body, encode_test, next_chunk
from pytest_xray.errors import TransientError, UncertainError, XrayError
from pytest_xray.retry import RetryPolicy, call_with_retries


class Flaky:
    """Fails with ``errors`` in turn, then answers "ok"."""

    def __init__(self, *errors: TransientError) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def ambiguous() -> TransientError:
    return TransientError("read timeout", reached=True)


def refused() -> TransientError:
    return TransientError("connection refused", reached=False)


def test_a_create_is_not_repeated_once_it_may_have_reached_xray(sleeps: list[float]) -> None:
    send = Flaky(ambiguous())
    with pytest.raises(UncertainError, match="read timeout; the request may have created"):
        call_with_retries(send, RetryPolicy(), repeatable=False)
    assert send.calls == 1
    assert sleeps == []


def test_a_create_is_repeated_when_nothing_was_sent(sleeps: list[float]) -> None:
    send = Flaky(refused(), TransientError("429", reached=False, retry_after="3"))
    assert call_with_retries(send, RetryPolicy(), repeatable=False) == "ok"
    assert send.calls == 3
    assert sleeps[1] == 3.0


def test_a_repeatable_request_is_repeated_after_an_ambiguous_failure(sleeps: list[float]) -> None:
    send = Flaky(ambiguous(), ambiguous())
    notes: list[str] = []
    assert call_with_retries(send, RetryPolicy(), repeatable=True, notify=notes.append) == "ok"
    assert notes[0].startswith("read timeout; retry 1 of 4 in ")
    assert len(sleeps) == 2


def test_no_retries_configured(sleeps: list[float]) -> None:
    with pytest.raises(XrayError, match=r"refused \(gave up after 1 attempt; see xray_retries\)"):
        call_with_retries(Flaky(refused()), RetryPolicy(retries=0), repeatable=True)
    assert sleeps == []


@pytest.mark.parametrize("attempt", [1, 2, 3, 6, 10])
def test_backoff_is_exponential_with_jitter_and_capped(attempt: int) -> None:
    policy = RetryPolicy(max_wait=20.0)
    ceiling = min(2.0 ** (attempt - 1), 30.0, 20.0)
    waits = {policy.backoff(attempt) for _ in range(50)}
    assert all(ceiling / 2 <= wait <= ceiling for wait in waits)
    assert len(waits) > 1  # jittered


@pytest.mark.parametrize(
    "value", [None, "", "0", "-5", "nan", "-inf", "soon", "Thu, 01 Jan 1970 00:00:00 GMT"]
)
def test_a_retry_after_that_asks_for_no_wait_counts_as_absent(value: str | None) -> None:
    assert retry.retry_after_seconds(value) is None


@pytest.mark.parametrize("value", ["0", "-5", "nan", "Thu, 01 Jan 1970 00:00:00 GMT"])
def test_our_backoff_applies_when_retry_after_asks_for_no_wait(
    sleeps: list[float], value: str
) -> None:
    send = Flaky(*(TransientError("429", reached=False, retry_after=value) for _ in range(3)))
    assert call_with_retries(send, RetryPolicy(), repeatable=True) == "ok"
    assert len(sleeps) == 3
    assert 0.5 <= sleeps[0] <= 1.0
    assert 1.0 <= sleeps[1] <= 2.0
    assert 2.0 <= sleeps[2] <= 4.0


@pytest.mark.parametrize("value", ["inf", "Infinity", "1e400"])
def test_an_endless_retry_after_gives_up_at_once(sleeps: list[float], value: str) -> None:
    send = Flaky(TransientError("429", reached=False, retry_after=value))
    said = (
        r"^429; Xray asked to retry after an endless wait \(Retry-After\), longer than "
        r"xray_max_wait \(120 s\): gave up$"
    )
    with pytest.raises(XrayError, match=said):
        call_with_retries(send, RetryPolicy(max_wait=120), repeatable=True)
    assert send.calls == 1
    assert sleeps == []


TESTS = [{"testKey": f"CALC-{n}", "status": "PASS", "comment": "x" * (n * 10)} for n in range(1, 9)]
HEAD = {"info": {"project": "CALC"}}


def test_chunks_respect_the_test_count() -> None:
    chunk = next_chunk(TESTS, range(8), 0, Limits(tests=3, bytes=10**6), HEAD)
    assert chunk.indices == [0, 1, 2]
    later = next_chunk(TESTS, range(8), 6, Limits(tests=3, bytes=10**6), HEAD)
    assert later.indices == [6, 7]


def test_chunks_respect_the_byte_budget_with_the_head() -> None:
    limit = 400
    chunk = next_chunk(TESTS, range(8), 0, Limits(tests=100, bytes=limit), HEAD)
    body = encode_body({"testExecutionKey": "CALC-1000", **HEAD}, chunk.parts)
    assert len(body) <= limit
    grown = encode_body(HEAD, [*chunk.parts, encode_test(TESTS[len(chunk)])])
    assert len(grown) > limit - 64  # the next entry would not have fitted (with the key)


def test_an_entry_larger_than_the_budget_travels_alone() -> None:
    chunk = next_chunk(TESTS, [7, 0], 0, Limits(tests=100, bytes=10), HEAD)
    assert chunk.indices == [7]


def test_encoded_body_is_the_payload() -> None:
    head = {"testExecutionKey": "CALC-9", "info": {"summary": "é ünïcode"}}
    body = encode_body(head, [encode_test(t) for t in TESTS[:2]])
    assert json.loads(body) == {**head, "tests": TESTS[:2]}


def test_shrinking_halves_what_was_refused() -> None:
    chunk = next_chunk(TESTS, range(8), 0, Limits(tests=8, bytes=10**6), HEAD)
    smaller = Limits(8, 10**6).shrunk(chunk)
    assert smaller.tests == 4
    assert smaller.bytes == chunk.size // 2
