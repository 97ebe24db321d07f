-- Gives the application role (portico_app) its password. The first migration creates the
-- role with LOGIN NOBYPASSRLS and no password (migrations/src/postgres.rs, ensure_app_role),
-- so this runs after `portico migrate`, as the owner, on every `docker compose up`: a
-- password changed in infra/.env takes effect on the next start. psql reads the value from
-- the variable app_password (-v), quoted as a literal by :'...'.
\set ON_ERROR_STOP on
ALTER ROLE portico_app WITH PASSWORD :'app_password';
