"""Reading the data files: YAML with line numbers, checks that name the file and the place, and
the problems they collect. The programme (event_data) and the survey (survey_data) build on it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sized
from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from babel import Locale
from babel.lists import format_list
from babel.numbers import format_decimal

from bot.i18n import DEFAULT, N_, RTL, SUPPORTED, translations_for

SUPPORTED_LANGUAGES = ("en", "fr", "es", "ar")
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$")
_DURATION_RE = re.compile(r"^(\d+)\s*([dhm])$")
MAX_PHRASINGS = 100  # questions (or keywords) of one FAQ entry in one language
MAX_TITLE = 300  # characters: a title, a name, an address, a room, a track, a question
MAX_TEXT = 3500  # an answer, a topic's text: one Telegram message (4,096) with its heading


@dataclass(frozen=True)
class TextOrigin:
    """Where a text was written: what a warning about it names."""

    file: Path
    line: int | None
    place: str
    key: str


@dataclass(frozen=True)
class Text:
    """Text in several languages, falling back to the default language."""

    values: Mapping[str, str]
    default: str
    # Set for texts read from the data files; not part of what the text is.
    origin: TextOrigin | None = field(default=None, compare=False, repr=False)

    def get(self, lang: str) -> str:
        return self.values.get(lang) or self.values[self.default]

    def all(self) -> Iterator[str]:
        return iter(self.values.values())


# What a problem found with a setting of consultation.yaml assumed may only follow from.
_ASSUMED = {
    "timezone": N_(
        "this may only follow from consultation.yaml, whose time zone could not be read: the "
        "time was read as UTC"
    ),
    "day_change": N_(
        "this may only follow from consultation.yaml, whose 'day_change' could not be read: "
        "days were taken to change at midnight"
    ),
}
_ASSUMED_ANY = N_(
    "this may only follow from consultation.yaml, whose '{setting}' could not be read"
)
# Unicode isolates keep names and numbers in their order inside right-to-left text.
_FSI, _PDI = "\u2068", "\u2069"


@dataclass(frozen=True)
class LanguageNames:
    """Languages named in the reader's language when a problem is rendered: 'French and
    Arabic', 'français et arabe'."""

    codes: tuple[str, ...]

    def render(self, lang: str) -> str:
        return format_list([language_name(code, lang) for code in self.codes], locale=lang)


@dataclass(frozen=True)
class DataProblem:
    """A problem (or a warning) at a place of a data file. `template` is English, marked with
    N_() for the catalogs, with {named} placeholders that `params` fill: the problem reads in
    any language (`render`); str() is the English, for the command line and the logs."""

    file: Path
    line: int | None
    place: str
    template: str
    params: Mapping[str, object] = field(default_factory=dict, hash=False)
    # Settings of consultation.yaml that could not be read, which the check relied on all the
    # same (assuming a value): the problem may only follow from them.
    assumed: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        """What is wrong, in English, without the place."""
        return self.message_in(DEFAULT)

    def message_in(self, lang: str) -> str:
        lang = lang if lang in SUPPORTED else DEFAULT
        message = _filled(self.template, self.params, lang)
        for setting in self.assumed:
            if setting in _ASSUMED:
                message += " (" + _filled(_ASSUMED[setting], {}, lang) + ")"
            else:
                message += " (" + _filled(_ASSUMED_ANY, {"setting": setting}, lang) + ")"
        return message

    def render(self, lang: str) -> str:
        """The file, line and place, then what is wrong in `lang`."""
        lang = lang if lang in SUPPORTED else DEFAULT
        # The data directory itself, relative to itself, needs no name: "data directory not found".
        file = "" if self.file == Path() else str(self.file)
        where = f"{file}:{self.line}" if file and self.line else file
        head = (f"{where} [{self.place}]" if self.place else where).strip()
        message = self.message_in(lang)
        if head and lang in RTL:
            head = f"{_FSI}{head}{_PDI}"
        return f"{head}: {message}" if head else message

    def __str__(self) -> str:
        return self.render(DEFAULT)

    def relative_to(self, root: Path) -> DataProblem:
        """The same problem with its file named from `root` (when under it), for readers who
        need not see the server's folders."""
        try:
            return replace(self, file=self.file.relative_to(root))
        except ValueError:
            return self


