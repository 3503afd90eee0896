"""Zoho's data centres: where each one's API and accounts server live (reference §8)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from coqlkit.errors import ConfigError

__all__ = ["DATA_CENTERS", "ENVIRONMENTS", "DataCenter", "Endpoints", "endpoints", "this_machine"]

ENVIRONMENTS = ("production", "developer", "sandbox")


@dataclass(frozen=True)
class DataCenter:
    """One of Zoho's data centres: the suffix of its API domain and its accounts server."""

    key: str
    region: str
    api_suffix: str  # zohoapis.<api_suffix>
    accounts: str

    def api_domain(self, environment: str = "production") -> str:
        """``https://www.zohoapis.com``, or the developer / sandbox environment's domain."""
        host = {"production": "www", "developer": "developer", "sandbox": "sandbox"}[environment]
        return f"https://{host}.zohoapis.{self.api_suffix}"


DATA_CENTERS: dict[str, DataCenter] = {
    dc.key: dc
    for dc in (
        DataCenter("us", "United States", "com", "https://accounts.zoho.com"),
        DataCenter("eu", "Europe", "eu", "https://accounts.zoho.eu"),
        DataCenter("in", "India", "in", "https://accounts.zoho.in"),
        DataCenter("au", "Australia", "com.au", "https://accounts.zoho.com.au"),
        DataCenter("jp", "Japan", "jp", "https://accounts.zoho.jp"),
        DataCenter("ca", "Canada", "ca", "https://accounts.zohocloud.ca"),
        DataCenter("cn", "China", "com.cn", "https://accounts.zoho.com.cn"),
        DataCenter("sa", "Saudi Arabia", "sa", "https://accounts.zoho.sa"),
    )
}


@dataclass(frozen=True)
class Endpoints:
    """Where to send CRM calls (``api_base``) and token requests (``accounts``)."""

    api_base: str
    accounts: str
    data_center: str | None = None
    environment: str = "production"

    @property
    def token_url(self) -> str:
        return f"{self.accounts}/oauth/v2/token"


def endpoints(
    dc: str | None = None,
    environment: str | None = None,
    *,
    base_url: str | None = None,
    accounts_url: str | None = None,
) -> Endpoints:
    """The endpoints of a data centre and environment, or of a custom base URL.

    A custom ``base_url`` (the local sandbox, say) has its accounts server on the same host
    unless ``accounts_url`` says otherwise. Plain ``http://`` is refused but for this machine
    (127.0.0.0/8, ::1, localhost): secrets and tokens would cross the network unencrypted.

    >>> endpoints("eu").api_base, endpoints("eu").token_url
    ('https://www.zohoapis.eu', 'https://accounts.zoho.eu/oauth/v2/token')
    >>> endpoints("in", "sandbox").api_base
    'https://sandbox.zohoapis.in'
    >>> endpoints(base_url="http://127.0.0.1:8765/").token_url
    'http://127.0.0.1:8765/oauth/v2/token'
    >>> endpoints(base_url="http://crm.example.com")
    Traceback (most recent call last):
    ...
    coqlkit.errors.ConfigError: the base URL is plain http:// to crm.example.com, another machine: the client secret and tokens would cross the network unencrypted; use https:// (plain http:// is only for this machine: 127.0.0.1, ::1, localhost)
    """
    environment = (environment or "production").lower()
    if environment not in ENVIRONMENTS:
        raise ConfigError(f"unknown environment {environment!r}: use one of {', '.join(ENVIRONMENTS)}")
    if accounts_url:
        _check_url("accounts URL", accounts_url)
    if base_url:
        _check_url("base URL", base_url)
        base = base_url.rstrip("/")
        return Endpoints(base, (accounts_url or base).rstrip("/"), dc, environment)
    key = (dc or "us").lower()
    center = DATA_CENTERS.get(key)
    if center is None:
        raise ConfigError(f"unknown data centre {dc!r}: use one of {', '.join(DATA_CENTERS)}")
    return Endpoints(
        center.api_domain(environment), (accounts_url or center.accounts).rstrip("/"), key, environment
    )


def _check_url(what: str, url: str) -> None:
    """``https://`` anywhere, ``http://`` to this machine only."""
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"the {what} {url!r} must start with http:// or https://")
    if url.startswith("http://"):
        try:
            host = urlsplit(url).hostname or ""
        except ValueError:  # a bad [IPv6] or port: httpx says what is wrong with it
            return
        if not this_machine(host):
            raise ConfigError(
                f"the {what} is plain http:// to {host or 'no host'}, another machine: the client "
                "secret and tokens would cross the network unencrypted; use https:// (plain "
                "http:// is only for this machine: 127.0.0.1, ::1, localhost)"
            )


def this_machine(host: str) -> bool:
    """A loopback address, or ``localhost``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
