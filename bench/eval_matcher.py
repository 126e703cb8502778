"""Evaluate the free-text matcher against bench/eval/questions.jsonl, beside a naive BM25.

Prints, for each part separately: in-scope top-1 accuracy, correct-abstention rate, and latency
percentiles per question, with the sample FAQ alone and with the FAQ padded to 500 entries by
synthetic ones, pinned to one CPU core. The parts:

- tune: the questions the matcher was tuned on;
- heldout: the first held-out part of questions.jsonl; it was looked at while tuning, so it is
  spent and now counts as tuning data too (its figures are printed for comparison only);
- fresh: bench/eval/heldout_2.jsonl, measured once untouched (top-1 83.8% / 82.5%, abstention
  96.9% / 84.4% at 34 / 500 FAQ), then spent: its errors were looked at in the next round;
- fresh3: bench/eval/heldout_3.jsonl, written by someone who never saw the matcher, each question
  asked of its own consultation; measured once untouched (top-1 51.2% / 36.9%, abstention
  94.4% / 91.7% at its FAQ / 500 FAQ), then spent: its errors were looked at in the next round.

- fresh4: bench/eval/heldout_4.jsonl, written like heldout_3 while the matcher was tuned on all
  the above; measured once untouched (top-1 46.4% / 40.5%, abstention 86.1% / 75.0% at its FAQ /
  500 FAQ), then spent: its errors were looked at in the next round (the gate; no change kept);
- fresh5: bench/eval/heldout_5.jsonl, written like heldout_3 and 4 while the matcher was tuned on
  all the above; measured once untouched (top-1 64.3% / 63.1%, abstention 77.8% / 77.8% at its
  FAQ / 500 FAQ), then spent: its errors were looked at in the next round;
- fresh6: bench/eval/heldout_6.jsonl, written like the sets before it while the matcher was
  tuned on all the above; measured once untouched (top-1 65.5% / 56.0%, abstention 80.6% / 72.2%
  at its FAQ / 500 FAQ), then spent: its errors were looked at in the next round;
- fresh7: bench/eval/heldout_7.jsonl, written like the sets before it while the matcher was
  tuned on all the above; measured once untouched (top-1 72.6% / 64.3%, abstention 88.9% / 83.3%
  at its FAQ / 500 FAQ), then spent: its errors were looked at in the next round;
- fresh8: bench/eval/heldout_8.jsonl, written like the sets before it while the matcher was
  tuned on all the above; measured once untouched (top-1 63.1% / 57.1%, abstention 80.6% / 80.6%
  at its FAQ / 500 FAQ), then spent: its errors were looked at in the next round;
- fresh9: bench/eval/heldout_9.jsonl, written like the sets before it while the matcher was
  tuned on all the above; measured once untouched (top-1 78.6% / 66.7%, abstention 77.8% / 66.7%
  at its FAQ / 500 FAQ), then spent: its errors were looked at in the next round;
- fresh10: bench/eval/heldout_10.jsonl, written like the sets before it while the matcher was
  tuned on all the above; measured once untouched (top-1 81.0% / 75.0%, abstention 88.9% / 83.3%
  at its FAQ / 500 FAQ), then spent: its errors were looked at in the next round;
- fresh11: bench/eval/heldout_11.jsonl, written like the sets before it while the matcher was
  tuned on all the above; measured once untouched (top-1 63.1% / 61.9%, abstention 86.1% / 86.1%
  at its FAQ / 500 FAQ; 24 of its 84 in-scope questions refused), then spent: its errors were
  looked at in the next round;
- fresh12: bench/eval/heldout_12.jsonl, written like the sets before it while the matcher was
  tuned on all the above; measured once after the last round (top-1 70.2% / 67.9%, abstention
  77.8% / 80.6% at its FAQ / 500 FAQ);
- fresh13: bench/eval/heldout_13.jsonl, written like the sets before it, and measured once with
  the same matcher as fresh12 (top-1 67.9% / 63.1%, abstention 94.4% / 88.9%; both sets together
  69.0% / 65.5% and 86.1% / 84.7%).
fresh12 and fresh13 (each loaded when its file exists) were never tuned on, never listed
(--show-errors leaves them out) and are left out of --cv: the figures that count, each alone and
both together ("untouched").

`--cv` cross-validates the abstention thresholds over every set but those two (each question asked
of its own consultation): five random folds, then each language held out in turn, then each set
held out in turn; on each, the thresholds are chosen on the other questions and the held-out ones
scored.

`--teach` simulates organisers teaching the bot from /gaps (bot/handlers/ask.py): every refused
in-scope question of some sets is taught as a phrasing of the first entry it expects, then other
sets are asked. Each spent independent set in turn, taught from the other spent sets; then the
untouched sets, taught from all the spent ones.

    .venv/bin/python bench/eval_matcher.py
        [--split tune|heldout|fresh|fresh3|fresh4|fresh5|fresh6|fresh7|fresh8|fresh9|fresh10|
                 fresh11|fresh12|fresh13|untouched|all]
        [--show-errors]
        [--cv]
        [--teach]
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import random
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.services import matcher as matcher_module  # noqa: E402
from bot.services.data_reading import Text  # noqa: E402
from bot.services.event_data import Consultation, EventData, FaqEntry, load_event_data  # noqa: E402
from bot.services.matcher import Matcher, answer_ref  # noqa: E402

EVAL = ROOT / "bench" / "eval"
QUESTIONS = EVAL / "questions.jsonl"
FRESH = EVAL / "heldout_2.jsonl"
# Held-out sets 3 to 13 (bench/eval/heldout_N.jsonl, split freshN), each written by someone who
# never saw the matcher, its lexicon nor the other sets, asked of its own consultation. Each was
# measured once untouched (top-1, abstention: its FAQ / 500 FAQ), then spent: its errors were
# looked at in the next round. None: never tuned on, the figures that count.
INDEPENDENT_SETS: dict[int, tuple[str, str] | None] = {
    3: ("51.2/36.9", "94.4/91.7"),
    4: ("46.4/40.5", "86.1/75.0"),
    5: ("64.3/63.1", "77.8/77.8"),
    6: ("65.5/56.0", "80.6/72.2"),
    7: ("72.6/64.3", "88.9/83.3"),
    8: ("63.1/57.1", "80.6/80.6"),
    9: ("78.6/66.7", "77.8/66.7"),
    10: ("81.0/75.0", "88.9/83.3"),
    11: ("63.1/61.9", "86.1/86.1"),
    12: None,
    13: None,
}
_ORDINALS = [
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
]


def _title(number: int, untouched: tuple[str, str] | None) -> str:
    ordinal = _ORDINALS[number - 3]
    path = f"bench/eval/heldout_{number}.jsonl"
    if untouched is None:
        return f"{ordinal} independent held-out set ({path}, never tuned on)"
    top1, abstention = untouched
    return (
        f"{ordinal} held-out part ({path}, measured once untouched ({top1} top-1, "
        f"{abstention} abstention), then spent: its errors were looked at in the next round)"
    )


TITLES = {
    "tune": "tune part",
    "heldout": "old held-out part (spent: looked at while tuning)",
    "fresh": "second held-out part (bench/eval/heldout_2.jsonl, spent: tuned on since)",
    **{f"fresh{n}": _title(n, figures) for n, figures in INDEPENDENT_SETS.items()},
}
SPLITS = tuple(TITLES)
# Sets written by someone who never saw the matcher, asked of their own consultation.
INDEPENDENT = tuple(f"fresh{n}" for n in INDEPENDENT_SETS)
# Never tuned on: never listed, never cross-validated.
UNTOUCHED = tuple(f"fresh{n}" for n, figures in INDEPENDENT_SETS.items() if figures is None)
NOW = datetime(2026, 12, 8, 10, 15, tzinfo=ZoneInfo("Europe/Zurich"))
TOTAL_ENTRIES = 500


@dataclass(frozen=True)
class Outcome:
    answer: str | None  # faq id, topic:<id>, session:<id>, or None when abstaining
    seconds: float


Answerer = Callable[[str], str | None]


def synthetic_faq(consultations: list[Consultation], count: int) -> list[FaqEntry]:
    """Extra entries built from the sample data's own words, so they compete realistically."""
    rng = random.Random(2026)
    pools: dict[str, list[str]] = {lang: [] for lang in ("en", "fr", "es", "ar")}
    for consultation in consultations:
        texts = [s.description for s in consultation.sessions if s.description]
        texts += [t.text for t in consultation.topics]
        for text in texts:
            for lang in pools:
                pools[lang].extend(re.findall(r"\w{3,}", text.values.get(lang, "")))
    entries = []
    for number in range(count):
        questions = {}
        answers = {}
        for lang, pool in pools.items():
            made_up = f"item{number}x{lang}"
            questions[lang] = (
                " ".join([*rng.sample(pool, 5), made_up]) + " ?",
                " ".join(rng.sample(pool, 6)) + " ?",
            )
            answers[lang] = " ".join(rng.sample(pool, 30))
        entries.append(
            FaqEntry(
                id=f"synthetic-{number}",
                questions=questions,
                answer=Text(answers, "en"),
                keywords={},
            )
        )
    return entries


