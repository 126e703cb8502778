"""Answers free-text questions from the organisers' FAQ, logistics topics, documents, programme.

The matcher only ever points at organisers' text: an FAQ entry, a logistics topic, a document (a
concept note, slides: found by its title, and answering when it covers the question better than any
entry) or sessions of the programme. It never writes an answer. Questions are normalised (case,
accents, Arabic letter forms, diacritics and tatweel), stemmed with Snowball in each language,
mapped to shared conference concepts (`matcher_lexicon`) and scored BM25-style against every
language's phrasing of each entry, so a question in one language finds an entry written in another.
Typos are mended with rapidfuzz against the index's own vocabulary (one typo, two in long words,
never the first letter). When too little of the question is covered by the best entry, the matcher
abstains: a common word the index does not know (python-stop-words) does not count against it, a
rare one does ("is there a gym").
A question that meets the entry's own wording on several distinct words needs less coverage: the
words left over are then more likely a new way of putting it than a new subject; so does one that
names two of the concepts the entry is about and none it lacks. Days of the week, numbers and
times frame a question rather than make its subject. A concept an entry names in several of its
phrasings weighs more there than in an entry that names it once in passing: among hundreds of
entries, the one about lunch, not one that mentions lunch, answers "is lunch halal". Words of the
delegate's situation (travel, work, the people with them, moments, feelings: "my flight lands at
2pm", "security reasons back home") that an entry does not meet count less against it, unless the
question asks their price or asks for them to be booked ("how much is a night", "book my flight").
A question naming one member of a family (a disease, a place of worship, a kind of place, a travel
document) is not answered by an entry about another member that never names the one asked: the
entry on yellow fever does not answer "do I need a covid test", the venue's wifi not the hotel's;
nor is a price asked in a currency the entry quotes nothing in. A name written with a capital
inside a sentence that no text of the index contains ("the Ibis", "in Westlands") is a subject
the organisers' text does not speak of, unless it is where the delegate comes from. Where the
delegate is from ("soy colombiana", "I'm Nigerian", "from Manila") and a spoken Arabic verb
("نقدر", "كيكون") frame a question when the index does not know them, as situation words do.
A disease or a place of worship is one thing under each of its names ("palu", "paludisme",
"malaria"), as a concept is. A hyphenated name ("M-Pesa") is also indexed whole ("mpesa").
A price is answered only by an entry about each member asked: the taxi from the airport does
not price the taxi from the station.
"""

from __future__ import annotations

import heapq
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from zoneinfo import available_timezones

import snowballstemmer
from babel import Locale
from babel.core import get_global
from rapidfuzz import process
from rapidfuzz.distance import OSA
from stop_words import get_stop_words

from bot.services.data_reading import Text
from bot.services.documents import REF_PREFIX as DOCUMENT_REF
from bot.services.documents import documents_of
from bot.services.event_data import (
    Consultation,
    Document,
    FaqEntry,
    Room,
    Session,
    Speaker,
    Topic,
    now_and_next,
)
from bot.services.matcher_lexicon import (
    ACT_VERBS,
    COME_WORDS,
    COMMON_WORDS,
    CONCEPTS,
    CURRENCIES,
    FAMILIES,
    FOR_ME,
    FROM_WORDS,
    FUNCTION_WORDS,
    GREETINGS,
    HOW_MUCH,
    NOT_A_PRICE,
    NOT_PLACES,
    PLACE_LOOKALIKES,
    PRICE_ANSWERS,
    PRICE_WORDS,
    SITUATION_WORDS,
    THANKS,
)
from bot.services.speakers import SpeakerNames

# --- Tuning (thresholds cross-validated by `bench/eval_matcher.py --cv`) ------------------

K1 = 1.2
B = 0.3
QUESTION_WEIGHT = 1.0
KEYWORD_WEIGHT = 2.0
# A phrasing organisers taught from a delegate's question (/gaps) counts half an organiser's own:
# delegates' questions carry their situation too ("my flight is at 8"). Chosen by teaching the
# spent evaluation sets' refusals and measuring each spent set in turn (bench/eval_matcher.py
# --teach): 1.0 gave 83.3 / 91.4, 0.5 gave 83.1 / 92.6 (top-1 / abstention).
TAUGHT_WEIGHT = 0.5
ANSWER_WEIGHT = 0.25
ANSWER_CREDIT = 0.5
TOPIC_PENALTY = 0.85
MIN_COVERAGE = 0.55
MIN_SCORE = 2.5
# A question that meets an entry's own wording on several distinct words is answered at a lower
# coverage: the words left over are then more likely a new way of framing it than a new subject.
RELAXED_COVERAGE = 0.35
RELAXED_HITS = 3
# A question that names two of the concepts an entry is about ("leave" and "suitcase" of the
# cloakroom) and no concept the entry lacks is answered at a little less coverage: an unknown
# word beside them is then more often a detail of the delegate's situation than a new subject.
CONCEPT_COVERAGE = 0.45
CONCEPT_HITS = 2
CENTRAL_NAMINGS = 2  # phrasings of an entry that must name a concept for it to count above
# A concept an entry names in several of its phrasings is what the entry is about: a question
# naming it weighs it that much more there than in entries that name it once in passing.
CENTRAL_BONUS = 2.0
SESSION_SHARE = 0.75
# When it abstains, the nearest entries are offered for the delegate to choose from, if they
# cover this much of the question and score this much.
MAX_SUGGESTIONS = 2
SUGGEST_COVERAGE = 0.25
SUGGEST_SCORE = 1.5
MAX_SESSIONS = 5
FUZZY_MIN_LENGTH = 5
SHORT_STEM = 4  # a shorter Latin stem names no concept on its own
FUZZY_LONG = 9  # from this length a word may have two typos, below it one
SESSION_WITHOUT_CUE = 0.8
CONCEPT_BONUS = 1.0
STOPWORD_SHARE = 0.15  # a common word that is no concept counts this share of its weight
UNKNOWN_SHARE = 0.8  # a word the index does not know weighs this share of the rarest word's weight
# A word of the delegate's situation ("my flight lands", "security reasons back home") that an
# entry does not meet counts this share of its weight against that entry's coverage.
SITUATION_SHARE = 0.4

# --- Normalisation ------------------------------------------------------------------------

_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
_ARABIC_LETTERS = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ؤ": "و", "ئ": "ي", "\u0640": None}
)
_ARABIC_ENDINGS = str.maketrans({"ة": "ه", "ى": "ي"})
_JOINED = re.compile(r"(?<=\w)[-‐‑](?=\w)")
_WORD = re.compile(r"\w+")
_HYPHENATED = re.compile(r"\w+(?:[-‐‑]\w+)+")
# Filled below from the lexicon: hyphenated words that are one word ("wi-fi" is "wifi").
_KNOWN_JOINED: set[str] = set()
# Filled below from the lexicon: words also typed in two ("check in", "wi fi", "per diem").
_COMPOUNDS: set[str] = set()
_ARABIC_WORD = re.compile("[\u0600-\u06ff]")

_STEMMERS = {
    lang: snowballstemmer.stemmer(name)
    for lang, name in (("en", "english"), ("fr", "french"), ("es", "spanish"), ("ar", "arabic"))
}


def normalise(text: str) -> str:
    """Casefolded, without accents, Arabic letter variants unified, hyphenated words joined."""
    text = unicodedata.normalize("NFKC", text)
    text = _ARABIC_MARKS.sub("", text).translate(_ARABIC_LETTERS).casefold()
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", text)


def words(text: str) -> list[str]:
    """The normalised words of `text` (apostrophes and punctuation split words).

    A hyphenated word is kept whole when the whole is a known word ("wi-fi", "check-in"),
    else split ("peut-on", "rez-de-chaussée").
    """
    found = _WORD.findall(_HYPHENATED.sub(_join, normalise(text).replace("_", " ")))
    joined: list[str] = []
    for word in found:
        if joined and joined[-1] + word in _COMPOUNDS:
            joined[-1] += word
        else:
            joined.append(word)
    return joined


def _join(found: re.Match[str]) -> str:
    joined = _JOINED.sub("", found.group(0))
    return joined if joined in _KNOWN_JOINED else _JOINED.sub(" ", found.group(0))


def _is_arabic(word: str) -> bool:
    return bool(_ARABIC_WORD.search(word))


