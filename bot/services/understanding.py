"""The sentence encoder as a service: one worker thread, indexes per consultation, never on the
event loop. While the encoder loads (or where it is missing) `nearest` answers None and the
matcher answers alone."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from bot.services.encoder import Encoder, Vectors
from bot.services.event_data import Consultation
from bot.services.semantic import IndexText, Near, SemanticIndex, index_texts

logger = logging.getLogger(__name__)

Taught = Sequence[tuple[str, str, str]]


class Understanding:
    """`nearest(consultation, question)`: the answers nearest in meaning, or None without an
    encoder. One thread does all encoding, one call at a time."""

    def __init__(self, load: Callable[[], Encoder | None]) -> None:
        self._load = load
        self._encoder: Encoder | None = None
        self._loaded = False
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="encoder")
        self._indexes: dict[
            str, tuple[Consultation, tuple[tuple[str, str, str], ...], SemanticIndex]
        ] = {}

    @property
    def available(self) -> bool:
        return self._encoder is not None

    async def start(self) -> None:
        """Load the encoder on the worker thread."""
        loop = asyncio.get_running_loop()
        self._encoder = await loop.run_in_executor(self._worker, self._load)
        self._loaded = True

    async def close(self) -> None:
        self._worker.shutdown(wait=True, cancel_futures=True)

    async def nearest(
        self, consultation: Consultation, question: str, taught: Taught = (), *, limit: int = 10
    ) -> list[Near] | None:
        encoder = self._encoder
        if encoder is None:
            return None
        loop = asyncio.get_running_loop()
        index = await self.index(consultation, taught)
        if index is None:
            return None
        vector = await loop.run_in_executor(self._worker, encoder.queries, [question])
        return index.nearest(vector[0], limit=limit)

    async def index(self, consultation: Consultation, taught: Taught = ()) -> SemanticIndex | None:
        """The consultation's index, built on the worker thread when its data or taught
        phrasings changed."""
        encoder = self._encoder
        if encoder is None:
            return None
        key = tuple(taught)
        known = self._indexes.get(consultation.id)
        if known is not None and known[0] is consultation and known[1] == key:
            return known[2]
        texts = index_texts(consultation, key)
        loop = asyncio.get_running_loop()
        index = await loop.run_in_executor(
            self._worker, SemanticIndex.build, texts, lambda t: encode(encoder, t), encoder.name
        )
        self._indexes[consultation.id] = (consultation, key, index)
        return index


def encode(encoder: Encoder, texts: Sequence[IndexText]) -> Vectors:
    """Each text as its kind asks (queries and passages), in the given order."""
    import numpy as np

    result: Vectors = np.zeros((len(texts), 0), dtype=np.float32)
    queries = [i for i, t in enumerate(texts) if t.as_query]
    passages = [i for i, t in enumerate(texts) if not t.as_query]
    parts = []
    if queries:
        parts.append((queries, encoder.queries([texts[i].text for i in queries])))
    if passages:
        parts.append((passages, encoder.passages([texts[i].text for i in passages])))
    if not parts:
        return result
    width = parts[0][1].shape[1]
    result = np.zeros((len(texts), width), dtype=np.float32)
    for positions, vectors in parts:
        result[positions] = vectors
    return result
