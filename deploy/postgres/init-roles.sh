#!/bin/sh
# First start of the compose file's PostgreSQL (an empty data volume): the official image runs
# the scripts of /docker-entrypoint-initdb.d/ as its superuser. This one creates Maillage's two
# roles and the database (docs/operations.md, "Database roles"): the OWNER, used only by
# `maillage migrate` and `maillage db_app_role`, and the APPLICATION role, which owns nothing.
# Neither is a superuser. Passwords come from the environment (deploy/postgres.env), never from
# this file. Also usable by hand against any server: PG* variables choose where psql connects.
set -eu

: "${MAILLAGE_OWNER_PASSWORD:?MAILLAGE_OWNER_PASSWORD is required}"
: "${MAILLAGE_APP_PASSWORD:?MAILLAGE_APP_PASSWORD is required}"
db="${MAILLAGE_DB:-maillage}"
owner="${MAILLAGE_OWNER_ROLE:-maillage_owner}"
app="${MAILLAGE_APP_ROLE:-maillage_app}"
superuser="${POSTGRES_USER:-${PGUSER:-postgres}}"

psql -v ON_ERROR_STOP=1 --username "$superuser" --dbname postgres \
  -v db="$db" -v owner="$owner" -v app="$app" \
  -v owner_password="$MAILLAGE_OWNER_PASSWORD" -v app_password="$MAILLAGE_APP_PASSWORD" <<'SQL'
CREATE ROLE :"owner" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'owner_password';
CREATE ROLE :"app" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
CREATE DATABASE :"db" OWNER :"owner";
SQL

# Only the owner creates objects in the public schema (PostgreSQL < 15 let PUBLIC do it).
psql -v ON_ERROR_STOP=1 --username "$superuser" --dbname "$db" \
  -c "REVOKE CREATE ON SCHEMA public FROM PUBLIC;" \
  -c "REVOKE ALL ON DATABASE \"$db\" FROM PUBLIC;"