@lru_cache(maxsize=65536)
def _forms(word: str) -> frozenset[str]:
    """The word itself and its stems (each Latin language's, or the Arabic one)."""
    if _is_arabic(word):
        found = {word, _STEMMERS["ar"].stemWord(word)}
        if len(word) >= 5 and word[0] == "ب" and word[1] in "يتنا":
            # Levantine and Egyptian mark the present with b-: "بتتسجل" is "تتسجل".
            found |= {word[1:], _STEMMERS["ar"].stemWord(word[1:])}
        bare = _without_clitic(word)
        if bare != word:
            found |= {bare, _STEMMERS["ar"].stemWord(bare)}
        # Spoken Arabic drops a final hamza: "الغدا" is "الغداء", "عشا" is "عشاء".
        found |= {form[:-1] for form in found if form.endswith("اء") and len(form) >= 4}
        return frozenset(form.translate(_ARABIC_ENDINGS) for form in found)
    if word.isdigit() or len(word) < 3:
        return frozenset({word})
    return frozenset({word} | {_STEMMERS[lang].stemWord(word) for lang in ("en", "fr", "es")})


# Arabic writes "and", "with", "for", "like" and "so" onto the next word: "والجاكيت",
# "بالمنظمين", "للتسجيل". Longest first; the rest must stay a word of three letters or more.
_CLITICS = ("وبال", "وال", "بال", "فال", "كال", "لل", "و", "ف", "ب", "ل")


def _without_clitic(word: str) -> str:
    for clitic in _CLITICS:
        rest = word[len(clitic) :]
        if word.startswith(clitic) and len(rest) >= (3 if clitic.endswith("ال") else 4):
            return "ال" + rest if clitic.endswith("ال") or clitic == "لل" else rest
    return word


# A price asked in a currency the entry quotes nothing in ("the eTA fee in dollars") is a price
# it does not give, whatever else it names.
_AMOUNT_FAMILIES = frozenset({"currency"})
# The one-word names of a disease or a place of worship ("palu", "paludisme", "ملاريا") name
# one thing in every language, as a concept's words do: a question naming it by one meets an
# entry naming it by another. (Places, documents and currencies are named in passing far more
# often than asked about: as concepts they answered questions on other subjects.)
_SYNONYM_FAMILIES = frozenset({"disease", "worship"})


def _build_concepts() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """The concepts of each lexicon word, and those of each of its stems (filtered below)."""
    by_word: dict[str, set[str]] = defaultdict(set)
    by_stem: dict[str, set[str]] = defaultdict(set)
    for members in CONCEPTS.values():
        for member in members:
            if re.search(r"\w[-‐‑]\w", member):
                _KNOWN_JOINED.add(_JOINED.sub("", normalise(member)))
            elif " " not in member and not _is_arabic(member) and len(member) >= 4:
                _COMPOUNDS.add(normalise(member))
    named = [
        (f"{family}:{member}", names)
        for family, members in FAMILIES.items()
        if family in _SYNONYM_FAMILIES
        for member, names in members.items()
    ]
    for concept, members in (*CONCEPTS.items(), *named):
        for member in members:
            parts = words(member)
            if len(parts) != 1:
                continue
            by_word[parts[0]].add("#" + concept)
            for form in _forms(parts[0]) - {parts[0]}:
                by_stem[form].add("#" + concept)
    return by_word, by_stem


_CONCEPT_WORDS, _CONCEPT_STEMS = _build_concepts()


def _weekdays() -> frozenset[str]:
    """The days of the week in the four languages (CLDR, through Babel), Arabic ones also
    without the article and the final hamza ("الاربعا", "اربعاء")."""
    found: set[str] = set()
    for lang in ("en", "fr", "es", "ar"):
        for name in Locale.parse(lang).days["format"]["wide"].values():
            for word in words(name):
                found.add(word)
                if _is_arabic(word):
                    bare = word.removeprefix("ال")
                    found |= {bare, word.rstrip("ء"), bare.rstrip("ء")}
    return frozenset(found)


def _weekday_numbers() -> dict[str, int]:
    """Each normalised day name (as `_weekdays` spells them) and its number, Monday 0."""
    found: dict[str, int] = {}
    for lang in ("en", "fr", "es", "ar"):
        for number, name in Locale.parse(lang).days["format"]["wide"].items():
            for word in words(name):
                found[word] = number
                if _is_arabic(word):
                    bare = word.removeprefix("ال")
                    for form in (bare, word.rstrip("ء"), bare.rstrip("ء")):
                        found[form] = number
    return found


# A day of the week says when, not what: "is registration open on Wednesday" is about
# registration, whichever entries happen to name Wednesday.
_WEEKDAYS = _weekdays()
_WEEKDAY_NUMBERS = _weekday_numbers()
_FUNCTION = frozenset(w for item in FUNCTION_WORDS for w in words(item)) | _WEEKDAYS
_GREETINGS = frozenset(w for item in GREETINGS for w in words(item))
_THANKS = frozenset(w for item in THANKS for w in words(item))
# Common words of the four languages (python-stop-words): one the index does not know says
# nothing about what the question is on ("is there SOMEWHERE to pray"), so it is not counted
# against the coverage; an unknown word that is not common is the subject ("is there a GYM").
_STOPWORDS = frozenset(
    w for lang in ("en", "fr", "es", "ar") for item in get_stop_words(lang) for w in words(item)
)
_COMMON = _STOPWORDS | frozenset(w for item in COMMON_WORDS for w in words(item))
_COMMON_STEMS = frozenset(
    form for word in _COMMON if not _is_arabic(word) for form in _forms(word) if len(form) >= 4
)


def _concepts_by_form() -> dict[str, frozenset[str]]:
    """Concepts by word form: each lexicon word's, and its stems' but for a stem that is itself
    a short or an everyday word ("herido" is "her", "dañado" is "dan", "راحة" is "راح"): that
    word would name the concept in every question that uses it."""
    by_form = {form: set(concepts) for form, concepts in _CONCEPT_WORDS.items()}
    for form, concepts in _CONCEPT_STEMS.items():
        if (len(form) >= SHORT_STEM or _is_arabic(form)) and form not in _COMMON | _FUNCTION:
            by_form.setdefault(form, set()).update(concepts)
    return {form: frozenset(concepts) for form, concepts in by_form.items()}


_CONCEPTS_BY_FORM = _concepts_by_form()


def is_stop_word(word: str) -> bool:
    """Whether a normalised word is a stop-word of one of the four languages ("the", "de",
    "في"), which a search of the programme skips."""
    return word in _STOPWORDS


@lru_cache(maxsize=65536)
def is_common(word: str) -> bool:
    """Whether `word` is an everyday word (a stop-word or a framing verb) rather than a subject.

    A number, a time or an amount ("10", "7am", "19h") is a detail of the question, not its
    subject.
    """
    if word in _COMMON or any(c.isdigit() for c in word):
        return True
    return not _is_arabic(word) and any(
        form in _COMMON_STEMS for form in _forms(word) if form != word
    )


_SITUATION = frozenset(_signal_word for item in SITUATION_WORDS for _signal_word in words(item))
_SITUATION_STEMS = frozenset(
    form
    for word in _SITUATION
    if not _is_arabic(word)
    for form in _forms(word)
    if form != word and len(form) >= SHORT_STEM
)


@lru_cache(maxsize=65536)
def is_situation(word: str) -> bool:
    """Whether `word` tells the delegate's circumstances (travel, work, people, moments,
    feelings) rather than what they ask about."""
    if _is_arabic(word):
        return any(
            form.translate(_ARABIC_ENDINGS) in _SITUATION for form in (word, _without_clitic(word))
        )
    return word in _SITUATION or any(form in _SITUATION_STEMS for form in _forms(word))


def stems(word: str) -> frozenset[str]:
    """A normalised word and its stems (each Latin language's, or the Arabic one): what the
    matcher and the programme search compare words by."""
    return _forms(word)


Spellings = dict[tuple[str, int], list[str]]


def spellings(vocabulary: Iterable[str]) -> Spellings:
    """Known words by first letter and length, as `closest_spelling` looks them up (a typo
    rarely hits the first letter)."""
    found: Spellings = defaultdict(list)
    for word in sorted(vocabulary):
        if word:
            found[word[0], len(word)].append(word)
    return found


def closest_spelling(word: str, known: Spellings) -> str | None:
    """The known word `word` is a typo of: one typo (a letter missing, extra, wrong or two
    letters swapped) in a word of 5 to 8 letters, two in a longer one; never on the first
    letter. None for a shorter word, or when no known word is that close."""
    if len(word) < FUZZY_MIN_LENGTH:
        return None
    candidates: list[str] = []
    for size in range(len(word) - 1, len(word) + 2):
        candidates.extend(known.get((word[0], size), ()))
    typos = 2 if len(word) >= FUZZY_LONG else 1
    best = process.extractOne(word, candidates, scorer=OSA.distance, score_cutoff=typos)
    return None if best is None else str(best[0])