def _filled(template: str, params: Mapping[str, object], lang: str) -> str:
    """`template` in `lang` with its placeholders filled; numbers and language names as that
    language writes them."""
    english = lang not in SUPPORTED or lang == DEFAULT
    text = template if english else translations_for(lang).gettext(template)
    values = {key: _shown(value, lang) for key, value in params.items()}
    for attempt in (text, template):
        try:
            return attempt.format(**values)
        except (KeyError, IndexError, ValueError):
            continue  # a translation that lost a placeholder: the English
    return template  # not a template: a message written whole


def _shown(value: object, lang: str) -> str:
    if isinstance(value, LanguageNames):
        shown = value.render(lang)
    elif isinstance(value, bool):
        shown = str(value).lower()
    elif isinstance(value, int):
        shown = format_decimal(value, locale=lang)
    elif isinstance(value, float):
        shown = format_decimal(value, "#,##0.0##", locale=lang)
    else:
        shown = str(value)
    return f"{_FSI}{shown}{_PDI}" if lang in RTL and shown else shown


class EventDataError(Exception):
    """The data directory holds invalid files; `problems` says where."""

    def __init__(self, problems: list[DataProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


# --- YAML with line numbers ---------------------------------------------------------------


class _Map(dict[str, Any]):
    """A mapping that remembers the line of itself and of each key."""

    line: int = 0
    key_lines: dict[str, int]


class _List(list[Any]):
    line: int = 0
    item_lines: list[int]


# libyaml's parser when installed: loading a 1,000-session programme is then 10x faster.
if TYPE_CHECKING:
    _BaseLoader = yaml.SafeLoader
else:
    _BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_BaseLoader):
    pass


def _construct_map(loader: _LineLoader, node: yaml.MappingNode) -> _Map:
    result = _Map()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        key = str(key)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_seq(loader: _LineLoader, node: yaml.SequenceNode) -> _List:
    result = _List(loader.construct_object(n, deep=True) for n in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [n.start_mark.line + 1 for n in node.value]
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_seq)
# Times and dates are parsed by us, with clear errors, not by YAML's timestamp resolver.
_LineLoader.add_constructor(
    "tag:yaml.org,2002:timestamp",
    lambda loader, node: loader.construct_scalar(node),  # type: ignore[arg-type]
)


# --- Validation ---------------------------------------------------------------------------


class Checker:
    """Collects problems for one file while building objects from it."""

    def __init__(self, file: Path, default_language: str, problems: list[DataProblem]) -> None:
        self.file = file
        self.default_language = default_language
        self.problems = problems

    def problem(
        self,
        line: int | None,
        place: str,
        template: str,
        /,
        *,
        assumed: tuple[str, ...] = (),
        **params: object,
    ) -> None:
        """Record a problem: `template`, English marked with N_(), has {named} placeholders
        filled from `params` in the reader's language (`chk.problem(line, place,
        N_("'{key}' is required"), key=key)`). `assumed`: the settings of consultation.yaml
        that could not be read which the check relied on (the problem may only follow from
        them)."""
        self.problems.append(DataProblem(self.file, line, place, template, params, assumed))

    def line_of(self, mapping: Any, key: str) -> int | None:
        if isinstance(mapping, _Map):
            return mapping.key_lines.get(key, mapping.line)
        return None

    def text(
        self,
        mapping: Mapping[str, Any],
        key: str,
        place: str,
        *,
        required: bool,
        limit: int = MAX_TEXT,
    ) -> Text | None:
        line = self.line_of(mapping, key)
        value = mapping.get(key)
        if value is None:
            if required:
                self.problem(line, place, N_("'{key}' is required"), key=key)
            return None
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            text = str(value).strip()
            if not text:
                self.problem(line, place, N_("'{key}' is empty"), key=key)
                return None
            if not self.fits(text, limit, line, place, key):
                return None
            origin = TextOrigin(self.file, line, place, key)
            lang = self.default_language or "en"  # the default unknown: any will do
            return Text({lang: text}, lang, origin)
        if not isinstance(value, dict):
            self.problem(
                line, place, N_("'{key}' must be a text or a mapping of language to text"), key=key
            )
            return None
        values: dict[str, str] = {}
        too_long: set[str] = set()
        for lang, item in value.items():
            if lang not in SUPPORTED_LANGUAGES:
                self.problem(
                    self.line_of(value, lang),
                    place,
                    N_("'{key}' has unknown language '{lang}' (supported: {supported})"),
                    key=key,
                    lang=lang,
                    supported=", ".join(SUPPORTED_LANGUAGES),
                )
            elif not isinstance(item, str | int | float) or not str(item).strip():
                self.problem(
                    self.line_of(value, lang), place, N_("'{key}' is empty"), key=f"{key}.{lang}"
                )
            elif not self.fits(
                str(item).strip(), limit, self.line_of(value, lang), place, key, lang
            ):
                too_long.add(lang)
            else:
                values[lang] = str(item).strip()
        # The default language unknown (consultation.yaml could not tell): any will do.
        default = self.default_language or next(iter(values), "")
        if default not in values:
            if not self.default_language:
                if not value:
                    self.problem(line, place, N_("'{key}' is empty"), key=key)
            elif self.default_language not in too_long:  # already said
                self.problem(
                    line,
                    place,
                    N_("'{key}' lacks the default language '{lang}'"),
                    key=key,
                    lang=self.default_language,
                )
            return None
        return Text(values, default, TextOrigin(self.file, line, place, key))

    def fits(
        self, text: str, limit: int, line: int | None, place: str, key: str, lang: str = ""
    ) -> bool:
        """Whether `text` is within `limit` characters; a problem when it is not."""
        if len(text) <= limit:
            return True
        name = f"{key}.{lang}" if lang else key
        self.problem(
            line,
            place,
            N_("'{key}' is {length} characters long; at most {limit} allowed"),
            key=name,
            length=len(text),
            limit=limit,
        )
        return False

    def counted(self, items: Sized, limit: int, line: int | None, place: str, key: str) -> bool:
        """Whether the list `items` has at most `limit` entries; a problem when it has more."""
        if len(items) <= limit:
            return True
        self.problem(
            line,
            place,
            N_("'{key}' has {count} entries; at most {limit} allowed"),
            key=key,
            count=len(items),
            limit=limit,
        )
        return False

    def flag(self, mapping: Mapping[str, Any], key: str, place: str, default: bool) -> bool:
        """A true/false field: `default` when it is missing, or not true or false (a problem)."""
        value = mapping.get(key, default)
        if isinstance(value, bool):
            return value
        self.problem(
            self.line_of(mapping, key),
            place,
            N_("'{key}' must be true or false, not {value}"),
            key=key,
            value=repr(value),
        )
        return default

    def ident(self, mapping: Mapping[str, Any], place: str, seen: set[str]) -> str | None:
        value = mapping.get("id")
        line = self.line_of(mapping, "id")
        if value is None:
            self.problem(line, place, N_("'{key}' is required"), key="id")
            return None
        ident = str(value)
        if not ID_RE.match(ident):
            self.problem(
                line,
                place,
                N_("id '{id}' must be 1-48 letters, digits, '-' or '_' characters"),
                id=ident,
            )
            return None
        if ident in seen:
            self.problem(line, place, N_("id '{id}' is used twice"), id=ident)
            return None
        seen.add(ident)
        return ident

    def languages(self, mapping: Mapping[str, Any], key: str, place: str) -> tuple[str, ...]:
        value = mapping.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(
                self.line_of(mapping, key), place, N_("'{key}' must be a list of codes"), key=key
            )
            return ()
        unknown = [v for v in value if v not in SUPPORTED_LANGUAGES]
        if unknown:
            self.problem(
                self.line_of(mapping, key),
                place,
                N_("'{key}' has unknown languages: {unknown}"),
                key=key,
                unknown=str(unknown),
            )
        return tuple(v for v in value if v in SUPPORTED_LANGUAGES)

    def phrases(
        self, mapping: Mapping[str, Any], key: str, place: str
    ) -> dict[str, tuple[str, ...]]:
        value = mapping.get(key)
        if value is None:
            return {}
        line = self.line_of(mapping, key)
        if not isinstance(value, dict):
            self.problem(
                line, place, N_("'{key}' must map each language to a list of texts"), key=key
            )
            return {}
        result: dict[str, tuple[str, ...]] = {}
        for lang, items in value.items():
            if lang not in SUPPORTED_LANGUAGES:
                self.problem(
                    self.line_of(value, lang),
                    place,
                    N_("'{key}' has unknown language '{lang}'"),
                    key=key,
                    lang=lang,
                )
                continue
            if isinstance(items, str):
                items = [items]
            if not isinstance(items, list) or not all(
                isinstance(i, str | int) and str(i).strip() for i in items
            ):
                self.problem(
                    self.line_of(value, lang),
                    place,
                    N_("'{key}' must be a list of texts"),
                    key=f"{key}.{lang}",
                )
                continue
            if not self.counted(
                items, MAX_PHRASINGS, self.line_of(value, lang), place, f"{key}.{lang}"
            ):
                continue
            texts = tuple(str(i).strip() for i in items)
            line_of_lang = self.line_of(value, lang)
            if all(self.fits(t, MAX_TITLE, line_of_lang, place, key, lang) for t in texts):
                result[lang] = texts
        return result


def read_yaml(path: Path, problems: list[DataProblem]) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle, Loader=_LineLoader)
    except FileNotFoundError:
        problems.append(DataProblem(path, None, "", N_("file is missing")))
    except UnicodeDecodeError as exc:
        problems.append(
            DataProblem(
                path, None, "", N_("file is not UTF-8 text ({reason})"), {"reason": exc.reason}
            )
        )
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        # What YAML's parser says (in English): "did not find expected ',' or ']'".
        error = str(exc.problem or exc)
        if mark:
            problems.append(
                DataProblem(
                    path,
                    mark.line + 1,
                    "",
                    N_("YAML syntax error, column {column}: {error}"),
                    {"column": mark.column + 1, "error": error},
                )
            )
        else:
            problems.append(
                DataProblem(path, None, "", N_("YAML syntax error: {error}"), {"error": error})
            )
    except yaml.YAMLError as exc:
        problems.append(DataProblem(path, None, "", N_("YAML error: {error}"), {"error": exc}))
    return None


