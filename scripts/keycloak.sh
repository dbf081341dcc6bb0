#!/usr/bin/env bash
# Local Keycloak (the identity provider) for development and tests: dev mode,
# bound to 127.0.0.1, with the realm of deploy/keycloak/erp-realm.json. Its
# server distribution comes from Maven Central (the only Java source our
# machines reach) and lives in the git-ignored .local/keycloak/ of this clone.
#
# Usage (from anywhere; paths are relative to the repo root):
#   scripts/keycloak.sh fetch     download and unpack the distribution once (checksum checked)
#   scripts/keycloak.sh start     fetch if needed, start, wait until the realm answers
#   scripts/keycloak.sh stop      SIGTERM, after 60 s SIGKILL
#   scripts/keycloak.sh status    exit 0 if it runs and the realm answers
#   scripts/keycloak.sh issuer    print the issuer URL (OIDC_ISSUER) of the erp realm
#
# The database is in memory (dev-mem): every start imports the realm file afresh,
# so the file is the whole truth and changes made in the admin console are lost.
# Admin console: http://127.0.0.1:$KEYCLOAK_PORT/admin, user admin, password admin.
#
# Environment:
#   KEYCLOAK_PORT (18080), KEYCLOAK_START_TIMEOUT (300 s; a start takes 15-40 s on an
#   idle 2-core machine, the first one also builds the server), JAVA_OPTS_KC_HEAP
#   (-Xms64m -Xmx512m), JAVA_OPTS_APPEND (-XX:TieredStopAtLevel=1).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REALM_FILE="$ROOT/deploy/keycloak/erp-realm.json"
STATE="$ROOT/.local/keycloak"
LOGS="$ROOT/.local/logs"
LOG="$LOGS/keycloak.log"
PIDFILE="$STATE/keycloak.pid"

# Keycloak 26.x runs on Java 17 or 21. The checksum is Maven Central's .sha256 of the zip.
KEYCLOAK_VERSION=26.7.3
KEYCLOAK_SHA256=27a6535553c3cdcd083872ba40629efafb3475e3b758e0c6f691395561dd0f1f
URL="https://repo1.maven.org/maven2/org/keycloak/keycloak-quarkus-dist/$KEYCLOAK_VERSION/keycloak-quarkus-dist-$KEYCLOAK_VERSION.zip"
HOME_DIR="$STATE/keycloak-$KEYCLOAK_VERSION"

PORT="${KEYCLOAK_PORT:-18080}"
START_TIMEOUT="${KEYCLOAK_START_TIMEOUT:-300}"
ISSUER="http://127.0.0.1:$PORT/realms/erp"

say() { echo "keycloak.sh: $*"; }
die() { echo "keycloak.sh: ERROR: $*" >&2; exit 1; }

# need_cmd, java_bin, pid_from_file
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# ---------------------------------------------------------------- fetch
cmd_fetch() {
  if [[ -f "$HOME_DIR/.stamp" ]]; then
    say "Keycloak $KEYCLOAK_VERSION already in ${HOME_DIR#"$ROOT/"}"
    return 0
  fi
  need_cmd curl curl
  need_cmd unzip unzip
  mkdir -p "$STATE"
  local t0=$SECONDS zip="$STATE/keycloak-$KEYCLOAK_VERSION.zip" tmp="$STATE/unpack.$$"
  say "downloading Keycloak $KEYCLOAK_VERSION (about 170 MB) from Maven Central ..."
  curl -fsSL --retry 3 -o "$zip.part" "$URL" || die "could not download $URL"
  echo "$KEYCLOAK_SHA256  $zip.part" | sha256sum -c --quiet - || { rm -f "$zip.part"; die "checksum mismatch for $URL"; }
  mv "$zip.part" "$zip"
  # Unpack beside and move into place at the end, so an interrupted unpack never looks complete.
  rm -rf "$tmp"
  unzip -q "$zip" -d "$tmp"
  rm -rf "$HOME_DIR"
  mv "$tmp/keycloak-$KEYCLOAK_VERSION" "$HOME_DIR"
  rm -rf "$tmp" "$zip"
  touch "$HOME_DIR/.stamp"
  say "fetched in $((SECONDS - t0)) s"
}

# ---------------------------------------------------------------- helpers
# The pid in the pid file is ours only if that process is this clone's Keycloak (pids get reused): kc.sh, which
# runs Java as its child and forwards SIGTERM to it, or Java itself once kc.sh exec'd it after a rebuild.
pid_of_ours() { pid_from_file "$PIDFILE" "$HOME_DIR/bin/"; }

