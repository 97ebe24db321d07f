-- For `scripts/bench-reminders`, after `seed.sql`: one pending reminder per booked visit,
-- due a minute ago (as if the practice's 72-hour offset had just passed), so one
-- `SendReminders` job per practice writes them all to the outbox. Run as the owner role.

INSERT INTO appointment_reminders (tenant_id, id, appointment_id, offset_minutes, due_at,
                                   status, created_at, sent_at)
SELECT tenant_id, md5('r' || id::text)::uuid, id, 72 * 60, now() - interval '1 minute',
       'pending', now(), NULL
FROM appointments
WHERE status = 'booked' AND starts_at > now();

ANALYZE appointment_reminders;