def parse_date(chk: Checker, mapping: Mapping[str, Any], key: str, place: str) -> date | None:
    value = mapping.get(key)
    if value is None:
        chk.problem(chk.line_of(mapping, key), place, N_("'{key}' is required"), key=key)
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        chk.problem(
            chk.line_of(mapping, key),
            place,
            N_("'{key}' must be a date like 2026-12-08, not {value}"),
            key=key,
            value=repr(value),
        )
        return None


def parse_local(
    chk: Checker, mapping: Mapping[str, Any], key: str, place: str, zone: tzinfo
) -> datetime | None:
    value = mapping.get(key)
    if value is None:
        chk.problem(chk.line_of(mapping, key), place, N_("'{key}' is required"), key=key)
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        chk.problem(
            chk.line_of(mapping, key),
            place,
            N_("'{key}' must be a local time like 2026-12-08T09:00, not {value}"),
            key=key,
            value=repr(value),
        )
        return None
    if parsed.tzinfo is not None:
        return parsed.astimezone(zone)
    return parsed.replace(tzinfo=zone)


def parse_duration(text: str) -> timedelta | None:
    match = _DURATION_RE.match(text.strip())
    if not match:
        return None
    amount, unit = int(match.group(1)), match.group(2)
    return {
        "d": timedelta(days=amount),
        "h": timedelta(hours=amount),
        "m": timedelta(minutes=amount),
    }[unit]