_THANKS_CORE = frozenset(words("thanks thank thx ty cheers merci gracias شكرا مشكور جزيلا"))
_GREETING_CORE = frozenset(
    words("hi hello hey hiya bonjour bonsoir salut coucou hola buenos buenas مرحبا اهلا السلام")
)


@lru_cache(maxsize=65536)
def terms(word: str) -> frozenset[str]:
    """Index terms for one normalised word: its forms and the concepts they belong to."""
    forms = _forms(word)
    concepts: set[str] = set()
    for form in forms:
        if form == word or len(form) >= SHORT_STEM or _is_arabic(form):
            # A stem of three letters is shared by unrelated words across languages
            # ("como" and "comer" are both "com"): only the word itself names a concept then.
            concepts |= _CONCEPTS_BY_FORM.get(form, frozenset())
    return forms | concepts


_NOW = frozenset(
    words("now currently maintenant actuellement ahora ahorita الان حاليا الحين هلق دلوقتي")
)
_NEXT = frozenset(
    words(
        "next upcoming later prochain prochaine prochaines suivant suivante apres siguiente "
        "siguientes proximo proxima luego التالي التاليه القادم القادمه بعدين"
    )
)
_SESSION_CUES = frozenset(
    words(
        "session sessions workshop panel plenary talk talks speak speaks speaker speakers "
        "speaking presents presenting who moderates moderator programme program agenda "
        "seance session atelier pleniere intervenant intervenants intervient parle qui "
        "sesion taller plenaria ponente ponentes panelistas habla quien quienes "
        "جلسه الجلسه ورشه ورشة متحدث المتحدثين المتحدثون يتحدث يتكلم من مين يحكي بيحكي "
        "بيتكلم بتتكلم بيقدم"
    )
)
_INTENT = _NOW | _NEXT | _SESSION_CUES
# Words that say nothing about the subject: a question is covered when the rest is.
_NOT_CONTENT = _FUNCTION | _INTENT | _GREETINGS | _THANKS
_GENERIC_ROOM = frozenset(words("room salle sala القاعه قاعه hall the la el de"))

# When in the programme a question asks about ("what is on tomorrow morning", "what is in room 2
# after lunch"): a day, a part of the day, or after a session of the programme.
_TODAY = frozenset(words("today tonight aujourd hui hoy اليوم الليله النهارده"))
_TOMORROW = frozenset(words("tomorrow demain بكره بكرة بكرا غدا"))
_MANANA = "manana"  # Spanish: "mañana" is tomorrow, "la mañana" the morning
_MORNING = frozenset(words("morning matin matinee صباح الصبح الصباح صباحا"))
_AFTERNOON = frozenset(words("afternoon aprem aprem tarde العصر"))
_EVENING = frozenset(words("evening tonight soir soiree noche مساء المساء المسا الليل الليله"))
_AFTER = frozenset(words("after apres despues بعد"))
# Two words naming a part of the day: "après-midi", "بعد الظهر".
_AFTERNOON_PAIRS = frozenset({("apres", "midi"), ("بعد", "الظهر"), ("بعد", "الضهر")})
_PARTS = {"morning": (6, 12), "afternoon": (12, 18), "evening": (18, 24)}
MAX_PROGRAMME = 12  # sessions listed for a part of the day
# "At what time must I be there on Tuesday morning" asks a time, not the programme of a morning.
_WHAT_TIME = frozenset(words("time when heure quand hora cuando متى الساعه ساعه وقت"))

# "Sessions on localization", "des séances sur la localisation", "sesiones sobre localización",
# "جلسات عن التوطين": a list of sessions on a subject, which the programme search answers
# (bot/services/session_search.py). Only a plural asks for a list: "the workshop on
# localization, which room?" asks about one session, and the matcher answers it.
_LISTED = frozenset(
    words(
        "sessions talks workshops panels presentations events lectures seances ateliers "
        "conferences tables evenements interventions sesiones talleres charlas ponencias "
        "paneles eventos conferencias جلسات الجلسات ورش الورش ورشات محاضرات المحاضرات "
        "فعاليات الفعاليات ندوات الندوات"
    )
)
_ABOUT = frozenset(
    words(
        "on about regarding concerning covering sur concernant propos autour sobre acerca "
        "torno عن حول بشأن بخصوص"
    )
)
# Between the sessions and "about": "sessions THAT TALK about", "y A-T-IL des ateliers",
# "tables RONDES sur", "sesiones QUE TRATAN sobre", "الجلسات التي تتحدث عن".
_BETWEEN = frozenset(
    words(
        "are there is that which talk talking rondes qui parlent traitent y a t il en hay que "
        "hablan tratan التي تتحدث تتناول تتكلم"
    )
)
_ABOUT_LINKS = frozenset(words("de d a del"))  # "à propos DE", "acerca DE", "en torno A"
# In French "on" is a pronoun: "les sessions, on peut arriver en retard ?"
_FRENCH_BEFORE = frozenset(words("les des aux ces mes vos nos tes leurs"))
_WHEN_WORDS = _TODAY | _TOMORROW | _MORNING | _AFTERNOON | _EVENING | {_MANANA}


def asked_search(question: str) -> str | None:
    """The subject of a question asking for the sessions on it ("sessions on localization"),
    as the delegate wrote it; None for any other question. A subject of days and times alone
    ("sessions on Tuesday") asks what is on then, not a search."""
    tokens = words(question)
    for i, word in enumerate(tokens):
        if word not in _LISTED:
            continue
        about = i + 1
        while about < len(tokens) and tokens[about] in _BETWEEN and about - i <= 4:
            about += 1
        if about >= len(tokens) or tokens[about] not in _ABOUT:
            continue
        if tokens[about] == "on" and i and tokens[i - 1] in _FRENCH_BEFORE:
            continue
        start = about + 1
        while start < len(tokens) and tokens[start] in _ABOUT_LINKS:
            start += 1
        subject = tokens[start:]
        if not any(
            not is_common(w) and w not in _NOT_CONTENT and w not in _WHEN_WORDS for w in subject
        ):
            continue
        return _as_written(question, tokens, about, start - about - 1) or " ".join(subject)
    return None


def _as_written(question: str, tokens: list[str], about: int, links: int) -> str:
    """The question's text after its word `tokens[about]` and `links` more words, as written."""
    wanted = tokens[about]
    seen = tokens[:about].count(wanted)
    text = unicodedata.normalize("NFKC", question)
    found = [m for m in _WORD.finditer(text) if normalise(m.group()) == wanted]
    if len(found) <= seen:
        return ""
    end = found[seen].end()
    for _skip in range(links):
        following = _WORD.search(text, end)
        if following is None:
            return ""
        end = following.end()
    return text[end:].strip(" \t\n'’?!.¿¡؟,:;-")


# --- Questions beyond the organisers' text ------------------------------------------------


def _signal(word: str) -> str:
    """A normalised word in the form the out-of-scope word lists are compared in."""
    return word.translate(_ARABIC_ENDINGS)


def _signal_set(items: Iterable[str]) -> frozenset[str]:
    return frozenset(_signal(w) for item in items for w in words(item))


_GENERIC_SIGNALS = frozenset(_signal(w) for w in _GENERIC_ROOM)
# Words of a question asking the way to a room, besides the room's name: "HOW do I GET to room 2",
# "où est la salle 2", "¿cómo llego a la sala 2?", "كيف اوصل للقاعة 2", "map of room 2".
_WAY = frozenset(
    _signal(w)
    for w in words(
        "where way get go reach find map plan floor directions there to the a is "
        "ou est chemin aller trouver acceder carte etage la le les au a "
        "donde esta como llegar llego ir encontrar mapa camino planta piso a al la el "
        "اين وين فين كيف طريق الطريق اروح اوصل الوصول خريطه خريطة وصول"
    )
)


_PRICE = _signal_set(PRICE_WORDS)
_PRICE_OR_ANSWER = _PRICE | _signal_set(PRICE_ANSWERS)
_NOT_A_PRICE = _signal_set(NOT_A_PRICE)
_HOW_MUCH = tuple(tuple(words(" ".join(phrase))) for phrase in HOW_MUCH)
_PRICE_FRAMING = _PRICE | {w for phrase in _HOW_MUCH for w in phrase}
_ACT = _signal_set(ACT_VERBS)
_FOR_ME = _signal_set(FOR_ME)
_FROM = _signal_set(FROM_WORDS)
_COME = _signal_set(COME_WORDS)
_CURRENCY = re.compile(CURRENCIES)


