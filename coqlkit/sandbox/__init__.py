"""A local Zoho-CRM-compatible server over SQLite, seeded with a demo org (extra ``coqlkit[sandbox]``).

>>> from coqlkit.sandbox import Sandbox
>>> with Sandbox(records=500) as sandbox:                   # doctest: +SKIP
...     sandbox.base_url, sandbox.environment()["ZOHO_CLIENT_ID"]

``Sandbox`` runs the server in a background thread on a free port; ``coqlkit sandbox serve``
runs it in the foreground. Starlette and uvicorn are imported only when a server starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from coqlkit.sandbox.config import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, SandboxConfig

if TYPE_CHECKING:  # pragma: no cover
    from coqlkit.sandbox.server import Sandbox, environment, serve

__all__ = ["CLIENT_ID", "CLIENT_SECRET", "REFRESH_TOKEN", "Sandbox", "SandboxConfig", "environment", "serve"]


def __getattr__(name: str) -> Any:
    if name in ("Sandbox", "environment", "serve"):
        try:
            from coqlkit.sandbox import server
        except ImportError as exc:  # pragma: no cover - only without the extra
            raise ImportError(
                f"the sandbox needs its extra: pip install 'coqlkit[sandbox]' ({exc.name} is missing)"
            ) from exc
        return getattr(server, name)
    raise AttributeError(name)
