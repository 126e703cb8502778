"""Answer, suggest or refuse: the matcher's evidence and the encoder's nearest answers, weighed.

The word matcher (bot/services/matcher.py) knows the organisers' words, the out-of-scope signals
(a price asked of an entry that names none, "book me…", a place their text never names, another
member of a family) and the programme; the sentence encoder (bot/services/semantic.py) knows
meaning across the four languages, even where the question shares no word with the entry.
Cosine alone does not tell a paraphrase from a near miss, so each candidate answer (the
encoder's nearest entries and session, the matcher's answer and suggestions) is scored by a
small logistic model over both sides' signals; the question is then answered with the best
candidate, given up to three to choose from, or refused. The matcher's programme answers ("who
speaks at the opening", "what is on now") stand, and without an encoder so does everything the
matcher answers.

The encoder also meets the question with a bank of questions no consultation's text answers
(`OFF_TOPIC`, in the four languages): indexed beside the organisers' texts under the ref
`none`, its nearest cosine tells how much the question looks like one of them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.services.event_data import Consultation, FaqEntry, Session, Topic
from bot.services.matcher import FAQ, NONE, SESSIONS, TOPIC, Match, answer_ref
from bot.services.semantic import Near
from bot.services.understanding import Understanding

ANSWER = "answer"
SUGGEST = "suggest"
REFUSE = "refuse"

MAX_SUGGESTIONS = 3
NEAREST = 5  # the encoder's nearest entries weighed as candidates, beside the matcher's own
# Every answer of the index is asked for: the features compare an answer with all the others.
EVERY = 100_000
OFF_TOPIC_REF = "none"
SESSION_PREFIX = "session:"

# Questions no consultation's text answers: things to do in town, requests the bot cannot carry
# out, subjects beyond the event. Indexed as phrasings of `OFF_TOPIC_REF`.
OFF_TOPIC: dict[str, tuple[str, ...]] = {
    "en": (
        "Is there a gym or a fitness centre?",
        "Where can I smoke?",
        "Can you recommend a good restaurant in town for dinner?",
        "Where can I go shopping or buy souvenirs?",
        "What should I visit in the city, any tourist attractions?",
        "Is there a laundry service?",
        "What is the exchange rate today?",
        "Any good bars or nightlife nearby?",
        "Can I bring my dog?",
        "Where can I get a haircut?",
        "Is there a swimming pool?",
        "Can you book a table for me?",
        "Can you change my flight for me?",
        "Can you extend my hotel stay by two nights?",
        "When and where is next year's consultation?",
        "Are there job openings at your organisation?",
        "How can my NGO get funding from you?",
        "What is your position on this policy?",
        "Who won the football match yesterday?",
        "Tell me a joke",
        "What is the capital of Australia?",
        "The airline lost my luggage, what do I do?",
        "How much does a room cost at another hotel?",
        "Can I get a refund for my plane ticket?",
        "What is the weather like back home?",
        "Can you lend me money?",
        "Is there a cinema near the venue?",
        "Can I have the personal phone number of a speaker?",
    ),
    "fr": (
        "Y a-t-il une salle de sport ?",
        "Où peut-on fumer ?",
        "Vous pouvez me conseiller un bon restaurant en ville pour le dîner ?",
        "Où faire du shopping ou acheter des souvenirs ?",
        "Qu'est-ce qu'il y a à visiter en ville ?",
        "Y a-t-il un service de blanchisserie ?",
        "Quel est le taux de change aujourd'hui ?",
        "Des bars sympas pour sortir le soir ?",
        "Puis-je venir avec mon chien ?",
        "Où trouver un coiffeur ?",
        "Y a-t-il une piscine ?",
        "Vous pouvez me réserver une table ?",
        "Pouvez-vous changer mon vol ?",
        "Pouvez-vous prolonger mon séjour à l'hôtel de deux nuits ?",
        "Où et quand aura lieu la consultation l'an prochain ?",
        "Y a-t-il des offres d'emploi dans votre organisation ?",
        "Comment mon ONG peut-elle obtenir un financement de votre part ?",
        "Quelle est votre position sur cette politique ?",
        "Qui a gagné le match de foot hier ?",
        "Raconte-moi une blague",
        "Quelle est la capitale de l'Australie ?",
        "La compagnie aérienne a perdu ma valise, que faire ?",
        "Combien coûte une chambre dans un autre hôtel ?",
        "Puis-je me faire rembourser mon billet d'avion ?",
        "Il fait quel temps chez moi ?",
        "Pouvez-vous me prêter de l'argent ?",
        "Y a-t-il un cinéma près du lieu ?",
        "Je peux avoir le numéro personnel d'un intervenant ?",
    ),
    "es": (
        "¿Hay un gimnasio?",
        "¿Dónde se puede fumar?",
        "¿Me recomiendan un buen restaurante en la ciudad para cenar?",
        "¿Dónde puedo ir de compras o comprar recuerdos?",
        "¿Qué se puede visitar en la ciudad?",
        "¿Hay servicio de lavandería?",
        "¿Cuál es el tipo de cambio hoy?",
        "¿Algún bar bueno para salir de noche?",
        "¿Puedo llevar a mi perro?",
        "¿Dónde puedo cortarme el pelo?",
        "¿Hay piscina?",
        "¿Me pueden reservar una mesa?",
        "¿Me pueden cambiar el vuelo?",
        "¿Pueden alargar mi estancia en el hotel dos noches?",
        "¿Dónde y cuándo será la consulta del año que viene?",
        "¿Hay ofertas de empleo en su organización?",
        "¿Cómo puede mi ONG obtener financiación de ustedes?",
        "¿Cuál es su posición sobre esta política?",
        "¿Quién ganó el partido de fútbol ayer?",
        "Cuéntame un chiste",
        "¿Cuál es la capital de Australia?",
        "La aerolínea perdió mi maleta, ¿qué hago?",
        "¿Cuánto cuesta una habitación en otro hotel?",
        "¿Me pueden devolver el dinero del billete de avión?",
        "¿Qué tiempo hace en mi país?",
        "¿Me pueden prestar dinero?",
        "¿Hay un cine cerca de la sede?",
        "¿Me dan el teléfono personal de un ponente?",
    ),
    "ar": (
        "هل يوجد نادي رياضي؟",
        "وين ممكن أدخن؟",
        "ممكن تنصحني بمطعم حلو بالمدينة للعشاء؟",
        "وين بقدر أتسوق أو أشتري هدايا تذكارية؟",
        "شو في أماكن سياحية للزيارة بالمدينة؟",
        "هل توجد خدمة غسيل ملابس؟",
        "كم سعر صرف العملة اليوم؟",
        "في بارات أو سهرات قريبة؟",
        "هل يمكنني إحضار كلبي؟",
        "وين في حلاق؟",
        "هل يوجد مسبح؟",
        "ممكن تحجزولي طاولة بمطعم؟",
        "ممكن تغيروا موعد رحلتي؟",
        "ممكن تمددوا إقامتي بالفندق ليلتين؟",
        "متى وأين ستعقد مشاورات السنة القادمة؟",
        "هل توجد وظائف شاغرة في منظمتكم؟",
        "كيف يمكن لمنظمتي الحصول على تمويل منكم؟",
        "ما هو موقفكم من هذه السياسة؟",
        "مين ربح مباراة كرة القدم امبارح؟",
        "احكيلي نكتة",
        "ما هي عاصمة أستراليا؟",
        "شركة الطيران ضيعت شنطتي، شو أعمل؟",
        "كم سعر الغرفة في فندق آخر؟",
        "هل يمكنني استرداد ثمن تذكرة الطيران؟",
        "كيف الطقس في بلدي؟",
        "ممكن تدينوني مصاري؟",
        "هل توجد سينما قرب مكان المؤتمر؟",
        "ممكن رقم الهاتف الشخصي لأحد المتحدثين؟",
    ),
}
OFF_TOPIC_TAUGHT: tuple[tuple[str, str, str], ...] = tuple(
    (OFF_TOPIC_REF, lang, text) for lang, texts in OFF_TOPIC.items() for text in texts
)

FEATURES = (
    "cosine",  # the encoder's best cosine of the question with the answer's texts
    "question_cosine",  # with its questions, keywords, taught phrasings, title
    "passage_cosine",  # with its answer, text or description
    "below_best",  # how far below the encoder's nearest answer
    "above_next",  # how far above the nearest other answer (negative when below it)
    "first",  # the encoder's nearest answer
    "session_above",  # how far the nearest session is above this entry (0 for a session)
    "words",  # the matcher's score relative to its best (0 when no word meets it)
    "coverage",  # the share of the question the answer's words cover
    "hits",  # distinct question words its own questions meet (at most 3, over 3)
    "matcher_answer",  # the matcher answers with it
    "matcher_gate",  # the matcher's best by score, and its coverage gate passed
    "matcher_suggests",  # the matcher suggests it
    "blocked_price",  # a price asked of an entry that names none
    "blocked_act",  # "book me…" asked of an entry that books nothing
    "blocked_member",  # another member of a family the question names
    "beyond",  # a place or a name no text of the consultation speaks of
    "unknown",  # the question's weight in words no text of the consultation uses
    "agree",  # the matcher's answer and the encoder's nearest
    "above_typical",  # how far above the question's ten nearest answers on average
    "best_question",  # the nearest by its questions
    "best_passage",  # the nearest by its answer
    "refused_first",  # the encoder's nearest, where the matcher refused
    "words_first",  # the matcher's best by score
    "crowd",  # how many answers lie within 0.01 of the nearest (over 5)
    "words_agree",  # the matcher's best by score and the encoder's nearest
    "session",  # a session of the programme
    "session_named",  # a session, and the question names the programme ("who speaks")
    "session_coverage",  # a session: the share of the question the best session covers
    "off_topic",  # the question's nearest cosine with the off-topic bank
    "above_off_topic",  # how far above that the answer is
    "own_language",  # the answer has a question or title in the question's language
    "arabic",  # the question is written in Arabic (its cosines run lower across scripts)
)

# Fitted by `bench/eval_understanding.py --fit`: L2-regularised logistic regression over every
# candidate of every question of the spent sets (bench/eval/questions.jsonl, heldout_2 to 11),
# each consultation with its FAQ as written and as two sparse FAQs (one English question per
# entry; one question per language), a candidate being positive when the question expects it;
# then the two thresholds worth most on the same questions (a right answer 1, the right entry
# among the suggestions 0.6, a wrong answer or an out-of-scope question answered -5, buttons
# none of which is right -0.1). Each spent set held out in turn, fitted on the others, gave
# the figures in docs/benchmarks.md.
INTERCEPT = -17.6551
COEFFICIENTS = (
    0.3515,  # cosine
    5.0852,  # question_cosine
    19.8787,  # passage_cosine
    6.2696,  # below_best
    15.347,  # above_next
    0.2375,  # first
    -8.1337,  # session_above
    2.037,  # words
    2.8166,  # coverage
    1.1238,  # hits
    2.2785,  # matcher_answer
    -0.7962,  # matcher_gate
    0.5765,  # matcher_suggests
    -5.1817,  # blocked_price
    -1.9134,  # blocked_act
    -5.6482,  # blocked_member
    -1.5191,  # beyond
    0.9399,  # unknown
    0.2696,  # agree
    -13.1693,  # above_typical
    0.1585,  # best_question
    1.0259,  # best_passage
    -0.1079,  # refused_first
    0.441,  # words_first
    -0.2192,  # crowd
    -0.2638,  # words_agree
    -0.42,  # session
    2.4977,  # session_named
    -1.5592,  # session_coverage
    -10.0516,  # off_topic
    5.9452,  # above_off_topic
    -0.325,  # own_language
    0.4117,  # arabic
)
# From this probability the best candidate answers; from this one a candidate is offered.
ANSWER_AT = 0.9
SUGGEST_AT = 0.05


@dataclass(frozen=True)
class Candidate:
    ref: str
    features: tuple[float, ...]


def candidates(
    consultation: Consultation,
    question: str,
    language: str | None,
    match: Match,
    near: Sequence[Near],
) -> list[Candidate]:
    """The answers worth weighing for a question asked in `language` (the delegate's, when
    known), each with its signals (FEATURES' order)."""
    evidence = match.evidence
    if evidence is None:
        return []
    answers = [n for n in near if n.ref != OFF_TOPIC_REF]
    entries = [n for n in answers if not n.ref.startswith(SESSION_PREFIX)]
    sessions = [n for n in answers if n.ref.startswith(SESSION_PREFIX)]
    if not entries:
        return []
    off_topic = next((n.score for n in near if n.ref == OFF_TOPIC_REF), 0.0)
    by_ref = {n.ref: n for n in answers}
    refs = [n.ref for n in entries[:NEAREST]]
    if sessions:
        refs.append(sessions[0].ref)
    suggested = [answer_ref(e) for e in match.suggestions]
    weighed = evidence.weighed
    entry_words = sorted(
        (r for r in weighed if not r.startswith(SESSION_PREFIX)), key=lambda r: -weighed[r].score
    )
    for ref in (match.answer_id, *suggested, *entry_words[:2]):
        if ref is not None and ref not in refs:
            refs.append(ref)
    session_best = sessions[0].score if sessions else -1.0
    best = max(entries[0].score, session_best)
    nearest_ref = entries[0].ref if entries[0].score >= session_best else sessions[0].ref
    typical = sum(n.score for n in answers[:10]) / len(answers[:10])
    best_question = max(n.question for n in answers)
    best_passage = max(n.passage for n in answers)
    top_words = max((w.score for w in weighed.values()), default=0.0)
    words_first = max(weighed, key=lambda r: weighed[r].score) if weighed else None
    crowd = sum(1 for n in entries if best - n.score < 0.01) / 5
    refused = match.kind == NONE
    arabic = _ARABIC.search(question) is not None
    written_in = "ar" if arabic else (None if language == "ar" else language)
    found = []
    for ref in refs:
        nearest = by_ref.get(ref)
        cosine = nearest.score if nearest is not None else entries[-1].score
        asked = nearest.question if nearest is not None else cosine
        passage = nearest.passage if nearest is not None and nearest.passage > -1 else asked
        other = next((n.score for n in answers if n.ref != ref), 0.0)
        words = weighed.get(ref)
        blocked = evidence.blocked.get(ref, frozenset())
        first = float(ref == nearest_ref)
        answers_it = float(match.answer_id == ref)
        session = float(ref.startswith(SESSION_PREFIX))
        found.append(
            Candidate(
                ref,
                (
                    cosine,
                    asked,
                    passage,
                    best - cosine,
                    cosine - other,
                    first,
                    0.0 if session else max(0.0, session_best - cosine),
                    words.score / top_words if words is not None and top_words else 0.0,
                    words.coverage if words is not None else 0.0,
                    min(3, words.hits) / 3 if words is not None else 0.0,
                    answers_it,
                    float(ref == words_first and evidence.gate),
                    float(ref in suggested),
                    float("price" in blocked),
                    float("act" in blocked),
                    float("member" in blocked),
                    float("beyond" in blocked),
                    evidence.unknown,
                    answers_it * first,
                    cosine - typical,
                    float(asked == best_question),
                    float(passage == best_passage),
                    first if refused else 0.0,
                    float(ref == words_first),
                    crowd,
                    first * float(ref == words_first),
                    session,
                    session if evidence.session_cue else 0.0,
                    session * evidence.session_coverage,
                    off_topic,
                    cosine - off_topic,
                    float(written_in is not None and _phrased_in(consultation, ref, written_in)),
                    float(arabic),
                ),
            )
        )
    return found


_ARABIC = re.compile("[\u0600-\u06ff]")


def _phrased_in(consultation: Consultation, ref: str, language: str) -> bool:
    """Whether the answer's questions (an entry's) or title (a topic's, a session's) are
    written in `language`, not only read in it through the default language."""
    answer = _answer(consultation, ref)
    if isinstance(answer, FaqEntry):
        return bool(answer.questions.get(language))
    if answer is not None:
        return language in answer.title.values
    return False


def probability(features: Sequence[float]) -> float:
    """How likely the candidate is the answer the delegate wants."""
    value = INTERCEPT + sum(c * x for c, x in zip(COEFFICIENTS, features, strict=True))
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, value))))


