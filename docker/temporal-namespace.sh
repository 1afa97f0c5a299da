#!/bin/sh
# Creates the namespace callflow runs in (the server image, unlike auto-setup, creates none) and registers
# callflow's custom search attributes (src/shared/search-attributes.ts) in it, retrying until the server
# answers. What already exists is left alone, so re-running it is harmless. Run by docker-compose.yml's
# temporal-admin-tools job and by `npm run prod:local`, with the
# `temporal` CLI on PATH and TEMPORAL_ADDRESS set.
set -u
: "${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS must be set}"
namespace=${TEMPORAL_NAMESPACE:-default}
attempt=1
until temporal operator namespace describe --namespace "$namespace" --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1 \
  || temporal operator namespace create --namespace "$namespace" --retention "${TEMPORAL_NAMESPACE_RETENTION:-72h}" --address "$TEMPORAL_ADDRESS"; do
  if [ "$attempt" -ge 100 ]; then
    echo "could not create namespace $namespace after $attempt attempts" >&2
    exit 1
  fi
  echo "$TEMPORAL_ADDRESS not ready to create namespace $namespace (attempt $attempt), retrying in 3s"
  attempt=$((attempt + 1))
  sleep 3
done
echo "namespace $namespace exists"
for name in CallAgentId CallDirection CallCallerLast4 CallStatus Disposition; do
  attempt=1
  until temporal operator search-attribute list --namespace "$namespace" --address "$TEMPORAL_ADDRESS" 2>/dev/null | grep -qw "$name" \
    || temporal operator search-attribute create --namespace "$namespace" --name "$name" --type Keyword --address "$TEMPORAL_ADDRESS"; do
    if [ "$attempt" -ge 100 ]; then
      echo "could not register search attribute $name after $attempt attempts" >&2
      exit 1
    fi
    echo "$TEMPORAL_ADDRESS not ready to register $name (attempt $attempt), retrying in 3s"
    attempt=$((attempt + 1))
    sleep 3
  done
  echo "search attribute $name (Keyword) is registered"
done
