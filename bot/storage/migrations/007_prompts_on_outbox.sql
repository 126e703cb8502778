-- Feedback prompts and survey invitations now go through the outbox (kinds fb_prompt and
-- survey_prompt). Prompts already claimed under the old tables come along under their new keys,
-- in a finished state, so that none is sent twice after the upgrade; then the tables go.
INSERT OR IGNORE INTO outbox (kind, key, user_id, consultation_id, subject, payload, due_at,
                              not_before, state, attempts, reason, sent_at, created_at,
                              updated_at)
SELECT
    CASE p.kind WHEN 'session' THEN 'fb_prompt' ELSE 'survey_prompt' END,
    CASE p.kind
        WHEN 'session' THEN 'fb_prompt:' || p.consultation_id || ':' || p.target || ':' || p.user_id
        ELSE 'survey_prompt:' || p.consultation_id || ':' || p.user_id
    END,
    p.user_id,
    p.consultation_id,
    CASE p.kind
        WHEN 'session' THEN 'fb_prompt:' || p.consultation_id || ':' || p.target
        ELSE 'survey_prompt:' || p.consultation_id
    END,
    CASE p.kind WHEN 'session' THEN '{"session": "' || p.target || '"}' ELSE '{}' END,
    p.claimed_at,
    p.claimed_at,
    -- Sent, or refused (blocked, failed), or claimed and then the bot stopped: never resent.
    CASE IFNULL(p.outcome, '')
        WHEN 'sent' THEN 'sent'
        WHEN '' THEN 'unknown'
        ELSE 'failed'
    END,
    1,
    CASE IFNULL(p.outcome, '') WHEN 'sent' THEN NULL WHEN '' THEN 'interrupted while sending'
        ELSE p.outcome END,
    CASE p.outcome WHEN 'sent' THEN IFNULL(p.sent_at, p.claimed_at) END,
    p.claimed_at,
    IFNULL(p.sent_at, p.claimed_at)
FROM feedback_prompts p
WHERE p.kind IN ('session', 'survey') AND p.user_id IN (SELECT user_id FROM users);

DROP TABLE feedback_prompts;
DROP TABLE feedback_dispatched;
