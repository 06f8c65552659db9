#!/usr/bin/env bash
# HTTP load on loopback: the same handler unprotected, behind the adapter
# verifying an API key, an HS256 access token and an EdDSA access token,
# on actix-web (CredentialAuth, SERVER=actix, the default) or hyper 1
# (CredentialLayer, SERVER=hyper).
#
# wrk and the servers share the machine, whose speed drifts by tens of
# percent over seconds. Two ways to compare despite that:
#
# - MODE=paired (the default): two server processes, A and B, each with
#   one worker. Every run loads the open route of one and a protected
#   route of the other at the same moment, with one wrk each, so both
#   see the same machine; the processes swap roles every round. Each
#   run's ratio of the two rates, and of the two servers' CPU time per
#   request, is kept, and the medians over the rounds reported.
# - MODE=sequential: one server; the cases run one after another,
#   ROUNDS times each, and their median rates are compared.
#
#   benches/http-load.sh                        # paired, 5 rounds of 3 s
#   ROUNDS=11 DURATION=3 benches/http-load.sh
#   MODE=sequential WORKERS=2 THREADS=2 CONNECTIONS=64 benches/http-load.sh
#   TOKEN_CACHE=0 benches/http-load.sh          # every token verified in full
#   SERVER=hyper benches/http-load.sh           # the tower layer on hyper 1
#   PROFILE=release benches/http-load.sh        # without link-time optimization
#
# The servers are built with the workspace's `production` profile (fat
# LTO, one codegen unit) unless PROFILE names another.
#
# Needs wrk (installed from Debian's packages when missing). Traffic goes
# to 127.0.0.1 only; every run is bounded by DURATION.
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=${MODE:-paired}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-3}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-1}
WORKERS=${WORKERS:-1}
TOKEN_CACHE=${TOKEN_CACHE:-1}
SERVER=${SERVER:-actix}
PROFILE=${PROFILE:-production}
PORT=${PORT:-18181}
case "$MODE" in
  paired | sequential) ;;
  *) echo "MODE must be paired or sequential" >&2; exit 2 ;;
esac

if ! command -v wrk >/dev/null 2>&1; then
  echo "==> installing wrk from Debian's packages"
  sudo_cmd=""
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq wrk >/dev/null
fi

case "$SERVER" in
  actix) package=credential-actix example=bench-server ;;
  hyper) package=credential-hyper example=bench-server-hyper ;;
  *) echo "SERVER must be actix or hyper" >&2; exit 2 ;;
esac
echo "==> building the $SERVER bench server (profile $PROFILE)"
server=$(cargo build --profile "$PROFILE" --quiet -p "$package" --example "$example" \
  --message-format=json | grep -o "\"executable\":\"[^\"]*${example}\"" | cut -d'"' -f4)
