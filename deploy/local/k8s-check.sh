#!/usr/bin/env bash
# deploy/local/k8s-check.sh [kustomization dir...]: builds each kustomization (default deploy/k8s and
# deploy/k8s/redis) with the kustomize library and decodes every object strictly into Kubernetes' own API
# types and prometheus-operator's (deploy/k8s/check/main.go). Installs Go when missing; the checker is built
# once into deploy/local/.cache (modules from the Go module proxy, pinned by go.sum).
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN="$REPO_ROOT/deploy/local/.cache/k8s-check/check"

if ! command -v go >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "[k8s-check] apt-get install golang-go" >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends golang-go >&2 \
    || { $sudo apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends golang-go >&2; }
fi
echo "[k8s-check] go build deploy/k8s/check (client-go, prometheus-operator and kustomize from the module proxy)" >&2
(cd "$REPO_ROOT/deploy/k8s/check" && GOFLAGS=-mod=mod go build -o "$BIN" . >&2)
[ "$#" -gt 0 ] || set -- "$REPO_ROOT/deploy/k8s" "$REPO_ROOT/deploy/k8s/redis"
exec "$BIN" "$@"
