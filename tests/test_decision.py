"""Answer, suggest or refuse: the matcher beside a sentence encoder (bot/services/decision.py).

The unit tests use a fake encoder whose vectors are fixed by topic words, on a new organiser's
plain FAQ (tests/fixtures/sparse-faq: one English question per entry, answers in four
languages); the chat test uses the real encoder (multilingual-e5-small) on the same FAQ.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from bot.clock import ManualClock
from bot.services import decision
from bot.services.encoder import E5Encoder, Vectors
from bot.services.event_data import Consultation, EventData, load_event_data
from bot.services.matcher import FAQ, NONE, SESSIONS, THANKS_KIND, Match, Matcher, answer_ref
from bot.services.understanding import Understanding
from tests.conftest import ORGANISER_ID, ROOT, Chat, Harness, build_harness, make_config, started
from tests.test_matcher_cli import ask

SPARSE = ROOT / "tests" / "fixtures" / "sparse-faq"
HARBOUR = "harbour-2027"
NOW = datetime.fromisoformat("2027-05-11T10:15+01:00")
REFUSED = "I am not sure I know the answer"
PERHAPS_ES = "Quizá una de estas respuestas"

# Each axis of the fake encoder's space, and the words (in any language) that point along it.
AXES = {
    "charging": ("charg", "batter", "carga", "شحن"),
    "prayer": ("pray", "prière", "oración", "صلا", "recogimiento"),
    "airport": ("airport", "aéroport", "aeropuerto", "مطار"),
    "certificate": ("certificat", "certificado", "attestation", "شهاد", "papel", "attendance"),
    "interpretation": ("interpret", "languages", "traduc", "ترجم"),
    "programme": ("plenar", "plénière", "lunch", "déjeuner", "almuerzo", "الغداء", "workshop"),
}


class FakeEncoder:
    """Fixed vectors: a text lies along the axes whose words it contains (equally), or along
    one axis of its own when it contains none ("is there a gym")."""

    name = "fake-topics-1"

    def queries(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts)

    def passages(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts)

    def _encode(self, texts: Sequence[str]) -> Vectors:
        rows = np.zeros((len(texts), len(AXES) + 1), dtype=np.float32)
        for row, text in zip(rows, texts, strict=True):
            folded = text.casefold()
            for axis, stems in enumerate(AXES.values()):
                row[axis] = any(stem in folded for stem in stems)
            if not row.any():
                row[-1] = 1.0
            row /= np.linalg.norm(row)
        return rows


@cache
def sparse_events() -> EventData:
    return load_event_data(SPARSE)


def harbour() -> Consultation:
    return sparse_events().consultations[HARBOUR]


async def decided(question: str, encoder: FakeEncoder | None) -> tuple[Match, Match]:
    """The matcher's answer, and the decision's with `encoder` (None: no encoder)."""
    understanding = Understanding(lambda: encoder)
    await understanding.start()
    # As the bot builds it at start: the organisers' texts and the off-topic bank.
    await understanding.index(harbour(), decision.OFF_TOPIC_TAUGHT)
    try:
        match = Matcher(harbour()).match(question, NOW)
        return match, await decision.weigh(understanding, harbour(), question, match)
    finally:
        await understanding.close()


TWO_ENTRIES = "busco un papel y un sitio de recogimiento"


def refs(match: Match) -> list[str]:
    return [answer_ref(e) for e in match.suggestions]


# --- The decision, with a fake encoder -------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "Where can I charge my phone?",  # answered by the matcher
        "can I get a paper saying I attended the certificate thing",  # suggested by it
        "¿me dan algún papel que diga que asistí?",  # refused by it
        "is there a gym",
        "what is on now?",
        "merci",
    ],
)
async def test_without_an_encoder_the_matcher_answers_alone(question: str) -> None:
    match, weighed = await decided(question, None)
    assert weighed is match


async def test_a_paraphrase_the_matcher_refuses_is_answered_by_meaning() -> None:
    question = "¿me dan algún papel que diga que asistí?"
    match, weighed = await decided(question, FakeEncoder())
    assert (match.kind, match.suggestions) == (NONE, ())
    assert (weighed.kind, weighed.answer_id) == (FAQ, "certificate")
    assert decision.outcome(weighed) == decision.ANSWER


async def test_a_question_between_two_entries_gets_both_to_choose_from() -> None:
    # Equally near both entries, and no word the matcher knows to tell them apart.
    match, weighed = await decided(TWO_ENTRIES, FakeEncoder())
    assert (match.kind, match.suggestions) == (NONE, ())
    assert weighed.kind == NONE
    assert sorted(refs(weighed)) == ["certificate", "prayer"]
    assert decision.outcome(weighed) == decision.SUGGEST


async def test_an_off_topic_question_is_refused_with_nothing_to_choose() -> None:
    _match, weighed = await decided("is there a gym nearby?", FakeEncoder())
    assert weighed.kind == NONE
    assert refs(weighed) == []
    assert decision.outcome(weighed) == decision.REFUSE


async def test_a_price_the_entry_does_not_give_is_not_answered_however_near() -> None:
    # The encoder puts the question squarely on the airport entry, whose answer names no price:
    # the matcher's out-of-scope signal keeps the decision from answering with it.
    question = "how much does a taxi from the airport cost?"
    match, weighed = await decided(question, FakeEncoder())
    assert match.evidence is not None
    assert "price" in match.evidence.blocked["airport"]
    assert weighed.kind == NONE


async def test_programme_answers_and_small_talk_stay_the_matchers() -> None:
    for question, kind in (("what is on now?", SESSIONS), ("merci !", THANKS_KIND)):
        match, weighed = await decided(question, FakeEncoder())
        assert weighed is match
        assert match.kind == kind


async def test_no_more_than_three_suggestions() -> None:
    _match, weighed = await decided(
        "papel, recogimiento, aeropuerto, traducción y batería", FakeEncoder()
    )
    assert weighed.kind == NONE
    assert 1 <= len(weighed.suggestions) <= decision.MAX_SUGGESTIONS


# --- /gaps: the entry proposed to teach ------------------------------------------------------


async def sparse_harness(
    tmp_path: Path, encoder: type[FakeEncoder] | type[E5Encoder] | None
) -> Harness:
    config = make_config(
        tmp_path, data_dir=SPARSE, helpdesk_chat_id=-100123, default_consultation=HARBOUR
    )
    load = (lambda: None) if encoder is None else encoder
    return build_harness(config, ManualClock(NOW), sparse_events(), encoder=load)


async def joined_harbour(harness: Harness, language: str, user_id: int = 1001) -> Chat:
    chat = harness.chat(user_id, language, first_name="Amina")
    await chat.send("/start")
    return chat


async def test_gaps_proposes_to_teach_the_likeliest_entry(tmp_path: Path) -> None:
    async with started(await sparse_harness(tmp_path, FakeEncoder)) as harness:
        await harness.services.understanding.settled()
        delegate = await joined_harbour(harness, "es")
        await delegate.send(TWO_ENTRIES)
        assert PERHAPS_ES in delegate.text()
        organiser = await joined_harbour(harness, "en", ORGANISER_ID)
        await organiser.send("/gaps")
        assert "✅ Teach proposes the entry nearest in meaning" in organiser.text()
        _message, button = organiser.find_button("Teach")
        assert button["callback_data"].rsplit(":", 1)[1] in ("certificate", "prayer")


async def test_without_an_encoder_gaps_proposes_only_what_the_delegate_chose(
    tmp_path: Path,
) -> None:
    async with started(await sparse_harness(tmp_path, None)) as harness:
        delegate = await joined_harbour(harness, "es")
        await delegate.send(TWO_ENTRIES)
        organiser = await joined_harbour(harness, "en", ORGANISER_ID)
        await organiser.send("/gaps")
        assert TWO_ENTRIES in organiser.text()
        assert "nearest in meaning" not in organiser.text()
        assert not [b for row in organiser.last.buttons() for b in row if "Teach" in b["text"]]


# --- The chat, with the real encoder ---------------------------------------------------------

# Paraphrases of "Can I get a certificate of attendance?" sharing no word the matcher knows.
PARAPHRASES = {
    "fr": "comment prouver à mon organisation que j'étais présent ?",
    "es": "¿me dan algún papel que diga que asistí?",
    "ar": "بدي ورقة تثبت إني حضرت المؤتمر",
}
CERTIFICATE = {
    "fr": "Les attestations de participation sont envoyées",
    "es": "Los certificados de asistencia se envían",
    "ar": "تُرسل شهادات الحضور",
}


@pytest.mark.parametrize("language", ["fr", "es", "ar"])
async def test_the_encoder_finds_the_entry_a_paraphrase_means(
    tmp_path: Path, language: str
) -> None:
    question = PARAPHRASES[language]
    async with started(await sparse_harness(tmp_path / "alone", None)) as harness:
        chat = await joined_harbour(harness, language)
        await chat.send(question)
        assert not [
            b
            for row in chat.last.buttons()
            for b in row
            if "certificate" in b.get("callback_data", "")
        ]
        assert CERTIFICATE[language] not in chat.text()
    async with started(await sparse_harness(tmp_path / "encoder", E5Encoder)) as harness:
        await harness.services.understanding.settled()
        chat = await joined_harbour(harness, language)
        await chat.send(question)
        answered = CERTIFICATE[language] in chat.text()
        offered = [
            b
            for row in chat.last.buttons()
            for b in row
            if b.get("callback_data", "").endswith(":certificate")
        ]
        assert answered or offered
        if offered:
            await chat.press(offered[0]["text"])
            assert CERTIFICATE[language] in chat.text()


# --- python -m bot ask --json -----------------------------------------------------------------


def test_ask_json_says_the_decision_and_the_suggestions_in_button_order(tmp_path: Path) -> None:
    lines = [
        json.dumps({"lang": "es", "text": PARAPHRASES["es"]}),
        json.dumps({"lang": "en", "text": "Where can I charge my phone?"}),
        json.dumps({"lang": "en", "text": "is there a gym nearby?"}),
    ]
    for encoder in (False, True):
        result = ask(
            tmp_path,
            "--batch",
            "-",
            "--at",
            "2027-05-11T10:15",
            stdin="\n".join(lines) + "\n",
            data=SPARSE,
            encoder=encoder,
        )
        assert result.returncode == 0, result.stderr
        paraphrase, charging, gym = (json.loads(line) for line in result.stdout.splitlines())
        assert (charging["decision"], charging["faq_id"], charging["suggestions"]) == (
            "answer",
            "charging",
            [],
        )
        assert (gym["decision"], gym["faq_id"], gym["suggestions"]) == ("refuse", None, [])
        assert set(paraphrase) >= {"faq_id", "session_ids", "score", "lang", "text"}
        if not encoder:
            assert paraphrase["decision"] == "refuse"
            continue
        assert paraphrase["decision"] in ("answer", "suggest")
        if paraphrase["decision"] == "suggest":
            assert paraphrase["suggestions"][0] == "certificate"
            assert paraphrase["text"].count("\n  ") == len(paraphrase["suggestions"])
        else:
            assert paraphrase["faq_id"] == "certificate"
