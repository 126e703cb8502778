"""A consultation's optional survey.yaml: end-of-consultation questions, recommendation themes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.i18n import N_
from bot.services.data_reading import (
    Checker,
    DataProblem,
    Text,
    listed_entries,
    parse_duration,
    read_yaml,
)

QUESTION_KINDS = ("rating", "choice", "text")
DEFAULT_SURVEY_OPEN_FOR = timedelta(days=7)
SURVEY_FILE = "survey.yaml"


@dataclass(frozen=True)
class Option:
    id: str
    text: Text


@dataclass(frozen=True)
class Question:
    id: str
    kind: str
    text: Text
    options: tuple[Option, ...] = ()


@dataclass(frozen=True)
class Theme:
    id: str
    title: Text


@dataclass(frozen=True)
class Survey:
    questions: tuple[Question, ...] = ()
    themes: tuple[Theme, ...] = ()
    intro: Text | None = None
    open_for: timedelta = DEFAULT_SURVEY_OPEN_FOR

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def theme(self, theme_id: str) -> Theme | None:
        return next((t for t in self.themes if t.id == theme_id), None)


def load_survey(
    directory: Path, default_language: str, problems: list[DataProblem]
) -> Survey | None:
    """survey.yaml when present (it is optional); problems name file, line and place."""
    path = directory / SURVEY_FILE
    if not path.is_file():
        return None
    chk = Checker(path, default_language, problems)
    raw = read_yaml(path, problems)
    if raw is None:
        return None
    if not isinstance(raw, dict):
        chk.problem(None, "", N_("must be a mapping with 'questions' and 'themes'"))
        return None
    before = len(problems)
    intro = chk.text(raw, "intro", "intro", required=False)
    open_for = DEFAULT_SURVEY_OPEN_FOR
    if raw.get("open_for") is not None:
        parsed = parse_duration(str(raw["open_for"]))
        if parsed is None:
            chk.problem(
                chk.line_of(raw, "open_for"),
                "open_for",
                N_("'{value}' is not a duration such as {examples}"),
                value=str(raw["open_for"]),
                examples="7d, 12h, 30m",
            )
        else:
            open_for = parsed
    questions = _questions(chk, raw)
    themes = _themes(chk, raw)
    if len(problems) > before:
        return None
    return Survey(tuple(questions), tuple(themes), intro, open_for)


def _questions(chk: Checker, raw: Any) -> list[Question]:
    seen: set[str] = set()
    questions: list[Question] = []
    for place, item in listed_entries(chk, raw, "questions"):
        ident = chk.ident(item, place, seen)
        text = chk.text(item, "text", place, required=True)
        kind = str(item.get("type", ""))
        if kind not in QUESTION_KINDS:
            chk.problem(
                chk.line_of(item, "type"),
                place,
                N_("'{key}' must be one of {kinds}, not {value}"),
                key="type",
                kinds=", ".join(QUESTION_KINDS),
                value=repr(kind),
            )
            continue
        options: list[Option] = []
        if kind == "choice":
            raw_options = item.get("options")
            if not isinstance(raw_options, list) or len(raw_options) < 2:
                chk.problem(
                    chk.line_of(item, "options"),
                    place,
                    N_("a choice needs at least two 'options'"),
                )
                continue
            option_ids: set[str] = set()
            lines = getattr(raw_options, "item_lines", [None] * len(raw_options))
            for number, option in enumerate(raw_options, 1):
                where = f"{place} option #{number}"
                if not isinstance(option, dict):
                    chk.problem(lines[number - 1], where, N_("an option needs 'id' and 'text'"))
                    continue
                option_id = chk.ident(option, where, option_ids)
                option_text = chk.text(option, "text", where, required=True)
                if option_id and option_text:
                    options.append(Option(option_id, option_text))
        elif item.get("options") is not None:
            chk.problem(chk.line_of(item, "options"), place, N_("only a choice has 'options'"))
        if ident and text:
            questions.append(Question(ident, kind, text, tuple(options)))
    return questions


def _themes(chk: Checker, raw: Any) -> list[Theme]:
    seen: set[str] = set()
    themes: list[Theme] = []
    for place, item in listed_entries(chk, raw, "themes"):
        ident = chk.ident(item, place, seen)
        title = chk.text(item, "title", place, required=True)
        if ident and title:
            themes.append(Theme(ident, title))
    return themes
