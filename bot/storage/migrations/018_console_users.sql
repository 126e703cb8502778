-- The console chat (`python -m bot chat`) uses the bot's database, so that roles given with
-- `python -m bot role` apply there too. The delegates it creates are no one on Telegram: they are
-- marked here, and the real bot never counts nor sends anything to them (broadcasts, reminders,
-- every outbox row), while a console reaches its own delegate only. A message from Telegram
-- from the same id makes the row a real delegate's.
ALTER TABLE users ADD COLUMN console INTEGER NOT NULL DEFAULT 0;
CREATE INDEX users_in_console ON users(user_id) WHERE console = 1;

-- A broadcast composed in a console chat: that console's delegate (NULL: composed in Telegram
-- or queued from the command line). Only that console starts and follows it, and it reaches
-- console delegates only; the real bot leaves it alone.
ALTER TABLE broadcasts ADD COLUMN console_user INTEGER;
