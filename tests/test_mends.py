"""What delegates hit this week, mended (issue 15), each in more than one language: where a room
is, the programme after lunch or tomorrow morning, and acknowledgements that are no question."""

from __future__ import annotations

import pytest

from tests.conftest import ORGANISER_ID, Harness, joined

REFUSED = {
    "en": "I am not sure I know the answer",
    "fr": "Je n'ai pas de réponse sûre à cette question",
    "es": "No sé con certeza la respuesta",
    "ar": "لست على يقين",
}
LOST_AND_FOUND = {
    "en": "Lost and found is at the registration desk",
    "fr": "Les objets trouvés sont centralisés",
    "es": "Los objetos perdidos se gestionan",
    "ar": "المفقودات",
}
WORKSHOP = {
    "en": "Workshop: internal displacement and durable solutions",
    "fr": "Atelier : déplacements internes et solutions durables",
    "es": "Taller: desplazamiento interno y soluciones duraderas",
    "ar": "ورشة عمل: النزوح الداخلي والحلول الدائمة",
}
PROTECTION = {
    "en": "Plenary: protection at the centre",
    "fr": "Séance plénière : placer la protection au cœur de l'action",
    "es": "Sesión plenaria: la protección en el centro",
    "ar": "جلسة عامة: الحماية في صميم العمل",
}
LUNCH = {
    "en": "Lunch is a free buffet",
    "fr": "Le déjeuner est un buffet",
    "es": "El almuerzo es un bufé",
    "ar": "الغداء",
}


@pytest.mark.parametrize(
    ("language", "question"),
    [
        ("fr", "où se trouve la salle 2"),
        ("es", "¿dónde se encuentra la sala 2?"),
        ("ar", "أين تقع القاعة 2؟"),
        ("en", "where is room 2 located?"),
    ],
)
async def test_where_a_room_is_is_not_lost_and_found(
    harness: Harness, language: str, question: str
) -> None:
    chat = await joined(harness, language)
    await chat.send(question)
    assert LOST_AND_FOUND[language] not in chat.text()
    # What is on in that room, each session under its button.
    assert WORKSHOP[language] in chat.text()


@pytest.mark.parametrize(
    ("language", "question"),
    [
        ("en", "what is in room 2 after lunch"),
        ("fr", "qu'est-ce qu'il y a dans la salle 2 après le déjeuner ?"),
        ("es", "¿qué hay en la sala 2 después del almuerzo?"),
        ("ar", "شو في بالقاعة 2 بعد الغدا؟"),
    ],
)
async def test_what_is_in_a_room_after_lunch_is_the_programme(
    harness: Harness, language: str, question: str
) -> None:
    chat = await joined(harness, language)
    await chat.send(question)  # 10:15 on the first day: today's lunch ends at 14:00
    assert WORKSHOP[language] in chat.text()
    assert not chat.text().startswith("💡 " + LUNCH[language])


@pytest.mark.parametrize(
    ("language", "question"),
    [
        ("en", "what is on tomorrow morning"),
        ("fr", "qu'est-ce qu'il y a demain matin ?"),
        ("es", "¿qué hay mañana por la mañana?"),
        ("ar", "شو في بكرة الصبح؟"),
    ],
)
async def test_what_is_on_tomorrow_morning_is_the_programme(
    harness: Harness, language: str, question: str
) -> None:
    chat = await joined(harness, language)
    await chat.send(question)
    assert REFUSED[language] not in chat.text()
    assert PROTECTION[language] in chat.text()  # Wednesday 09:00
    assert WORKSHOP[language] not in chat.text()  # Tuesday afternoon


async def test_a_day_the_consultation_does_not_meet_says_nothing_is_on(harness: Harness) -> None:
    chat = await joined(harness, "fr")
    await chat.send("qu'est-ce qu'il y a samedi matin ?")
    assert chat.text() == "Rien n'est prévu au programme à ce moment-là."


ACKNOWLEDGED = {
    "en": "👍 Ask me anything else any time.",
    "fr": "👍 N'hésitez pas à me poser d'autres questions à tout moment.",
    "es": "👍 Pregúnteme cualquier otra cosa cuando quiera.",
    "ar": "👍 يسعدني الرد على أي سؤال آخر في أي وقت.",
}


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "ok"), ("fr", "d'accord"), ("es", "vale"), ("ar", "تمام"), ("fr", "👍")],
)
async def test_an_acknowledgement_gets_a_friendly_word_and_is_no_gap(
    harness: Harness, language: str, message: str
) -> None:
    chat = await joined(harness, language)
    await chat.send(message)
    assert chat.text() == ACKNOWLEDGED[language]
    assert chat.last.buttons() == []
    await no_gaps(harness)


@pytest.mark.parametrize(("language", "message"), [("en", "?"), ("es", "¿?"), ("ar", "؟")])
async def test_a_message_without_a_word_asks_for_a_question_and_is_no_gap(
    harness: Harness, language: str, message: str
) -> None:
    chat = await joined(harness, language)
    await chat.send(message)
    assert REFUSED[language] not in chat.text()
    assert "“" in chat.text() or "«" in chat.text()  # an example of a question
    await no_gaps(harness)


async def test_thanks_is_no_gap_either(harness: Harness) -> None:
    chat = await joined(harness, "fr")
    await chat.send("merci")
    assert chat.text().startswith("Je vous en prie")
    await no_gaps(harness)


async def no_gaps(harness: Harness) -> None:
    organiser = await joined(harness, "en", user_id=ORGANISER_ID)
    await organiser.send("/gaps")
    unanswered = organiser.text().split("Questions I could not answer", 1)[1]
    assert unanswered.split("Answers voted", 1)[0].strip() == "None so far."
