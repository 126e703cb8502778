"""The matcher's handling of phone-typed questions: filler, typos, dialect and split words."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.services.matcher import FAQ, NONE, Matcher, words
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