def asks_price(tokens: Sequence[str]) -> bool:
    """Whether the question asks what something costs ("how much", "combien coûte", "بكم")."""
    signals = [_signal(w) for w in tokens]
    if any(w in _PRICE for w in signals):
        return True
    for start in range(len(signals)):
        for phrase in _HOW_MUCH:
            end = start + len(phrase)
            if tuple(signals[start:end]) == phrase and (
                end >= len(signals) or signals[end] not in _NOT_A_PRICE
            ):
                return True
    return False


def asks_to_act(tokens: Sequence[str]) -> bool:
    """Whether the question asks someone to do something for the delegate ("book me a taxi")."""
    signals = {_signal(w) for w in tokens}
    return bool(signals & _ACT) and bool(signals & _FOR_ME)


@cache
def _place_names() -> dict[str, tuple[tuple[str, ...], ...]]:
    """Countries, regions and cities in the four languages (CLDR, through Babel), by first word.

    A name that is also an everyday or a conference word is left out: it says nothing of a place.
    """
    names: set[str] = set()
    aliases = get_global("zone_aliases")
    zones = {
        aliases.get(zone, zone)
        for zone in available_timezones()
        if "/" in zone and not zone.startswith("Etc/")
    }
    for lang in ("en", "fr", "es", "ar"):
        locale = Locale.parse(lang)
        names |= {n for code, n in locale.territories.items() if code not in NOT_PLACES}
        # The zone's city in this language (what babel.dates.get_timezone_location gives,
        # read straight from CLDR: 60 times faster).
        cities = locale.time_zones
        for zone in zones:
            city = cities.get(zone, {}).get("city")
            names.add(city or zone.rsplit("/", 1)[-1].replace("_", " "))
    by_first: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for name in names:
        parts = tuple(words(name))
        if not parts or (
            len(parts) == 1
            and (
                len(parts[0]) < 4
                or parts[0] in PLACE_LOOKALIKES
                or is_common(parts[0])
                or parts[0] in _NOT_CONTENT
                or any(t.startswith("#") for t in terms(parts[0]))
            )
        ):
            continue
        by_first[parts[0]].add(parts)
    return {first: tuple(found) for first, found in by_first.items()}


def places_in(tokens: Sequence[str], *, origins: bool = True) -> set[tuple[str, ...]]:
    """The place names in `tokens`; without `origins`, not those one comes from ("from Manila")."""
    names = _place_names()
    found = set()
    for start, word in enumerate(tokens):
        for place in names.get(word, ()):
            if tuple(tokens[start : start + len(place)]) == place and (
                origins or not _comes_from(tokens, start)
            ):
                found.add(place)
    return found


def _comes_from(tokens: Sequence[str], start: int) -> bool:
    """Whether the place at `start` is where the delegate comes from ("from Manila")."""
    before = [_signal(w) for w in tokens[max(0, start - 2) : start]]
    return bool(before) and (
        before[-1] in _FROM
        or (len(before) == 2 and before[0] in _COME and before[1] in ("de", "d", "del"))
    )


# Spoken Arabic conjugates the present with a prefix ("نقدر", "تنزل", "بتكون", "كيكون"):
# an Arabic word the index does not know that opens so, without the article, is a verb of how
# the delegate frames the question far more often than its subject, which is a noun.
_ARABIC_VERB = re.compile("^(?:[بك][يتنا]..|[يتنا]...)")


def _arabic_verb(word: str) -> bool:
    """Whether the Arabic `word` looks like a conjugated verb (a present-tense prefix)."""
    return _is_arabic(word) and not word.startswith("ال") and bool(_ARABIC_VERB.match(word))


@cache
def _place_stems() -> frozenset[str]:
    """One-word place names, whole or less one or two last letters ("japon", "colombi",
    "hondur"): a word that extends one ("japonais", "colombiana", "hondureno") says where the
    delegate is from."""
    return frozenset(
        place[0][:size]
        for places in _place_names().values()
        for place in places
        if len(place) == 1 and not _is_arabic(place[0])
        for size in range(max(4, len(place[0]) - 2), len(place[0]) + 1)
    )


_DEMONYM_ENDING = re.compile(
    "(?:i?an[aeo]?s?|i?ens[ea]?s?|i?enne?s?|ese?s?|ai[ns]?e?s?|oise?s?|e[nñ][oa]s?|ol[ae]?s?"
    "|[aeio]s?)"
)


def _demonym(word: str) -> bool:
    """Whether `word` names the people of a place ("colombiana", "nigerian", "keniano")."""
    stems = _place_stems()
    return any(
        word[:size] in stems and bool(_DEMONYM_ENDING.fullmatch(word[size:]))
        for size in range(4, len(word))
    )


# The first word of a sentence is capitalised whatever it is.
_SENTENCE = re.compile(r"(?:^|[.!?¿¡:;])\s*(\w+)")


def _names(question: str) -> frozenset[str]:
    """The words of `question` written with a capital inside a sentence ("the Ibis", "in
    Westlands"): names of people, places and things."""
    text = unicodedata.normalize("NFKC", question)
    first = {found.start(1) for found in _SENTENCE.finditer(text)}
    return frozenset(
        normal
        for found in _WORD.finditer(text)
        if found.start() not in first
        and found.group()[0].isupper()
        and not _is_arabic(found.group())
        for normal in words(found.group())
        if len(normal) >= 3 and not found.group().isupper()
    )


def _consultation_texts(consultation: Consultation) -> Iterable[str]:
    """Every text of a consultation besides its FAQ: the places it speaks of are known."""
    for text in (consultation.name, consultation.description, consultation.venue.name):
        yield from _texts(text)
    yield from _texts(consultation.venue.address)
    yield from _texts(consultation.venue.directions)
    for topic in consultation.topics:
        yield from topic.title.all()
        yield from topic.text.all()
    for room in consultation.rooms:
        for text in (room.name, room.location, room.directions, room.accessibility):
            yield from _texts(text)
    for placed in documents_of(consultation):
        yield from placed.document.title.all()
    for session in consultation.sessions:
        for text in (session.title, session.description, session.room, session.track):
            yield from _texts(text)
        for speaker in session.speakers:
            yield speaker.name
            yield from _texts(speaker.affiliation)


# --- Members of one family -------------------------------------------------------------------


@lru_cache(maxsize=65536)
def _member_forms(word: str) -> frozenset[str]:
    """The forms a word is compared with family members in: itself, and in Arabic without
    "and", "with", "the" attached and with one spelling of its ending. Never a stem: "francais"
    would be the currency "franc"."""
    if not _is_arabic(word):
        return frozenset({word})
    return frozenset(w.translate(_ARABIC_ENDINGS) for w in (word, _without_clitic(word)))


def _build_members() -> tuple[dict[str, frozenset[str]], dict[str, tuple[tuple[str, ...], ...]]]:
    """Family members by word form (one-word members) and by first word (phrases)."""
    by_form: dict[str, set[str]] = defaultdict(set)
    phrases: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for family, members in FAMILIES.items():
        for member, names in members.items():
            for name in names:
                parts = tuple(words(name))
                if len(parts) == 1:
                    for form in _member_forms(parts[0]):
                        by_form[form].add(f"{family}:{member}")
                elif parts:
                    for form in _member_forms(parts[0]):
                        phrases[form].add((f"{family}:{member}", *parts[1:]))
    return (
        {form: frozenset(found) for form, found in by_form.items()},
        {first: tuple(found) for first, found in phrases.items()},
    )


_MEMBERS_BY_FORM, _MEMBER_PHRASES = _build_members()


@lru_cache(maxsize=65536)
def _names_member(word: str) -> bool:
    return any(f in _MEMBERS_BY_FORM or f in _MEMBER_PHRASES for f in _member_forms(word))


def members_in(tokens: Sequence[str]) -> frozenset[str]:
    """The family members `tokens` name ("disease:covid", "place:hotel")."""
    found: set[str] = set()
    for start, word in enumerate(tokens):
        if not _names_member(word):
            continue
        for form in _member_forms(word):
            found |= _MEMBERS_BY_FORM.get(form, frozenset())
            for member, *rest in _MEMBER_PHRASES.get(form, ()):
                if list(tokens[start + 1 : start + 1 + len(rest)]) == rest:
                    found.add(member)
    return frozenset(found)


def _family(member: str) -> str:
    return member.partition(":")[0]


# --- Results ------------------------------------------------------------------------------

GREETING = "greeting"
THANKS_KIND = "thanks"
ACKNOWLEDGED = "acknowledged"  # "ok", "👍"
EMPTY = "empty"  # no word at all: "?", "…"
FAQ = "faq"
TOPIC = "topic"
DOCUMENT = "document"
SESSIONS = "sessions"
SPEAKER = "speaker"  # a speaker's card: "who is X", or a question that is only their name
ROOM = "room"  # where a room is ("where is room 2"): its card
NONE = "none"


