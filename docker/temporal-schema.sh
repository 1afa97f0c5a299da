#!/bin/sh
# Creates Temporal's two databases on PostgreSQL and brings their schemas to the version the server expects,
# with temporal-sql-tool, as Temporal's production guidance describes (instead of the auto-setup image).
# Safe to run on every start: the databases are created only when missing, and update-schema applies only
# the versions not applied yet, so it is also the upgrade step when the server version moves.
#
# Run by docker-compose.yml's temporal-schema job (temporalio/admin-tools) and by `npm run prod:local`, with
# the variables the temporal service reads: POSTGRES_SEEDS, DB_PORT, POSTGRES_USER, POSTGRES_PWD.
set -eu
: "${POSTGRES_SEEDS:?POSTGRES_SEEDS must name the PostgreSQL host}"
: "${POSTGRES_USER:?POSTGRES_USER must be set}"
: "${POSTGRES_PWD:?POSTGRES_PWD must be set}"
export SQL_PLUGIN=postgres12 SQL_HOST="$POSTGRES_SEEDS" SQL_PORT="${DB_PORT:-5432}"
export SQL_USER="$POSTGRES_USER" SQL_PASSWORD="$POSTGRES_PWD"

# The first create-database doubles as the wait for PostgreSQL to accept the connection.
attempt=1
until temporal-sql-tool --db "${DBNAME:-temporal}" create-database >/dev/null 2>&1; do
  if [ "$attempt" -ge 60 ]; then
    echo "PostgreSQL at $SQL_HOST:$SQL_PORT did not accept temporal-sql-tool after $attempt attempts" >&2
    exit 1
  fi
  echo "PostgreSQL at $SQL_HOST:$SQL_PORT not ready (attempt $attempt), retrying in 2s"
  attempt=$((attempt + 1))
  sleep 2
done

for pair in "${DBNAME:-temporal}:temporal" "${VISIBILITY_DBNAME:-temporal_visibility}:visibility"; do
  database=${pair%%:*}
  schema=postgresql/v12/${pair#*:}
  temporal-sql-tool --db "$database" create-database
  # Version 0.0 only creates the schema_version bookkeeping (idempotent); update-schema then applies the
  # embedded versioned schema up to the newest this tool knows, which is the server's own.
  temporal-sql-tool --db "$database" setup-schema -v 0.0
  temporal-sql-tool --db "$database" update-schema --schema-name "$schema"
  echo "database $database is at the schema of $schema"
done
