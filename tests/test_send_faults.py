"""A send is repeated only when it certainly delivered nothing: a connection refused, or an error
answer from Telegram. A connection that broke after the request left may have delivered it: the
outbox marks it unknown, a reply is not sent again, and nobody gets a message twice."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from telegram import Update
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest, RequestData

from bot.handlers import outbox
from bot.handlers.outbox import outcome_of
from bot.storage.broadcasts import subject_of
from bot.transport import DeliveryAwareRequest, NotDelivered
from tests.conftest import Harness
from tests.test_broadcast import announced, delegate, deliver, organiser, report_of

URL = "http://127.0.0.1:9/bot1:test/sendMessage"
MESSAGE = {
    "ok": True,
    "result": {
        "message_id": 1,
        "date": 0,
        "chat": {"id": 5, "type": "private"},
        "text": "hello",
    },
}


@pytest.fixture
async def answering() -> AsyncIterator[Callable[[Callable[[httpx.Request], Any]], Any]]:
    """PTB's own HTTPXRequest, wrapped as the bot runs it, over a transport the test scripts."""
    made: list[DeliveryAwareRequest] = []

    async def make(handler: Callable[[httpx.Request], Any]) -> DeliveryAwareRequest:
        inner = HTTPXRequest(httpx_kwargs={"transport": httpx.MockTransport(handler)})
        request = DeliveryAwareRequest(inner)
        await request.initialize()
        made.append(request)
        return request

    yield make
    for request in made:
        await request.shutdown()


async def post(request: DeliveryAwareRequest) -> Any:
    return await request.post(URL, RequestData())


def raising(error: Exception) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error

    return handler


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError("[Errno 111] Connection refused"),
        httpx.ConnectTimeout("timed out connecting"),
        httpx.PoolTimeout("no free connection"),
        httpx.ProxyError("the proxy refused the tunnel"),
    ],
    ids=type,
)
async def test_an_error_before_the_request_left_is_not_delivered(
    answering: Any, error: Exception
) -> None:
    request = await answering(raising(error))
    with pytest.raises(NotDelivered):
        await post(request)


@pytest.mark.parametrize(
    ("error", "raised"),
    [
        (httpx.ReadError("[Errno 104] Connection reset by peer"), NetworkError),
        (httpx.RemoteProtocolError("Server disconnected without a response"), NetworkError),
        (httpx.WriteError("[Errno 32] Broken pipe"), NetworkError),
        (httpx.ReadTimeout("timed out"), TimedOut),
        (httpx.WriteTimeout("timed out"), TimedOut),
    ],
    ids=lambda value: value.__name__ if isinstance(value, type) else type(value).__name__,
)
async def test_an_error_after_the_request_left_may_have_delivered_it(
    answering: Any, error: Exception, raised: type[Exception]
) -> None:
    request = await answering(raising(error))
    with pytest.raises(raised) as caught:
        await post(request)
    assert not isinstance(caught.value, NotDelivered)


@pytest.mark.parametrize(
    ("response", "raised"),
    [
        (httpx.Response(502, text="<html>Bad Gateway</html>"), NotDelivered),
        (
            httpx.Response(
                500, json={"ok": False, "error_code": 500, "description": "Internal error"}
            ),
            NotDelivered,
        ),
        (httpx.Response(429, text="Too Many Requests"), NotDelivered),
        (
            httpx.Response(
                429,
                json={
                    "ok": False,
                    "error_code": 429,
                    "description": "Too Many Requests: retry after 3",
                    "parameters": {"retry_after": 3},
                },
            ),
            RetryAfter,
        ),
        (
            httpx.Response(
                400,
                json={
                    "ok": False,
                    "error_code": 400,
                    "description": "Bad Request: chat not found",
                },
            ),
            BadRequest,
        ),
        (
            httpx.Response(
                403, json={"ok": False, "error_code": 403, "description": "Forbidden: blocked"}
            ),
            Forbidden,
        ),
    ],
    ids=["502 html", "500 json", "429 bare", "429 retry_after", "400", "403"],
)
async def test_telegrams_error_answers(
    answering: Any, response: httpx.Response, raised: type[Exception]
) -> None:
    request = await answering(lambda _request: response)
    with pytest.raises(raised) as caught:
        await post(request)
    if raised is not NotDelivered:
        assert not isinstance(caught.value, NotDelivered)


