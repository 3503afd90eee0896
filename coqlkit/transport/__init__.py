"""Talking to Zoho: data centres, OAuth, profiles and secrets, retries, limits and credits.

This package is a leaf: it imports httpx and :mod:`coqlkit.errors`, never the language or
the catalog. It takes COQL as text and hands back Zoho's JSON.
"""

from coqlkit.transport.client import AsyncZohoClient, CoqlPage, CreditBudget, RetryPolicy, coql_credits
from coqlkit.transport.config import DEFAULT_SCOPES, Settings, load_settings, save_profile
from coqlkit.transport.datacenters import DATA_CENTERS, DataCenter, Endpoints, endpoints
from coqlkit.transport.secrets import FileTokenStore, Secret, default_store
from coqlkit.transport.sync import ZohoClient

__all__ = [
    "DATA_CENTERS",
    "DEFAULT_SCOPES",
    "AsyncZohoClient",
    "CoqlPage",
    "CreditBudget",
    "DataCenter",
    "Endpoints",
    "FileTokenStore",
    "RetryPolicy",
    "Secret",
    "Settings",
    "ZohoClient",
    "coql_credits",
    "default_store",
    "endpoints",
    "load_settings",
    "save_profile",
]
