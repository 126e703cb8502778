-- The language of the delegate's Telegram client, so messages the bot sends on its own (reminders,
-- change notices, feedback prompts) are in the delegate's language before they ever pick one.
ALTER TABLE users ADD COLUMN client_language TEXT;