async def test_a_success_passes_through(answering: Any) -> None:
    request = await answering(lambda _request: httpx.Response(200, json=MESSAGE))
    assert (await post(request))["message_id"] == 1


async def test_a_real_refused_connection_is_not_delivered() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens there any more: the operating system refuses the connection.
    request = DeliveryAwareRequest(HTTPXRequest())
    await request.initialize()
    try:
        with pytest.raises(NotDelivered):
            await request.post(f"http://127.0.0.1:{port}/bot1:test/sendMessage", RequestData())
    finally:
        await request.shutdown()


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (NotDelivered("httpx.ConnectError: refused"), "transient"),
        (NotDelivered("Bad Gateway (502)"), "transient"),
        (NetworkError("httpx.ReadError: reset"), "unknown"),
        (NetworkError("httpx.RemoteProtocolError: disconnected"), "unknown"),
        (TimedOut(), "unknown"),
        (TelegramError("Invalid server response"), "unknown"),  # a 200 PTB could not read
        (InvalidToken("Unauthorized"), "transient"),  # an answer: nothing was delivered
        (Forbidden("Forbidden: bot was blocked by the user"), "blocked"),
        (BadRequest("Bad Request: chat not found"), "blocked"),
        (BadRequest("Bad Request: message is too long"), "permanent"),
        (RetryAfter(timedelta(seconds=7)), "retry_after"),
    ],
    ids=lambda value: value.message if isinstance(value, TelegramError) else value,
)
def test_the_outbox_sends_again_only_what_certainly_was_not_delivered(
    error: TelegramError, status: str
) -> None:
    assert outcome_of(error).status == status


# --- the whole bot over the in-process fake ---------------------------------------------------

LANGUAGES = ("en", "fr", "es", "ar")


async def broadcast_ready(harness: Harness, delegates: int, text: str) -> Any:
    """`delegates` delegates and the organiser; the announcement pressed off, nothing sent yet."""
    assert harness.app.job_queue is not None
    for job in harness.app.job_queue.jobs():
        job.enabled = False  # the test sends by itself, so the faults meet the announcement
    for index in range(delegates):
        await delegate(harness, 2001 + index, LANGUAGES[index % 4], starred=False)
    org = await organiser(harness)
    await org.send("/broadcast")
    await org.send(text)
    await org.press("Preview")
    await org.press(f"Send now to {delegates + 1} delegates")
    harness.api.calls.clear()  # the organiser's preview is not a delivery
    return org


def received(harness: Harness, words: str) -> dict[int, int]:
    """How many copies of the announcement each chat got."""
    counts: dict[int, int] = {}
    for call in harness.api.calls_to("sendMessage"):
        if call.ok and announced(call, words):
            chat = int(call.params["chat_id"])
            counts[chat] = counts.get(chat, 0) + 1
    return counts


async def test_announcements_whose_answer_was_lost_arrive_once_and_are_reported_unknown(
    harness: Harness,
) -> None:
    org = await broadcast_ready(harness, 6, "Buses leave at 18:00.")
    # Telegram accepts four sends, then the connection is reset before its answers come back.
    harness.api.reset_after_next("sendMessage", count=4)
    await deliver(harness)
    recipients = [*range(2001, 2007), org.user_id]
    assert received(harness, "Buses leave") == dict.fromkeys(recipients, 1)
    counts = await harness.services.delivery.store.progress(subject_of(1))
    assert (counts["sent"], counts["unknown"]) == (3, 4)

    report = report_of(org)
    assert "Announcement sent" in report
    assert "Sent to 3 of 7 delegates." in report
    assert "Unknown: 4 — the connection broke while sending" in report
    # Long after every back-off, nothing was sent again.
    harness.clock.advance(minutes=30)
    await deliver(harness)
    assert received(harness, "Buses leave") == dict.fromkeys(recipients, 1)
    await org.send("/broadcasts")
    assert "Unknown: 4" in org.text()


async def test_announcements_refused_before_sending_are_sent_again_once(
    harness: Harness,
) -> None:
    org = await broadcast_ready(harness, 6, "Lunch is served on the terrace.")
    harness.api.refuse_next("sendMessage", count=7)
    await harness.services.delivery.process_due()
    assert received(harness, "Lunch is served") == {}  # none reached Telegram
    await deliver(harness, rounds=30)  # the first back-off is 10 s
    assert received(harness, "Lunch is served") == dict.fromkeys(
        [*range(2001, 2007), org.user_id], 1
    )
    assert "Sent to 7 of 7 delegates." in report_of(org)