[ -x "$server" ] || { echo "bench server not built" >&2; exit 1; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/credential-http-load.XXXXXX")
server_pids=()
cleanup() {
  for pid in "${server_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${server_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$scratch"
}
trap cleanup EXIT

# Server `name` on ports base..base+2, each serving the handler on /hello:
# unprotected, behind the adapter for API keys and HS256 tokens, behind
# one for EdDSA tokens. Its credentials end up in $scratch/name.
start_server() {
  local name=$1 base=$2
  local args=(--bind "127.0.0.1:${base}" --workers "$WORKERS" --credentials "$scratch/$name")
  [ "$TOKEN_CACHE" = 1 ] || args+=(--no-token-cache)
  "$server" "${args[@]}" &
  server_pids+=($!)
  eval "pid_$name=$!"
  for _ in $(seq 1 100); do
    [ -s "$scratch/$name" ] && return 0
    sleep 0.1
  done
  echo "bench server $name did not start" >&2
  exit 1
}

# The status of GET url with one extra header line, over bash's /dev/tcp.
status_of() {
  local url=$1 header=$2 line hostport path
  hostport=${url#http://}
  path=/${hostport#*/}
  hostport=${hostport%%/*}
  exec 3<>"/dev/tcp/${hostport%:*}/${hostport#*:}"
  printf 'GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n%s\r\n' "$path" "$hostport" "$header" >&3
  read -r line <&3
  exec 3<&-
  echo "$line" | cut -d' ' -f2
}

# The wrk arguments for case `name` against server `server` on `base`.
case_args() {
  local name=$1 server=$2 base=$3 KEY HS256 EDDSA
  # shellcheck disable=SC1090 # written by the bench server
  . "$scratch/$server"
  case "$name" in
    open) echo "http://127.0.0.1:${base}/hello" ;;
    api_key) printf '%s\n' -H "X-API-Key: ${KEY}" "http://127.0.0.1:$((base + 1))/hello" ;;
    hs256_token) printf '%s\n' -H "Authorization: Bearer ${HS256}" "http://127.0.0.1:$((base + 1))/hello" ;;
    eddsa_token) printf '%s\n' -H "Authorization: Bearer ${EDDSA}" "http://127.0.0.1:$((base + 2))/hello" ;;
  esac
}

# The middleware is really on: refusals without a credential, passes with.
check_server() {
  local server=$1 base=$2 KEY HS256 EDDSA
  local open="http://127.0.0.1:${base}/hello"
  local protected="http://127.0.0.1:$((base + 1))/hello"
  local eddsa="http://127.0.0.1:$((base + 2))/hello"
  # shellcheck disable=SC1090 # written by the bench server
  . "$scratch/$server"
  [ "$(status_of "$open" "")" = 200 ] || { echo "the open route did not answer 200" >&2; exit 1; }
  [ "$(status_of "$protected" "")" = 401 ] || { echo "the protected route let a request without a credential through" >&2; exit 1; }
  [ "$(status_of "$protected" "X-API-Key: ${KEY}"$'\r\n')" = 200 ] || { echo "the protected route refused the key" >&2; exit 1; }
  [ "$(status_of "$protected" "Authorization: Bearer ${HS256}"$'\r\n')" = 200 ] || { echo "the protected route refused the HS256 token" >&2; exit 1; }
  [ "$(status_of "$eddsa" "")" = 401 ] || { echo "the EdDSA route let a request without a credential through" >&2; exit 1; }
  [ "$(status_of "$eddsa" "Authorization: Bearer ${EDDSA}"$'\r\n')" = 200 ] || { echo "the EdDSA route refused the token" >&2; exit 1; }
}

ticks_per_second=$(getconf CLK_TCK)

# CPU time process `pid` has used so far, in clock ticks (user + system,
# all threads): fields 14 and 15 of /proc/PID/stat, after the command name.
ticks_of() {
  sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# One wrk run of case `name` against `server` on `base` for `seconds`,
# into file `out`; fails on any non-2xx answer.
load() {
  local name=$1 server=$2 base=$3 seconds=$4 out=$5 args
  mapfile -t args < <(case_args "$name" "$server" "$base")
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${seconds}s" "${args[@]}" >"$out"
  if grep -q "Non-2xx" "$out"; then
    echo "$name: the server refused requests:" >&2
    cat "$out" >&2
    exit 1
  fi
}

# "requests/s server-CPU-µs-per-request" of a finished run.
summary() {
  local out=$1 ticks=$2
  awk -v ticks="$ticks" -v hz="$ticks_per_second" '
    /^Requests\/sec:/ { rps = $2 }
    / requests in / { requests = $1 }
    END { printf "%s %.2f\n", rps, ticks * 1000000 / hz / requests }
  ' "$out"
}

median() {
  tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

cases=(open api_key hs256_token eddsa_token)
declare -A rates cpus ratios cpu_ratios

if [ "$MODE" = sequential ]; then
  start_server one "$PORT"
  check_server one "$PORT"
  echo "==> $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $SERVER server ($PROFILE), sequential, workers $WORKERS, token cache $TOKEN_CACHE, wrk -t$THREADS -c$CONNECTIONS, ${DURATION}s per run, $ROUNDS rounds"
  for name in "${cases[@]}"; do
    load "$name" one "$PORT" 1 "$scratch/warm-up" # warm-up
  done
  for round in $(seq 1 "$ROUNDS"); do
    for name in "${cases[@]}"; do
      before=$(ticks_of "$pid_one")
      load "$name" one "$PORT" "$DURATION" "$scratch/run"
      after=$(ticks_of "$pid_one")
      read -r rps cpu <<<"$(summary "$scratch/run" $((after - before)))"
      rates[$name]="${rates[$name]:-} $rps"
      cpus[$name]="${cpus[$name]:-} $cpu"
      printf '    round %d  %-12s %10.0f req/s  %7.2f µs server CPU per request\n' "$round" "$name" "$rps" "$cpu"
    done
  done
  open_rate=$(median <<<"${rates[open]}")
  open_cpu=$(median <<<"${cpus[open]}")
  for name in "${cases[@]}"; do
    ratios[$name]=$(awk -v r="$(median <<<"${rates[$name]}")" -v o="$open_rate" 'BEGIN { print r / o }')
    cpu_ratios[$name]=$(awk -v c="$(median <<<"${cpus[$name]}")" -v o="$open_cpu" 'BEGIN { print o / c }')
  done
else
  start_server a "$PORT"
  start_server b "$((PORT + 10))"
  check_server a "$PORT"
  check_server b "$((PORT + 10))"
  echo "==> $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $SERVER servers ($PROFILE), paired, workers $WORKERS each, token cache $TOKEN_CACHE, two wrk -t$THREADS -c$CONNECTIONS at once, ${DURATION}s per run, $ROUNDS rounds"
  for name in "${cases[@]}"; do
    load "$name" a "$PORT" 1 "$scratch/warm-up" # warm-up
    load "$name" b "$((PORT + 10))" 1 "$scratch/warm-up"
  done
  ratios[open]=1
  for round in $(seq 1 "$ROUNDS"); do
    # Odd rounds: A serves the open route, B the protected one; even
    # rounds the other way round.
    if ((round % 2)); then
      open_server=a open_base=$PORT other=b other_base=$((PORT + 10))
    else
      open_server=b open_base=$((PORT + 10)) other=a other_base=$PORT
    fi
    open_pid_var=pid_$open_server other_pid_var=pid_$other
    for name in api_key hs256_token eddsa_token; do
      open_before=$(ticks_of "${!open_pid_var}")
      other_before=$(ticks_of "${!other_pid_var}")
      load open "$open_server" "$open_base" "$DURATION" "$scratch/open" &
      open_load=$!
      load "$name" "$other" "$other_base" "$DURATION" "$scratch/run"
      wait "$open_load"
      open_after=$(ticks_of "${!open_pid_var}")
      other_after=$(ticks_of "${!other_pid_var}")
      read -r open_rps open_cpu <<<"$(summary "$scratch/open" $((open_after - open_before)))"
      read -r rps cpu <<<"$(summary "$scratch/run" $((other_after - other_before)))"
      ratio=$(awk -v r="$rps" -v o="$open_rps" 'BEGIN { print r / o }')
      cpu_ratio=$(awk -v c="$cpu" -v o="$open_cpu" 'BEGIN { print o / c }')
      rates[open]="${rates[open]:-} $open_rps"
      cpus[open]="${cpus[open]:-} $open_cpu"
      rates[$name]="${rates[$name]:-} $rps"
      cpus[$name]="${cpus[$name]:-} $cpu"
      ratios[$name]="${ratios[$name]:-} $ratio"
      cpu_ratios[$name]="${cpu_ratios[$name]:-} $cpu_ratio"
      printf '    round %d  %-12s %9.0f req/s %6.2f µs CPU/req | open beside it %9.0f req/s %6.2f µs CPU/req | %5.1f%% %5.1f%%\n' \
        "$round" "$name" "$rps" "$cpu" "$open_rps" "$open_cpu" \
        "$(awk -v r="$ratio" 'BEGIN { print 100 * r }')" "$(awk -v r="$cpu_ratio" 'BEGIN { print 100 * r }')"
    done
  done
  cpu_ratios[open]=1
  for name in api_key hs256_token eddsa_token; do
    ratios[$name]=$(median <<<"${ratios[$name]}")
    cpu_ratios[$name]=$(median <<<"${cpu_ratios[$name]}")
  done
fi

echo
printf '%-12s %12s %9s   %14s %9s\n' case "median req/s" "vs open" "CPU µs/req" "vs open"
for name in "${cases[@]}"; do
  rate=$(median <<<"${rates[$name]}")
  cpu=$(median <<<"${cpus[$name]}")
  awk -v n="$name" -v r="$rate" -v ratio="${ratios[$name]}" -v c="$cpu" -v cratio="${cpu_ratios[$name]}" 'BEGIN {
    printf "%-12s %12.0f %8.1f%%   %14.2f %8.1f%%\n", n, r, 100 * ratio, c, 100 * cratio
  }'
done
if [ "$MODE" = paired ]; then
  echo "(\"vs open\": the median over rounds of each run's rate over the open"
  echo " route's rate at the same moment; CPU \"vs open\": likewise, the open"
  echo " route's server CPU per request over this one's, the throughput ratio"
  echo " to expect when each server has a core to itself)"
else
  echo "(\"vs open\": median rates; CPU \"vs open\": the open route's server CPU"
  echo " per request over this one's, the throughput ratio to expect when the"
  echo " server has a core to itself)"
fi
echo "==> load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