port_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# The realm's discovery document names our issuer: Keycloak is up and the realm is imported.
realm_answers() {
  curl -fsS --max-time 3 "$ISSUER/.well-known/openid-configuration" 2>/dev/null | grep -qF "\"issuer\":\"$ISSUER\""
}

# ---------------------------------------------------------------- start/stop
cmd_start() {
  local pid
  if pid="$(pid_of_ours)"; then
    say "already running (pid $pid), issuer $ISSUER"
    return 0
  fi
  rm -f "$PIDFILE"
  if port_open "$PORT"; then
    ss -ltnpH "sport = :$PORT" 2>/dev/null | sed 's/^/    /' >&2 || true
    die "port $PORT on 127.0.0.1 is in use by a process this clone did not start; choose another with KEYCLOAK_PORT"
  fi
  cmd_fetch
  java_bin
  need_cmd curl curl

  # Only the realm file is imported (data/import is where --import-realm looks).
  rm -rf "$HOME_DIR/data/import"
  mkdir -p "$HOME_DIR/data/import" "$LOGS"
  cp "$REALM_FILE" "$HOME_DIR/data/import/"

  local t0
  t0="$(date +%s%N)"
  # setsid: its own session, so a Ctrl-C in the calling shell does not take it down. The pid file holds kc.sh's
  # pid (the inner bash writes its own, then execs kc.sh). The hostname is fixed, so the issuer in every token is $ISSUER
  # whichever name the client used. The options are the same on every start: Keycloak builds its server once
  # for them (the slow part of a first start) and reuses that build afterwards. C1 compiler only: this Keycloak
  # serves a few logins, and the C2 compiler's threads would compete for our two cores during startup.
  # shellcheck disable=SC2016  # $$ is the inner bash's
  KC_BOOTSTRAP_ADMIN_USERNAME=admin KC_BOOTSTRAP_ADMIN_PASSWORD=admin \
    JAVA_OPTS_KC_HEAP="${JAVA_OPTS_KC_HEAP:--Xms64m -Xmx512m}" \
    JAVA_OPTS_APPEND="${JAVA_OPTS_APPEND:--XX:TieredStopAtLevel=1}" \
    nohup setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PIDFILE" \
    "$HOME_DIR/bin/kc.sh" start-dev --db=dev-mem --import-realm \
    --http-host=127.0.0.1 --http-port="$PORT" --hostname="http://127.0.0.1:$PORT" \
    >"$LOG" 2>&1 </dev/null &

  local deadline=$((SECONDS + START_TIMEOUT))
  while :; do
    pid="$(cat "$PIDFILE" 2>/dev/null || true)"
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
      tail -n 40 "$LOG" >&2
      rm -f "$PIDFILE"
      die "Keycloak exited during startup (log in ${LOG#"$ROOT/"})"
    fi
    realm_answers && break
    if ((SECONDS >= deadline)); then
      tail -n 40 "$LOG" >&2
      echo "keycloak.sh: ERROR: the realm did not answer at $ISSUER within ${START_TIMEOUT} s; stopping it" >&2
      cmd_stop >&2 || true
      exit 1
    fi
    sleep 0.5
  done
  local ms=$((($(date +%s%N) - t0) / 1000000))
  say "Keycloak $KEYCLOAK_VERSION started in $((ms / 1000)).$(printf %03d $((ms % 1000))) s (pid $pid), issuer $ISSUER"
}

cmd_stop() {
  local pid
  if ! pid="$(pid_of_ours)"; then
    rm -f "$PIDFILE"
    say "not running"
    return 0
  fi
  # The whole process group (setsid made kc.sh its leader): kc.sh and the Java it may run as a child, so no Java
  # is left behind when kc.sh goes. Quarkus acts on SIGTERM only once started: a stop during a slow start waits.
  kill -TERM -- "-$pid" 2>/dev/null || true
  local i
  for ((i = 0; i < 600; i++)); do
    kill -0 -- "-$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 -- "-$pid" 2>/dev/null; then
    say "still alive after 60 s, sending SIGKILL to process group $pid"
    kill -KILL -- "-$pid" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$PIDFILE"
  say "stopped (pid $pid)"
}

cmd_status() {
  local pid
  if pid="$(pid_of_ours)"; then
    if realm_answers; then
      say "running (pid $pid), issuer $ISSUER, Keycloak $KEYCLOAK_VERSION"
      return 0
    fi
    say "process $pid is alive but $ISSUER does not answer (starting or stuck?)"
    return 1
  fi
  say "not running"
  return 3
}

case "${1:-}" in
  fetch) cmd_fetch ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  issuer) echo "$ISSUER" ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