async def test_an_announcement_that_fails_after_leaving_is_unknown_not_resent(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = await broadcast_ready(harness, 1, "The cloakroom closes at 19:00.")
    sending = outbox.send_rendered

    async def then_fail(*args: Any) -> Any:
        await sending(*args)
        raise ValueError("the answer could not be read")

    monkeypatch.setattr(outbox, "send_rendered", then_fail)
    await deliver(harness, rounds=40)
    assert received(harness, "cloakroom") == {2001: 1, org.user_id: 1}
    counts = await harness.services.delivery.store.progress(subject_of(1))
    assert counts["unknown"] == 2


async def test_a_reply_whose_answer_was_lost_is_not_sent_again(harness: Harness) -> None:
    chat = await delegate(harness, 2001, "en", starred=False)
    harness.api.reset_after_next("sendMessage")
    await chat.send("/now")
    replies = [m for m in chat.messages if "Next" in (m.plain_text() or "")]
    assert len(replies) == 1
    # It arrived: no apology and no "try again" after it.
    assert len(chat.messages) == 1


async def test_a_reply_refused_before_sending_is_sent_again(harness: Harness) -> None:
    chat = await delegate(harness, 2001, "en", starred=False)
    harness.api.refuse_next("sendMessage")
    await chat.send("/now")
    assert "Next" in chat.text()
    assert len(chat.messages) == 1


async def through_the_inbox(harness: Harness, chat: Any, text: str) -> int:
    """The delegate's message received as Telegram's are (kept in the inbox), then handled."""
    data = harness.api.make_message(chat.user_id, text, language_code=chat.language_code)
    ident = int(data["update_id"])
    assert await harness.services.inbox.receive([(ident, data)], []) == {ident}
    await harness.app.process_update(Update.de_json(data, harness.app.bot))
    return ident


async def test_a_reply_refused_then_cut_off_is_unknown_not_counted_answered(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    # The crash trials' case: Telegram's per-chat limit refuses the reply (429), and the
    # connection breaks before that answer arrives. The bot cannot tell it from a reply that
    # arrived: not sent again, no apology, and the update is recorded as unknown (reported).
    chat = await delegate(harness, 2001, "en", starred=False)
    harness.api.fail_next(
        "sendMessage", error_code=429, description="Too Many Requests: retry after 1"
    )
    harness.api.reset_after_next("sendMessage")
    with caplog.at_level(logging.WARNING):
        ident = await through_the_inbox(harness, chat, "/now")
    assert chat.messages == []
    assert await harness.services.inbox.unknown() == [ident]
    assert await harness.services.inbox.count() == 0
    assert f"Update {ident} may or may not have been answered" in caplog.text
    # Telegram sends it again (never confirmed, say): not handled a second time.
    data = harness.api.make_message(2001, "/now")
    data["update_id"] = ident
    assert await harness.services.inbox.receive([(ident, data)], []) == frozenset()
    harness.api.calls.clear()  # the 429 was the test's, not a bug


async def test_a_reply_delivered_then_cut_off_arrives_once_and_is_unknown(
    harness: Harness,
) -> None:
    chat = await delegate(harness, 2001, "en", starred=False)
    harness.api.reset_after_next("sendMessage")
    ident = await through_the_inbox(harness, chat, "/now")
    assert len(chat.messages) == 1
    assert "Next" in chat.text()
    assert await harness.services.inbox.unknown() == [ident]
    # The delegate's next message is answered as usual, and is not unknown.
    await through_the_inbox(harness, chat, "/now")
    assert len(chat.messages) == 2
    assert await harness.services.inbox.unknown() == [ident]


async def test_a_reply_refused_before_sending_leaves_nothing_unknown(harness: Harness) -> None:
    chat = await delegate(harness, 2001, "en", starred=False)
    harness.api.refuse_next("sendMessage")
    await through_the_inbox(harness, chat, "/now")
    assert len(chat.messages) == 1
    assert await harness.services.inbox.unknown() == []
    assert await harness.services.inbox.count() == 0
