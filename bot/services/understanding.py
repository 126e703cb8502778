"""The sentence encoder as a service: one worker thread, indexes per consultation, never on the
event loop, and its cost out of the chat's way.

- One thread runs every call to the encoder and to the vector cache. A delegate's question goes
  before background work, and indexes are encoded a few texts per job, so a question waits at
  most for one such job (and never longer than `question_wait`: then `nearest` answers None).
- Indexes are built in the background: at start (`begin`, launched by post_init), after a reload
  (`reindex`), when the taught phrasings change. `nearest` never waits for an index: while a
  consultation has none yet it answers None (the matcher answers alone); while one is rebuilt
  the one it had keeps answering, limited to the answers the consultation still has.
- Vectors of the organisers' texts are kept in a SQLite file of their own (bot.storage.vectors):
  a start or a reload encodes only the texts it has not seen, a new taught phrasing only itself.
  Delegates' words are never written there: questions are not kept at all, and phrasings taught
  from their questions stay in memory (a delegate's /forget deletes them).
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import os
import queue
import sqlite3
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from bot.services.encoder import Encoder, Vectors
from bot.services.event_data import Consultation, EventData
from bot.services.semantic import TAUGHT, IndexText, Near, SemanticIndex, index_texts
from bot.storage.vectors import Key, Vector, VectorCache

logger = logging.getLogger(__name__)

T = TypeVar("T")
Taught = Sequence[tuple[str, str, str]]
TaughtKey = tuple[tuple[str, str, str], ...]

# How long a question may wait for the worker (busy with one job of background encoding, at
# most a few hundred ms on a busy machine) before the matcher answers alone.
QUESTION_WAIT = 0.25
# Background encoding per job, in characters: a long answer is about 100 ms on one busy core.
CHUNK_CHARS = 600
# The worker thread's niceness above the event loop's: where the cores are busy, the loop (every
# other delegate's reply, handled meanwhile: bot/updates.py) goes before the encoder (measured in
# docs/benchmarks.md, "The sentence encoder: its cost to the chat").
WORKER_NICENESS = 10


class WorkerClosed(RuntimeError):
    """The service was closed: nothing more is encoded."""


# Jobs run by priority (the smallest first), then in order of arrival.
Priority = tuple[int, ...]
_LAST: Priority = (-1,)  # closing
_QUESTION: Priority = (0,)  # before any background work
_BACKGROUND: Priority = (1,)


def _building(missing: int, order: int) -> Priority:
    """A build's encoding: the smaller first (a taught phrasing before a whole consultation
    cold), then the one asked for first (one consultation ready early rather than both late)."""
    return (1, missing, order)


class _Worker:
    """One thread running jobs by priority, then in order of arrival."""

    def __init__(self) -> None:
        self._queue: queue.PriorityQueue[
            tuple[Priority, int, tuple[Future[Any], Callable[[], Any]] | None]
        ] = queue.PriorityQueue()
        self._order = itertools.count()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False

    def submit(self, priority: Priority, call: Callable[..., T], *args: Any) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            if self._closed:
                raise WorkerClosed("the encoder's worker is closed")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="encoder", daemon=True)
                self._thread.start()
            job = (future, functools.partial(call, *args))
            self._queue.put((priority, next(self._order), job))
        return future

    def _run(self) -> None:
        _lower_priority()
        while True:
            _priority, _order, job = self._queue.get()
            if job is None:
                return
            future, call = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = call()
            except BaseException as exc:
                future.set_exception(exc)
            else:
                future.set_result(result)

    def close(self, last: Callable[[], None]) -> None:
        """Cancel the jobs not started, run `last` on the thread, and wait for it to end."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            while True:
                try:
                    _priority, _order, job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is not None:
                    job[0].cancel()
            thread = self._thread
            if thread is None:
                return
            self._queue.put((_LAST, next(self._order), (Future(), last)))
            self._queue.put((_LAST, next(self._order), None))
        thread.join()

    @property
    def thread(self) -> threading.Thread | None:
        return self._thread


