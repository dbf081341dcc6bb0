#!/usr/bin/env bash
# Local single-node Apache Kafka (KRaft: broker + controller in one JVM) for
# development and CI. No Docker and no Kafka tarball: the broker's jars come
# from Maven Central (the only Java source our machines reach), everything
# else lives in the git-ignored .local/kafka/ of this clone.
#
# Usage (from anywhere; paths are relative to the repo root):
#   scripts/kafka.sh fetch                  download jars into .local/kafka/libs (idempotent)
#   scripts/kafka.sh start                  fetch if needed, format once, start, wait until it answers
#   scripts/kafka.sh stop                   SIGTERM, after 30 s SIGKILL
#   scripts/kafka.sh status                 exit 0 if the broker runs and answers
#   scripts/kafka.sh create-topics T[:N]..  create topics (N partitions, default num.partitions) if missing
#   scripts/kafka.sh tool NAME ARGS..       run a Kafka CLI class against the broker, NAME one of
#                                           topics, producer, consumer, groups, or a class name
#   scripts/kafka.sh bootstrap              print the bootstrap servers to use
#
# Environment:
#   KAFKA_PORT (19092), KAFKA_CONTROLLER_PORT (19093), KAFKA_START_TIMEOUT (90 s),
#   KAFKA_HEAP_OPTS (-Xms256m -Xmx512m), KAFKA_JAVA_OPTS (extra JVM flags),
#   KAFKA_STATE_DIR (.local/kafka): data, logs, pid file and config of this broker,
#   KAFKA_BOOTSTRAP_SERVERS: set => an external broker is used; start/stop do nothing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONF_DIR="$ROOT/deploy/local/kafka"
POM="$CONF_DIR/pom.xml"
STATE="$ROOT/.local/kafka"
LIBS="$STATE/libs"
# KAFKA_STATE_DIR: where this broker keeps its data, logs, pid and config (the jars stay shared), so a
# second, throwaway broker (fault tests) can run beside the usual one on other ports.
RUN_DIR="${KAFKA_STATE_DIR:-$STATE}"
DATA="$RUN_DIR/data"
LOGS="$RUN_DIR/logs"
PIDFILE="$RUN_DIR/kafka.pid"
PROPS="$RUN_DIR/server.properties"
CLUSTER_ID_FILE="$RUN_DIR/cluster-id"

KAFKA_PORT="${KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-19093}"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"

# The pom is the single place the Kafka version is written down.
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM")"

say() { echo "kafka.sh: $*"; }
die() { echo "kafka.sh: ERROR: $*" >&2; exit 1; }

