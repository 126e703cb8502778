-- Helpdesk fixes: FAQ gaps grouped by the matcher's normalisation (accents and case in any
-- script), replies that could not be delivered, and replies looked up by ticket.
ALTER TABLE helpdesk_questions ADD COLUMN question_key TEXT NOT NULL DEFAULT '';
-- Older questions get the closest SQL can do (ASCII case only); new ones the matcher's form.
UPDATE helpdesk_questions SET question_key = lower(trim(question));

ALTER TABLE helpdesk_replies ADD COLUMN delivered INTEGER NOT NULL DEFAULT 1;
CREATE INDEX helpdesk_replies_by_ticket ON helpdesk_replies(ticket_id);