def answer_ref(entry: FaqEntry | Topic | Document) -> str:
    """How an answer is named (stored, exported, in buttons): the FAQ entry's id, `topic:<id>`,
    `doc:<id>`."""
    if isinstance(entry, Topic):
        return f"topic:{entry.id}"
    if isinstance(entry, Document):
        return f"{DOCUMENT_REF}{entry.id}"
    return entry.id


@dataclass(frozen=True)
class Weighed:
    """How one FAQ entry or topic fared against a question, in the matcher's words."""

    score: float  # BM25-style, a topic's lowered as when ranking
    coverage: float  # the share of the question's weight the entry meets (0 to 1)
    hits: int  # distinct words of the question its own questions, keywords or title meet


@dataclass(frozen=True)
class Evidence:
    """What the matcher saw beside what it decided, for a decision that weighs other signals
    too (bot/services/decision.py). It changes nothing the matcher answers on its own."""

    # FAQ entries, topics and sessions meeting a word of the question, by answer ref
    # (`session:<id>` for a session).
    weighed: dict[str, Weighed]
    # Answer refs an out-of-scope signal rules out as the answer, with the signals that fired:
    # "beyond" (a place or a name no text of the organisers speaks of), "price" (a price
    # asked of an entry naming none), "act" ("book me…" asked of one that books nothing),
    # "member" (another member of a family: the yellow fever entry for "covid").
    blocked: dict[str, frozenset[str]]
    # The question's weight carried by words no text of the consultation contains, as a share
    # (0 to 1): "is there a GYM".
    unknown: float
    # Whether the matcher's own gate let its best entry answer (before the out-of-scope ones).
    gate: bool
    # The best session's coverage, and whether the question names the programme ("who speaks").
    session_coverage: float
    session_cue: bool


@dataclass(frozen=True)
class Match:
    """What the matcher found: organisers' text to show, or an honest abstention."""

    kind: str
    score: float = 0.0
    faq: FaqEntry | None = None
    topic: Topic | None = None
    sessions: tuple[Session, ...] = ()
    document: Document | None = None
    # "now" or "next" for programme questions about time; "then" for a day, a part of the day or
    # after a session when nothing is on the programme then.
    when: str | None = None
    room: Text | None = None  # the room asked about, its name in each language
    room_id: str | None = None  # that room in rooms.yaml (a ROOM answer: the room to show)
    # SPEAKER: the speaker asked about, or those sharing the name asked (nearest first).
    speakers: tuple[Speaker, ...] = ()
    # The subject of a search of the programme ("sessions on localization"), as written: the
    # sessions are then those the search finds (bot/services/session_search.py).
    search: str | None = None
    # When abstaining: the entries nearest the question, for the delegate to choose from (never
    # shown as the answer).
    suggestions: tuple[FaqEntry | Topic, ...] = ()
    # What the matcher weighed (None for small talk and empty questions).
    evidence: Evidence | None = field(default=None, compare=False, repr=False)

    @property
    def answered(self) -> bool:
        return self.kind in (FAQ, TOPIC, DOCUMENT, SESSIONS, SPEAKER, ROOM)

    @property
    def answer_id(self) -> str | None:
        """The FAQ entry's id, `topic:<id>` for a logistics topic, `doc:<id>` for a document or
        `room:<id>` for a room's card; None otherwise."""
        entry = self.faq or self.topic or self.document
        if entry is None and self.kind == ROOM and self.room_id is not None:
            return f"room:{self.room_id}"
        return answer_ref(entry) if entry is not None else None

    def text(self, lang: str) -> str | None:
        """The organisers' answer in `lang` (falling back to the default language)."""
        if self.faq is not None:
            return self.faq.answer.get(lang)
        if self.topic is not None:
            return self.topic.text.get(lang)
        if self.document is not None:
            return self.document.title.get(lang)
        return None


# --- Index --------------------------------------------------------------------------------


@dataclass
class _Doc:
    kind: str
    faq: FaqEntry | None = None
    topic: Topic | None = None
    session: Session | None = None
    document: Document | None = None
    tf: dict[str, float] = field(default_factory=dict)
    primary: set[str] = field(default_factory=set)
    length: float = 0.0
    says_price: bool = False  # names a price, an amount or "free": may answer "how much"
    says_act: bool = False  # speaks of booking, changing, cancelling: may answer "book me"
    # How many of its questions, keywords and titles name each concept: one named by several
    # is what the entry is about, one named once may be there by chance.
    named: dict[str, int] = field(default_factory=dict)
    members: set[str] = field(default_factory=set)  # family members named anywhere
    subjects: set[str] = field(default_factory=set)  # those named in its questions and titles

    def add(self, text: str, weight: float, *, primary: bool = True) -> None:
        """Index `text`; primary text (questions, titles) counts fully towards coverage."""
        found_words = words(text)
        self.says_price = (
            self.says_price
            or any(_signal(w) in _PRICE_OR_ANSWER for w in found_words)
            or bool(_CURRENCY.search(text.casefold()))
        )
        self.says_act = self.says_act or any(_signal(w) in _ACT for w in found_words)
        named_members = members_in(found_words)
        self.members |= named_members
        if primary:
            self.subjects |= named_members
        concepts: set[str] = set()
        # A hyphenated name split into its parts ("M-Pesa", "e-visa") is also indexed whole:
        # delegates type it as one word ("mpesa").
        whole = [
            joined
            for joined in (_JOINED.sub("", h) for h in _HYPHENATED.findall(normalise(text)))
            if joined not in _KNOWN_JOINED
        ]
        for joined in whole:
            for term in terms(joined):
                self.tf[term] = self.tf.get(term, 0.0) + weight
                if primary:
                    self.primary.add(term)
        for word in found_words:
            found = terms(word)
            for term in found:
                self.tf[term] = self.tf.get(term, 0.0) + weight
            if primary:
                self.primary |= found
                concepts |= {t for t in found if t.startswith("#")}
            self.length += weight
        for concept in concepts:
            self.named[concept] = self.named.get(concept, 0) + 1


def _texts(text: Text | None) -> Iterable[str]:
    return text.all() if text is not None else ()


def _document_doc(
    document: Document, session: Session | None, taught: Mapping[str, list[str]]
) -> _Doc:
    """A document is found by its title (in every language), and by its session's title: "the
    slides of the climate workshop"."""
    doc = _Doc(DOCUMENT, document=document)
    for title in document.title.all():
        doc.add(title, QUESTION_WEIGHT)
    for question in taught.get(answer_ref(document), ()):
        doc.add(question, TAUGHT_WEIGHT)
    for title in _texts(session.title if session else None):
        doc.add(title, ANSWER_WEIGHT, primary=False)
    return doc


