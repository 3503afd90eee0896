"""``--stats-json FILE``: what a run of ``coqlkit query`` or ``export`` did and spent, as
one JSON object, for a job to parse (the summary line is for people: thousands
separators, ``·``, gone with ``-q``, and ``query`` says it only on a terminal).

The file is written at the end of the run whatever the end (a failure, a signal), atomically
(a reader never sees half of it), and checked before anything is spent, as an export's
target is. Its keys:

``command`` (``query``, ``export``), ``exit_status`` (the process's), ``seconds``,
``rows`` (written to the output or the file, by the queries that finished), ``queries``
(planned and run, or started), ``strategies`` (how each read its rows: ``offset pages``,
``bulk read``... as the summary line names it), ``calls`` (sent: metadata's and retries
included), ``credits`` (what Zoho charged for the calls it answered, metadata included:
the figure of ``coqlkit: spent N credits``), ``query_credits`` (the part the queries
spent, COUNT probes and reads, as each query's summary counts them), ``metadata_credits``
(the rest: the org, its modules, the fields of the modules read; and the COUNT probe of
a query the credit budget then refused, which no query ran to own),
``maybe_charged_credits`` and ``lost_answers`` (calls sent whose answers were lost, and
their credits: Zoho may or may not have charged them), ``retries`` (calls sent again),
``throttled`` (429 answers), ``token_refreshes``
(access tokens asked of Zoho Accounts), ``version``.
"""

from __future__ import annotations

import errno
import json
import os
import time
from typing import Any

from coqlkit import __version__

__all__ = ["Record"]


class Record:
    """What a run did, gathered as it goes: the shell adds each query it planned
    (:meth:`planned`) and the rows each wrote (:meth:`wrote`); the connection, once made,
    says what was spent; :meth:`finish` writes it to ``path`` (None: nowhere)."""

    def __init__(self, command: str, path: str | None) -> None:
        self.command = command
        self.path = path
        self.started = time.perf_counter()
        self.checked = False  # the file may be written (checked before anything was spent)
        self.conn: Any = None  # the connection, once made
        self.rows = 0
        self.results: list[Any] = []  # the queries planned

    def check(self, *outputs: str | None) -> None:
        """Refuse a file that cannot be written (a directory, a missing directory...), ``-``
        (standard output carries the rows), or the file the rows go to (``outputs``: the
        export's TARGET, ``-o FILE``), which the figures, written last, would replace:
        before anything is spent, a :class:`~coqlkit.export.TargetError` (exit 2)."""
        if self.path is None:
            return
        from coqlkit import export

        if self.path == "-":
            raise export.TargetError(
                errno.EINVAL,
                "--stats-json takes a file (standard output carries the rows; /dev/stderr works)",
                "-",
            )
        for output in outputs:
            if output is not None and os.path.realpath(output) == os.path.realpath(self.path):
                raise export.TargetError(
                    errno.EINVAL,
                    "--stats-json names the file the rows go to: it would replace them",
                    self.path,
                )
        export.check_target(self.path)
        self.checked = True

    def planned(self, result: Any) -> None:
        self.results.append(result)

    def wrote(self, rows: int) -> None:
        self.rows += rows

    def figures(self, status: int) -> dict[str, Any]:
        """The JSON object (see the module's docstring).

        >>> Record("export", None).figures(2)["credits"]
        0
        """
        from coqlkit.repl.results import _strategy

        client = self.conn.aio.client if self.conn is not None else None
        maybe = int(client.unanswered_credits) if client is not None else 0
        credits = int(client.credits_used) - maybe if client is not None else 0
        of_queries = sum(int(r.stats.credits) for r in self.results)
        return {
            "command": self.command,
            "exit_status": status,
            "seconds": round(time.perf_counter() - self.started, 3),
            "rows": self.rows,
            "queries": len(self.results),
            "strategies": [_strategy(r.plan) for r in self.results],
            "calls": int(client.sends) if client is not None else 0,
            "credits": credits,
            "query_credits": of_queries,
            "metadata_credits": max(0, credits - of_queries),
            "maybe_charged_credits": maybe,
            "lost_answers": int(client.unanswered_calls) if client is not None else 0,
            "retries": int(client.retries) if client is not None else 0,
            "throttled": int(client.throttled) if client is not None else 0,
            "token_refreshes": int(client.tokens.refreshes) if client is not None else 0,
            "version": __version__,
        }

    def finish(self, status: int) -> OSError | None:
        """Write the figures of a run that ended with ``status`` (when a file was asked
        for, and checked); the error when it could not be written."""
        if self.path is None or not self.checked:
            return None
        from coqlkit import export

        try:
            sink = export.AtomicText(self.path)
            sink.write(json.dumps(self.figures(status)) + "\n")
            sink.commit()
        except OSError as exc:
            return exc
        return None