def listed_entries(
    chk: Checker, raw: Any, key: str | None, limit: int | None = None
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Yield (place, entry) for each mapping in the file's list (under `key` when given); none
    but a problem when the list has more than `limit` entries."""
    items = raw
    if key is not None:
        if raw is None:
            return
        if not isinstance(raw, dict) or not isinstance(raw.get(key, []), list):
            chk.problem(
                getattr(raw, "line", None),
                key,
                N_("the file must hold a list under '{key}:'"),
                key=key,
            )
            return
        items = raw.get(key) or []
    elif raw is None:
        return
    if not isinstance(items, list):
        chk.problem(None, "", N_("the file must hold a list of entries"))
        return
    if limit is not None and len(items) > limit:
        # Refused whole, unread: a runaway file is not worth its thousands of other problems.
        line = chk.line_of(raw, key) if key else getattr(items, "line", None)
        if key:
            # TRANSLATORS: {key} is the file's list, as written in it: sessions, topics...
            template = N_("{count} {key}; at most {limit} allowed per consultation")
        else:
            template = N_("{count} entries; at most {limit} allowed per consultation")
        chk.problem(line, key or "", template, key=key or "", count=len(items), limit=limit)
        return
    lines = getattr(items, "item_lines", [None] * len(items))
    for index, item in enumerate(items):
        label = f"{key or 'entry'} #{index + 1}"
        if not isinstance(item, dict):
            chk.problem(lines[index], label, N_("each entry must be a mapping of fields"))
            continue
        if "id" in item:
            label = f"{label} id={item['id']}"
        yield label, item


# --- Warnings -------------------------------------------------------------------------------

# Per file, at most this many warnings are listed (`check --all` lists them all).
WARNINGS_LISTED = 10


def texts_in(value: object) -> Iterator[Text]:
    """Every Text inside `value` (a consultation, its sessions, speakers, survey...)."""
    if isinstance(value, Text):
        yield value
    elif is_dataclass(value) and not isinstance(value, type):
        for item in fields(value):
            yield from texts_in(getattr(value, item.name))
    elif isinstance(value, tuple | list):
        for item in value:
            yield from texts_in(item)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from texts_in(item)


def missing_translations(
    value: object, languages: tuple[str, ...], default_language: str
) -> list[DataProblem]:
    """A warning for each text of `value` read from a file that lacks one of `languages`:
    readers of that language see it in the default language."""
    found: dict[TextOrigin, DataProblem] = {}
    for text in texts_in(value):
        origin = text.origin
        if origin is None or origin in found:  # a speaker's card is reached from each session
            continue
        missing = [lang for lang in languages if lang not in text.values]
        if missing:
            found[origin] = DataProblem(
                origin.file,
                origin.line,
                origin.place,
                # TRANSLATORS: "title: no 'fr', 'ar' text; readers in French and Arabic see
                # the English text". {key} is a field of the file, as written in it.
                N_("{key}: no {codes} text; readers in {languages} see the {default} text"),
                {
                    "key": origin.key,
                    "codes": ", ".join(f"'{lang}'" for lang in missing),
                    "languages": LanguageNames(tuple(missing)),
                    "default": LanguageNames((default_language,)),
                },
            )
    return sorted(found.values(), key=lambda p: (str(p.file), p.line or 0))


def language_name(code: str, lang: str) -> str:
    """The name of language `code` in language `lang`: 'Arabic', 'arabe', 'árabe'."""
    return str(Locale.parse(lang).languages.get(code, code))


def summarised(
    warnings: Iterable[DataProblem], listed: int = WARNINGS_LISTED
) -> list[DataProblem]:
    """The warnings grouped by file, at most `listed` per file and then how many more there
    are: hundreds of untranslated titles would hide everything else."""
    by_file: dict[Path, list[DataProblem]] = {}
    for warning in warnings:
        by_file.setdefault(warning.file, []).append(warning)
    shown: list[DataProblem] = []
    for file, found in by_file.items():
        if len(found) <= listed + listed // 2:  # a few more are shown rather than counted
            shown += found
            continue
        shown += found[:listed]
        shown.append(
            DataProblem(
                file,
                None,
                "",
                N_(
                    "{count} more warnings for this file, like those above "
                    "(python -m bot check --all lists them all)"
                ),
                {"count": len(found) - listed},
            )
        )
    return shown
