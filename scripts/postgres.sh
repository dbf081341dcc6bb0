#!/usr/bin/env bash
# Local PostgreSQL server for development and CI, owned by this clone: its own
# data dir, its own port, no system service (no Docker, no systemd needed).
#
# Usage (from anywhere):
#   scripts/postgres.sh start    install the server from Debian if missing, initdb once,
#                                start, wait until ready, create database "erp" and the
#                                roles erp_owner, erp_app, erp_auditor (README "Database roles")
#   scripts/postgres.sh stop     fast shutdown
#   scripts/postgres.sh status   exit 0 if the server runs and accepts connections
#   scripts/postgres.sh url      print the superuser's URL (DATABASE_URL when set)
#   scripts/postgres.sh url app|owner|auditor
#                                print the URL of that role: what `make run` and `make test`
#                                give as DATABASE_URL, DATABASE_OWNER_URL, AUDITOR_DATABASE_URL
#
# Environment:
#   PGPORT_LOCAL (15432)  TCP port on 127.0.0.1
#   PG_STATE_DIR          data, socket and log of this server (default .local/postgres), e.g. a
#                         throwaway second server; the server's user must be able to reach it
#   DATABASE_URL          set => an external server is used; start/stop do nothing,
#                         `url` and `url app` print it and `status` checks it; `url owner` and
#                         `url auditor` print DATABASE_OWNER_URL and AUDITOR_DATABASE_URL (empty
#                         if unset: then the services do everything as DATABASE_URL's role).
#
# The server refuses to run as root, so as root it runs as the system user
# "postgres" (created by Debian's package) or else a user "erp" made here.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT="${PGPORT_LOCAL:-15432}"
DB_NAME=erp
DB_SUPERUSER=postgres
# Distinguishes this clone's fallback dirs from other clones' on the same machine.
CLONE_HASH="$(printf %s "$ROOT" | sha256sum | cut -c1-12)"

say() { echo "postgres.sh: $*"; }
die() { echo "postgres.sh: ERROR: $*" >&2; exit 1; }

local_url() { echo "postgresql://${1:-$DB_SUPERUSER}@127.0.0.1:$PORT/$DB_NAME"; }

# The three roles of README "Database roles"; trust auth on loopback, so no passwords.
OWNER_ROLE=erp_owner
APP_ROLE=erp_app
AUDITOR_ROLE=erp_auditor

external() {
  if [[ -n "${DATABASE_URL:-}" ]]; then
    say "DATABASE_URL is set: using that external server, nothing to $1"
    return 0
  fi
  return 1
}

# ---------------------------------------------------------------- binaries
# A dir counts only if it has the server tools, not just the client (libpq-dev's
# pg_config can point at a bindir whose server package is not installed).
has_server() { [[ -x "$1/postgres" && -x "$1/initdb" && -x "$1/pg_ctl" ]]; }

find_bindir() {
  local d
  if command -v pg_config >/dev/null 2>&1; then
    d="$(pg_config --bindir 2>/dev/null || true)"
    if [[ -n "$d" ]] && has_server "$d"; then echo "$d"; return 0; fi
  fi
  # Debian keeps the server outside PATH; take the newest major version.
  d="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  if [[ -n "$d" ]] && has_server "$d"; then echo "$d"; return 0; fi
  if command -v postgres >/dev/null 2>&1; then
    d="$(dirname "$(readlink -f "$(command -v postgres)")")"
    if has_server "$d"; then echo "$d"; return 0; fi
  fi
  return 1
}

