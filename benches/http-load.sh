#!/usr/bin/env bash
# HTTP load on loopback: the same handler unprotected, behind the adapter
# verifying an API key, an HS256 access token and an EdDSA access token,
# on actix-web (CredentialAuth, SERVER=actix, the default) or hyper 1
# (CredentialLayer, SERVER=hyper). wrk and the server share the machine, so the cases run
# alternately, ROUNDS times each, and are compared by their medians.
#
#   benches/http-load.sh                        # 3 rounds of 5 s per case
#   ROUNDS=5 DURATION=10 benches/http-load.sh
#   WORKERS=2 THREADS=2 CONNECTIONS=64 benches/http-load.sh
#   TOKEN_CACHE=0 benches/http-load.sh          # every token verified in full
#   SERVER=hyper benches/http-load.sh           # the tower layer on hyper 1
#
# Needs wrk (installed from Debian's packages when missing). Traffic goes
# to 127.0.0.1 only; every run is bounded by DURATION.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-1}
WORKERS=${WORKERS:-1}
TOKEN_CACHE=${TOKEN_CACHE:-1}
SERVER=${SERVER:-actix}
PORT=${PORT:-18181}
# One server per case, each serving the handler on /hello.
OPEN="http://127.0.0.1:${PORT}/hello"
PROTECTED="http://127.0.0.1:$((PORT + 1))/hello"
PROTECTED_EDDSA="http://127.0.0.1:$((PORT + 2))/hello"

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
echo "==> building the $SERVER bench server (release)"
server=$(cargo build --release --quiet -p "$package" --example "$example" \
  --message-format=json | grep -o "\"executable\":\"[^\"]*${example}\"" | cut -d'"' -f4)
[ -x "$server" ] || { echo "bench server not built" >&2; exit 1; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/credential-http-load.XXXXXX")
server_args=(--bind "127.0.0.1:${PORT}" --workers "$WORKERS" --credentials "$scratch/credentials")
[ "$TOKEN_CACHE" = 1 ] || server_args+=(--no-token-cache)
"$server" "${server_args[@]}" &
server_pid=$!
cleanup() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT

for _ in $(seq 1 100); do
  [ -s "$scratch/credentials" ] && break
  sleep 0.1
done
[ -s "$scratch/credentials" ] || { echo "bench server did not start" >&2; exit 1; }
# shellcheck disable=SC1091 # written by the bench server
. "$scratch/credentials"

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

# The middleware is really on: refusals without a credential, passes with.
[ "$(status_of "$OPEN" "")" = 200 ] || { echo "the open route did not answer 200" >&2; exit 1; }
[ "$(status_of "$PROTECTED" "")" = 401 ] || { echo "the protected route let a request without a credential through" >&2; exit 1; }
[ "$(status_of "$PROTECTED" "X-API-Key: ${KEY}"$'\r\n')" = 200 ] || { echo "the protected route refused the key" >&2; exit 1; }
[ "$(status_of "$PROTECTED" "Authorization: Bearer ${HS256}"$'\r\n')" = 200 ] || { echo "the protected route refused the HS256 token" >&2; exit 1; }
[ "$(status_of "$PROTECTED_EDDSA" "")" = 401 ] || { echo "the EdDSA route let a request without a credential through" >&2; exit 1; }
[ "$(status_of "$PROTECTED_EDDSA" "Authorization: Bearer ${EDDSA}"$'\r\n')" = 200 ] || { echo "the EdDSA route refused the token" >&2; exit 1; }

cases=(open api_key hs256_token eddsa_token)

ticks_per_second=$(getconf CLK_TCK)

# CPU time the server has used so far, in clock ticks (user + system, all
# threads): fields 14 and 15 of /proc/PID/stat, after the command name.
server_ticks() {
  sed 's/^.*) //' "/proc/${server_pid}/stat" | awk '{ print $12 + $13 }'
}

# One run: "requests/s server-CPU-µs-per-request"; fails on any non-2xx
# answer. CPU per request barely moves when other work shares the
# machine, unlike requests per second.
run() {
  local name=$1 seconds=$2 out
  local args=(-t"$THREADS" -c"$CONNECTIONS" -d"${seconds}s")
  case "$name" in
    open) args+=("$OPEN") ;;
    api_key) args+=(-H "X-API-Key: ${KEY}" "$PROTECTED") ;;
    hs256_token) args+=(-H "Authorization: Bearer ${HS256}" "$PROTECTED") ;;
    eddsa_token) args+=(-H "Authorization: Bearer ${EDDSA}" "$PROTECTED_EDDSA") ;;
  esac
  local before after
  before=$(server_ticks)
  out=$(wrk "${args[@]}")
  after=$(server_ticks)
  if grep -q "Non-2xx" <<<"$out"; then
    echo "$name: the server refused requests:" >&2
    echo "$out" >&2
    exit 1
  fi
  awk -v ticks=$((after - before)) -v hz="$ticks_per_second" '
    /^Requests\/sec:/ { rps = $2 }
    / requests in / { requests = $1 }
    END { printf "%s %.2f\n", rps, ticks * 1000000 / hz / requests }
  ' <<<"$out"
}

median() {
  tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "==> $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $SERVER server, workers $WORKERS, token cache $TOKEN_CACHE, wrk -t$THREADS -c$CONNECTIONS, ${DURATION}s per run, $ROUNDS rounds"
for name in "${cases[@]}"; do
  run "$name" 1 >/dev/null # warm-up
done

declare -A rates cpus
for round in $(seq 1 "$ROUNDS"); do
  for name in "${cases[@]}"; do
    read -r rps cpu <<<"$(run "$name" "$DURATION")"
    rates[$name]="${rates[$name]:-} $rps"
    cpus[$name]="${cpus[$name]:-} $cpu"
    printf '    round %d  %-12s %10.0f req/s  %7.2f µs server CPU per request\n' "$round" "$name" "$rps" "$cpu"
  done
done

open_rate=$(median <<<"${rates[open]}")
open_cpu=$(median <<<"${cpus[open]}")
echo
printf '%-12s %12s %9s   %14s %9s\n' case "median req/s" "vs open" "CPU µs/req" "vs open"
for name in "${cases[@]}"; do
  rate=$(median <<<"${rates[$name]}")
  cpu=$(median <<<"${cpus[$name]}")
  awk -v n="$name" -v r="$rate" -v c="$cpu" -v orate="$open_rate" -v ocpu="$open_cpu" 'BEGIN {
    printf "%-12s %12.0f %8.1f%%   %14.2f %8.1f%%\n", n, r, 100 * r / orate, c, 100 * ocpu / c
  }'
done
echo "(CPU \"vs open\": the open route's server CPU per request over this one's,"
echo " the throughput ratio to expect when the server has a core to itself)"
echo "==> load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
