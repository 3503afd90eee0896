"""Thread pools that keep working at interpreter exit.

Once the main thread has returned, Python stops every ``ThreadPoolExecutor`` (the exit hook
of ``concurrent.futures`` runs before the non-daemon threads are joined), yet those threads,
and executor jobs still queued, go on reading and exporting through coqlkit. Its pools (the
page decoders, an export's writer, the sync API loop's default executor: address lookups,
``asyncio.to_thread``) then run what they are given in the caller's thread instead.
"""

from __future__ import annotations

import concurrent.futures
from typing import Any

__all__ = ["InlineWhenRefused"]


class InlineWhenRefused(concurrent.futures.ThreadPoolExecutor):
    """A thread pool that, refused new work at exit, runs it in the submitting thread."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        try:
            return super().submit(fn, *args, **kwargs)
        except RuntimeError:  # "cannot schedule new futures after interpreter shutdown"
            done: concurrent.futures.Future[Any] = concurrent.futures.Future()
            try:
                done.set_result(fn(*args, **kwargs))
            except BaseException as exc:
                done.set_exception(exc)
            return done