class Matcher:
    """The index of one consultation: FAQ entries, logistics topics, documents and sessions."""

    def __init__(
        self,
        consultation: Consultation,
        extra_faq: Sequence[FaqEntry] = (),
        *,
        taught: Sequence[tuple[str, str, str]] = (),
    ) -> None:
        """`taught`: (answer ref, language, text) phrasings organisers taught from delegates'
        questions, each indexed as one more question of its entry (unknown refs are ignored)."""
        self.consultation = consultation
        self.taught = tuple(taught)
        taught_texts: dict[str, list[str]] = defaultdict(list)
        for ref, _lang, text in self.taught:
            taught_texts[ref].append(text)
        docs: list[_Doc] = []
        for entry in (*consultation.faq, *extra_faq):
            doc = _Doc(FAQ, faq=entry)
            for phrasings in entry.questions.values():
                for question in phrasings:
                    doc.add(question, QUESTION_WEIGHT)
            for question in taught_texts.get(answer_ref(entry), ()):
                doc.add(question, TAUGHT_WEIGHT)
            for keywords in entry.keywords.values():
                for keyword in keywords:
                    doc.add(keyword, KEYWORD_WEIGHT)
            for answer in entry.answer.all():
                doc.add(answer, ANSWER_WEIGHT, primary=False)
            docs.append(doc)
        for topic in consultation.topics:
            doc = _Doc(TOPIC, topic=topic)
            for title in topic.title.all():
                doc.add(title, QUESTION_WEIGHT)
            for question in taught_texts.get(answer_ref(topic), ()):
                doc.add(question, TAUGHT_WEIGHT)
            for body in topic.text.all():
                doc.add(body, ANSWER_WEIGHT, primary=False)
            docs.append(doc)
        for placed in documents_of(consultation):
            docs.append(_document_doc(placed.document, placed.session, taught_texts))
        self._rooms: dict[str, frozenset[str]] = {}
        for session in consultation.sessions:
            doc = _Doc(SESSIONS, session=session)
            for title in session.title.all():
                doc.add(title, QUESTION_WEIGHT)
            for speaker in session.speakers:
                doc.add(speaker.name, QUESTION_WEIGHT)
            for room in _texts(session.room):
                doc.add(room, ANSWER_WEIGHT)
            for track in _texts(session.track):
                doc.add(track, ANSWER_WEIGHT)
            docs.append(doc)
            room_words = {w for room in _texts(session.room) for w in words(room)}
            self._rooms[session.id] = frozenset(room_words - _GENERIC_ROOM)
        self._docs = docs
        count = len(docs)
        average = sum(d.length for d in docs) / count if count else 1.0
        df: dict[str, int] = defaultdict(int)
        for doc in docs:
            for term in doc.tf:
                df[term] += 1
        self._idf = {t: math.log(1 + (count - n + 0.5) / (n + 0.5)) for t, n in df.items()}
        self._unknown_idf = math.log(1 + (count + 0.5) / 0.5)
        self._postings: dict[str, list[tuple[int, float, bool]]] = defaultdict(list)
        for index, doc in enumerate(docs):
            norm = K1 * (1 - B + B * doc.length / (average or 1.0))
            for term, tf in doc.tf.items():
                weight = self._idf[term] * tf * (K1 + 1) / (tf + norm)
                if doc.named.get(term, 0) >= CENTRAL_NAMINGS:
                    weight *= CENTRAL_BONUS
                self._postings[term].append((index, weight, term in doc.primary))
        vocabulary = {w for d in docs for w in d.tf if not w.startswith("#")}
        vocabulary |= set(_CONCEPTS_BY_FORM)
        self._spellings = spellings(vocabulary)
        # Each room of rooms.yaml by the words of each of its names ("main", "foyer").
        self._room_names = [
            (room, frozenset(_signal(w) for w in words(name)) - _GENERIC_SIGNALS)
            for room in consultation.rooms
            for name in room.name.all()
        ]
        self._named_room_words = frozenset(w for _room, named in self._room_names for w in named)
        self._room_words = frozenset(w for room in self._rooms.values() for w in room)
        self._extra_faq = extra_faq
        self._known: frozenset[tuple[str, ...]] | None = None
        self._speakers = SpeakerNames(consultation.speakers)

    def _known_places(self) -> frozenset[tuple[str, ...]]:
        """The places the organisers' text speaks of; a question about any other place (another
        city, another country) asks something their text cannot answer. Read on the first
        question that names a place: most never do."""
        if self._known is None:
            known: set[tuple[str, ...]] = set()
            for entry in (*self.consultation.faq, *self._extra_faq):
                texts = [q for phrasings in entry.questions.values() for q in phrasings]
                texts += [k for keywords in entry.keywords.values() for k in keywords]
                for text in (*texts, *entry.answer.all()):
                    known |= places_in(words(text))
            for text in _consultation_texts(self.consultation):
                known |= places_in(words(text))
            for _ref, _lang, text in self.taught:
                known |= places_in(words(text))
            self._known = frozenset(known)
        return self._known

    def __len__(self) -> int:
        return len(self._docs)

    # -- query -------------------------------------------------------------------------

    def _mend(self, word: str) -> frozenset[str]:
        """Terms of a word the index does not know: those of its closest known spelling.

        One typo (a letter missing, extra, wrong or two letters swapped) in a word of 5 to 8
        letters, two in a longer one; never on the first letter.
        """
        found = terms(word)
        if any(t in self._idf for t in found):
            return found
        best = closest_spelling(word, self._spellings)
        return found if best is None else terms(best)

    def match(self, question: str, now: datetime) -> Match:
        """The best answer to `question`, or `Match(NONE)` when not confident."""
        tokens = _without_locating(words(question))
        if not tokens:
            # "👍", "?": nothing to answer, and nothing for the organisers to see in /gaps.
            return Match(ACKNOWLEDGED if _ACK_SYMBOLS & set(question) else EMPTY)
        small_talk = _small_talk(tokens)
        if small_talk is not None:
            return Match(small_talk)
        # "Who is X" of a speaker with a card, or only their name: the card answers, with all
        # their sessions (other questions naming them, "when does X speak", get the sessions).
        speakers = self._speakers.asked(question)
        if speakers:
            return Match(SPEAKER, 1.0, speakers=speakers)
        searched = asked_search(question)
        if searched is not None:
            return Match(SESSIONS, 1.0, search=searched)
        token_terms = [self._mend(word) for word in tokens]
        price = asks_price(tokens)
        # "How much does the hotel cost" is about the hotel: the price words only say the
        # question asks a price, and which entries may answer that is decided below.
        framing = _INTENT | _PRICE_FRAMING if price else _INTENT
        scores: dict[int, float] = defaultdict(float)
        hits: dict[int, dict[int, float]] = defaultdict(dict)
        for position, candidates in enumerate(token_terms):
            word = tokens[position]
            if word in framing or (word in _GREETINGS | _THANKS and word not in _FUNCTION):
                continue
            if word in _FUNCTION:
                # "when" and "where" tell entries apart through their concepts; "the" does not.
                candidates = frozenset(t for t in candidates if t.startswith("#"))
            best: dict[int, float] = {}
            credit: dict[int, float] = {}
            for term in candidates:
                bonus = CONCEPT_BONUS if term.startswith("#") else 1.0
                for index, weight, primary in self._postings.get(term, ()):
                    value = weight * bonus
                    if value > best.get(index, 0.0):
                        best[index] = value
                    if primary:
                        credit[index] = 1.0
            for index, value in best.items():
                scores[index] += value
                hits[index][position] = credit.get(index, ANSWER_CREDIT)
        content = [
            i
            for i, word in enumerate(tokens)
            if word not in _NOT_CONTENT
            and word not in framing
            and not (is_common(word) and not any(t in self._idf for t in token_terms[i]))
        ]
        weights = {i: self._weight(token_terms[i], tokens[i]) for i in content}
        act = asks_to_act(tokens)
        # Asked its price or asked to be done ("how much is a NIGHT", "change my FLIGHT"), a
        # word of the situation is what the question is about.
        situation = set() if price or act else {i for i in content if is_situation(tokens[i])}
        if not (price or act):
            # A spoken Arabic verb ("نقدر") and where the delegate is from ("soy colombiana",
            # "from Manila") are situation words too when the index does not know them.
            situation |= {
                i
                for i in content
                if not any(t in self._idf for t in token_terms[i])
                and (
                    _arabic_verb(tokens[i])
                    or _demonym(tokens[i])
                    or (tokens[i] in _place_names() and _comes_from(tokens, i))
                )
            }

        def coverage(index: int) -> float:
            found = hits[index]
            total = sum(
                weights[i] * (SITUATION_SHARE if i in situation and i not in found else 1.0)
                for i in content
            )
            if not total:
                return 0.0
            return sum(weights[i] * found.get(i, 0.0) for i in content) / total

        asked_concepts = {t for found in token_terms for t in found if t.startswith("#")}
        best_answer, best_answer_score = self._best(scores, (FAQ, TOPIC))
        best_session, best_session_score = self._best(scores, (SESSIONS,))
        answer_coverage = coverage(best_answer) if best_answer is not None else 0.0
        session_coverage = coverage(best_session) if best_session is not None else 0.0
        cue = any(word in _SESSION_CUES for word in tokens)
        asked_rooms = {w for w in tokens if w in self._room_words}

        names = _names(question)
        asked_places = places_in(tokens, origins=False)
        beyond = bool(asked_places) and bool(asked_places - self._known_places())
        # A name the organisers' text never uses ("the Ibis", "in Westlands", "Hotel Warwick")
        # is something their text cannot speak of, unless it is where the delegate comes from.
        beyond = beyond or any(
            tokens[i] in names
            and not _comes_from(tokens, i)
            and not _demonym(tokens[i])
            and not any(t in self._idf for t in token_terms[i])
            for i in content
        )

        # A currency says in what a price is asked ("how much in euros"); elsewhere it is
        # context ("should I bring dollars").
        asked_members = frozenset(
            m for m in members_in(tokens) if price or _family(m) not in _AMOUNT_FAMILIES
        )

        def other_member(index: int) -> bool:
            """Whether the entry is about another member of a family the question names one of
            ("covid" asked of the entry on yellow fever); for a currency, whether the entry
            quotes none in the one asked."""
            doc = self._docs[index]
            if price and any(
                # The price an entry quotes is that of what it is about: a taxi from the
                # airport to the venue, not from the station to the venue.
                m not in doc.subjects and any(_family(s) == _family(m) for s in doc.subjects)
                for m in asked_members
                if _family(m) not in _AMOUNT_FAMILIES
            ):
                return True
            return any(
                not any(_family(m) == family for m in asked_members & doc.members)
                and (family in _AMOUNT_FAMILIES or any(_family(m) == family for m in doc.subjects))
                for family in {_family(m) for m in asked_members}
            )

        def out_of_scope(index: int, *, answering: bool = True) -> bool:
            doc = self._docs[index]
            return (
                beyond
                or (price and not doc.says_price)
                or (act and not doc.says_act)
                # Another member is near enough to be offered: "the airport" may be the
                # delegate's situation rather than the subject ("I go to the airport, where do
                # I leave my suitcase").
                or (answering and bool(asked_members) and other_member(index))
            )

        answer_ok = (
            best_answer is not None
            and best_answer_score >= MIN_SCORE
            and (
                answer_coverage >= MIN_COVERAGE
                or (
                    answer_coverage >= RELAXED_COVERAGE
                    and len({tokens[i] for i in content if hits[best_answer].get(i) == 1.0})
                    >= RELAXED_HITS
                )
                or (
                    answer_coverage >= CONCEPT_COVERAGE
                    and self._central(best_answer, asked_concepts) >= CONCEPT_HITS
                    and not any(
                        named & asked_concepts and not named & self._docs[best_answer].primary
                        for named in (token_terms[i] for i in content)
                    )
                )
            )
        )

        # A document answers where no entry does, or where it beats the entry on both counts:
        # its title is all it is found by, so an entry that scores higher on a word or two
        # must not drown it ("encontrar la nota conceptual" is not about lost and found).
        best_document, document_score = self._best(scores, (DOCUMENT,))
        document_coverage = coverage(best_document) if best_document is not None else 0.0
        if (
            best_document is not None
            and document_score >= MIN_SCORE
            and document_coverage >= MIN_COVERAGE
            and (
                not answer_ok
                or (document_coverage > answer_coverage and document_score > best_answer_score)
            )
        ):
            best_answer, best_answer_score = best_document, document_score
            answer_coverage, answer_ok = document_coverage, True

        def evidence() -> Evidence:
            total = sum(weights.values())
            unknown = sum(
                weights[i]
                for i in content
                if not any(t in self._idf for t in token_terms[i]) and not is_common(tokens[i])
            )
            weighed: dict[str, Weighed] = {}
            blocked: dict[str, frozenset[str]] = {}
            for index, doc in enumerate(self._docs):
                entry = doc.faq or doc.topic or doc.document
                if entry is not None:
                    ref = answer_ref(entry)
                elif doc.session is not None:
                    ref = f"session:{doc.session.id}"
                else:
                    continue
                if index in scores:
                    weighed[ref] = Weighed(
                        round(scores[index] * (TOPIC_PENALTY if doc.kind == TOPIC else 1.0), 3),
                        round(coverage(index), 3),
                        len({tokens[i] for i in content if hits[index].get(i) == 1.0}),
                    )
                signals = {
                    name
                    for name, fired in (
                        ("beyond", beyond),
                        ("price", price and not doc.says_price),
                        ("act", act and not doc.says_act),
                        ("member", bool(asked_members) and other_member(index)),
                    )
                    if fired
                }
                if signals:
                    blocked[ref] = frozenset(signals)
            return Evidence(
                weighed,
                blocked,
                unknown / total if total else 0.0,
                answer_ok,
                round(session_coverage, 3),
                cue,
            )

        window = None if beyond else self._window(tokens, content, asked_rooms, now)
        if window is not None:
            return replace(window, evidence=evidence())

        wants_time = any(w in _NOW for w in tokens) or any(w in _NEXT for w in tokens)
        room = None if wants_time or beyond else self._room_asked(tokens, content)
        if room is not None:
            return Match(ROOM, 1.0, room=room.name, room_id=room.id, evidence=evidence())
        # "What is next?" asks the programme; "when is the next Global Forum?" names a subject
        # of its own, answered by the programme only when a session covers it.
        subject = any(not is_common(tokens[i]) for i in content)
        if (
            wants_time
            and not beyond
            and (
                cue
                or asked_rooms
                or (
                    answer_coverage < MIN_COVERAGE
                    and (not subject or session_coverage >= MIN_COVERAGE)
                )
            )
        ):
            return replace(self._now_next(tokens, asked_rooms, now), evidence=evidence())

        session_ok = (
            best_session is not None
            and session_coverage >= (MIN_COVERAGE if cue else SESSION_WITHOUT_CUE)
            and best_session_score >= MIN_SCORE
        )
        if session_ok and (
            not answer_ok
            or (cue and session_coverage >= answer_coverage)
            or session_coverage > answer_coverage + 0.2
        ):
            chosen = [
                (score, self._docs[i].session)
                for i, score in scores.items()
                if self._docs[i].kind == SESSIONS
                and score >= SESSION_SHARE * best_session_score
                and (i == best_session or coverage(i) >= MIN_COVERAGE)
            ]
            chosen.sort(key=lambda pair: -pair[0])
            sessions = tuple(s for _, s in chosen[:MAX_SESSIONS] if s is not None)
            ordered = tuple(sorted(sessions, key=lambda s: s.start))
            # The best match first, then the others in programme order.
            first = sessions[0]
            ordered = (first, *(s for s in ordered if s is not first))
            if best_session is not None and out_of_scope(best_session):
                return Match(NONE, round(best_session_score, 3), evidence=evidence())
            return Match(
                SESSIONS, round(best_session_score, 3), sessions=ordered, evidence=evidence()
            )
        if answer_ok and best_answer is not None and not out_of_scope(best_answer):
            doc = self._docs[best_answer]
            return Match(
                doc.kind,
                round(best_answer_score, 3),
                faq=doc.faq,
                topic=doc.topic,
                document=doc.document,
                evidence=evidence(),
            )
        nearest = heapq.nlargest(
            MAX_SUGGESTIONS,
            (
                (score * (TOPIC_PENALTY if self._docs[i].kind == TOPIC else 1.0), i)
                for i, score in scores.items()
                if self._docs[i].kind in (FAQ, TOPIC)
            ),
        )
        suggestions: list[FaqEntry | Topic] = []
        for score, index in nearest:
            entry = self._docs[index].faq or self._docs[index].topic
            if (
                entry is not None
                and score >= SUGGEST_SCORE
                and coverage(index) >= SUGGEST_COVERAGE
                and not out_of_scope(index, answering=False)
            ):
                suggestions.append(entry)
        return Match(
            NONE,
            round(max(best_answer_score, best_session_score), 3),
            suggestions=tuple(suggestions),
            evidence=evidence(),
        )

    def _central(self, index: int, concepts: set[str]) -> int:
        """How many of `concepts` the entry at `index` names in several of its phrasings."""
        named = self._docs[index].named
        return sum(1 for concept in concepts if named.get(concept, 0) >= CENTRAL_NAMINGS)

    def _weight(self, candidates: frozenset[str], word: str) -> float:
        """How much a question word counts towards coverage: rare words most, common ones less."""
        known = [self._idf[t] for t in candidates if t in self._idf]
        if not known:
            return UNKNOWN_SHARE * self._unknown_idf
        if is_common(word) and not any(t.startswith("#") for t in candidates):
            return STOPWORD_SHARE * max(known)
        return max(known)

    def _best(self, scores: dict[int, float], kinds: tuple[str, ...]) -> tuple[int | None, float]:
        best: int | None = None
        best_score = 0.0
        for index, score in scores.items():
            doc = self._docs[index]
            if doc.kind not in kinds:
                continue
            if doc.kind == TOPIC:
                score *= TOPIC_PENALTY
            if score > best_score:
                best, best_score = index, score
        return best, best_score

    def _window(
        self, tokens: list[str], content: list[int], asked_rooms: set[str], now: datetime
    ) -> Match | None:
        """The programme for a day, a part of the day or after a session ("what is on tomorrow
        morning", "what is in room 2 after lunch"); None when the question names no such time,
        or a subject besides it ("when does registration open tomorrow")."""
        timezone = self.consultation.timezone
        local = now.astimezone(timezone)
        day = None
        part = None
        framing: set[int] = set()
        anchor: list[Session] = []
        for i, word in enumerate(tokens):
            before = tokens[i - 1] if i else ""
            following = tokens[i + 1] if i + 1 < len(tokens) else ""
            if (word, following) in _AFTERNOON_PAIRS:
                part = "afternoon"
                framing |= {i, i + 1}
            elif i in framing:
                continue
            elif word == _MANANA:
                if before in ("la", "esta", "por"):
                    part = "morning"
                else:
                    day = local.date() + timedelta(days=1)
                framing.add(i)
            elif word in _TODAY or word in _TOMORROW:
                day = local.date() + timedelta(days=1 if word in _TOMORROW else 0)
                if word in ("tonight", "الليله"):
                    part = "evening"
                framing.add(i)
            elif word in _WEEKDAY_NUMBERS:
                # A day of the week the consultation does not meet on: nothing is on then.
                day = self._weekday(_WEEKDAY_NUMBERS[word], local.date()) or date.min
                framing.add(i)
            elif word in _MORNING or word in _AFTERNOON or word in _EVENING:
                part = (
                    "morning"
                    if word in _MORNING
                    else ("afternoon" if word in _AFTERNOON else "evening")
                )
                framing.add(i)
            elif word in _AFTER and not anchor:
                named = [j for j in range(i + 1, min(len(tokens), i + 4))]
                for j in named:
                    if tokens[j] in _FUNCTION:
                        continue
                    anchor = self._sessions_named(tokens[j])
                    if anchor:
                        framing |= {i, j}
                    break
        if (day is None and part is None and not anchor) or any(
            _signal(w) in _WHAT_TIME for w in tokens
        ):
            return None
        rooms = {_signal(w) for w in asked_rooms | _GENERIC_ROOM}
        if any(
            not is_common(tokens[i]) and _signal(_without_clitic(tokens[i])) not in rooms
            for i in content
            if i not in framing
        ):
            return None
        sessions, room, room_id = self._in_rooms(
            sorted(self.consultation.sessions, key=lambda s: s.start), asked_rooms
        )
        if anchor:
            on_day = [
                a for a in anchor if day is None or a.start.astimezone(timezone).date() == day
            ]
            after = next((a for a in on_day if a.end > now), on_day[-1] if on_day else None)
            if after is None:
                return Match(SESSIONS, 1.0, when="then", room=room, room_id=room_id)
            day = after.start.astimezone(timezone).date()
            sessions = [s for s in sessions if s.start >= after.end and s is not after]
        if day is None:
            day = local.date()
        sessions = [s for s in sessions if s.start.astimezone(timezone).date() == day]
        if part is not None:
            low, high = _PARTS[part]
            sessions = [s for s in sessions if low <= s.start.astimezone(timezone).hour < high]
        if anchor and not asked_rooms and sessions:
            # Right after it, as "what is next" answers: the sessions starting first.
            sessions = [s for s in sessions if s.start == sessions[0].start]
        if not sessions:
            return Match(SESSIONS, 1.0, when="then", room=room, room_id=room_id)
        return Match(
            SESSIONS, 1.0, sessions=tuple(sessions[:MAX_PROGRAMME]), room=room, room_id=room_id
        )

    def _weekday(self, number: int, today: date) -> date | None:
        """The consultation's day falling on that day of the week (from today when it can)."""
        days = [
            self.consultation.start + timedelta(days=n)
            for n in range((self.consultation.end - self.consultation.start).days + 1)
        ]
        matching = [d for d in days if d.weekday() == number]
        return next((d for d in matching if d >= today), matching[0] if matching else None)

    def _sessions_named(self, word: str) -> list[Session]:
        """The sessions whose title names `word` in some language ("lunch", "الغداء"), in
        programme order."""
        asked = _forms(word)
        found = []
        for session in self.consultation.sessions:
            titled = {f for title in session.title.all() for w in words(title) for f in _forms(w)}
            if asked & titled:
                found.append(session)
        return sorted(found, key=lambda s: s.start)

    def _in_rooms(
        self, sessions: list[Session], asked_rooms: set[str]
    ) -> tuple[list[Session], Text | None, str | None]:
        """The sessions in every room asked about (breaks are in no room), that room's name and
        its id in rooms.yaml; all of them, and no room, when none is asked."""
        if not asked_rooms:
            return sessions, None, None
        sessions = [
            s
            for s in sessions
            if s.kind != "break" and asked_rooms <= self._rooms.get(s.id, frozenset())
        ]
        first = sessions[0] if sessions else None
        return sessions, first.room if first else None, first.room_id if first else None

    def _now_next(self, tokens: list[str], asked_rooms: set[str], now: datetime) -> Match:
        # "What is on now?" answers like /now (a coffee break included), "what is next?" like
        # /next (the next real sessions); a room has no breaks.
        sessions, room, room_id = self._in_rooms(list(self.consultation.sessions), asked_rooms)
        found = now_and_next(sessions, now, skip_breaks=True)
        when, shown = (
            ("next", found.next) if any(w in _NEXT for w in tokens) else ("now", found.now)
        )
        return Match(SESSIONS, 1.0, sessions=tuple(shown), when=when, room=room, room_id=room_id)

    def _room_asked(self, tokens: list[str], content: list[int]) -> Room | None:
        """The room of rooms.yaml a question asks the way to ("where is room 2", "où se trouve
        la salle 2", "how do I get to the main hall"): the question names it and nothing else
        but where and how to get there. The room whose name needs the fewest other words."""
        if not self._room_names:
            return None
        asked: set[str] = set()
        forms = [_signal(_without_clitic(word)) for word in tokens]
        for i, form in enumerate(forms):
            if i and forms[i - 1] in _GENERIC_SIGNALS and form in self._named_room_words:
                asked.add(form)  # "room A": after "room", a letter is a name, not an article
            elif form in _WAY or form in _GENERIC_SIGNALS or i not in content:
                continue
            elif form in self._named_room_words:
                asked.add(form)
            else:
                return None  # something besides the way to a room: "wifi in room 2"
        fits = sorted(
            (len(named - asked), index, room)
            for index, (room, named) in enumerate(self._room_names)
            if asked and asked <= named
        )
        if not fits or (len(fits) > 1 and fits[1][0] == fits[0][0] and fits[1][2] != fits[0][2]):
            return None  # no room, or two rooms named alike ("room 1 and room 2")
        return fits[0][2]


