#!/usr/bin/env bash
# The one entry point behind `npm start`, `npm test` and `npm run infra`.
# It may be started by the machine's own Node/npm (any version): it installs the workspace
# with that npm, then hands over to the pinned Node 24 in node_modules for everything else.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

ensure_dependencies() {
  local stamp="node_modules/.package-lock.json"
  if [[ ! -x node_modules/.bin/node || ! -f "$stamp" || package-lock.json -nt "$stamp" ]]; then
    # `npm install` rather than `npm ci`: the registries reachable here do not serve the optional
    # per-platform binaries of other operating systems (e.g. @biomejs/cli-darwin-x64), so the lock
    # file cannot list them and `npm ci` refuses it as "out of sync". With the lock present,
    # `npm install` installs exactly the locked versions.
    echo "[openfoundry] installing workspace dependencies (npm install from package-lock.json)"
    npm install --no-audit --no-fund
  fi
  export PATH="$root/node_modules/.bin:$PATH"
  hash -r
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  if [[ "$major" -lt 24 ]]; then
    echo "[openfoundry] expected the pinned Node 24 from node_modules/.bin, found $(node --version)" >&2
    exit 1
  fi
}

cmd="${1:-}"
shift || true
ensure_dependencies
case "$cmd" in
  infra) exec node infra/local/src/cli.ts "$@" ;;
  bus) exec node infra/bus/src/cli.ts "$@" ;;
  start) exec node scripts/start.ts "$@" ;;
  test) exec node scripts/test.ts "$@" ;;
  *)
    echo "usage: scripts/run.sh infra|bus|start|test [args]" >&2
    exit 2
    ;;
esac