def our_answerer(matcher: Matcher) -> Answerer:
    def answer(text: str) -> str | None:
        match = matcher.match(text, NOW)
        if match.sessions:
            return f"session:{match.sessions[0].id}"
        return match.answer_id if match.answered else None

    return answer


class NaiveBM25:
    """Plain BM25 over each FAQ entry's text (questions and answers, all languages)."""

    def __init__(self, entries: list[FaqEntry], threshold: float = 0.0) -> None:
        self.entries = entries
        self.threshold = threshold
        docs = []
        for entry in entries:
            text = " ".join(q for qs in entry.questions.values() for q in qs)
            text += " " + " ".join(entry.answer.all())
            docs.append(Counter(self.tokens(text)))
        self.docs = docs
        self.lengths = [sum(d.values()) for d in docs]
        self.average = sum(self.lengths) / len(docs)
        df: Counter[str] = Counter()
        for doc in docs:
            df.update(doc.keys())
        n = len(docs)
        self.idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}

    @staticmethod
    def tokens(text: str) -> list[str]:
        return re.findall(r"\w+", text.lower())

    def scores(self, text: str) -> list[float]:
        query = self.tokens(text)
        result = []
        for doc, length in zip(self.docs, self.lengths, strict=True):
            score = 0.0
            for term in query:
                tf = doc.get(term, 0)
                if tf:
                    norm = tf + 1.2 * (0.25 + 0.75 * length / self.average)
                    score += self.idf[term] * tf * 2.2 / norm
            result.append(score)
        return result

    def __call__(self, text: str) -> str | None:
        scores = self.scores(text)
        best = max(range(len(scores)), key=scores.__getitem__)
        return self.entries[best].id if scores[best] > self.threshold else None


