"""Domain logic: no Telegram imports here."""
