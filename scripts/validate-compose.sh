#!/usr/bin/env bash
# Validates docker-compose.yml with the standalone docker-compose tool (Debian's package,
# Compose v1). Needs neither a Docker engine nor the `docker compose` v2 plugin.
# Installs the package when it is missing and this runs as root.
set -euo pipefail

cd "$(dirname "$0")/.."
compose_file=docker-compose.yml

fail() {
  echo "validate-compose: $*" >&2
  exit 1
}

[ -f "$compose_file" ] || fail "$compose_file not found in $(pwd)"

if ! command -v docker-compose >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    fail "docker-compose is not installed; install it (apt-get install docker-compose) or run this as root"
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    fail "docker-compose is not installed and there is no apt-get to install it with"
  fi
  echo "validate-compose: installing docker-compose with apt-get"
  apt_log=$(mktemp)
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose; } >"$apt_log" 2>&1; then
    cat "$apt_log" >&2
    rm -f "$apt_log"
    fail "apt-get could not install docker-compose"
  fi
  rm -f "$apt_log"
  command -v docker-compose >/dev/null 2>&1 || fail "docker-compose is still missing after apt-get install"
fi

echo "validate-compose: $(docker-compose version --short 2>/dev/null || docker-compose --version)"

# The compose file must stay within what Compose v1 understands; `docker compose` (v2) is
# neither required nor used here, and is only reported.
if docker compose version >/dev/null 2>&1; then
  echo "validate-compose: docker compose v2 is also present (not used)"
else
  echo "validate-compose: docker compose v2 is not available (not required)"
fi

# Validate with a placeholder token (the file requires one) and a clean view of the other
# variables it reads (no caller environment, no .env file), so the result is reproducible.
empty_env_file=$(mktemp)
trap 'rm -f "$empty_env_file"' EXIT
compose_clean() {
  env -u PORT -u TEMPORAL_TASK_QUEUE -u CALLFLOW_API_TOKEN \
    -u TWILIO_ACCOUNT_SID -u TWILIO_AUTH_TOKEN -u TWILIO_API_KEY_SID -u TWILIO_API_KEY_SECRET -u TWILIO_FROM_NUMBER \
    "$@"
}
run_config() {
  compose_clean CALLFLOW_API_TOKEN=ci docker-compose --env-file "$empty_env_file" -f "$compose_file" "$@"
}

if ! errors=$(run_config config -q 2>&1); then
  echo "$errors" >&2
  fail "docker-compose config rejected $compose_file"
fi
# Compose v1 prints deprecation and interpolation warnings without failing; treat them as errors.
if [ -n "$errors" ]; then
  echo "$errors" >&2
  fail "docker-compose config printed warnings for $compose_file"
fi

# The API token must stay mandatory: without it, config has to fail.
if compose_clean docker-compose --env-file "$empty_env_file" -f "$compose_file" config -q >/dev/null 2>&1; then
  fail "$compose_file accepted a missing CALLFLOW_API_TOKEN"
fi

services=$(run_config config --services | sort | tr '\n' ' ')
for expected in postgresql temporal temporal-admin-tools temporal-ui worker ingress; do
  case " $services " in
    *" $expected "*) ;;
    *) fail "service $expected is missing (found: $services)" ;;
  esac
done

echo "validate-compose: $compose_file is valid (services: ${services% })"
