# Shared by the scripts that start local servers (sourced; each script defines say and die first).

# Install a missing tool from Debian (we are root on CI); a no-op normally.
need_cmd() {
  local cmd="$1" pkg="$2"
  command -v "$cmd" >/dev/null 2>&1 && return 0
  if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    say "$cmd not found, installing Debian package $pkg"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null
  fi
  command -v "$cmd" >/dev/null 2>&1 || die "$cmd not found (install $pkg)"
}

# Sets JAVA to a Java 17+ (JAVA_HOME's, else the one on PATH, installed from Debian if missing): Kafka 4 brokers
# and Keycloak 26 both need it.
java_bin() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    JAVA="$JAVA_HOME/bin/java"
  else
    need_cmd java openjdk-17-jre-headless
    JAVA=java
  fi
  local major
  major="$("$JAVA" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)"
  [[ -n "$major" && "$major" -ge 17 ]] || die "Java 17 or newer is needed, found: $("$JAVA" -version 2>&1 | head -1)"
}

# The pid written in pid file $1, if that process runs and its command line contains $2 (pids get reused: a stale
# file may name somebody else's process); nothing and status 1 otherwise.
pid_from_file() {
  local pidfile="$1" marker="$2" pid
  [[ -f "$pidfile" ]] || return 1
  pid="$(cat "$pidfile" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$marker" || return 1
  echo "$pid"
}
