-- Delegates' own wordings that organisers taught the bot from /gaps: each is indexed like one
-- more question of the FAQ entry or topic it names. Taught from a delegate's question, it goes
-- with that question (and so with the delegate's data, on /forget).
CREATE TABLE taught_phrasings (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    consultation_id TEXT NOT NULL,
    answer_ref      TEXT NOT NULL,   -- FAQ id or topic:<id>
    language        TEXT NOT NULL,   -- the language the delegate asked in
    text            TEXT NOT NULL,
    question_key    TEXT NOT NULL,   -- the matcher's normalised form, as in helpdesk_questions
    question_id     INTEGER NOT NULL REFERENCES helpdesk_questions(id) ON DELETE CASCADE,
    taught_by       INTEGER NOT NULL,
    taught_at       TEXT NOT NULL,
    UNIQUE (consultation_id, answer_ref, question_key)
);
CREATE INDEX taught_phrasings_by_question ON taught_phrasings(question_id);
CREATE INDEX taught_phrasings_by_key ON taught_phrasings(consultation_id, question_key);
