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

# Validate with placeholder values for the required secrets (the file demands them) and a clean view
# of the other variables it reads (no caller environment, no .env file), so the result is reproducible.
required_vars=(POSTGRES_PASSWORD CALLFLOW_DB_PASSWORD CALLFLOW_API_TOKEN CALLFLOW_CODEC_KEYS)
optional_vars=(PORT TEMPORAL_TASK_QUEUE TEMPORAL_UI_PORT TEMPORAL_UI_ORIGIN CALLFLOW_CODEC_ENDPOINT
  CALLFLOW_METRICS_TOKEN CALLFLOW_PUBLIC_URL CALLFLOW_LOG_FORMAT OTEL_EXPORTER_OTLP_ENDPOINT
  TWILIO_ACCOUNT_SID TWILIO_AUTH_TOKEN TWILIO_API_KEY_SID TWILIO_API_KEY_SECRET TWILIO_FROM_NUMBER
  LLM_MODEL LLM_BASE_URL LLM_API_KEY)
placeholder=ci-placeholder-value
empty_env_file=$(mktemp)
trap 'rm -f "$empty_env_file"' EXIT
compose_clean() {
  local unset_args=() v
  for v in "${required_vars[@]}" "${optional_vars[@]}"; do unset_args+=(-u "$v"); done
  env "${unset_args[@]}" "$@"
}
placeholders() {
  local skip=${1:-} v
  for v in "${required_vars[@]}"; do [ "$v" = "$skip" ] || printf '%s=%s ' "$v" "$placeholder"; done
}
run_config() {
  # shellcheck disable=SC2046
  compose_clean $(placeholders) docker-compose --env-file "$empty_env_file" -f "$compose_file" "$@"
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

# Every required secret must stay mandatory: without any one of them, config has to fail.
for required in "${required_vars[@]}"; do
  # shellcheck disable=SC2046
  if compose_clean $(placeholders "$required") docker-compose --env-file "$empty_env_file" -f "$compose_file" config -q >/dev/null 2>&1; then
    fail "$compose_file accepted a missing $required"
  fi
done

services=$(run_config config --services | sort | tr '\n' ' ')
for expected in postgresql temporal-schema temporal temporal-admin-tools temporal-ui worker ingress; do
  case " $services " in
    *" $expected "*) ;;
    *) fail "service $expected is missing (found: $services)" ;;
  esac
done