# "Où SE TROUVE la salle 2", "dónde SE ENCUENTRA", "where is it LOCATED": a verb of where
# something is, like "where is", not "objets trouvés" (lost and found) or "encontrar" (to find).
_LOCATING = frozenset(
    words("trouve trouvent trouver situe situent situer encuentra encuentran ubica ubican")
)
_REFLEXIVE = frozenset(words("se s"))
_LOCATED = frozenset(words("located situated situe situee ubicado ubicada تقع يقع"))


def _without_locating(tokens: list[str]) -> list[str]:
    """`tokens` without the verb of "se trouve", "se encuentra", "located"."""
    return [
        word
        for i, word in enumerate(tokens)
        if word not in _LOCATED and not (word in _LOCATING and i and tokens[i - 1] in _REFLEXIVE)
    ]


# An acknowledgement ("ok", "d'accord", "vale", "تمام", "👍") gets a short friendly word.
_ACK_CORE = frozenset(
    words(
        "ok okay okey oki okk kk great perfect noted understood cool fine good "
        "parfait super compris entendu accord dac bien genial vale perfecto entendido claro "
        "bueno listo تمام ممتاز طيب حسنا ماشي اوكي اوك"
    )
)
_ACK_SYMBOLS = frozenset("👍👌🙏😊🙂☺😀😃😄😁❤♥💯👏✅🆗✔🤝💪😍🥰🫶🙌")


def _small_talk(tokens: list[str]) -> str | None:
    """ "Thanks!", "hello" and "ok" get a friendly word, not an FAQ answer."""
    allowed = _GREETINGS | _THANKS | _FUNCTION | _ACK_CORE
    if not all(word in allowed for word in tokens):
        return None
    if any(word in _THANKS_CORE for word in tokens):
        return THANKS_KIND
    if any(word in _GREETING_CORE for word in tokens):
        return GREETING
    if any(word in _ACK_CORE for word in tokens):
        return ACKNOWLEDGED
    return None


class Matchers:
    """One matcher per consultation, built on first use and rebuilt when its data (a reload) or
    its taught phrasings change."""

    def __init__(self) -> None:
        self._built: dict[str, Matcher] = {}

    def for_consultation(
        self, consultation: Consultation, taught: Sequence[tuple[str, str, str]] = ()
    ) -> Matcher:
        matcher = self._built.get(consultation.id)
        taught = tuple(taught)
        if matcher is None or matcher.consultation is not consultation or matcher.taught != taught:
            matcher = Matcher(consultation, taught=taught)
            self._built[consultation.id] = matcher
        return matcher
