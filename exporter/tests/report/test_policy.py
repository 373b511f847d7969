from __future__ import annotations

import email.utils
from typing import List

import pytest

from primus_lens_wandb_exporter.report import retry as policy
from primus_lens_wandb_exporter.report.outbox import why_undelivered


@pytest.mark.parametrize("status", [0, 429, 500, 502, 503, 504])
def test_transient_answers_are_retried(status: int) -> None:
    assert policy.is_retryable(status)


@pytest.mark.parametrize("status", [200, 400, 401, 404, 413, 415, 422])
def test_final_answers_are_not_retried(status: int) -> None:
    assert not policy.is_retryable(status)


def test_backoff_doubles_from_half_a_second_within_the_jitter() -> None:
    for attempt, base in enumerate([0.5, 1.0, 2.0, 4.0, 8.0]):
        assert policy.backoff_s(attempt, lambda: 0.0) == pytest.approx(base * 0.8)
        assert policy.backoff_s(attempt, lambda: 1.0) == pytest.approx(base * 1.2)
        assert policy.backoff_s(attempt, lambda: 0.5) == pytest.approx(base)


def test_backoff_is_capped_even_for_absurd_attempt_numbers() -> None:
    assert policy.backoff_s(10_000, lambda: 1.0) == pytest.approx(policy.MAX_BACKOFF_S * 1.2)


def test_retry_after_in_seconds() -> None:
    assert policy.parse_retry_after("7", now_epoch_s=0.0) == 7.0
    assert policy.parse_retry_after(" 1.5 ", now_epoch_s=0.0) == 1.5


def test_retry_after_http_date_in_the_future_counts_from_now() -> None:
    now = 1_700_000_000.0
    header = email.utils.formatdate(now + 42, usegmt=True)
    assert policy.parse_retry_after(header, now) == pytest.approx(42, abs=1)


def test_retry_after_http_date_in_the_past_means_now() -> None:
    assert policy.parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1_700_000_000.0) == 0.0


@pytest.mark.parametrize("header", [None, "", "soon", "NaN"])
def test_unusable_retry_after_is_ignored(header: str) -> None:
    assert policy.parse_retry_after(header, 0.0) is None


def test_retry_after_is_capped_and_never_negative() -> None:
    assert policy.parse_retry_after("999999", 0.0) == policy.MAX_RETRY_AFTER_S
    assert policy.parse_retry_after("-5", 0.0) == 0.0


# (status, reason, base URL, has token) -> words the message must hold
WHY_CASES = [
    (401, "Unauthorized", "http://lens:8080/api/v1", False, ["requires a token", "set PRIMUS_LENS_API_TOKEN",
                                                              "http://lens:8080/api/v1/wandb/metrics"]),
    (401, "Unauthorized", "http://lens:8080/api/v1", True, ["rejected PRIMUS_LENS_API_TOKEN"]),
    (403, "Forbidden", "http://lens:8080/api/v1", True, ["PRIMUS_LENS_API_TOKEN may not send data here"]),
    (404, "Not Found", "http://lens:8080", False, ["HTTP 404 Not Found at http://lens:8080/wandb/metrics",
                                                   "probably lacks /api/v1"]),
    (0, "ConnectionRefusedError: [Errno 111] Connection refused", "http://lens:8080/api/v1", False,
     ["API unreachable (connection refused: nothing listens at lens:8080)"]),
    (0, "gaierror: [Errno -2] Name or service not known", "http://nohost:8080/api/v1", False,
     ["host name not found (DNS): nohost"]),
    (0, "TimeoutError: timed out", "http://lens:8080/api/v1", False, ["no answer from lens:8080 within PRIMUS_LENS_WANDB_TIMEOUT"]),
    (503, "Service Unavailable", "http://lens:8080/api/v1", False, ["HTTP 503 Service Unavailable"]),
]


@pytest.mark.parametrize("status,reason,base,has_token,words", WHY_CASES)
def test_why_undelivered_names_the_setting_to_change(status: int, reason: str, base: str, has_token: bool,
                                                     words: List[str]) -> None:
    message = why_undelivered(status, reason, base, "/wandb/metrics", has_token)
    for word in words:
        assert word in message, message
    assert "LENS_API_TOKEN" not in message.replace("PRIMUS_LENS_API_TOKEN", "")  # never the server's variable


def test_a_404_under_api_v1_does_not_blame_the_prefix() -> None:
    assert "lacks /api/v1" not in why_undelivered(404, "Not Found", "http://lens/api/v1", "/wandb/metrics", False)


@pytest.mark.parametrize("status", sorted(policy.CONFIG_ERROR_STATUSES))
def test_configuration_errors_are_kept_not_dropped(status: int) -> None:
    assert policy.is_config_error(status) and not policy.is_retryable(status) and not policy.is_success(status)
