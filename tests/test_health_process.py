"""`python -m bot health` beside a real `python -m bot run` in long polling, against the fake Bot
API over HTTP: healthy while getUpdates is answered, idle included; unhealthy once it goes
unanswered for longer than the threshold; healthy again when it comes back; stopped after
SIGTERM."""

from __future__ import annotations

import asyncio
import sys

from bot.fakeapi.http import FakeApiHttpServer
from tests.process_support import BotProcess, wait_until

STALE = 5.0  # HEALTH_STALE_SECONDS for these runs (the bot then polls with a 1 s timeout)


async def health(process: BotProcess) -> tuple[int, str]:
    """`python -m bot health` with the bot's settings, as Docker's HEALTHCHECK runs it."""
    env = process.environment()
    env["HEALTH_STALE_SECONDS"] = str(STALE)
    command = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "health",
        cwd=process.folder,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(command.communicate(), 60)
    assert command.returncode is not None
    return command.returncode, out.decode().strip()


async def until_health(process: BotProcess, code: int, within: float) -> str:
    """Run the check until it exits with `code`; its line."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        got, line = await health(process)
        if got == code:
            return line
        assert loop.time() < deadline, f"still {line!r}\n{process.log()}"
        await asyncio.sleep(0.2)


async def test_health_follows_getupdates(
    server: FakeApiHttpServer, bot_process: BotProcess
) -> None:
    api = server.api
    await bot_process.start(HEALTH_STALE_SECONDS=str(STALE))
    await wait_until(
        lambda: len(api.calls_to("getUpdates")) >= 2, 30, f"polling\n{bot_process.log()}"
    )
    # Nobody writes: the empty answers keep it healthy, well past the threshold.
    loop = asyncio.get_running_loop()
    idle_until = loop.time() + 1.5 * STALE
    while loop.time() < idle_until:
        code, line = await health(bot_process)
        assert code == 0, f"{line}\n{bot_process.log()}"
        assert line.startswith("healthy: long polling, last getUpdates "), line
        await asyncio.sleep(0.5)

    # The API stops answering getUpdates: two calls in a row get nothing until they time out
    # (the 1 s long poll plus 5 s), about 12 s without a successful getUpdates.
    server.hold_next("getUpdates")
    server.hold_next("getUpdates")
    await wait_until(lambda: server.held >= 1, 10, f"a held getUpdates\n{bot_process.log()}")
    silent_since = loop.time()
    line = await until_health(bot_process, 1, within=10)
    assert loop.time() - silent_since >= STALE - 1.0  # (the last beat came before the hold)
    assert line.startswith("unhealthy: no getUpdates succeeded for "), line
    assert line.endswith(f"(more than {int(STALE)} s)"), line
    assert bot_process.alive

    # Answered again: healthy again, and updates are served.
    line = await until_health(bot_process, 0, within=20)
    assert server.held == 2
    assert line.startswith("healthy: long polling"), line
    api.queue_update(api.make_message(5001, "/now"))
    await wait_until(lambda: bool(api.bot_messages(5001)), 20, f"a reply\n{bot_process.log()}")

    assert await bot_process.terminate() == 0
    code, line = await health(bot_process)
    assert code == 1
    assert line.startswith("unhealthy: the bot stopped "), line
