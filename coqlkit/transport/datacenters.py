"""Zoho's data centres: where each one's API and accounts server live (reference §8)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from coqlkit.errors import ConfigError

__all__ = [
    "DATA_CENTERS",
    "ENVIRONMENTS",
    "DataCenter",
    "Endpoints",
    "endpoints",
    "in_environment",
    "this_machine",
]

ENVIRONMENTS = ("production", "developer", "sandbox")

#: The first label of each environment's API host (``www.zohoapis.eu``, ``sandbox.zohoapis.eu``).
HOST_LABELS = {"production": "www", "developer": "developer", "sandbox": "sandbox"}


@dataclass(frozen=True)
class DataCenter:
    """One of Zoho's data centres: the suffix of its API domain and its accounts server."""

    key: str
    region: str
    api_suffix: str  # zohoapis.<api_suffix>
    accounts: str

    def api_domain(self, environment: str = "production") -> str:
        """``https://www.zohoapis.com``, or the developer / sandbox environment's domain."""
        return f"https://{HOST_LABELS[environment]}.zohoapis.{self.api_suffix}"


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
    given = environment.lower() if environment else None
    environment = given or "production"
    if environment not in ENVIRONMENTS:
        raise ConfigError(f"unknown environment {environment!r}: use one of {', '.join(ENVIRONMENTS)}")
    if accounts_url:
        _check_url("accounts URL", accounts_url)
    if base_url:
        _check_url("base URL", base_url)
        base = base_url.rstrip("/")
        return Endpoints(base, (accounts_url or base).rstrip("/"), dc, _environment_of(base, given))
    key = (dc or "us").lower()
    center = DATA_CENTERS.get(key)
    if center is None:
        raise ConfigError(f"unknown data centre {dc!r}: use one of {', '.join(DATA_CENTERS)}")
    return Endpoints(
        center.api_domain(environment), (accounts_url or center.accounts).rstrip("/"), key, environment
    )


def _environment_of(base_url: str, given: str | None) -> str:
    """The environment of a base URL that is one of Zoho's API hosts (its first label:
    ``sandbox.zohoapis.eu`` is the sandbox's), so that a token's ``api_domain`` cannot move
    its calls to another environment's org; ``given`` (production when None) for any other
    host. A Zoho host of one environment given with another is refused.

    >>> _environment_of("https://sandbox.zohoapis.com", None), _environment_of("http://127.0.0.1:8765", None)
    ('sandbox', 'production')
    >>> _environment_of("https://www.zohoapis.eu", "sandbox")
    Traceback (most recent call last):
    ...
    coqlkit.errors.ConfigError: the base URL https://www.zohoapis.eu is the production environment's host, and the environment is sandbox: give one of them, or both alike
    """
    host = urlsplit(base_url).hostname or ""
    label = _API_LABEL.match(host)
    if label is None:
        return given or "production"
    found = {v: k for k, v in HOST_LABELS.items()}[label.group(1).lower()]
    if given is not None and given != found:
        raise ConfigError(
            f"the base URL {base_url} is the {found} environment's host, and the environment is "
            f"{given}: give one of them, or both alike"
        )
    return found


#: A host of one of Zoho's API domains, in any environment (``sandbox.zohoapis.com.au``).
_SUFFIXES = "|".join(re.escape(dc.api_suffix) for dc in DATA_CENTERS.values())
_API_HOST = re.compile(rf"^(?:www|developer|sandbox)\.zohoapis\.({_SUFFIXES})$", re.I)
_API_LABEL = re.compile(rf"^(www|developer|sandbox)\.zohoapis\.(?:{_SUFFIXES})$", re.I)


def in_environment(api_domain: str, environment: str) -> str | None:
    """``api_domain`` (a token response's) in ``environment``: its data centre kept, its
    environment label replaced by the configured one's; None for a host that is not one of
    Zoho's API hosts (``www.``, ``developer.`` or ``sandbox.zohoapis.<suffix>`` of a data
    centre in :data:`DATA_CENTERS`).

    A token response names the org's data centre; whether Zoho Accounts answers a sandbox
    or developer org's token with that environment's host or production's is not
    documented. Taken raw, a ``www.`` answer sent the calls of a profile configured for the
    sandbox to the production org; kept to the configured environment, they cannot be.

    >>> in_environment("https://www.zohoapis.eu", "sandbox")
    'https://sandbox.zohoapis.eu'
    >>> in_environment("https://sandbox.zohoapis.com.au/", "developer")
    'https://developer.zohoapis.com.au'
    >>> in_environment("https://www.zohoapis.in", "production")
    'https://www.zohoapis.in'
    >>> in_environment("https://crm.example.com", "sandbox"), in_environment("https://www.zohoapis.eu.example.com", "sandbox")
    (None, None)
    """
    try:
        parts = urlsplit(api_domain.strip())
        host, port = parts.hostname or "", parts.port
    except ValueError:
        return None
    found = _API_HOST.match(host)
    if found is None or parts.scheme != "https":
        return None
    return f"https://{HOST_LABELS[environment]}.zohoapis.{found.group(1).lower()}" + (
        f":{port}" if port else ""
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
