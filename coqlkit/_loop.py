"""The synchronous API's engine: a private event loop in a daemon thread, which runs the
async API's coroutines for callers in other threads and pulls its streams one item at a
time (:class:`_Loop`); Ctrl-C in the caller's thread stops the work in the loop."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import inspect
import os
import sys
import threading
import time
import weakref
from collections.abc import AsyncGenerator, Coroutine, Iterator
from typing import Any, TypeVar

from coqlkit._threads import InlineWhenRefused
from coqlkit.errors import ApiError, CoqlError, CoqlSyntaxError, ParameterError, ValidationError

T = TypeVar("T")

#: How long Ctrl-C waits for the work it cancelled to clean up before giving up on it.
_SETTLE_SECONDS = 10.0


def _running(agen: AsyncGenerator[Any, None]) -> bool:
    """Whether a step of ``agen`` is under way (``aclose()`` would raise)."""
    return bool(getattr(agen, "ag_running", False))


async def _close_when_idle(agen: AsyncGenerator[Any, None]) -> None:
    """``agen.aclose()`` once the step it is running has ended."""
    while _running(agen):
        await asyncio.sleep(0.01)
    await agen.aclose()


async def _job(coro: Coroutine[Any, Any, T]) -> T:
    """``coro`` in a coroutine of our own, whose state tells when it has really finished."""
    return await coro


#: How often a caller waiting on the loop checks that its connection was not closed under it.
_CLOSED_CHECK_SECONDS = 0.25


def _frozen_at_exit() -> None:
    """In a daemon thread while the interpreter exits (its main thread has ended; a
    connection left open is closed by its exit finalizer), wait for the end instead of
    returning: Python stops daemon threads silently at exit, and a CONNECTION_CLOSED raised
    in one (a poller mid-query) printed its traceback on every clean shutdown. Elsewhere
    (a thread that closes the connection under another), return: the caller raises."""
    if threading.current_thread().daemon and not threading.main_thread().is_alive():
        threading.Event().wait()  # (the interpreter ends with this thread frozen in it)


class _Loop:
    """A private event loop in a daemon thread: the synchronous API's engine."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.loop.set_default_executor(InlineWhenRefused(thread_name_prefix="coqlkit-io"))
        # The streams handed out (weakly): closed by shutdown() if still open then.
        self.streams: weakref.WeakSet[AsyncGenerator[Any, None]] = weakref.WeakSet()
        # The tasks closing streams collected in the loop's thread (kept until they are done).
        self.closing: set[asyncio.Task[None]] = set()
        self.stopping = False  # shutdown() has begun: a job cancelled now was closed under
        self.close_lock = threading.Lock()  # one close at a time; the others find it closed
        self.pid = os.getpid()  # a forked child has a copy of this object and no such thread
        running = threading.Event()
        self.loop.call_soon(running.set)  # the loop's first act: it is running from then on
        self.thread = threading.Thread(target=self.loop.run_forever, name="coqlkit", daemon=True)
        self.thread.start()
        # Until then run() would take it for closed (a loaded machine: the thread not started yet).
        running.wait()

    @property
    def forked(self) -> bool:
        """This is a process forked from the one that made the loop: its thread is not here."""
        return os.getpid() != self.pid

    @property
    def running(self) -> bool:
        """The loop runs, in this process (a forked child's copy says it runs, and never will)."""
        return self.loop.is_running() and not self.forked

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        if self.forked:
            coro.close()
            raise CoqlError(
                f"this connection was opened in process {self.pid}, before this one was forked "
                "from it: its event loop is not in this process (open a connection in this one)",
                code="CONNECTION_CLOSED",
            )
        if not self.loop.is_running():
            coro.close()
            _frozen_at_exit()
            raise CoqlError("this connection is closed", code="CONNECTION_CLOSED")
        if threading.current_thread() is self.thread:  # pragma: no cover - a bug of ours
            coro.close()
            raise RuntimeError("coqlkit's event loop cannot wait for itself (called from its own thread)")
        job = _job(coro)
        try:
            future = asyncio.run_coroutine_threadsafe(job, self.loop)
        except RuntimeError:  # the loop closed since the check above (another thread's close)
            job.close()
            coro.close()
            _frozen_at_exit()
            raise CoqlError("this connection is closed", code="CONNECTION_CLOSED") from None
        try:
            return self._wait(future, job, coro)
        except KeyboardInterrupt:  # Ctrl-C in the caller's thread: stop the work in the loop
            future.cancel()
            self._settle(job, coro)
            raise
        except (CoqlSyntaxError, ValidationError, ParameterError, ApiError) as exc:
            # A mistake in the query or its parameters, or Zoho's (or the network's) answer,
            # says all there is to say: its traceback starts here, in the caller's thread,
            # not in the loop's (concurrent.futures, the coroutines that ran there); a cause
            # keeps its frames. coqlkit's other errors (a plan it could not make, a render)
            # keep theirs: what a bug report needs.
            raise exc.with_traceback(None)  # noqa: B904 - the same exception, not another
        except CoqlError as exc:  # closed while the job ran (the connection found it closed)
            if exc.code == "CONNECTION_CLOSED":
                _frozen_at_exit()
            raise

    def _wait(self, future: concurrent.futures.Future[T], *coros: Coroutine[Any, Any, Any]) -> T:
        """The job's result; CONNECTION_CLOSED when the connection is closed (by another
        thread) while it waits: a job sent just as the loop stopped would never answer (a
        reader waited forever). ``stop()`` cancels such jobs; ``coros`` (the job and what it
        runs) are closed if they never started even so."""
        while True:
            done, _ = concurrent.futures.wait([future], timeout=_CLOSED_CHECK_SECONDS)
            if done:
                try:
                    return future.result()  # a TimeoutError of the job's own is raised as it is
                except concurrent.futures.CancelledError:
                    if self.loop.is_running() and not self.stopping:
                        raise
                break
            if not self.loop.is_running():
                deadline = time.monotonic() + _SETTLE_SECONDS  # stop() cancels what is left
                while not self.loop.is_closed() and time.monotonic() < deadline:
                    time.sleep(0.01)
                if future.done() and not future.cancelled() and future.exception() is None:
                    return future.result()
                break
        for coro in coros:  # never started: never awaited, and no warning about it
            if inspect.iscoroutine(coro) and inspect.getcoroutinestate(coro) == inspect.CORO_CREATED:
                coro.close()
        _frozen_at_exit()
        raise CoqlError("this connection was closed while it was in use", code="CONNECTION_CLOSED")

    def _settle(self, job: Coroutine[Any, Any, Any], coro: Coroutine[Any, Any, Any]) -> None:
        """Wait until a cancelled job has finished cleaning up (an export's temporary file
        removed, its calls cancelled), so that Ctrl-C reaches the caller after it, not
        before; a second Ctrl-C stops waiting."""
        deadline = time.monotonic() + _SETTLE_SECONDS
        while inspect.getcoroutinestate(job) != inspect.CORO_CLOSED and self.loop.is_running():
            if time.monotonic() > deadline:  # pragma: no cover - a cleanup that hangs
                return
            time.sleep(0.005)
        if inspect.iscoroutine(coro) and inspect.getcoroutinestate(coro) == inspect.CORO_CREATED:
            coro.close()  # cancelled before it started: never awaited, and no warning about it

    def iterate(self, agen: AsyncGenerator[T, None]) -> Iterator[T]:
        """An async generator, pulled one item at a time from this thread."""
        self.streams.add(agen)
        try:
            while True:
                try:
                    yield self.run(agen.__anext__())
                except StopAsyncIteration:
                    return
        finally:
            if not self.running or sys.is_finalizing():
                pass  # (finalizing: the loop's thread is frozen, and would never answer)
            elif threading.current_thread() is self.thread:
                # Dropped unfinished and collected by the garbage collector in the loop's own
                # thread (midway through some coroutine there): waiting for the loop here would
                # wait for itself forever. The stream is closed by a task of its own instead.
                closing = self.loop.create_task(agen.aclose())
                self.closing.add(closing)
                closing.add_done_callback(self.closing.discard)
            else:
                # Ctrl-C can land while a step of the stream still runs in the loop (between
                # its call and its wait): closing it then raised "aclose(): asynchronous
                # generator is already running". It is closed once the step has ended.
                try:
                    self.run(_close_when_idle(agen))
                except CoqlError as exc:  # closed meanwhile by another thread: its shutdown
                    if exc.code != "CONNECTION_CLOSED":  # closes the streams (this one too)
                        raise

    async def shutdown(self, last: Coroutine[Any, Any, None]) -> None:
        """End what still runs in this loop, then await ``last`` (closing the client).

        A stream left unfinished (a ``record_batches()`` reader or a row iterator dropped
        midway) is closed here, its calls cancelled, while the client still stands: left to
        the garbage collector, it would be finalized on a closed loop ("Event loop is
        closed", "Task was destroyed but it is pending!")."""
        self.stopping = True
        try:
            for stream in list(self.streams):
                with contextlib.suppress(Exception):
                    await stream.aclose()
            current = asyncio.current_task()
            rest = [task for task in asyncio.all_tasks(self.loop) if task is not current]
            for task in rest:
                task.cancel()
            await asyncio.gather(*rest, return_exceptions=True)
        finally:
            try:
                await last
            finally:
                # The threads of asyncio.to_thread (the sandbox's start and stop) end now,
                # not some time after the loop is closed.
                await self.loop.shutdown_default_executor()

    def stop(self) -> None:
        if self.running:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)
            if not self.thread.is_alive():
                # In a thread of its own: the caller's may run a loop of its own (Jupyter).
                cleanup = threading.Thread(target=self._cancel_stragglers, name="coqlkit-stop")
                cleanup.start()
                cleanup.join(timeout=10)
            self.loop.close()

    def _cancel_stragglers(self) -> None:
        """Cancel the jobs another thread sent as the loop stopped (their waiters get
        CONNECTION_CLOSED), in this thread now that the loop's own has ended: left pending,
        they would be destroyed with the loop ("Task was destroyed but it is pending!")."""
        for _ in range(3):
            self.loop.run_until_complete(asyncio.sleep(0))  # the jobs sent meanwhile become tasks
            pending = [task for task in asyncio.all_tasks(self.loop) if not task.done()]
            if not pending:
                return
            for task in pending:
                task.cancel()
            self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
