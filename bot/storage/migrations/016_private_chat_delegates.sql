-- Only a private chat with the bot makes someone a delegate. Before this version a command in any
-- group the bot is in also stored its sender (id, first name, client language) as a delegate, and
-- so as a recipient of announcements.
--
-- The schema cannot tell such a row from a delegate who sent /start and nothing since: neither
-- chose a language or a consultation (one consultation, or DEFAULT_CONSULTATION, needs no
-- choice), and nothing records where a row was created. Deleting the rows without a trace of a
-- private chat would silently drop such delegates from every announcement, so none is deleted.
-- Those rows lose the first name they were stored with instead: a delegate's comes back with
-- their next message, and a stranger's is no longer kept. A stranger's row is marked inactive the
-- first time Telegram refuses to deliver to them (the bot cannot start a chat with them).
--
-- A trace of a private chat: a language or consultation chosen (buttons of the private chat), a
-- star, a setting, a question, feedback, a survey answer, a recommendation, an announcement
-- composed, or a message Telegram delivered to them.
UPDATE users SET first_name = ''
WHERE first_name != ''
  AND language IS NULL
  AND consultation_id IS NULL
  AND NOT EXISTS (SELECT 1 FROM bookmarks b WHERE b.user_id = users.user_id)
  AND NOT EXISTS (SELECT 1 FROM user_settings s WHERE s.user_id = users.user_id)
  -- Questions, feedback and recommendations name their author by a keyed hash since 015; until
  -- the bot's next start writes those, anonymise_pending still lists each one's delegate.
  AND NOT EXISTS (SELECT 1 FROM anonymise_pending p WHERE p.user_id = users.user_id)
  AND NOT EXISTS (SELECT 1 FROM card_opens c WHERE c.user_id = users.user_id)
  AND NOT EXISTS (SELECT 1 FROM survey_answers a WHERE a.user_id = users.user_id)
  AND NOT EXISTS (SELECT 1 FROM feedback_awaiting w WHERE w.user_id = users.user_id)
  AND NOT EXISTS (SELECT 1 FROM broadcasts d WHERE d.created_by = users.user_id)
  AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.user_id = users.user_id AND o.state = 'sent');
