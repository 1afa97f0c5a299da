#!/bin/sh
# Runs once, when the postgresql service initialises an empty data volume.
# Temporal keeps its own databases (temporal, temporal_visibility, created by the schema job,
# docker/temporal-schema.sh);
# callflow's project store gets a separate role and database on the same server, with the
# password from CALLFLOW_DB_PASSWORD (passed in by docker-compose.yml, never written here).
set -eu
: "${CALLFLOW_DB_PASSWORD:?CALLFLOW_DB_PASSWORD must be set}"
# psql quotes the password itself (:'password'), so any character is safe in it.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "${POSTGRES_DB:-$POSTGRES_USER}" \
  -v password="$CALLFLOW_DB_PASSWORD" <<'SQL'
CREATE ROLE callflow LOGIN PASSWORD :'password';
CREATE DATABASE callflow OWNER callflow;
SQL
