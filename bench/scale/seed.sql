-- Many practices on one PostgreSQL, for `scripts/bench-scale`. Run as the owner role (it
-- bypasses row-level security), after `portico migrate`. Ids are derived from the row's
-- position (md5(...)::uuid), so a rerun on a fresh database gives the same data.
-- Placeholders: {tenants}, {patients} (per practice), {hash} (argon2id of the password).

INSERT INTO tenants (id, slug, name, status, time_zone, display_name, primary_color,
                     created_at, updated_at)
SELECT md5('t' || t)::uuid, 'bench-' || t, 'Bench practice ' || t, 'active',
       (ARRAY['America/New_York', 'America/Chicago', 'America/Denver', 'America/Phoenix',
              'America/Los_Angeles'])[1 + t % 5],
       'Bench practice ' || t, '#0f766e', now(), now()
FROM generate_series(1, {tenants}) AS t;

INSERT INTO locations (tenant_id, id, name, address, active, created_at)
SELECT md5('t' || t)::uuid, md5('l' || t)::uuid, 'Main clinic', NULL, true, now()
FROM generate_series(1, {tenants}) AS t;

INSERT INTO providers (tenant_id, id, user_id, display_name, specialty, active, created_at)
SELECT md5('t' || t)::uuid, md5('p' || t || '-' || k)::uuid, NULL, 'Provider ' || k,
       'Family medicine', true, now()
FROM generate_series(1, {tenants}) AS t, generate_series(0, 2) AS k;

INSERT INTO appointment_types (tenant_id, id, name, duration_minutes, mode, bookable_online,
                               eligibility, buffer_before_minutes, buffer_after_minutes,
                               min_lead_minutes, horizon_days, active, created_at)
SELECT md5('t' || t)::uuid, md5('ty' || t)::uuid, 'Follow-up', 20, 'in_person', true, 'any',
       0, 0, 60, 90, true, now()
FROM generate_series(1, {tenants}) AS t;

-- Every provider, Monday to Friday, 08:00-17:00.
INSERT INTO availability_windows (tenant_id, id, provider_id, location_id, weekday,
                                  start_minute, end_minute)
SELECT md5('t' || t)::uuid, md5('w' || t || '-' || k || '-' || d)::uuid,
       md5('p' || t || '-' || k)::uuid, md5('l' || t)::uuid, d, 480, 1020
FROM generate_series(1, {tenants}) AS t, generate_series(0, 2) AS k,
     generate_series(1, 5) AS d;

INSERT INTO users (tenant_id, id, email, display_name, kind, status, password_hash, role,
                   created_at, updated_at)
SELECT md5('t' || t)::uuid, md5('u' || t || '-' || j)::uuid, 'patient' || j || '@bench.example',
       'Patient ' || j, 'patient', 'active', '{hash}', 'patient', now(), now()
FROM generate_series(1, {tenants}) AS t, generate_series(1, {patients}) AS j;

INSERT INTO patients (tenant_id, id, user_id, mrn, given_name, family_name, birth_date, gender,
                      email, phone, created_at, updated_at)
SELECT md5('t' || t)::uuid, md5('pt' || t || '-' || j)::uuid, md5('u' || t || '-' || j)::uuid,
       'MRN-' || j, 'Given' || j, 'Family' || t, date '1950-01-01' + (j * 97 % 25000),
       (ARRAY['female', 'male', 'other', 'unknown'])[1 + j % 4], NULL, NULL, now(), now()
FROM generate_series(1, {tenants}) AS t, generate_series(1, {patients}) AS j;

-- Two appointments per patient: a completed one in the past and a booked one ahead, on
-- distinct 20-minute slots per provider (so the no-overlap constraint holds).
INSERT INTO appointments (tenant_id, id, patient_id, provider_id, location_id,
                          appointment_type_id, starts_at, ends_at, status, booked_by,
                          booked_via, rescheduled_from, cancelled_at, cancelled_by,
                          created_at, updated_at)
SELECT md5('t' || t)::uuid, md5('a' || t || '-' || j || '-' || w)::uuid,
       md5('pt' || t || '-' || j)::uuid, md5('p' || t || '-' || (j % 3))::uuid,
       md5('l' || t)::uuid, md5('ty' || t)::uuid, s.start, s.start + interval '20 minutes',
       CASE WHEN w = 0 THEN 'completed' ELSE 'booked' END, NULL, 'portal', NULL, NULL, NULL,
       now(), now()
