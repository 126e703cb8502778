"""What a consultation's answers mean: their texts as vectors, and the entries nearest a question.

Every text that says what an answer is about is indexed under the answer's ref (the FAQ entry's
id, `topic:<id>`, `session:<id>`): an entry's questions in every language, its keywords, its
answer (an organiser's answer is evidence of what the entry is about), the taught phrasings, a
logistics topic's title and text, a session's title and description. Questions and titles are
encoded as queries (compared like with like); answers and descriptions as passages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from bot.services.data_reading import Text
from bot.services.encoder import Vectors
from bot.services.event_data import Consultation

QUESTION = "question"
KEYWORDS = "keywords"
TAUGHT = "taught"
ANSWER = "answer"
TITLE = "title"
TOPIC_TEXT = "text"
SESSION_TITLE = "session"
SESSION_TEXT = "description"
# Kinds encoded as queries; the others as passages.
QUERY_KINDS = frozenset({QUESTION, KEYWORDS, TAUGHT, TITLE, SESSION_TITLE})


@dataclass(frozen=True)
class IndexText:
    ref: str  # FAQ id, topic:<id> or session:<id>
    kind: str
    text: str

    @property
    def as_query(self) -> bool:
        return self.kind in QUERY_KINDS


@dataclass(frozen=True)
class Near:
    """How near one answer is to a question: the best cosine over its texts, by side."""

    ref: str
    score: float  # the best of the two below
    question: float  # over its questions, keywords, taught phrasings and titles
    passage: float  # over its answer, text or description (-1.0 when it has none)


def _each(text: Text | None) -> Iterable[str]:
    return (t for t in (text.all() if text is not None else ()) if t and t.strip())


def index_texts(
    consultation: Consultation, taught: Sequence[tuple[str, str, str]] = ()
) -> list[IndexText]:
    """The texts indexed for a consultation, each once; `taught` as (ref, language, text)."""
    found: list[IndexText] = []
    for entry in consultation.faq:
        for phrasings in entry.questions.values():
            found += [IndexText(entry.id, QUESTION, q) for q in phrasings if q.strip()]
        for words in entry.keywords.values():
            if words:
                found.append(IndexText(entry.id, KEYWORDS, ", ".join(words)))
        found += [IndexText(entry.id, ANSWER, a) for a in _each(entry.answer)]
    for topic in consultation.topics:
        ref = f"topic:{topic.id}"
        found += [IndexText(ref, TITLE, t) for t in _each(topic.title)]
        found += [IndexText(ref, TOPIC_TEXT, t) for t in _each(topic.text)]
    for session in consultation.sessions:
        ref = f"session:{session.id}"
        found += [IndexText(ref, SESSION_TITLE, t) for t in _each(session.title)]
        found += [IndexText(ref, SESSION_TEXT, t) for t in _each(session.description)]
    found += [IndexText(ref, TAUGHT, text) for ref, _lang, text in taught if text.strip()]
    seen: set[tuple[str, str, str]] = set()
    unique = []
    for item in found:
        key = (item.ref, item.kind, item.text)
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique


class SemanticIndex:
    """The vectors of one consultation's texts; `nearest` ranks answers for a question."""

    def __init__(self, texts: Sequence[IndexText], vectors: Vectors, model: str) -> None:
        if len(texts) != len(vectors):
            raise ValueError("one vector per text")
        self.texts = tuple(texts)
        self.model = model
        self._vectors = vectors
        self._refs = sorted({t.ref for t in texts})
        position = {ref: i for i, ref in enumerate(self._refs)}
        self._owner = np.array([position[t.ref] for t in texts], dtype=np.int64)
        self._is_query = np.array([t.as_query for t in texts], dtype=bool)

    @classmethod
    def build(
        cls,
        texts: Sequence[IndexText],
        encode: Callable[[Sequence[IndexText]], Vectors],
        model: str,
    ) -> SemanticIndex:
        return cls(texts, encode(texts), model)

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def vectors(self) -> Vectors:
        """One row per text, in the order of `texts`."""
        return self._vectors

    def nearest(
        self, question: Vectors, *, limit: int = 10, prefix: str | None = None
    ) -> list[Near]:
        """Answers by their best cosine with the question's vector, nearest first; only refs
        starting with `prefix` when given ("session:")."""
        if not len(self.texts):
            return []
        cosines = self._vectors @ question.reshape(-1)
        count = len(self._refs)
        best_question = np.full(count, -1.0, dtype=np.float32)
        best_passage = np.full(count, -1.0, dtype=np.float32)
        np.maximum.at(best_question, self._owner[self._is_query], cosines[self._is_query])
        np.maximum.at(best_passage, self._owner[~self._is_query], cosines[~self._is_query])
        best = np.maximum(best_question, best_passage)
        order = np.argsort(-best, kind="stable")
        found: list[Near] = []
        for index in order:
            ref = self._refs[int(index)]
            if prefix is not None and not ref.startswith(prefix):
                continue
            found.append(
                Near(
                    ref,
                    float(best[index]),
                    float(best_question[index]),
                    float(best_passage[index]),
                )
            )
            if len(found) >= limit:
                break
        return found