def tune_baseline_threshold(baseline: NaiveBM25, questions: list[dict[str, object]]) -> float:
    """The abstention threshold that maximises the baseline's figures on the tuning part."""
    best_threshold, best_value = 0.0, -1.0
    scored = []
    for question in questions:
        scores = baseline.scores(str(question["text"]))
        best = max(range(len(scores)), key=scores.__getitem__)
        scored.append((scores[best], baseline.entries[best].id, question))
    for threshold in [x / 4 for x in range(0, 120)]:
        acc, abst = figures([(q, a if s > threshold else None) for s, a, q in scored])
        value = acc + abst
        if value > best_value:
            best_threshold, best_value = threshold, value
    return best_threshold


def figures(results: list[tuple[dict[str, object], str | None]]) -> tuple[float, float]:
    in_scope = [(q, a) for q, a in results if q["expect"]]
    out_scope = [(q, a) for q, a in results if not q["expect"]]
    accuracy = sum(a in q["expect"] for q, a in in_scope) / max(1, len(in_scope))  # type: ignore[operator]
    abstention = sum(a is None for _, a in out_scope) / max(1, len(out_scope))
    return accuracy, abstention


def run(answerer: Answerer, questions: list[dict[str, object]]) -> list[Outcome]:
    outcomes = []
    for question in questions:
        start = time.perf_counter()
        answer = answerer(str(question["text"]))
        outcomes.append(Outcome(answer, time.perf_counter() - start))
    return outcomes


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def report(
    name: str, answerer: Answerer, questions: list[dict[str, object]], show: bool, repeat: int
) -> None:
    outcomes = run(answerer, questions)
    timings: list[float] = []
    gc.collect()
    gc.disable()  # a collection pause is not the matcher's latency
    try:
        for _ in range(repeat):
            timings.extend(o.seconds for o in run(answerer, questions))
    finally:
        gc.enable()
    print_row(name, [(q, o.answer) for q, o in zip(questions, outcomes, strict=True)], timings)
    if show:
        show_errors(questions, outcomes)