def decide(
    consultation: Consultation,
    question: str,
    language: str | None,
    match: Match,
    near: Sequence[Near] | None,
) -> Match:
    """The matcher's answer to `question` (asked in `language`, the delegate's, when known)
    weighed with the encoder's nearest answers (None: no encoder, and the matcher's answer
    stands)."""
    if near is None or match.kind not in (FAQ, TOPIC, NONE) or match.evidence is None:
        # No encoder, small talk, or the matcher's programme answer.
        return match
    ranked = sorted(
        (
            (probability(c.features), c.ref)
            for c in candidates(consultation, question, language, match, near)
        ),
        key=lambda pair: -pair[0],
    )
    found = [(p, answer) for p, ref in ranked if (answer := _answer(consultation, ref))]
    blocked = match.evidence.blocked
    # An out-of-scope signal rules a candidate out as the answer, however near in meaning (the
    # price of a taxi asked of the entry on getting from the airport, which names none); it may
    # still be offered, for the delegate to judge.
    if found and found[0][0] >= ANSWER_AT and _ref(found[0][1]) not in blocked:
        p, answer = found[0]
        if isinstance(answer, Session):
            return Match(SESSIONS, round(p, 3), sessions=(answer,), evidence=match.evidence)
        if isinstance(answer, Topic):
            return Match(TOPIC, round(p, 3), topic=answer, evidence=match.evidence)
        return Match(FAQ, round(p, 3), faq=answer, evidence=match.evidence)
    # Sessions are answered, never offered: the buttons under a refusal open FAQ entries.
    offered = tuple(a for p, a in found if p >= SUGGEST_AT and not isinstance(a, Session))[
        :MAX_SUGGESTIONS
    ]
    return Match(
        NONE, round(found[0][0], 3) if found else 0.0, suggestions=offered, evidence=match.evidence
    )


