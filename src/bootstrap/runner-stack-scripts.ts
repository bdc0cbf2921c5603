/**
 * The two scripts a `runner-stack` server keeps beside its compose file (runner-stack.ts): the
 * review-gated self-update and the smoke test. Static text: every setting comes from `stack.env`
 * beside them (and the 0600 `update.env`), so they never change with the settings.
 *
 * @example
 * renderUpdateScript().startsWith('#!/bin/bash') // → true
 */

/** Shared head of both scripts: find the stack, read its settings, set up logging. */
const SCRIPT_HEAD = String.raw`set -euo pipefail
STACK_DIR="$(cd "$(dirname "${"$"}{BASH_SOURCE[0]}")" && pwd)"
set -a
# shellcheck source=/dev/null
. "$STACK_DIR/stack.env"
set +a
LOG_DIR="${"$"}{LOG_DIR:-/var/log/$STACK_NAME}"
mkdir -p "$LOG_DIR"
cd "$STACK_DIR"`;

/**
 * The self-update script (seed 004's `vps_self_update.sh`, review-gated). Static text: every
 * setting comes from `stack.env` beside it and the 0600 `update.env`.
 *
 * @example
 * renderUpdateScript().startsWith('#!/bin/bash') // → true
 */
export function renderUpdateScript(): string {
  return `#!/bin/bash
# Managed by Hangar: review-gated self-update of a runner stack (seed 004).
# Usage: update.sh                  fetch origin/BRANCH; deploy it when approved; roll back on failure
#        update.sh --checkout-only  only check out the approved commit (first deploy)
# Repository mode deploys origin/BRANCH only when docs/LAST_REVIEWED_SHA.txt in it names that
# commit (or its parent, when the stamp is all that commit changed); otherwise it fails closed.
# Image mode (no REPOSITORY_URL) pulls newer images and recreates what changed.
${SCRIPT_HEAD}
if [[ -r "$UPDATE_ENV_FILE" ]]; then
  set -a
  # shellcheck source=/dev/null
  . "$UPDATE_ENV_FILE"
  set +a
fi
log() { printf '%s %s-update: %s\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$STACK_NAME" "$*" | tee -a "$LOG_DIR/update.log" >&2; }

exec 9>"$STACK_DIR/.update.lock"
if ! flock -n 9; then
  log "another update is running"
  exit 0
fi

compose_up() {
  if [[ -n "$REPOSITORY_URL" ]]; then
    docker compose up --detach --remove-orphans --build --wait --wait-timeout 600
  else
    docker compose up --detach --remove-orphans --wait --wait-timeout 600
  fi
}

if [[ -z "$REPOSITORY_URL" ]]; then
  if [[ "\${1:-}" == --checkout-only ]]; then exit 0; fi
  log "pulling images"
  docker compose pull --quiet
  compose_up
  log "images up to date"
  exit 0
fi

SRC="$STACK_DIR/src"
git_remote() {
  if [[ -n "\${GIT_TOKEN:-}" ]]; then
    local basic
    basic="$(printf '%s:%s' "\${GIT_USERNAME:-x-access-token}" "$GIT_TOKEN" | base64 -w0)"
    git -C "$SRC" -c "http.extraHeader=Authorization: Basic $basic" "$@"
  else
    git -C "$SRC" "$@"
  fi
}
if [[ ! -d "$SRC/.git" ]]; then
  log "initialising $SRC from $REPOSITORY_URL"
  git init --quiet "$SRC"
  git -C "$SRC" remote add origin "$REPOSITORY_URL"
fi
git -C "$SRC" remote set-url origin "$REPOSITORY_URL"
git_remote fetch --quiet --prune origin "+refs/heads/$REPOSITORY_BRANCH:refs/remotes/origin/$REPOSITORY_BRANCH"
target="$(git -C "$SRC" rev-parse --verify "refs/remotes/origin/$REPOSITORY_BRANCH^{commit}")"
current="$(git -C "$SRC" rev-parse --verify --quiet 'HEAD^{commit}' || true)"

# approved COMMIT: does the review stamp in COMMIT approve it?
approved() {
  if [[ "$REVIEW_GATE" != yes ]]; then return 0; fi
  local reviewed parent
  reviewed="$(git -C "$SRC" show "$1:docs/LAST_REVIEWED_SHA.txt" 2>/dev/null | tr -d '[:space:]')" || return 1
  if [[ "$reviewed" == "$1" ]]; then return 0; fi
  parent="$(git -C "$SRC" rev-parse --verify --quiet "$1^" || true)"
  [[ -n "$parent" && "$reviewed" == "$parent" ]] || return 1
  [[ "$(git -C "$SRC" diff --name-only "$parent" "$1")" == docs/LAST_REVIEWED_SHA.txt ]]
}

if [[ "$target" == "$current" ]]; then
  log "up to date at $current"
  exit 0
fi
if ! approved "$target"; then
  if [[ -z "$current" ]]; then
    log "origin/$REPOSITORY_BRANCH ($target) is not approved by docs/LAST_REVIEWED_SHA.txt and nothing is deployed yet"
    exit 1
  fi
  log "origin/$REPOSITORY_BRANCH ($target) is not approved by docs/LAST_REVIEWED_SHA.txt; staying on $current"
  exit 0
fi
git -C "$SRC" checkout --quiet --force --detach "$target"
if [[ "\${1:-}" == --checkout-only ]]; then
  log "checked out $target"
  exit 0
fi
if compose_up; then
  log "updated $current -> $target"
  exit 0
fi
log "docker compose failed on $target"
if [[ -n "$current" ]]; then
  log "rolling back to $current"
  git -C "$SRC" checkout --quiet --force --detach "$current"
  compose_up || log "rollback to $current failed too"
fi
exit 1
`;
}

/**
 * The smoke test (seed 004's `runner_smoke.sh`): every service running and the api answering
 * on loopback; output kept in `/var/log/<name>/smoke-<time>.log` (30 days).
 *
 * @example
 * renderSmokeScript().includes('SMOKE_SERVICES') // → true
 */
export function renderSmokeScript(): string {
  return `#!/bin/bash
# Managed by Hangar: smoke test of a runner stack (seed 004), daily and on demand.
${SCRIPT_HEAD}
exec > >(tee -a "$LOG_DIR/smoke-$(date -u +%Y%m%dT%H%M%SZ).log") 2>&1
status=0
running="$(docker compose ps --status running --services)"
read -r -a services <<<"$SMOKE_SERVICES"
for service in "\${services[@]}"; do
  if grep -qx "$service" <<<"$running"; then
    echo "ok: $service is running"
  else
    echo "FAIL: $service is not running"
    status=1
  fi
done
url="http://127.0.0.1:$API_PORT$HEALTH_PATH"
if curl -fsS --max-time 10 -o /dev/null "$url"; then
  echo "ok: $url answers"
else
  echo "FAIL: $url does not answer"
  status=1
fi
find "$LOG_DIR" -name 'smoke-*.log' -mtime +30 -delete || true
exit "$status"
`;
}