def print_row(
    name: str, results: list[tuple[dict[str, object], str | None]], timings: list[float]
) -> None:
    """One line of figures: top-1, abstention, latency percentiles."""
    accuracy, abstention = figures(results)
    in_scope = sum(1 for q, _ in results if q["expect"])
    ms = [t * 1000 for t in timings]
    print(
        f"  {name:<28} top-1 {accuracy:6.1%} ({in_scope:3d} in scope)  "
        f"abstention {abstention:6.1%} ({len(results) - in_scope:2d} out)  "
        f"p50 {statistics.median(ms):5.2f} ms  p95 {percentile(ms, 0.95):5.2f} ms  "
        f"p99 {percentile(ms, 0.99):5.2f} ms"
    )


def show_errors(questions: list[dict[str, object]], outcomes: list[Outcome]) -> None:
    for question, outcome in zip(questions, outcomes, strict=True):
        expect = question["expect"]
        ok = outcome.answer in expect if expect else outcome.answer is None  # type: ignore[operator]
        if not ok:
            print(
                f"      ✗ [{question['lang']}] {question['text']!r} → {outcome.answer} "
                f"(expected {expect or 'abstain'})"
            )


COVERAGE_GRID = (0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65)
SCORE_GRID = (1.5, 2.5, 3.5)


def consultation_of(question: dict[str, object]) -> str:
    return str(question.get("consultation", "geneva-2026"))


def cross_validate(
    questions: list[dict[str, object]], matchers: dict[str, tuple[Matcher, Matcher]]
) -> None:
    """Choose MIN_COVERAGE and MIN_SCORE on part of the questions, score the rest.

    `matchers` gives each consultation's matcher over its own FAQ and over 500 FAQ entries.
    """
    grid = [(c, s) for c in COVERAGE_GRID for s in SCORE_GRID]
    answers: dict[tuple[float, float], list[list[str | None]]] = {}
    saved = matcher_module.MIN_COVERAGE, matcher_module.MIN_SCORE
    try:
        for point in grid:
            matcher_module.MIN_COVERAGE, matcher_module.MIN_SCORE = point
            answers[point] = [
                [
                    our_answerer(matchers[consultation_of(q)][size])(str(q["text"]))
                    for q in questions
                ]
                for size in (0, 1)
            ]
    finally:
        matcher_module.MIN_COVERAGE, matcher_module.MIN_SCORE = saved

    def value(point: tuple[float, float], chosen: list[int]) -> list[tuple[float, float]]:
        return [
            figures([(questions[i], per_matcher[i]) for i in chosen])
            for per_matcher in answers[point]
        ]

    rng = random.Random(7)
    order = list(range(len(questions)))
    rng.shuffle(order)
    folds = [(f"random fold {k + 1}/5", sorted(order[k::5])) for k in range(5)]
    families = ["random"] * 5
    for lang in ("en", "fr", "es", "ar"):
        families.append("lang")
        folds.append(
            (f"{lang} held out", [i for i, q in enumerate(questions) if q["lang"] == lang])
        )
    for split in TITLES:
        if not any(q["split"] == split for q in questions):
            continue
        families.append("set")
        folds.append(
            (f"{split} held out", [i for i, q in enumerate(questions) if q["split"] == split])
        )
    print(
        f"\ncross-validation of the thresholds over all {len(questions)} questions "
        f"(columns: own FAQ, {TOTAL_ENTRIES} FAQ)"
    )
    totals: dict[str, list[list[float]]] = {"random": [], "lang": [], "set": []}
    for family, (name, held) in zip(families, folds, strict=True):
        held_set = set(held)
        rest = [i for i in range(len(questions)) if i not in held_set]
        best = max(grid, key=lambda p: sum(a + b for a, b in value(p, rest)))
        parts = value(best, held)
        totals[family].append([x for pair in parts for x in pair])
        shown = "  ".join(f"top-1 {a:6.1%} abstention {b:6.1%}" for a, b in parts)
        print(f"  {name:<18} coverage {best[0]:.2f} score {best[1]:.1f}  {shown}")
    labels = {"random": "mean, random", "lang": "mean, languages", "set": "mean, sets"}
    for family, rows in [*totals.items(), ("all", [r for rs in totals.values() for r in rs])]:
        means = [statistics.mean(column) for column in zip(*rows, strict=True)]
        shown = "  ".join(
            f"top-1 {means[k]:6.1%} abstention {means[k + 1]:6.1%}"
            for k in range(0, len(means), 2)
        )
        print(f"  {labels.get(family, 'mean of folds'):<18} {'':<20}  {shown}")