external() {
  if [[ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" ]]; then
    say "KAFKA_BOOTSTRAP_SERVERS=$KAFKA_BOOTSTRAP_SERVERS is set: using that external broker, nothing to $1"
    return 0
  fi
  return 1
}

bootstrap() { echo "${KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:$KAFKA_PORT}"; }

# need_cmd, java_bin, pid_from_file
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# ---------------------------------------------------------------- fetch
jar_count() {
  local jars=("$LIBS"/*.jar)
  echo "${#jars[@]}"
}

cmd_fetch() {
  [[ -n "$KAFKA_VERSION" ]] || die "no <kafka.version> in $POM"
  # The stamp holds the version and a hash of the pom, so editing the pom
  # (other version, other deps) triggers a fresh download.
  local want
  want="kafka $KAFKA_VERSION pom $(sha256sum "$POM" | cut -c1-16)"
  if [[ -f "$LIBS/.stamp" && "$(cat "$LIBS/.stamp")" == "$want" ]]; then
    say "jars for Kafka $KAFKA_VERSION already in ${LIBS#"$ROOT/"} ($(jar_count) jars)"
    return 0
  fi
  need_cmd mvn maven
  local t0=$SECONDS tmp="$STATE/libs.tmp.$$"
  say "fetching Kafka $KAFKA_VERSION and its runtime dependencies from Maven Central ..."
  mkdir -p "$STATE"
  rm -rf "$tmp"
  # Copy into a temp dir and swap it in at the end, so an interrupted download
  # never leaves a half-filled libs/ that looks complete.
  # Output goes to a log (shown on failure): even `mvn -q` prints ANSI resets.
  if ! mvn -B -Dstyle.color=never -f "$POM" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$tmp" >"$STATE/fetch.log" 2>&1; then
    tail -n 40 "$STATE/fetch.log" >&2
    rm -rf "$tmp"
    die "mvn could not resolve the Kafka jars (full output in ${STATE#"$ROOT/"}/fetch.log)"
  fi
  echo "$want" >"$tmp/.stamp"
  rm -rf "$LIBS"
  mv "$tmp" "$LIBS"
  say "fetched $(jar_count) jars in $((SECONDS - t0)) s"
}

# ---------------------------------------------------------------- helpers
# The pid in the pid file is ours only if that process is a Kafka broker
# started with this clone's config (pids get reused after a reboot).
pid_of_ours() { pid_from_file "$PIDFILE" "kafka.Kafka $PROPS"; }

# Is anything listening on host:port? bash's /dev/tcp, no extra tools.
port_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

# Does a Kafka broker answer on host:port? Sends a raw ApiVersions v0 request
# (size 12, api_key 18, version 0, correlation id 42, client id "sh") and
# checks that the response carries correlation id 42 and error code 0.
# Any Kafka version answers v0 of ApiVersions, and this needs bash only.
kafka_answers() {
  local reply
  # shellcheck disable=SC2016  # $1/$2 are expanded by the inner bash
  reply="$(timeout 3 bash -c '
    exec 3<>"/dev/tcp/$1/$2" || exit 1
    printf "\x00\x00\x00\x0c\x00\x12\x00\x00\x00\x00\x00\x2a\x00\x02sh" >&3
    head -c 10 <&3 | od -An -tx1 | tr -d " \n"' _ "$1" "$2" 2>/dev/null)" || return 1
  # 4 bytes size, then correlation id 0000002a, then error code 0000.
  [[ "${reply:8:12}" == "0000002a0000" ]]
}

# Who holds a port, for error messages.
port_owner() {
  command -v ss >/dev/null 2>&1 || return 0
  ss -ltnpH "sport = :$1" 2>/dev/null | sed 's/^/    /'
}

log_tail() {
  local f
  for f in "$LOGS/kafka.out" "$LOGS/server.log"; do
    [[ -s "$f" ]] || continue
    echo "---- last lines of ${f#"$ROOT/"} ----" >&2
    tail -n 40 "$f" >&2
  done
}

render_config() {
  mkdir -p "$DATA" "$LOGS"
  sed -e "s|@KAFKA_PORT@|$KAFKA_PORT|g" \
      -e "s|@KAFKA_CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
      -e "s|@KAFKA_DATA_DIR@|$DATA|g" \
      "$CONF_DIR/server.properties.template" >"$PROPS"
}

# KRaft needs the log dir formatted with a cluster id once. The id is kept in
# .local/kafka/cluster-id so a wiped data dir gets the same id again.
format_once() {
  [[ -f "$DATA/meta.properties" ]] && return 0
  local id
  if [[ -s "$CLUSTER_ID_FILE" ]]; then
    id="$(cat "$CLUSTER_ID_FILE")"
  else
    # Kafka cluster ids are 16 random bytes in URL-safe base64 without padding
    # (what `StorageTool random-uuid` prints); a leading '-' is avoided like Kafka does.
    id="-"
    while [[ "$id" == -* ]]; do
      id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    done
    echo "$id" >"$CLUSTER_ID_FILE"
  fi
  say "formatting ${DATA#"$ROOT/"} for cluster id $id"
  "$JAVA" -cp "$LIBS/*" -Dlog4j2.configurationFile="$CONF_DIR/tools-log4j2.properties" \
    kafka.tools.StorageTool format -t "$id" -c "$PROPS" >"$LOGS/format.log" 2>&1 \
    || { cat "$LOGS/format.log" >&2; die "formatting the data dir failed"; }
}

# ---------------------------------------------------------------- start/stop
cmd_start() {
  external start && return 0
  local pid
  if pid="$(pid_of_ours)"; then
    say "already running (pid $pid) on $(bootstrap)"
    return 0
  fi
  rm -f "$PIDFILE"
  # A listener we did not start is most likely the broker of another clone on
  # this machine: fail loudly instead of silently testing against its data.
  local p
  for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
    if port_open 127.0.0.1 "$p"; then
      echo "kafka.sh: ERROR: port $p on 127.0.0.1 is already in use by a process this clone did not start" >&2
      port_owner "$p" >&2
      die "stop it, or choose other ports with KAFKA_PORT / KAFKA_CONTROLLER_PORT"
    fi
  done

  cmd_fetch
  java_bin
  render_config
  format_once

  local t0 offset=0
  t0="$(date +%s%N)"
  # Only log lines written after this point count as "started".
  [[ -f "$LOGS/server.log" ]] && offset="$(stat -c %s "$LOGS/server.log")"

  # setsid: the broker gets its own session, so neither the end of the calling
  # shell nor a Ctrl-C in it (e.g. while tests run) takes the broker down.
  # The inner bash writes its own pid before exec'ing java, so the pid file
  # holds the java pid whether or not setsid had to fork.
  # shellcheck disable=SC2086,SC2016  # flag lists split on purpose; $$ is the inner bash's
  nohup setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PIDFILE" \
    "$JAVA" $HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$CONF_DIR/log4j2.properties" \
    -Dkafka.logs.dir="$LOGS" \
    ${KAFKA_JAVA_OPTS:-} \
    -cp "$LIBS/*" kafka.Kafka "$PROPS" \
    >"$LOGS/kafka.out" 2>&1 </dev/null &

  local deadline=$((SECONDS + START_TIMEOUT))
  while :; do
    pid="$(cat "$PIDFILE" 2>/dev/null || true)"
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
      log_tail
      rm -f "$PIDFILE"
      die "the broker exited during startup (logs in ${LOGS#"$ROOT/"})"
    fi
    # "Kafka Server started" is logged once the broker is unfenced and serving;
    # the ApiVersions round trip proves the listener really answers.
    if [[ -n "$pid" ]] && [[ -f "$LOGS/server.log" ]] \
       && tail -c +"$((offset + 1))" "$LOGS/server.log" | grep -q "Kafka Server started" \
       && kafka_answers 127.0.0.1 "$KAFKA_PORT"; then
      break
    fi
    if ((SECONDS >= deadline)); then
      log_tail
      echo "kafka.sh: ERROR: the broker did not answer on 127.0.0.1:$KAFKA_PORT within ${START_TIMEOUT} s; stopping it" >&2
      cmd_stop >&2 || true
      exit 1
    fi
    sleep 0.2
  done
  local ms=$((($(date +%s%N) - t0) / 1000000))
  say "Kafka $KAFKA_VERSION started in $((ms / 1000)).$(printf %03d $((ms % 1000))) s (pid $pid), bootstrap servers $(bootstrap)"
}

cmd_stop() {
  external stop && return 0
  local pid
  if ! pid="$(pid_of_ours)"; then
    rm -f "$PIDFILE"
    say "not running"
    return 0
  fi
  # SIGTERM runs Kafka's controlled shutdown (flushes logs, clean marker), so
  # the next start skips log recovery.
  kill -TERM "$pid" 2>/dev/null || true
  local i
  for ((i = 0; i < 300; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "still alive after 30 s, sending SIGKILL to $pid"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$PIDFILE"
  say "stopped (pid $pid)"
}

cmd_status() {
  if [[ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" ]]; then
    local first="${KAFKA_BOOTSTRAP_SERVERS%%,*}"
    if kafka_answers "${first%:*}" "${first##*:}"; then
      say "external broker $first answers"
      return 0
    fi
    say "external broker $first does not answer"
    return 1
  fi
  local pid
  if pid="$(pid_of_ours)"; then
    if kafka_answers 127.0.0.1 "$KAFKA_PORT"; then
      say "running (pid $pid), bootstrap servers $(bootstrap), Kafka $KAFKA_VERSION"
      return 0
    fi
    say "process $pid is alive but 127.0.0.1:$KAFKA_PORT does not answer (starting or stuck?)"
    return 1
  fi
  say "not running"
  return 3
}

# ---------------------------------------------------------------- CLI tools
run_tool() {
  local cls="$1"
  shift
  [[ -f "$LIBS/.stamp" ]] || cmd_fetch >&2
  java_bin
  "$JAVA" -Xms32m -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
    -Dlog4j2.configurationFile="$CONF_DIR/tools-log4j2.properties" \
    -cp "$LIBS/*" "$cls" "$@"
}

cmd_tool() {
  [[ $# -ge 1 ]] || die "usage: kafka.sh tool topics|producer|consumer|groups|CLASS [args...]"
  local name="$1" cls
  shift
  case "$name" in
    topics) cls=org.apache.kafka.tools.TopicCommand ;;
    producer) cls=org.apache.kafka.tools.ConsoleProducer ;;
    consumer) cls=org.apache.kafka.tools.consumer.ConsoleConsumer ;;
    groups) cls=org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
    *) cls="$name"; run_tool "$cls" "$@"; return ;;
  esac
  # The named tools all take --bootstrap-server; add ours unless given.
  if [[ " $* " != *" --bootstrap-server "* ]]; then
    set -- --bootstrap-server "$(bootstrap)" "$@"
  fi
  run_tool "$cls" "$@"
}

cmd_create_topics() {
  [[ $# -ge 1 ]] || die "usage: kafka.sh create-topics TOPIC[:PARTITIONS] ..."
  # TopicCommand creates one topic per call (~1 s of JVM start each);
  # --if-not-exists makes reruns harmless.
  local spec topic parts
  for spec in "$@"; do
    topic="${spec%%:*}"
    parts=()
    [[ "$spec" == *:* ]] && parts=(--partitions "${spec#*:}")
    run_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$(bootstrap)" \
      --create --if-not-exists --topic "$topic" --replication-factor 1 "${parts[@]}"
  done
}

case "${1:-}" in
  fetch) cmd_fetch ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  create-topics) shift; cmd_create_topics "$@" ;;
  tool) shift; cmd_tool "$@" ;;
  bootstrap) bootstrap ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
