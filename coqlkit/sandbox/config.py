"""What a sandbox serves and how it behaves: the options of ``coqlkit sandbox serve``."""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["BULK_OUTCOMES", "CLIENT_ID", "CLIENT_SECRET", "REFRESH_TOKEN", "SandboxConfig"]

# The demo org's credentials. They open nothing but a sandbox, so they may be printed.
CLIENT_ID = "1000.COQLKITSANDBOXCLIENT"
CLIENT_SECRET = "coqlkit-sandbox-client-secret"
REFRESH_TOKEN = "1000.coqlkit-sandbox.refresh-token"

#: How a sandbox's bulk-read job may end (``SandboxConfig.bulk_outcomes``).
BULK_OUTCOMES = ("complete", "stall", "fail")


@dataclass(frozen=True)
class SandboxConfig:
    """Options of the sandbox server (the flags of ``coqlkit sandbox serve``).

    ``latency_ms`` (± ``jitter_ms``) is how long every CRM call takes, the sandbox's own work
    included (an answer that took longer to make leaves as soon as it is made), as Zoho's
    answers take their time whatever its servers do meanwhile; ``fail_rate`` makes that share of
    CRM calls fail (half with a 500 ``INTERNAL_ERROR``, half with a dropped connection);
    ``concurrency`` is the number of CRM calls in flight past which Zoho answers 429;
    ``daily_credits`` is the org's budget (None: unlimited); ``token_ttl`` is the life of an
    access token in seconds; ``token_limit`` how many access tokens one refresh token may get
    in ten minutes (Zoho Accounts: 10; None or 0: no limit); ``active_tokens`` how many of a
    refresh token's access tokens work at once (Zoho: 15, the next one invalidates the
    oldest; None or 0: no cap); ``bulk_seconds`` how long a bulk-read job takes to complete
    and ``bulk_page_rows`` the records of one result page (Zoho: 200,000);
    ``bulk_downloads`` how many bulk-read results the org may download in
    ``bulk_download_seconds`` (Zoho: 10 a minute, whatever the job; None or 0: no limit).
    """

    host: str = "127.0.0.1"
    port: int = 8765
    db: str | None = None
    metadata: str | None = None
    records: int = 25_000
    seed: int = 42
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    fail_rate: float = 0.0
    concurrency: int = 10
    daily_credits: int | None = None
    token_ttl: int = 3600
    token_limit: int | None = 10
    active_tokens: int | None = 15
    bulk_seconds: float = 2.0
    bulk_page_rows: int = 200_000
    bulk_downloads: int | None = 10
    bulk_download_seconds: float = 60.0
    bulk_outcomes: tuple[str, ...] = ()
    time_zone: str = "America/Los_Angeles"
    log_requests: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.fail_rate <= 1.0:
            raise ValueError("fail_rate is a share of calls, between 0 and 1")
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if self.records < 1:
            raise ValueError("records must be at least 1")
        if self.token_ttl < 1:
            raise ValueError("token_ttl must be at least 1 second")
        if self.token_limit is not None and self.token_limit < 0:
            raise ValueError("token_limit cannot be negative (0: no limit)")
        if self.active_tokens is not None and self.active_tokens < 0:
            raise ValueError("active_tokens cannot be negative (0: no cap)")
        if self.bulk_downloads is not None and self.bulk_downloads < 0:
            raise ValueError("bulk_downloads cannot be negative (0: no limit)")
        if not 0 < self.bulk_download_seconds < math.inf:
            raise ValueError("bulk_download_seconds must be a number of seconds more than 0 (Zoho's: 60)")
        if self.bulk_page_rows < 1:
            raise ValueError("bulk_page_rows must be at least 1")
        unknown = sorted(set(self.bulk_outcomes) - set(BULK_OUTCOMES))
        if unknown:
            raise ValueError(
                f"a bulk-read job ends {', '.join(map(repr, BULK_OUTCOMES))}, not {unknown[0]!r}"
            )
        if self.latency_ms < 0 or self.jitter_ms < 0 or self.bulk_seconds < 0:
            raise ValueError("latency, jitter and bulk_seconds cannot be negative")