def report_by_consultation(
    events: EventData,
    title: str,
    part: list[dict[str, object]],
    tune: list[dict[str, object]],
    repeat: int,
    show: bool,
) -> None:
    """Each question asked of its own consultation's matcher (that consultation's FAQ, then padded
    to 500 entries)."""
    print(f"\n{title}: {len(part)} questions ({Counter(q['lang'] for q in part)})")
    every = list(events.consultations.values())
    answerers: dict[str, dict[str, Answerer]] = {}
    for consultation in every:
        extra = synthetic_faq(every, TOTAL_ENTRIES - len(consultation.faq))
        small_bm25 = NaiveBM25(list(consultation.faq))
        large_bm25 = NaiveBM25([*consultation.faq, *extra])
        small_bm25.threshold = tune_baseline_threshold(small_bm25, tune)
        large_bm25.threshold = tune_baseline_threshold(large_bm25, tune)
        answerers[consultation.id] = {
            "matcher, its FAQ": our_answerer(Matcher(consultation)),
            f"matcher, {TOTAL_ENTRIES} FAQ": our_answerer(Matcher(consultation, extra)),
            "naive BM25, its FAQ": small_bm25,
            f"naive BM25, {TOTAL_ENTRIES} FAQ": large_bm25,
        }
    names = list(next(iter(answerers.values())))
    for name in names:
        results: list[tuple[dict[str, object], str | None]] = []
        timings: list[float] = []
        for cid in answerers:
            questions = [q for q in part if q["consultation"] == cid]
            if not questions:
                continue
            answerer = answerers[cid][name]
            outcomes = run(answerer, questions)
            results += [(q, o.answer) for q, o in zip(questions, outcomes, strict=True)]
            if show and name.startswith("matcher"):
                show_errors(questions, outcomes)
            gc.collect()
            gc.disable()
            try:
                for _ in range(repeat):
                    timings.extend(o.seconds for o in run(answerer, questions))
            finally:
                gc.enable()
        print_row(name, results, timings)
    suggestions(events, part)


Taught = dict[str, list[tuple[str, str, str]]]


def teach(events: EventData, questions: list[dict[str, object]]) -> Taught:
    """What organisers would teach from /gaps: each in-scope question of `questions` the matcher
    refuses, as a phrasing of the first entry it expects (sessions are not taught)."""
    matchers = {cid: our_answerer(Matcher(c)) for cid, c in events.consultations.items()}
    taught: Taught = {cid: [] for cid in events.consultations}
    for question in questions:
        expect = cast(list[str], question["expect"])
        refs = [ref for ref in expect if not ref.startswith("session:")]
        cid = consultation_of(question)
        if refs and matchers[cid](str(question["text"])) is None:
            taught[cid].append((refs[0], str(question["lang"]), str(question["text"])))
    return taught


def taught_figures(
    events: EventData, taught: Taught | None, part: list[dict[str, object]]
) -> tuple[float, float]:
    """Top-1 and abstention on `part`, each question asked of its consultation's matcher."""
    matchers = {
        cid: our_answerer(Matcher(c, taught=taught[cid] if taught else ()))
        for cid, c in events.consultations.items()
    }
    return figures([(q, matchers[consultation_of(q)](str(q["text"]))) for q in part])


def teach_simulation(events: EventData, questions: list[dict[str, object]]) -> None:
    """Organisers teaching the bot from /gaps, simulated: the refused in-scope questions of some
    sets are taught, then other sets are asked (their consultation's FAQ)."""
    spent = [q for q in questions if q["split"] not in UNTOUCHED]
    untouched = [q for q in questions if q["split"] in UNTOUCHED]
    print("\nteaching from /gaps (top-1 / abstention, its FAQ: as it is → taught)")

    Part = list[dict[str, object]]

    def row(label: str, taught_from: Part, part: Part) -> tuple[float, ...]:
        taught = teach(events, taught_from)
        both = (*taught_figures(events, None, part), *taught_figures(events, taught, part))
        count = sum(len(t) for t in taught.values())
        print(f"  {label.format(count=count):<48}{arrow(both)}")
        return both

    def arrow(figures: Sequence[float]) -> str:
        a, b, c, d = (100 * value for value in figures)
        return f"{a:5.1f} / {b:5.1f} → {c:5.1f} / {d:5.1f}"

    held = [split for split in INDEPENDENT if split not in UNTOUCHED]
    rows = [
        row(
            f"{split:<8} taught {{count}} from the other spent sets",
            [q for q in spent if q["split"] != split],
            [q for q in spent if q["split"] == split],
        )
        for split in held
    ]
    means = [statistics.mean(column) for column in zip(*rows, strict=True)]
    print(f"  {'mean, spent sets held out in turn':<48}{arrow(means)}")
    if untouched:
        row("untouched sets, taught {count} from all spent sets", spent, untouched)