# The production shape, checked on the file as written and on what compose renders from it:
# no literal secrets, a scalable worker, health checks and restart policies, the UI wired to /codec, the
# Temporal server image (not auto-setup) after a schema job, at the versions `npm run prod:local` builds.
rendered=$(run_config config)
if ! problems=$(RENDERED="$rendered" PLACEHOLDER="$placeholder" python3 - "$compose_file" docker scripts/temporal-server.ts <<'PY'
import os, re, sys, yaml

compose_file, docker_dir, local_build = sys.argv[1], sys.argv[2], sys.argv[3]
raw = yaml.safe_load(open(compose_file))
rendered = yaml.safe_load(os.environ["RENDERED"])
problems = []
SECRET_NAME = re.compile(r"(PASSWORD|PASSWD|PWD|SECRET|TOKEN|API_KEY|_KEYS?)$")
ONLY_INTERPOLATION = re.compile(r"^\$\{[A-Z0-9_]+(:?[-?][^}]*)?\}$")
URL_CREDENTIALS = re.compile(r"://[^/:@\s]+:([^@\s]+)@")

def env_items(service):
    env = service.get("environment") or {}
    if isinstance(env, list):
        return [tuple(e.split("=", 1)) if "=" in e else (e, None) for e in env]
    return list(env.items())

for name, service in (raw.get("services") or {}).items():
    for key, value in env_items(service):
        if value is None:
            continue
        text = str(value)
        if SECRET_NAME.search(key) and text and not ONLY_INTERPOLATION.match(text):
            problems.append(f"{name}: {key} has a literal value; take it from the environment (${{{key}:?...}})")
        for password in URL_CREDENTIALS.findall(text):
            if not ONLY_INTERPOLATION.match(password):
                problems.append(f"{name}: {key} holds a literal password in a URL")

for path in sorted(os.listdir(docker_dir)):
    text = open(os.path.join(docker_dir, path)).read()
    if re.search(r"PASSWORD\s+'[^']+'", text):
        problems.append(f"{docker_dir}/{path}: a literal password")

services = rendered.get("services") or {}
worker = services.get("worker", {})
if "container_name" in worker:
    problems.append("worker: container_name stops --scale worker=N")
if worker.get("ports"):
    problems.append("worker: a published host port stops --scale worker=N")
for name in ("postgresql", "temporal", "temporal-ui", "worker", "ingress"):
    service = services.get(name, {})
    if not service.get("healthcheck"):
        problems.append(f"{name}: no healthcheck")
    if service.get("restart") not in ("always", "unless-stopped", "on-failure"):
        problems.append(f"{name}: no restart policy")
ui_env = dict(env_items(services.get("temporal-ui", {})))
if not str(ui_env.get("TEMPORAL_CODEC_ENDPOINT", "")).endswith("/codec"):
    problems.append("temporal-ui: TEMPORAL_CODEC_ENDPOINT must point at the ingress's /codec")
ingress_env = dict(env_items(services.get("ingress", {})))
if not ingress_env.get("CALLFLOW_CODEC_ORIGINS"):
    problems.append("ingress: CALLFLOW_CODEC_ORIGINS must allow the Temporal UI")

# The production shape of Temporal itself: the server image after a schema job, the versions the local run uses.
built = open(local_build).read()
def pinned(name):
    m = re.search(name + r" = 'v([0-9.]+)'", built)
    return m.group(1) if m else None
server_version, ui_version = pinned("TEMPORAL_SERVER_VERSION"), pinned("TEMPORAL_UI_VERSION")
def image(name):
    return str(services.get(name, {}).get("image", ""))
if "auto-setup" in " ".join(image(n) for n in services):
    problems.append("temporalio/auto-setup is a development image; run temporalio/server after a schema job")
if image("temporal") != f"temporalio/server:{server_version}":
    problems.append(f"temporal: image must be temporalio/server:{server_version} (the server prod:local builds), got {image('temporal')}")
for job in ("temporal-schema", "temporal-admin-tools"):
    if not image(job).startswith(f"temporalio/admin-tools:{server_version}-"):
        problems.append(f"{job}: image must be temporalio/admin-tools:{server_version}-..., got {image(job)}")
    if services.get(job, {}).get("restart") not in ("no", None):
        problems.append(f"{job}: a one-shot job must not restart")
if image("temporal-ui") != f"temporalio/ui:{ui_version}":
    problems.append(f"temporal-ui: image must be temporalio/ui:{ui_version} (the UI server prod:local builds)")
def mounts(name, script):
    return any(script in str(v) for v in services.get(name, {}).get("volumes", []) or [])
if not mounts("temporal-schema", "docker/temporal-schema.sh") and not mounts("temporal-schema", "temporal-schema.sh"):
    problems.append("temporal-schema: must run docker/temporal-schema.sh (the script prod:local runs)")
if not mounts("temporal-admin-tools", "temporal-namespace.sh"):
    problems.append("temporal-admin-tools: must run docker/temporal-namespace.sh (the script prod:local runs)")
def waits_for(name, dependency, condition):
    deps = services.get(name, {}).get("depends_on", {}) or {}
    return isinstance(deps, dict) and (deps.get(dependency) or {}).get("condition") == condition
if not waits_for("temporal", "temporal-schema", "service_completed_successfully"):
    problems.append("temporal: must wait for temporal-schema to complete (the schema before the server)")
for name in ("worker", "ingress"):
    if not waits_for(name, "temporal-admin-tools", "service_completed_successfully"):
        problems.append(f"{name}: must wait for temporal-admin-tools (namespace and search attributes)")
temporal_env = dict(env_items(services.get("temporal", {})))
if "temporal-dynamicconfig.yaml" not in " ".join(str(v) for v in services.get("temporal", {}).get("volumes", [])) \
        or not temporal_env.get("DYNAMIC_CONFIG_FILE_PATH"):
    problems.append("temporal: must load docker/temporal-dynamicconfig.yaml (DYNAMIC_CONFIG_FILE_PATH)")
print("\n".join(problems))
sys.exit(1 if problems else 0)
PY
); then
  echo "$problems" >&2
  fail "$compose_file is not in its production shape"
fi

echo "validate-compose: $compose_file is valid (services: ${services% })"
