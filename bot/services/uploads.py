"""Files of the data directory sent in the chat (rooms' maps, speakers' photos, documents):
uploaded the first time, then sent by the file_id Telegram gave them, kept by their content."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

from bot.clock import Clock
from bot.storage.uploads import UploadStore


class Uploads:
    """`caching` off (the console chat, whose Bot API is a fake sharing the real bot's
    database): every file is uploaded, and no file_id is read or kept."""

    def __init__(self, store: UploadStore, clock: Clock, *, caching: bool = True) -> None:
        self._store = store
        self._clock = clock
        self._caching = caching
        # Digests by (path, size, modification time): a file is hashed once, not per send.
        self._digests: dict[tuple[Path, int, int], str] = {}

    async def key_of(self, path: Path) -> str:
        """The SHA-256 of the file's content (OSError when it cannot be read)."""
        stat = await asyncio.to_thread(path.stat)
        key = (path, stat.st_size, stat.st_mtime_ns)
        found = self._digests.get(key)
        if found is None:
            found = await asyncio.to_thread(_digest, path)
            self._digests[key] = found
        return found

    async def content(self, path: Path) -> bytes:
        """The file's bytes, read off the event loop (up to 50 MB)."""
        return await asyncio.to_thread(path.read_bytes)

    async def file_id(self, key: str) -> str | None:
        """The file_id Telegram gave this content before, if any."""
        return await self._store.file_id(key) if self._caching else None

    async def uploaded(self, key: str, file_id: str) -> None:
        if self._caching:
            await self._store.remember(key, file_id, self._clock.now())

    async def refused(self, key: str, file_id: str) -> None:
        """Telegram refused the kept file_id (another bot's token, say): upload it again."""
        if self._caching:
            await self._store.forget(key, file_id)


def _digest(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