async def weigh(
    understanding: Understanding | None,
    consultation: Consultation,
    question: str,
    match: Match,
    taught: Sequence[tuple[str, str, str]] = (),
    language: str | None = None,
) -> Match:
    """`decide` with the encoder's nearest answers, asked of `understanding` only where they
    can change the answer; the matcher's answer as it is without an encoder (or before it is
    ready)."""
    if understanding is None or match.kind not in (FAQ, TOPIC, NONE) or match.evidence is None:
        return match
    near = await understanding.nearest(
        consultation, question, (*taught, *OFF_TOPIC_TAUGHT), limit=EVERY
    )
    return decide(consultation, question, language, match, near)


async def ranked(
    understanding: Understanding | None,
    consultation: Consultation,
    question: str,
    match: Match,
    taught: Sequence[tuple[str, str, str]] = (),
    language: str | None = None,
) -> list[FaqEntry | Topic]:
    """The FAQ entries and topics most likely to answer `question`, best first (empty without
    an encoder): what /gaps proposes to teach."""
    if understanding is None or match.evidence is None:
        return []
    near = await understanding.nearest(
        consultation, question, (*taught, *OFF_TOPIC_TAUGHT), limit=EVERY
    )
    if near is None:
        return []
    scored = sorted(
        (
            (probability(c.features), c.ref)
            for c in candidates(consultation, question, language, match, near)
        ),
        key=lambda pair: -pair[0],
    )
    found = [_answer(consultation, ref) for _p, ref in scored]
    return [a for a in found if isinstance(a, FaqEntry | Topic)]


def _ref(answer: FaqEntry | Topic | Session) -> str:
    return f"session:{answer.id}" if isinstance(answer, Session) else answer_ref(answer)


def _answer(consultation: Consultation, ref: str) -> FaqEntry | Topic | Session | None:
    kind, _sep, rest = ref.partition(":")
    if kind == "topic" and rest:
        return consultation.topic(rest)
    if kind == "session" and rest:
        return next((s for s in consultation.sessions if s.id == rest), None)
    return next((e for e in consultation.faq if e.id == ref), None)


def outcome(match: Match) -> str:
    """What the delegate gets: an answer (the organisers' text, the programme or a friendly
    word), suggestions to choose from, or a refusal."""
    if match.kind == NONE:
        return SUGGEST if match.suggestions else REFUSE
    return ANSWER
