"""The matcher's handling of phone-typed questions: filler, typos, dialect and split words."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.services.data_reading import Text
from bot.services.event_data import FaqEntry
from bot.services.matcher import (
    _FUNCTION,
    FAQ,
    NONE,
    Matcher,
    is_situation,
    members_in,
    terms,
    words,
)
from tests.conftest import GENEVA, sample_events

NOW = datetime(2026, 12, 8, 10, 15, tzinfo=GENEVA)


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(sample_events().consultations["geneva-2026"])


def test_common_words_the_faq_never_uses_do_not_block_an_answer(matcher: Matcher) -> None:
    # "somewhere" is in no FAQ entry, but it is a common word: the question is about praying.
    found = matcher.match("is there somewhere to pray", NOW)
    assert (found.kind, found.answer_id) == (FAQ, "prayer-room")


@pytest.mark.parametrize(
    "question", ["is there a gym at the venue", "y a-t-il un sauna sur place", "في ساونا بالمكان"]
)
def test_a_rare_unknown_subject_still_means_abstaining(matcher: Matcher, question: str) -> None:
    assert matcher.match(question, NOW).kind == NONE


def test_a_typo_is_mended_but_a_different_word_is_not_taken_for_one(matcher: Matcher) -> None:
    assert matcher.match("wifi pasword", NOW).answer_id == "wifi-password"
    # "president" is one letter from "resident", but typos do not hit the first letter.
    assert matcher.match("qui est le president de la france", NOW).kind == NONE


def test_words_typed_in_two_are_joined_when_the_lexicon_knows_them_whole() -> None:
    assert words("check in desk") == ["checkin", "desk"]
    assert words("wi fi") == ["wifi"]
    assert words("check the room") == ["check", "the", "room"]


def test_levantine_present_tense_prefix_is_understood(matcher: Matcher) -> None:
    # "بتتسجل" (is it recorded) is the b- present of "تتسجل".
    assert matcher.match("الجلسات بتتسجل؟", NOW).answer_id == "recordings"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("can i bring my toddler along", "childcare"),
        ("est-ce que je peux amener mon bébé", "childcare"),
        ("where should i put my backpack", "cloakroom"),
        ("dónde puedo dejar mi mochila", "cloakroom"),
    ],
)
def test_everyday_framing_verbs_do_not_block_an_answer(
    matcher: Matcher, question: str, expected: str
) -> None:
    # "bring", "amener", "put", "dejar" are in no FAQ entry: they frame the question.
    assert matcher.match(question, NOW).answer_id == expected


def test_a_framing_verb_does_not_make_an_unknown_subject_answerable(matcher: Matcher) -> None:
    assert matcher.match("can i bring my surfboard", NOW).kind == NONE


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("وين بحط الشنطة والجاكيت", "cloakroom"),
        ("بدي اتواصل بالمنظمين", "contact-organisers"),
    ],
)
def test_arabic_words_with_a_clitic_are_found(
    matcher: Matcher, question: str, expected: str
) -> None:
    assert matcher.match(question, NOW).answer_id == expected


def test_a_three_letter_stem_shared_across_languages_names_no_concept(matcher: Matcher) -> None:
    # "como" (Spanish "how") and "comer" (to eat) share the stem "com": not a lunch question.
    found = matcher.match("como hay que vestirse", NOW)
    assert found.answer_id == "dress-code"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("how do i listen in arabic", "interpretation-channels"),
        ("do we have to pay for the meal", "lunch-location"),
        ("je suis musulman, où prier ?", "prayer-room"),
        ("necesito cargar la batería de mi celu", "charging-phones"),
    ],
)
def test_everyday_synonyms_in_every_language(
    matcher: Matcher, question: str, expected: str
) -> None:
    assert matcher.match(question, NOW).answer_id == expected


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        (
            "my grandmother's hip is bad, is the venue wheelchair accessible with a lift and "
            "ramps",
            "accessibility-wheelchair",
        ),
        (
            "sorry to bother, the wifi password for the guest network keeps getting refused on "
            "my old tablet",
            "wifi-password",
        ),
        (
            "desperately searching a printer to print my boarding documents before the flight",
            "printing",
        ),
    ],
)
def test_a_long_question_meeting_an_entry_on_several_words_is_answered(
    matcher: Matcher, question: str, expected: str
) -> None:
    # Most of these words are in no entry, but the entry's own words are there, several of them.
    assert matcher.match(question, NOW).answer_id == expected


def test_one_known_word_among_unknown_subjects_still_means_abstaining(matcher: Matcher) -> None:
    found = matcher.match("is there a gym with a sauna and a swimming pool at the hotel", NOW)
    assert found.kind == NONE


@pytest.mark.parametrize(
    "question",
    ["how much does the wifi cost", "combien coûte le wifi ?", "¿cuánto cuesta el wifi?"],
)
def test_a_price_the_entry_does_not_give_means_abstaining(matcher: Matcher, question: str) -> None:
    # The wifi entry gives a password, not a price; the price words alone used to lead to the
    # airport entry, which quotes a taxi fare.
    assert matcher.match(question, NOW).kind == NONE


@pytest.mark.parametrize(
    "question",
    ["how much is the per diem", "c'est combien le per diem ?", "combien coûte le per diem ?"],
)
def test_a_price_is_answered_by_an_entry_that_speaks_of_costs(
    matcher: Matcher, question: str
) -> None:
    assert matcher.match(question, NOW).answer_id == "per-diem"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("cuanto frio hace en ginebra en diciembre", "weather"),
        ("how do i claim back my travel costs", "per-diem"),
    ],
)
def test_how_cold_and_costs_to_refund_are_no_price_question(
    matcher: Matcher, question: str, expected: str
) -> None:
    assert matcher.match(question, NOW).answer_id == expected


@pytest.mark.parametrize(
    "question", ["can you book me a taxi to the airport", "réservez-moi un taxi pour l'aéroport"]
)
def test_asking_the_organisers_to_act_for_the_delegate_means_abstaining(
    matcher: Matcher, question: str
) -> None:
    # The airport entry tells how to get a taxi; it books none.
    assert matcher.match(question, NOW).kind == NONE


def test_a_booking_question_the_entry_speaks_of_is_still_answered(matcher: Matcher) -> None:
    assert matcher.match("¿ustedes me reservan el hotel?", NOW).answer_id == "hotel-booking"


@pytest.mark.parametrize(
    ("known", "elsewhere"),
    [
        ("how do i get from the airport to geneva", "how do i get from the airport to zurich"),
        ("taxi de l'aéroport à Genève", "taxi de l'aéroport à Zurich"),
        ("taxi del aeropuerto a Ginebra", "taxi del aeropuerto a Zurich"),
        ("تاكسي من المطار الى جنيف", "تاكسي من المطار الى باريس"),
    ],
)
def test_a_place_the_consultation_never_names_means_abstaining(
    matcher: Matcher, known: str, elsewhere: str
) -> None:
    assert matcher.match(known, NOW).answer_id == "airport-transfer"
    assert matcher.match(elsewhere, NOW).kind == NONE


def test_the_place_a_delegate_comes_from_is_context_not_the_subject(matcher: Matcher) -> None:
    found = matcher.match("I arrive from Manila, how do I get from the airport to the CICG", NOW)
    assert found.answer_id == "airport-transfer"
    assert matcher.match("je viens de Dakar, il fait froid à Genève ?", NOW).answer_id == "weather"


def test_the_next_session_is_found_but_the_next_unknown_event_is_not(matcher: Matcher) -> None:
    assert matcher.match("what's next?", NOW).when == "next"
    assert matcher.match("when is the next Global Refugee Forum", NOW).kind == NONE


@pytest.mark.parametrize(
    ("word", "not_concept"),
    [("her", "#emergency"), ("los", "#lost"), ("dan", "#broken"), ("راح", "#lost")],
)
def test_a_word_that_is_only_the_short_stem_of_a_lexicon_word_names_no_concept(
    word: str, not_concept: str
) -> None:
    # "herido", "lose", "dañado" and "راحت" stem to everyday words: English "her", the Spanish
    # article "los", "dan" (they give), Arabic "راح" (will, went).
    assert not_concept not in terms(word)


def test_the_lexicon_word_itself_still_names_its_concept() -> None:
    assert "#emergency" in terms("herido")
    assert "#lost" in terms("perdido")


@pytest.mark.parametrize(
    "question",
    [
        "I've had a fever since yesterday, should I still come?",
        "j'ai de la fièvre depuis hier, je viens quand même ?",
        "tengo fiebre y tos desde ayer, vengo igual?",
        "عندي حمى وسعال، اجي ولا لا؟",
    ],
)
def test_symptoms_lead_to_the_health_entry(matcher: Matcher, question: str) -> None:
    assert matcher.match(question, NOW).answer_id == "covid-health"


@pytest.mark.parametrize(
    "question",
    [
        "where can I pray on Wednesday",
        "où est l'accueil mercredi ?",
        "¿dónde está el mostrador de acreditación el miércoles?",
        "أين مكتب الاستعلامات يوم الأربعاء",
    ],
)
def test_a_day_of_the_week_does_not_count_as_the_subject(matcher: Matcher, question: str) -> None:
    expected = "prayer-room" if "pray" in question else "registration-desk"
    assert matcher.match(question, NOW).answer_id == expected


@pytest.mark.parametrize(
    "question",
    [
        "my train gets in at 7:40, where can I leave my suitcase?",
        "mi tren llega a las 7:40, dónde dejo la maleta?",
    ],
)
def test_a_time_in_the_question_does_not_count_as_the_subject(
    matcher: Matcher, question: str
) -> None:
    assert matcher.match(question, NOW).answer_id == "cloakroom"


@pytest.mark.parametrize(
    "question",
    [
        "بغيت نخلي الفاليزة شي ساعات",  # Maghrebi: I want to leave the suitcase a few hours
        "فين نحط الكبوط؟",  # Maghrebi: where do I put the coat
        "dónde dejo mi chamarra",  # Mexican: jacket
        "je laisse ma valoche où ?",  # French slang: suitcase
    ],
)
def test_regional_words_for_the_cloakroom(matcher: Matcher, question: str) -> None:
    assert matcher.match(question, NOW).answer_id == "cloakroom"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("mon vol décolle tôt, où peut-on manger à midi ?", "lunch-location"),
        ("primera vez aquí, una preguntita: ¿dónde puedo rezar?", "prayer-room"),
    ],
)
def test_two_of_the_entrys_own_concepts_outweigh_a_few_words_of_context(
    matcher: Matcher, question: str, expected: str
) -> None:
    # Half the words are the delegate's situation; "manger" and "midi", "dónde" and "rezar"
    # name what the entry is about in all its phrasings.
    assert matcher.match(question, NOW).answer_id == expected


def test_spoken_arabic_without_the_final_hamza_is_the_same_word() -> None:
    # "الغدا" is how "الغداء" (lunch) is typed in chats; "عشا" is "عشاء" (dinner).
    assert {"الغدا", "غدا"} <= terms("الغداء")
    assert "عشا" in terms("عشاء")


def test_or_not_asks_whether_and_names_no_subject() -> None:
    # "ou non", "o no", "ولا لأ": a yes-or-no question, no word of any entry's subject.
    assert {"non", "no", "not", "لا", "nope"} <= _FUNCTION


def _competing_entries(count: int) -> list[FaqEntry]:
    """Entries that each name a few conference words once, among words of their own."""
    words_ = "lunch suitcase badge wifi taxi printer prayer photos halal fever déjeuner valise"
    pool = f"{words_} gafete almuerzo maleta الغدا الشنطة حلال صلاة كحة".split(" ")
    return [
        FaqEntry(
            id=f"other-{number}",
            questions={
                "en": (" ".join(pool[(number * 7 + k * 3) % len(pool)] for k in range(3)) + "?",)
            },
            answer=Text({"en": "Something else."}, "en"),
            keywords={},
        )
        for number in range(count)
    ]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("fever, can i come?", "covid-health"),
        ("j'ai de la fièvre", "covid-health"),
        ("tengo fiebre", "covid-health"),
        ("الغدا حلال؟", "lunch-location"),
    ],
)
def test_an_entry_about_a_subject_outranks_many_that_name_it_in_passing(
    question: str, expected: str
) -> None:
    # The health entry names the concept in every language's phrasing; each of the 300 others
    # names a word of it once: the entry about it should still be found and answer.
    matcher = Matcher(sample_events().consultations["geneva-2026"], _competing_entries(300))
    assert matcher.match(question, NOW).answer_id == expected


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("my boss needs me back at the office asap, where do I leave my suitcase", "cloakroom"),
        ("mi vuelo sale temprano el último día, ¿dónde dejo la maleta?", "cloakroom"),
        ("viajo con mi esposa, ¿dónde recojo la credencial?", "registration-desk"),
    ],
)
def test_words_of_the_delegates_situation_do_not_block_the_answer(
    matcher: Matcher, question: str, expected: str
) -> None:
    # The flight, the boss and the wife are the delegate's circumstances, not a subject the
    # entry lacks: each was refused before they counted less.
    found = matcher.match(question, NOW)
    assert (found.kind, found.answer_id) == (FAQ, expected)


@pytest.mark.parametrize(
    "question",
    [
        "can you book me a flight home",
        "peux-tu me réserver un vol de retour ?",
        "combien coûte une nuit à l'hôtel ?",
        "cuánto cuesta el vuelo a Ginebra",
    ],
)
def test_a_situation_word_asked_a_price_of_or_to_be_booked_is_the_subject(
    matcher: Matcher, question: str
) -> None:
    assert matcher.match(question, NOW).kind == NONE


def test_situation_words_are_known_through_their_forms_in_four_languages() -> None:
    for word in ("landing", "landed", "travaille", "aterrice", "طيارتي", "بالليل"):
        assert is_situation(word), word
    for word in ("suitcase", "valise", "maleta", "الشنطه", "wifi"):
        assert not is_situation(word), word


@pytest.fixture(scope="module")
def nairobi() -> Matcher:
    return Matcher(sample_events().consultations["nairobi-2027"])


@pytest.mark.parametrize(
    "question",
    [
        "do I need a measles vaccine for Kenya?",
        "faut-il un vaccin contre le choléra pour le Kenya ?",
        "هل احتاج لقاح كورونا لدخول كينيا؟",
    ],
)
def test_another_disease_than_the_entrys_is_not_answered_by_it(
    nairobi: Matcher, question: str
) -> None:
    # The entry is about yellow fever: it says nothing of measles, cholera or covid.
    assert nairobi.match(question, NOW).kind == NONE


@pytest.mark.parametrize(
    "question",
    [
        "do I need a yellow fever vaccine for Kenya?",
        "faut-il le vaccin contre la fièvre jaune pour le Kenya ?",
        "هل احتاج لقاح الحمى الصفراء لدخول كينيا؟",
    ],
)
def test_the_entrys_own_disease_is_still_answered(nairobi: Matcher, question: str) -> None:
    assert nairobi.match(question, NOW).answer_id == "yellow-fever"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("what is the wifi password at the hotel", None),
        ("code wifi de l'hôtel ?", None),
        ("mot de passe wifi", "wifi-password"),
        ("how much is a taxi from the airport in euros?", None),
        ("cuánto cuesta el taxi del aeropuerto en dólares?", None),
        ("كم سعر التاكسي من المطار باليورو؟", None),
        ("how much is a taxi from the airport in francs?", "airport-transfer"),
        ("cuánto cuesta el taxi del aeropuerto?", "airport-transfer"),
    ],
)
def test_another_place_or_currency_than_the_entrys_is_not_answered_by_it(
    matcher: Matcher, question: str, expected: str | None
) -> None:
    # The venue's wifi is not the hotel's; a fare quoted in CHF is not one in euros or dollars.
    assert matcher.match(question, NOW).answer_id == expected


def test_family_members_are_whole_words_in_four_languages() -> None:
    assert members_in(words("une mosquée près du centre ?")) == {"worship:mosque"}
    assert members_in(words("في الجامع")) == {"worship:mosque"}
    assert members_in(words("hay una sala de oración")) == {"worship:prayer_room"}
    # "français" is a language, not the currency franc.
    assert members_in(words("le canal en français")) == frozenset()


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("is there a mosque near the venue for Friday prayer?", None),
        ("هل يوجد مسجد قريب لصلاة الجمعة؟", None),
        ("is there a mosque or a prayer room?", "prayer-room"),
    ],
)
def test_a_mosque_is_not_the_venues_prayer_room_unless_that_is_asked_too(
    matcher: Matcher, question: str, expected: str | None
) -> None:
    assert matcher.match(question, NOW).answer_id == expected


@pytest.mark.parametrize(
    "question",
    [
        "what's the wifi password at the Novotel?",
        "le code wifi du Novotel ?",
        "cuál es la clave del wifi en el Novotel?",
        "comment aller au CICG depuis le Novotel ?",
    ],
)
def test_a_name_the_organisers_text_never_uses_is_not_answered(
    matcher: Matcher, question: str
) -> None:
    # The venue's wifi and transfers say nothing of a hotel the data never names.
    assert matcher.match(question, NOW).kind == NONE


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("salgo de Annecy en coche, dónde aparco?", "parking"),
        ("je pars de Annecy en voiture, où me garer ?", "parking"),
    ],
)
def test_a_town_the_delegate_leaves_from_is_no_subject(
    matcher: Matcher, question: str, expected: str
) -> None:
    assert matcher.match(question, NOW).answer_id == expected


@pytest.mark.parametrize(
    "question",
    [
        "transiting through Kisangani, do I need the yellow fever vaccine?",
        "do I need a yellow fever vaccine if I fly via Kisangani?",
    ],
)
def test_a_town_the_delegate_travels_through_is_no_subject(
    nairobi: Matcher, question: str
) -> None:
    assert nairobi.match(question, NOW).answer_id == "yellow-fever"


def test_the_delegates_organisation_there_is_no_subject(nairobi: Matcher) -> None:
    question = "somos una ONG de Kisangani, necesitamos visa para Kenia?"
    assert nairobi.match(question, NOW).answer_id == "eta-visa"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("وين نقدر نصلي؟", "prayer-room"),
        ("فين كيكون الغدا؟", "lunch-location"),
        ("وين ناخذ البادج؟", "registration-desk"),
    ],
)
def test_a_spoken_arabic_verb_the_index_does_not_know_is_no_subject(
    matcher: Matcher, question: str, expected: str
) -> None:
    # "نقدر" (can we), "كيكون" (is it, Moroccan), "ناخذ" (do we take) frame the question.
    assert matcher.match(question, NOW).answer_id == expected


@pytest.mark.parametrize(
    "question", ["في مسبح بالفندق", "في نادي رياضي بالمكان", "is there a gym at the venue"]
)
def test_an_unknown_noun_is_still_a_subject_beside_a_spoken_verb(
    matcher: Matcher, question: str
) -> None:
    assert matcher.match(question, NOW).kind == NONE


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("I'm Colombian, do I need a visa for Switzerland?", "visa-letter"),
        ("Soy Colombiana, necesito visa para Suiza?", "visa-letter"),
        ("Je suis Sénégalais, il me faut un visa pour la Suisse ?", "visa-letter"),
    ],
)
def test_where_the_delegate_is_from_is_no_subject(
    matcher: Matcher, question: str, expected: str
) -> None:
    # A capitalised demonym is no name the organisers' text fails to speak of.
    assert matcher.match(question, NOW).answer_id == expected


@pytest.mark.parametrize(
    "question",
    ["I am Nigerian, do I need a visa for Kenya?", "Soy Hondureño, necesito visa para Kenia?"],
)
def test_a_nationality_does_not_block_the_visa_answer(nairobi: Matcher, question: str) -> None:
    assert nairobi.match(question, NOW).answer_id == "eta-visa"


@pytest.mark.parametrize(
    "question",
    [
        "palu à Nairobi ? il faut prendre des comprimés ?",
        "du palu à Nairobi, faut des cachets ?",
        "palu in nairobi? do i need pills?",
    ],
)
def test_a_disease_named_in_another_language_finds_its_entry(
    nairobi: Matcher, question: str
) -> None:
    # "palu" is the French everyday name of malaria; the entry says "malaria", "paludisme".
    assert nairobi.match(question, NOW).answer_id == "malaria"


@pytest.mark.parametrize(
    "question",
    ["puedo pagar con mpesa en Nairobi?", "est-ce que mpesa marche pour les visiteurs ?"],
)
def test_a_hyphenated_name_typed_as_one_word_is_found(nairobi: Matcher, question: str) -> None:
    # The entry writes "M-Pesa"; delegates type "mpesa".
    assert nairobi.match(question, NOW).answer_id == "mobile-money"


@pytest.mark.parametrize(
    "question",
    [
        "how much is a taxi from cornavin station to the CICG?",
        "combien coûte un taxi de la gare Cornavin au CICG ?",
        "cuanto cuesta un taxi de la estacion Cornavin al CICG?",
    ],
)
def test_a_price_of_a_route_the_entry_does_not_quote_is_not_answered(
    matcher: Matcher, question: str
) -> None:
    # The transfer entry quotes the taxi from the airport; its answer names the station only
    # as a stop on the train.
    assert matcher.match(question, NOW).kind == NONE


@pytest.mark.parametrize(
    "question",
    [
        "how much is a taxi from the airport to the CICG?",
        "combien coûte un taxi depuis l'aéroport ?",
    ],
)
def test_the_price_the_entry_quotes_is_still_answered(matcher: Matcher, question: str) -> None:
    assert matcher.match(question, NOW).answer_id == "airport-transfer"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("do foreigners need a visa for Kenya?", "eta-visa"),
        ("les étrangers ont-ils besoin d'un visa pour le Kenya ?", "eta-visa"),
        ("¿los extranjeros necesitan visa para Kenia?", "eta-visa"),
        ("can foreigners use mpesa", "mobile-money"),
        ("هل يستطيع الأجانب استخدام M-Pesa؟", "mobile-money"),
        ("الاجانب لازم فيزا لكينيا؟", "eta-visa"),
    ],
)
def test_being_a_foreigner_is_the_delegates_situation(
    nairobi: Matcher, question: str, expected: str
) -> None:
    # Who the delegate is says nothing of the subject: the entry on mobile money speaks of
    # visitors (and of Visa cards), which must not make it the answer to a visa question.
    assert nairobi.match(question, NOW).answer_id == expected