install_server() {
  if [[ $EUID -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    die "PostgreSQL server binaries not found; install them (Debian: apt-get install postgresql)"
  fi
  say "PostgreSQL server not found, installing Debian's postgresql package ..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  # The package creates and may start its own cluster on port 5432; we run our
  # own server per clone, so stop that one to save memory and avoid confusion.
  if command -v pg_lsclusters >/dev/null 2>&1; then
    local ver name _
    while read -r ver name _; do
      pg_ctlcluster "$ver" "$name" stop 2>/dev/null || true
    done < <(pg_lsclusters -h 2>/dev/null | awk '$4 == "online"')
  fi
}

# ---------------------------------------------------------------- user/paths
setup() {
  BINDIR="$(find_bindir)" || { install_server; BINDIR="$(find_bindir)" || die "no PostgreSQL server binaries even after installing"; }
  PG_MAJOR="$("$BINDIR/postgres" --version | sed -n 's/.*PostgreSQL) \([0-9]*\).*/\1/p')"

  if [[ $EUID -eq 0 ]]; then
    if id postgres >/dev/null 2>&1; then
      RUN_USER=postgres
    else
      RUN_USER=erp
      id "$RUN_USER" >/dev/null 2>&1 \
        || useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$RUN_USER"
    fi
  else
    RUN_USER="$(id -un)"
  fi

  # Data, socket and log live in .local/postgres of this clone, provided the
  # server's user can reach it: it needs search (x) permission on every parent
  # of the repo, which a clone under a root-only dir (mode 700) lacks. Then the
  # files go to /var/tmp/erp-<hash of the clone path>/ and .local/postgres
  # becomes a symlink to it. Either way, each clone has its own server files.
  mkdir -p "$ROOT/.local"
  local link="$ROOT/.local/postgres"
  if [[ -n "${PG_STATE_DIR:-}" ]]; then
    PGBASE="$PG_STATE_DIR"  # a server of its own beside the usual one (fault tests), on PGPORT_LOCAL
  elif [[ -L "$link" ]]; then
    PGBASE="$(readlink "$link")"
  elif as_pg test -x "$ROOT/.local"; then
    PGBASE="$link"
  elif [[ -e "$link" ]]; then
    die "$RUN_USER cannot reach $link (a parent dir lacks o+x): chmod o+x the parents, or remove $link to use /var/tmp"
  else
    PGBASE="/var/tmp/erp-$CLONE_HASH/postgres"
    say "$RUN_USER cannot reach $ROOT/.local (a parent dir lacks o+x); using $PGBASE"
    ln -sfn "$PGBASE" "$link"
  fi
  DATA="$PGBASE/data"
  LOG="$PGBASE/postgres.log"
  # Unix socket paths are limited to 107 bytes; a deep clone path would break
  # the server's start, so fall back to a short per-clone dir.
  SOCKDIR="$PGBASE/run"
  if (( ${#SOCKDIR} + 20 > 100 )); then SOCKDIR="/tmp/erp-pg-$CLONE_HASH"; fi

  mkdir -p "$PGBASE" "$SOCKDIR"
  if [[ $EUID -eq 0 ]]; then
    chown "$RUN_USER:" "$PGBASE" "$SOCKDIR"
    # A data dir left by another user (e.g. an earlier run as "erp") must be ours.
    if [[ -d "$DATA" && "$(stat -c %U "$DATA")" != "$RUN_USER" ]]; then
      chown -R "$RUN_USER:" "$DATA"
    fi
    if [[ -f "$LOG" ]]; then chown "$RUN_USER:" "$LOG"; fi
  fi
  # The server ends up as a child of pg_ctl; PG* variables of the caller must
  # not leak into it or into our client calls.
  unset PGDATA PGHOST PGPORT PGUSER PGDATABASE
}

# Run a command as the server's user, from / (the caller's cwd may be unreadable).
as_pg() {
  if [[ $EUID -eq 0 ]]; then
    (cd / && runuser -u "$RUN_USER" -- "$@")
  else
    (cd / && "$@")
  fi
}

# -U/-d name a real role and db: otherwise each probe logs "role root does not exist".
ready() { "$BINDIR/pg_isready" -q -h 127.0.0.1 -p "$PORT" -U "$DB_SUPERUSER" -d postgres; }

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

running() { [[ -f "$DATA/PG_VERSION" ]] && as_pg "$BINDIR/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

# Our settings, rewritten at each start so that a changed port or a changed
# script applies to an existing data dir too. postgresql.conf includes it.
write_conf() {
  cat >"$DATA/erp-local.conf" <<EOF
# Written by scripts/postgres.sh at each start; edits here are lost.
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$SOCKDIR'
# The services connect as the application role, which has no reserved slots: room for an e2e stack (~140
# connections), the tests' own pools and a second suite run beside it.
max_connections = 400
shared_buffers = 128MB
# Same zone on every machine, so tests do not depend on the host's TZ.
timezone = 'UTC'
log_timezone = 'UTC'
log_line_prefix = '%m [%p] %q%u@%d '
EOF
  if [[ $EUID -eq 0 ]]; then chown "$RUN_USER:" "$DATA/erp-local.conf"; fi
  grep -q "^include_if_exists = 'erp-local.conf'" "$DATA/postgresql.conf" \
    || echo "include_if_exists = 'erp-local.conf'" >>"$DATA/postgresql.conf"
}

init_once() {
  if [[ -f "$DATA/PG_VERSION" ]]; then
    local have
    have="$(cat "$DATA/PG_VERSION")"
    [[ "$have" == "$PG_MAJOR" ]] \
      || die "$DATA was made by PostgreSQL $have but the server here is $PG_MAJOR; remove that dir to start over"
    return 0
  fi
  local locale_opt=(--no-locale)
  # C.UTF-8: byte-order sorting like C, but upper()/lower() know non-ASCII letters.
  locale -a 2>/dev/null | grep -qix 'c\.utf-\{0,1\}8' && locale_opt=(--locale=C.UTF-8)
  say "initdb into $DATA (PostgreSQL $PG_MAJOR, superuser $DB_SUPERUSER, trust auth on 127.0.0.1)"
  # Trust auth is fine: the server listens on loopback only, on a dev/CI box.
  as_pg "$BINDIR/initdb" -D "$DATA" -U "$DB_SUPERUSER" --auth=trust --encoding=UTF8 \
    "${locale_opt[@]}" >"$PGBASE/initdb.log" 2>&1 \
    || { cat "$PGBASE/initdb.log" >&2; die "initdb failed"; }
}

psql_local() {
  "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U "$DB_SUPERUSER" "$@"
}

# Idempotent: run at every start. The SQL is the README's "Database roles" section.
create_database_and_roles() {
  if [[ "$(psql_local -d postgres -tAc "select 1 from pg_database where datname = '$DB_NAME'")" != 1 ]]; then
    psql_local -d postgres -c "create database $DB_NAME"
    say "created database $DB_NAME"
  fi
  psql_local -d "$DB_NAME" <<SQL
SET client_min_messages = warning;  -- no "already a member" notices at every start
DO \$\$
DECLARE name text;
BEGIN
  FOREACH name IN ARRAY ARRAY['$OWNER_ROLE', '$APP_ROLE', '$AUDITOR_ROLE'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = name) THEN
      EXECUTE format('CREATE ROLE %I LOGIN', name);
    END IF;
  END LOOP;
END
\$\$;
-- The owner creates the services' schemas; it is a member of the application role so that it can make schemas
-- for it (a rebuild's), set its default privileges and drop a test namespace whatever it holds.
GRANT CREATE ON DATABASE $DB_NAME TO $OWNER_ROLE;
GRANT $APP_ROLE TO $OWNER_ROLE;
-- Whatever the two create is readable by the auditor.
ALTER DEFAULT PRIVILEGES FOR ROLE $OWNER_ROLE GRANT SELECT ON TABLES TO $AUDITOR_ROLE;
ALTER DEFAULT PRIVILEGES FOR ROLE $APP_ROLE GRANT SELECT ON TABLES TO $AUDITOR_ROLE;
SQL
}

# `url ROLE`: the URL of one of the three roles, or of the superuser.
cmd_url() {
  case "${1:-}" in
    "") echo "${DATABASE_URL:-$(local_url)}" ;;
    app) echo "${DATABASE_URL:-$(local_url "$APP_ROLE")}" ;;
    owner) if [[ -n "${DATABASE_URL:-}" ]]; then echo "${DATABASE_OWNER_URL:-}"; else local_url "$OWNER_ROLE"; fi ;;
    auditor) if [[ -n "${DATABASE_URL:-}" ]]; then echo "${AUDITOR_DATABASE_URL:-}"; else local_url "$AUDITOR_ROLE"; fi ;;
    *) die "url takes app, owner or auditor, or nothing for the superuser" ;;
  esac
}

# ---------------------------------------------------------------- commands
cmd_start() {
  external start && return 0
  setup
  if running; then
    # pg_ctl only checks that the pid in postmaster.pid is alive; a server that
    # is just starting, or one killed a moment ago and not yet reaped, looks
    # alive too. So wait for it to either answer or vanish.
    local i
    for ((i = 0; i < 300; i++)); do
      if ready; then
        say "already running on 127.0.0.1:$PORT (data in $DATA)"
        create_database_and_roles  # a server started by an older version of this script has no roles yet
        return 0
      fi
      running || break
      sleep 0.1
    done
    running && die "a server for $DATA is running but does not accept connections on 127.0.0.1:$PORT (see $LOG)"
  fi
  # Something else on our port is most likely another clone's server: using it
  # would silently mix two clones' data, so fail instead.
  if port_open 127.0.0.1 "$PORT"; then
    echo "postgres.sh: ERROR: port $PORT on 127.0.0.1 is already in use by a server this clone did not start" >&2
    ss -ltnpH "sport = :$PORT" 2>/dev/null | sed 's/^/    /' >&2 || true
    local pid
    for pid in $(ss -ltnpH "sport = :$PORT" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u); do
      echo "    pid $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" >&2
    done
    die "stop it, or pick another port with PGPORT_LOCAL"
  fi
  init_once
  write_conf

  local t0
  t0="$(date +%s%N)"
  # -w waits until the server accepts connections (or fails).
  if ! as_pg "$BINDIR/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 -s start; then
    echo "---- last lines of $LOG ----" >&2
    tail -n 30 "$LOG" >&2 || true
    die "PostgreSQL did not start"
  fi
  local i
  for ((i = 0; i < 100; i++)); do
    ready && break
    sleep 0.1
  done
  ready || die "server started but 127.0.0.1:$PORT is not ready (see $LOG)"

  create_database_and_roles
  local ms=$((($(date +%s%N) - t0) / 1000000))
  say "PostgreSQL $PG_MAJOR started in $((ms / 1000)).$(printf %03d $((ms % 1000))) s; data in $DATA, log $LOG"
  say "DATABASE_URL=$(local_url)"
}

cmd_stop() {
  external stop && return 0
  setup
  if ! running; then
    say "not running"
    return 0
  fi
  # fast: roll back open transactions and disconnect clients, but shut down
  # cleanly (no crash recovery at the next start).
  if ! as_pg "$BINDIR/pg_ctl" -D "$DATA" -m fast -w -t 30 -s stop; then
    say "fast shutdown took over 30 s, using immediate shutdown"
    as_pg "$BINDIR/pg_ctl" -D "$DATA" -m immediate -w -t 30 -s stop
  fi
  say "stopped"
}

cmd_status() {
  if [[ -n "${DATABASE_URL:-}" ]]; then
    if pg_isready -q -d "$DATABASE_URL"; then
      say "external server in DATABASE_URL is ready"
      return 0
    fi
    say "external server in DATABASE_URL is not ready"
    return 1
  fi
  setup
  if running && ready; then
    say "running on 127.0.0.1:$PORT, $(local_url), data in $DATA"
    return 0
  fi
  say "not running"
  return 3
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  url) cmd_url "${2:-}" ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