def suggestions(events: EventData, part: list[dict[str, object]]) -> None:
    """What a refusal offers the delegate to choose from (with the consultation's FAQ)."""
    matchers = {c.id: Matcher(c) for c in events.consultations.values()}
    refused = suggested = offered = refused_out = 0
    for question in part:
        match = matchers[consultation_of(question)].match(str(question["text"]), NOW)
        if match.answered:
            continue
        ids = [answer_ref(e) for e in match.suggestions]
        if question["expect"]:
            refused += 1
            suggested += any(i in question["expect"] for i in ids)  # type: ignore[operator]
        else:
            refused_out += 1
            offered += bool(ids)
    print(
        f"  refusals, its FAQ: {suggested} of the {refused} in-scope ones offer the right entry "
        f"among their suggestions; {offered} of the {refused_out} out-of-scope ones offer some"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--split",
        choices=[*SPLITS, "untouched", "all"],
        default="all",
    )
    parser.add_argument("--show-errors", action="store_true")
    parser.add_argument("--repeat", type=int, default=5, help="timing passes per question")
    parser.add_argument("--cv", action="store_true", help="cross-validate the thresholds")
    parser.add_argument(
        "--teach", action="store_true", help="simulate organisers teaching from /gaps"
    )
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    events = load_event_data(ROOT / "data")
    questions = [
        json.loads(line)
        for path in (QUESTIONS, FRESH, *(EVAL / f"heldout_{n}.jsonl" for n in INDEPENDENT_SETS))
        if path.exists()
        for line in path.read_text("utf-8").splitlines()
        if line
    ]
    consultation = events.consultations["geneva-2026"]
    extra = synthetic_faq(
        list(events.consultations.values()), TOTAL_ENTRIES - len(consultation.faq)
    )
    small = Matcher(consultation)
    large = Matcher(consultation, extra)
    tune = [q for q in questions if q["split"] == "tune"]
    baseline_small = NaiveBM25(list(consultation.faq))
    baseline_small.threshold = tune_baseline_threshold(baseline_small, tune)
    baseline_large = NaiveBM25([*consultation.faq, *extra])
    baseline_large.threshold = tune_baseline_threshold(baseline_large, tune)
    print(
        f"{len(questions)} questions ({Counter(q['lang'] for q in questions)}), "
        f"one core, {os.cpu_count()} on the machine"
    )
    splits = {"all": SPLITS, "untouched": UNTOUCHED}.get(args.split, (args.split,))
    for split in splits:
        part = [q for q in questions if q["split"] == split]
        if split in INDEPENDENT:
            if part:
                show = args.show_errors and split not in UNTOUCHED
                report_by_consultation(events, TITLES[split], part, tune, args.repeat, show)
            continue
        print(f"\n{TITLES[split]}: {len(part)} questions ({Counter(q['lang'] for q in part)})")
        report(
            f"matcher, {len(consultation.faq)} FAQ",
            our_answerer(small),
            part,
            args.show_errors,
            args.repeat,
        )
        report(
            f"matcher, {len(large)} docs ({TOTAL_ENTRIES} FAQ)",
            our_answerer(large),
            part,
            args.show_errors,
            args.repeat,
        )
        report(
            f"naive BM25, {len(consultation.faq)} FAQ", baseline_small, part, False, args.repeat
        )
        report(f"naive BM25, {TOTAL_ENTRIES} FAQ", baseline_large, part, False, args.repeat)
    untouched = [q for q in questions if q["split"] in UNTOUCHED]
    if args.split in ("all", "untouched") and {q["split"] for q in untouched} == set(UNTOUCHED):
        title = "the untouched sets together (" + ", ".join(UNTOUCHED) + ")"
        report_by_consultation(events, title, untouched, tune, args.repeat, False)
    if args.teach:
        teach_simulation(events, questions)
    if args.cv:
        every = list(events.consultations.values())
        matchers = {
            c.id: (
                Matcher(c),
                Matcher(c, synthetic_faq(every, TOTAL_ENTRIES - len(c.faq))),
            )
            for c in every
        }
        cross_validate([q for q in questions if q["split"] not in UNTOUCHED], matchers)


if __name__ == "__main__":
    main()
