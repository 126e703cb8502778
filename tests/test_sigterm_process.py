"""The bot as a real process (`python -m bot run`) against the fake Bot API over HTTP.

SIGTERM under load loses no update and answers none twice, even across a restart; network
faults on getUpdates and sendMessage do not kill the process, and polling recovers (a reply
whose send certainly delivered nothing is sent again; one that may have arrived is not).
"""

from __future__ import annotations

import asyncio

from bot.fakeapi.http import FakeApiHttpServer
from tests.process_support import DELEGATES, BotProcess, queue_load, replies, wait_until


async def test_sigterm_under_load_loses_and_repeats_nothing(
    server: FakeApiHttpServer, bot_process: BotProcess
) -> None:
    api = server.api
    sent = queue_load(api, rounds=4)  # 200 updates from 50 delegates
    await bot_process.start()
    await wait_until(lambda: replies(api) >= 20, 20, f"first replies\n{bot_process.log()}")
    assert replies(api) < sum(sent.values()), "all answered before SIGTERM: proves nothing"
    bot_process.signal_term()
    await asyncio.sleep(0.3)
    # Updates that arrive while it drains wait at Telegram for the next process.
    for user, count in queue_load(api, rounds=1).items():
        sent[user] += count
    # The replies in hand go out at Telegram's pace (30 a second): 180 take about 6 s.
    assert await bot_process.exit_code(within=15) == 0

    polls = len(api.calls_to("getUpdates"))
    await bot_process.start()
    await wait_until(
        lambda: len(api.calls_to("getUpdates")) > polls, 20, f"polling\n{bot_process.log()}"
    )
    await wait_until(
        lambda: replies(api) >= sum(sent.values()), 20, f"all replies\n{bot_process.log()}"
    )
    await asyncio.sleep(0.5)  # a repeated update would be answered meanwhile
    assert await bot_process.terminate() == 0

    per_chat = {user: len(api.bot_messages(user)) for user in DELEGATES}
    assert per_chat == sent  # one reply per update: nothing lost, nothing twice
    assert not [c for c in api.calls if not c.ok]


async def test_network_faults_do_not_kill_the_process(
    server: FakeApiHttpServer, bot_process: BotProcess
) -> None:
    api = server.api
    user = DELEGATES[0]
    await bot_process.start()
    await wait_until(lambda: api.pending_polls > 0, 20, f"polling\n{bot_process.log()}")

    server.fail_next(1, method="getUpdates", status=502)
    server.fail_next(1, method="getUpdates", drop=True)
    server.fail_next(1, method="sendMessage", status=502)
    server.fail_next(1, method="sendMessage", drop=True)
    # Wake the waiting poll so the faulty calls come next; the replies meet the send faults.
    for _ in range(2):
        api.queue_update(api.make_message(user, "/now"))
    await wait_until(lambda: server.faults_injected == 4, 20, f"the faults\n{bot_process.log()}")
    await asyncio.sleep(0.3)
    assert bot_process.alive

    # After the faults: every new update is answered again.
    before = len(api.bot_messages(user))
    for _ in range(3):
        api.queue_update(api.make_message(user, "/now"))
    await wait_until(
        lambda: len(api.bot_messages(user)) >= before + 3, 20, f"recovery\n{bot_process.log()}"
    )
    assert bot_process.alive
    assert await bot_process.terminate() == 0


async def test_sigterm_while_starting_stops_it_cleanly_once_started(
    server: FakeApiHttpServer, bot_process: BotProcess
) -> None:
    """`docker stop` (SIGTERM) while the bot loads its data and database: it does not die
    half-started with the signal's default action; it starts, then stops cleanly."""
    await bot_process.start()
    await wait_until(
        lambda: "Loading the event data" in bot_process.log(), 20, f"loading\n{bot_process.log()}"
    )
    bot_process.signal_term()
    assert await bot_process.exit_code(within=15) == 0, bot_process.log()
    assert "stopping once started" in bot_process.log()
