"""Who is using the database: an advisory lock on a file beside it, released by the OS on exit.

Every process that opens the database (the bot, the console chat, the commands that read or
write it) holds a shared lock on `<database>.lock` for as long as it has it open; a restore takes
it exclusively. So a restore refuses while anything uses the database, and nothing opens it while
a restore swaps the files. A pid file would lie after a SIGKILL; a `flock` dies with its process.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class DatabaseBusy(Exception):
    """The database is in use in a way that forbids what was asked; the message says how."""


def lock_path(database: Path) -> Path:
    """The lock file of a database: `bot.sqlite3.lock` beside `bot.sqlite3`."""
    return database.with_name(database.name + ".lock")


class DatabaseLock:
    """One hold on a database's lock file: shared (using it) or exclusive (restoring it)."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self.path = lock_path(database)
        self._fd: int | None = None

    def share(self) -> None:
        """Take a shared hold, or raise DatabaseBusy while a restore holds it."""
        if not self._take(fcntl.LOCK_SH):
            raise DatabaseBusy(
                f"The database {self.database} is being restored (python -m bot restore); "
                "try again when the restore has finished."
            )

    def take(self) -> None:
        """Take the exclusive hold, or raise DatabaseBusy while anyone else holds it."""
        if not self._take(fcntl.LOCK_EX):
            raise DatabaseBusy(
                f"The database {self.database} is in use: the bot, its console chat or another "
                "command has it open (or another restore is running). Stop the bot first "
                "(docker compose stop bot, or Ctrl-C), then run this again."
            )

    def _take(self, mode: int) -> bool:
        if self._fd is not None:
            raise RuntimeError("this hold on the database lock is already taken")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except PermissionError:
            # Another user's folder (a backup taken as someone else): flock needs only reading.
            fd = os.open(self.path, os.O_RDONLY)
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return True

    def release(self) -> None:
        """Let go (closing the file releases the lock); nothing to do when not held."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None