FROM generate_series(1, {tenants}) AS t, generate_series(1, {patients}) AS j,
     generate_series(0, 1) AS w,
     LATERAL (SELECT date_trunc('day', now()) + (CASE WHEN w = 0 THEN -60 ELSE 2 END) * interval '1 day'
                     + ((j / 3) / 27) * interval '1 day' + interval '14 hours'
                     + ((j / 3) % 27) * interval '20 minutes' AS start) AS s;

-- Each chart: the past visit, a year of results for two tests (the latest two after the
-- visit, so the dashboard has new results), two prescriptions (one to renew) and two
-- immunizations (one falling due).
INSERT INTO encounters (tenant_id, id, patient_id, status, class, reason, summary,
                        practitioner_name, started_at, ended_at, created_at, updated_at)
SELECT md5('t' || t)::uuid, md5('e' || t || '-' || j)::uuid, md5('pt' || t || '-' || j)::uuid,
       'finished', 'ambulatory', 'Follow-up', 'Doing well; continue current plan.',
       'Provider ' || (j % 3), now() - interval '60 days',
       now() - interval '60 days' + interval '20 minutes', now(), now()
FROM generate_series(1, {tenants}) AS t, generate_series(1, {patients}) AS j;

INSERT INTO observations (tenant_id, id, patient_id, report_id, encounter_id, status, code,
                          display, value_num, unit, value_text, range_low, range_high,
                          range_text, interpretation, effective_at, created_at, updated_at)
SELECT md5('t' || t)::uuid, md5('o' || t || '-' || j || '-' || k || '-' || n)::uuid,
       md5('pt' || t || '-' || j)::uuid, NULL, NULL, 'final',
       (ARRAY['18262-6', '2345-7'])[1 + k], (ARRAY['LDL cholesterol', 'Glucose'])[1 + k],
       (ARRAY[95, 90])[1 + k] + (j + n * 7) % 40, 'mg/dL', NULL, NULL,
       (ARRAY[100, 99])[1 + k], NULL,
       CASE WHEN (ARRAY[95, 90])[1 + k] + (j + n * 7) % 40 > (ARRAY[100, 99])[1 + k]
            THEN 'H' ELSE 'N' END,
       now() - (ARRAY[300, 150, 30])[1 + n] * interval '1 day', now(), now()
FROM generate_series(1, {tenants}) AS t, generate_series(1, {patients}) AS j,
     generate_series(0, 1) AS k, generate_series(0, 2) AS n;

INSERT INTO medication_requests (tenant_id, id, patient_id, status, name, rxnorm_code, dosage,
                                 refills_left, prescriber_id, prescriber_name, last_filled_on,
                                 controlled, authored_at, created_at, updated_at)
SELECT md5('t' || t)::uuid, md5('m' || t || '-' || j || '-' || k)::uuid,
       md5('pt' || t || '-' || j)::uuid, 'active',
       (ARRAY['Atorvastatin 20 mg tablet', 'Metformin 500 mg tablet'])[1 + k], NULL,
       'Take one tablet by mouth daily', k * 3, NULL, 'Provider ' || (j % 3),
       current_date - 20, false, now() - interval '200 days', now(), now()
FROM generate_series(1, {tenants}) AS t, generate_series(1, {patients}) AS j,
     generate_series(0, 1) AS k;

INSERT INTO immunizations (tenant_id, id, patient_id, status, vaccine_code, vaccine_name,
                           occurred_on, next_due_on, created_at, updated_at)
SELECT md5('t' || t)::uuid, md5('i' || t || '-' || j || '-' || k)::uuid,
       md5('pt' || t || '-' || j)::uuid, 'completed', NULL,
       (ARRAY['Influenza', 'Tdap'])[1 + k], current_date - (ARRAY[340, 2000])[1 + k],
       current_date + (ARRAY[25, 1650])[1 + k], now(), now()
FROM generate_series(1, {tenants}) AS t, generate_series(1, {patients}) AS j,
     generate_series(0, 1) AS k;

ANALYZE;
