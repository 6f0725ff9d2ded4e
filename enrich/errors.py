"""The error hierarchy: every failure a user can meet, each carrying its own exit status.

Core modules raise these; only the CLI turns them into one line on stderr and an exit code,
so there is exactly one place that maps failures to exit statuses.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any


class ExitStatus(IntEnum):
    """Named exit statuses, stable so scripts and CI can rely on them."""

    OK = 0
    FINDINGS = 1  # check found problems, or a batch had failures
    USAGE = 2  # bad flags (click's own code)
    INPUT = 3  # an input file cannot be used
    CONFIG = 4  # no endpoint, bad profile or config
    ENDPOINT = 5  # the model endpoint refused, failed or was unreachable
    INVALID = 6  # the model's answer never validated
    EXISTS = 7  # would clobber an existing file without --force
    LOCKED = 8  # another run holds the lock
    INTERRUPTED = 130


class EnrichError(Exception):
    """Base of every expected failure; the message is one line a person can act on."""

    exit_status: ExitStatus = ExitStatus.FINDINGS

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.usage: Any = None  # tokens already paid for when a draft failed part-way (enrich.model.client.Usage)

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class InputError(EnrichError):
    """The input file is missing, binary, undecodable or malformed."""

    exit_status = ExitStatus.INPUT


class WriteError(InputError, OSError):
    """A file cannot be written: disk full (ENOSPC), file-size limit (EFBIG), quota, read-only, no permission.

    Also an OSError carrying the errno, so best-effort writers that ignore OSError (caches of
    capabilities, logs) keep doing so."""

    def __init__(self, message: str, *, path: str | None = None, errno: int | None = None) -> None:
        super().__init__(message, path=path)
        self.errno = errno


class ConfigError(EnrichError):
    """Settings, profile or prompt files are missing or wrong."""

    exit_status = ExitStatus.CONFIG


class EndpointError(EnrichError):
    """The model endpoint failed in a way retrying will not fix (or retries ran out)."""

    exit_status = ExitStatus.ENDPOINT

    def __init__(self, message: str, *, path: str | None = None, fatal: bool = False, status: int | None = None) -> None:
        super().__init__(message, path=path)
        # fatal: the same failure will happen for every file (bad key, quota, unreachable);
        # decided by the retry policy (enrich.model.policy.Fault), carried here
        self.fatal = fatal
        self.status = status  # the HTTP status behind it, when there was one


class RateLimitedError(EndpointError):
    """The endpoint asked us to wait longer than the deadline allows; batch parks the file (the policy decides)."""

    def __init__(self, message: str, *, retry_after: float | None = None, path: str | None = None) -> None:
        super().__init__(message, path=path, status=429)
        self.retry_after = retry_after


class HaltedError(EndpointError):
    """A run was stopped (a fatal error elsewhere, a budget): requests not yet sent are not sent."""


class ValidationFailed(EnrichError):
    """The model's answer did not satisfy the profile even after repair attempts."""

    exit_status = ExitStatus.INVALID

    def __init__(self, message: str, *, problems: list[str], path: str | None = None) -> None:
        super().__init__(message, path=path)
        self.problems = problems


class ExistsError(EnrichError):
    """Writing would overwrite a file a person may have edited."""

    exit_status = ExitStatus.EXISTS


class LockedError(EnrichError):
    """Another enrich process holds the lock on this folder."""

    exit_status = ExitStatus.LOCKED