def _lower_priority() -> None:
    """Make the calling thread nicer than the process by WORKER_NICENESS (Linux: per thread)."""
    if not sys.platform.startswith("linux"):
        return  # elsewhere the call would change the whole process, or another one
    try:
        own = os.getpriority(os.PRIO_PROCESS, 0)
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), own + WORKER_NICENESS)
    except OSError as exc:
        logger.debug("The encoder's thread keeps the process's priority: %s", exc)


@dataclass(frozen=True)
class _Built:
    consultation: Consultation
    taught: TaughtKey
    index: SemanticIndex


@dataclass(frozen=True)
class _Plan:
    """What a build starts from: the texts, the vectors already known, those to encode."""

    texts: list[IndexText]
    known: dict[Key, Vector]
    missing: list[Key]
    keep: frozenset[Key]  # the organisers' texts: their vectors may be cached
    from_cache: int


def _key(text: IndexText) -> Key:
    return (text.as_query, text.text)


def answer_refs(consultation: Consultation) -> frozenset[str]:
    """Every ref a consultation's index can name."""
    return frozenset(
        [entry.id for entry in consultation.faq]
        + [f"topic:{topic.id}" for topic in consultation.topics]
        + [f"session:{session.id}" for session in consultation.sessions]
    )


class Understanding:
    """`nearest(consultation, question)`: the answers nearest in meaning, or None (no encoder,
    no index yet, or the worker busy). One thread does all encoding, one call at a time."""

    def __init__(
        self,
        load: Callable[[], Encoder | None],
        cache: Path | None = None,
        *,
        question_wait: float = QUESTION_WAIT,
    ) -> None:
        """`cache`: the vector cache's file (None: vectors in memory only)."""
        self._load = load
        self._cache_path = cache
        self._question_wait = question_wait
        self._encoder: Encoder | None = None
        self._cache: VectorCache | None = None  # used on the worker thread only
        self._worker = _Worker()
        self._starting: asyncio.Task[None] | None = None
        self._indexes: dict[str, _Built] = {}
        self._wanted: dict[str, tuple[Consultation, TaughtKey]] = {}
        self._failed: dict[str, tuple[Consultation, TaughtKey]] = {}
        self._builds: dict[str, asyncio.Task[None]] = {}
        self._background: set[asyncio.Task[None]] = set()
        self._refs: dict[str, tuple[Consultation, frozenset[str]]] = {}
        self._build_order = itertools.count()
        self._closed = False

    @property
    def available(self) -> bool:
        return self._encoder is not None

    def ready(self, consultation: Consultation, taught: Taught = ()) -> bool:
        """Whether this consultation's index, with these taught phrasings, is built."""
        built = self._indexes.get(consultation.id)
        return (
            built is not None
            and built.consultation is consultation
            and built.taught == tuple(taught)
        )

    # --- starting, reloading, closing -------------------------------------------------------

    async def start(self) -> None:
        """Load the encoder and open the vector cache on the worker thread, once."""
        if self._starting is None:
            self._starting = asyncio.create_task(self._start(), name="understanding:start")
        await asyncio.shield(self._starting)

    async def _start(self) -> None:
        try:
            encoder = await self._run(_BACKGROUND, self._open)
        except WorkerClosed:
            return
        self._encoder = encoder
        if encoder is not None:
            logger.info("Sentence encoder loaded: %s", encoder.name)

    def _open(self) -> Encoder | None:
        """On the worker: the encoder, and the cache next to the database."""
        try:
            encoder = self._load()
        except Exception:
            logger.warning(
                "The sentence encoder failed to load: the matcher answers alone", exc_info=True
            )
            return None
        if encoder is not None and self._cache_path is not None:
            try:
                self._cache = VectorCache.open(self._cache_path)
            except (sqlite3.Error, OSError) as exc:
                logger.warning(
                    "No vector cache (%s: %s): every start encodes the texts again",
                    self._cache_path,
                    exc,
                )
        return encoder

    def begin(
        self,
        consultations: Callable[[], Iterable[Consultation]],
        taught: Callable[[str], Awaitable[Taught]] | None = None,
    ) -> asyncio.Task[None]:
        """In the background: load the encoder, then build the index of each consultation
        (read when the encoder is ready, so a reload meanwhile counts) with its taught phrasings
        (`taught(consultation_id)`). Returns at once."""
        return self._keep(asyncio.create_task(self._begin(consultations, taught)))

    async def _begin(
        self,
        consultations: Callable[[], Iterable[Consultation]],
        taught: Callable[[str], Awaitable[Taught]] | None,
    ) -> None:
        await self.start()
        if self._encoder is None:
            return
        keys: dict[str, TaughtKey] = {}
        if taught is not None:
            for consultation in list(consultations()):
                keys[consultation.id] = tuple(await taught(consultation.id))
        # Read again after the awaits: the programme in use now.
        for consultation in consultations():
            wanted = self._wanted.get(consultation.id)
            self._want(consultation, keys.get(consultation.id, wanted[1] if wanted else ()))
        await self._built()
        # The cache keeps the vectors of the texts in use, not of every text ever loaded.
        current = [consultation for consultation, _taught in self._wanted.values()]
        removed = await self._run(_BACKGROUND, self._retain, current)
        if removed:
            logger.info("Vector cache: %d vectors of texts no longer in use forgotten", removed)

    def _retain(self, consultations: list[Consultation]) -> int:
        if self._cache is None or self._encoder is None:
            return 0
        keys = {_key(t) for c in consultations for t in index_texts(c)}
        try:
            return self._cache.retain(self._encoder.name, keys)
        except sqlite3.Error as exc:
            logger.warning("The vector cache could not be tidied: %s", exc)
            return 0

    async def reindex(self, events: EventData) -> None:
        """After a reload (the reloader's after_swap): rebuild the indexes in the background,
        encoding only the texts that changed; the indexes in use answer meanwhile."""
        for ident in [*self._wanted, *self._indexes]:
            if ident not in events.consultations:
                self._wanted.pop(ident, None)
                self._indexes.pop(ident, None)
                self._refs.pop(ident, None)
        for consultation in events.consultations.values():
            self._failed.pop(consultation.id, None)
            wanted = self._wanted.get(consultation.id)
            self._want(consultation, wanted[1] if wanted else ())

    async def settled(self) -> None:
        """Wait until nothing is loading or being built (tests and benchmarks)."""
        while True:
            pending = [
                task
                for task in [self._starting, *self._background, *self._builds.values()]
                if task is not None and not task.done() and task is not asyncio.current_task()
            ]
            if not pending:
                return
            await asyncio.gather(*pending, return_exceptions=True)

    async def _built(self) -> None:
        while self._builds:
            await asyncio.gather(*self._builds.values(), return_exceptions=True)

    async def close(self) -> None:
        """Stop building, wait for the job under way (a few texts), close the cache."""
        self._closed = True
        tasks = [self._starting, *self._background, *self._builds.values()]
        pending = [task for task in tasks if task is not None and not task.done()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        await asyncio.to_thread(self._worker.close, self._close_cache)

    def _close_cache(self) -> None:
        if self._cache is not None:
            self._cache.close()
            self._cache = None

    # --- questions ----------------------------------------------------------------------------

    async def nearest(
        self,
        consultation: Consultation,
        question: str,
        taught: Taught = (),
        *,
        limit: int = 10,
        prefix: str | None = None,
    ) -> list[Near] | None:
        """The answers nearest in meaning to the question, nearest first; None without an
        encoder, before the consultation has an index (never waited for: it is being built), or
        when the worker cannot take the question within `question_wait`."""
        encoder = self._encoder
        if encoder is None or self._closed:
            return None
        key = tuple(taught)
        built = self._indexes.get(consultation.id)
        if built is None or built.consultation is not consultation or built.taught != key:
            self._want(consultation, key)
            if built is None:
                return None
        try:
            future = self._worker.submit(_QUESTION, encoder.queries, [question])
            vectors = await asyncio.wait_for(asyncio.wrap_future(future), self._question_wait)
        except WorkerClosed:
            return None
        except TimeoutError:
            logger.info("A question waited over %.2f s for the encoder", self._question_wait)
            return None
        except Exception:
            logger.warning("The encoder failed on a question", exc_info=True)
            return None
        vector = vectors[0]
        if built.consultation is consultation:
            return built.index.nearest(vector, limit=limit, prefix=prefix)
        # An index of the programme before a reload: only answers the consultation still has.
        refs = self._refs_of(consultation)
        found = built.index.nearest(vector, limit=len(built.index), prefix=prefix)
        return [near for near in found if near.ref in refs][:limit]

    def _refs_of(self, consultation: Consultation) -> frozenset[str]:
        known = self._refs.get(consultation.id)
        if known is None or known[0] is not consultation:
            known = (consultation, answer_refs(consultation))
            self._refs[consultation.id] = known
        return known[1]

    async def index(self, consultation: Consultation, taught: Taught = ()) -> SemanticIndex | None:
        """The consultation's index with these taught phrasings, built if need be (from the
        cache, encoding what is missing) and waited for; None without an encoder."""
        await self.start()
        key = tuple(taught)
        while True:
            built = self._indexes.get(consultation.id)
            if built is not None and built.consultation is consultation and built.taught == key:
                return built.index
            task = self._want(consultation, key)
            if task is None:
                return None
            await asyncio.shield(task)

    # --- building -----------------------------------------------------------------------------

    def _want(self, consultation: Consultation, key: TaughtKey) -> asyncio.Task[None] | None:
        """Have this index built, in the background; the build under way, if any."""
        if self._encoder is None or self._closed:
            return None
        ident = consultation.id
        failed = self._failed.get(ident)
        if failed is not None and failed[0] is consultation and failed[1] == key:
            return None
        self._wanted[ident] = (consultation, key)
        task = self._builds.get(ident)
        if task is None and self.ready(consultation, key):
            return None
        if task is None:
            task = asyncio.create_task(self._build_loop(ident), name=f"understanding:{ident}")
            self._builds[ident] = task
        return task

    async def _build_loop(self, ident: str) -> None:
        """Build what is wanted for the consultation until what was built is still wanted."""
        try:
            while (wanted := self._wanted.get(ident)) is not None:
                consultation, key = wanted
                try:
                    index = await self._build(consultation, key)
                except WorkerClosed:
                    raise
                except Exception:
                    logger.warning("The meaning index of %s failed", ident, exc_info=True)
                    self._failed[ident] = wanted
                    return
                now = self._wanted.get(ident)
                if now is None:  # the consultation left the programme meanwhile
                    return
                self._indexes[ident] = _Built(consultation, key, index)
                if now[0] is consultation and now[1] == key:
                    return
        except WorkerClosed:
            return
        finally:
            self._builds.pop(ident, None)

    async def _build(self, consultation: Consultation, key: TaughtKey) -> SemanticIndex:
        encoder = self._encoder
        assert encoder is not None
        started = time.perf_counter()
        previous = self._indexes.get(consultation.id)
        plan = await self._run(
            _BACKGROUND, self._plan, consultation, key, previous.index if previous else None
        )
        vectors = dict(plan.known)
        priority = _building(len(plan.missing), next(self._build_order))
        for chunk in _chunks(plan.missing):
            encoded = await self._run(
                priority, self._encode, chunk, [k in plan.keep for k in chunk]
            )
            vectors.update(zip(chunk, encoded, strict=True))
        index = await self._run(priority, _assemble, plan.texts, vectors, encoder.name)
        if plan.missing or plan.from_cache:
            logger.info(
                "Meaning index of %s ready: %d texts, %d from the cache, %d encoded, in %.1f s",
                consultation.id,
                len(index),
                plan.from_cache,
                len(plan.missing),
                time.perf_counter() - started,
            )
        return index

    def _plan(
        self, consultation: Consultation, key: TaughtKey, previous: SemanticIndex | None
    ) -> _Plan:
        """On the worker: the texts, their vectors known (in the index in use, in the cache),
        and those to encode."""
        texts = index_texts(consultation, key)
        needed = list(dict.fromkeys(_key(t) for t in texts))
        known: dict[Key, Vector] = {}
        if previous is not None:
            rows = {key: row for row, key in enumerate(map(_key, previous.texts))}
            for wanted in needed:
                row = rows.get(wanted)
                if row is not None:
                    known[wanted] = previous.vectors[row]
        missing = [k for k in needed if k not in known]
        from_cache = 0
        if missing and self._cache is not None and self._encoder is not None:
            try:
                found = self._cache.lookup(self._encoder.name, missing)
            except sqlite3.Error as exc:
                logger.warning("The vector cache could not be read: %s", exc)
                found = {}
            known.update(found)
            from_cache = len(found)
            missing = [k for k in missing if k not in found]
        keep = frozenset(_key(t) for t in texts if t.kind != TAUGHT)
        return _Plan(texts, known, missing, keep, from_cache)

    def _encode(self, keys: Sequence[Key], keep: Sequence[bool]) -> list[Vector]:
        """On the worker: encode, and cache the organisers' texts among them."""
        encoder = self._encoder
        assert encoder is not None
        vectors = list(_encode_keys(encoder, keys))
        kept = [(k, v) for k, v, ok in zip(keys, vectors, keep, strict=True) if ok]
        if kept and self._cache is not None:
            try:
                self._cache.store(encoder.name, kept)
            except sqlite3.Error as exc:
                logger.warning("The vector cache could not be written: %s", exc)
        return vectors

    async def _run(self, priority: Priority, call: Callable[..., T], *args: Any) -> T:
        return await asyncio.wrap_future(self._worker.submit(priority, call, *args))

    def _keep(self, task: asyncio.Task[None]) -> asyncio.Task[None]:
        """Hold a background task until it ends, and log its failure."""
        self._background.add(task)

        def done(finished: asyncio.Task[None]) -> None:
            self._background.discard(finished)
            if not finished.cancelled() and finished.exception() is not None:
                logger.warning(
                    "Preparing the meaning indexes failed", exc_info=finished.exception()
                )

        task.add_done_callback(done)
        return task


def _chunks(keys: Sequence[Key]) -> Iterable[list[Key]]:
    """Keys in runs of about CHUNK_CHARS characters (one text at least)."""
    chunk: list[Key] = []
    size = 0
    for key in keys:
        chunk.append(key)
        size += len(key[1])
        if size >= CHUNK_CHARS:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _encode_keys(encoder: Encoder, keys: Sequence[Key]) -> Vectors:
    """Each text on its side (query or passage), in the given order."""
    queries = [i for i, (as_query, _) in enumerate(keys) if as_query]
    passages = [i for i, (as_query, _) in enumerate(keys) if not as_query]
    parts = []
    if queries:
        parts.append((queries, encoder.queries([keys[i][1] for i in queries])))
    if passages:
        parts.append((passages, encoder.passages([keys[i][1] for i in passages])))
    width = parts[0][1].shape[1] if parts else 0
    result: Vectors = np.zeros((len(keys), width), dtype=np.float32)
    for positions, vectors in parts:
        result[positions] = vectors
    return result


def _assemble(texts: Sequence[IndexText], vectors: dict[Key, Vector], model: str) -> SemanticIndex:
    rows = [vectors[_key(t)] for t in texts]
    matrix: Vectors = (
        np.stack(rows).astype(np.float32, copy=False)
        if rows
        else np.zeros((0, 0), dtype=np.float32)
    )
    return SemanticIndex(texts, matrix, model)


def encode(encoder: Encoder, texts: Sequence[IndexText]) -> Vectors:
    """Each text as its kind asks (queries and passages), in the given order."""
    return _encode_keys(encoder, [_key(t) for t in texts])
