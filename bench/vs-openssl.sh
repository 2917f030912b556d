#!/usr/bin/env bash
# End-to-end benchmark: `cmpkit -repeat N` against `openssl cmp -repeat N`, identical arguments, both
# against the same OpenSSL mock server (`openssl cmp -port 0`) on 127.0.0.1.
#
# For each case (ir with EC P-256 signature protection, RSA-2048 signature protection, PBM; each with
# -keep_alive 0 and 1) it runs every client with N1 and N2 transactions and reports per transaction:
#   cpu   client process CPU (user + sys, from getrusage via GNU time), marginal:
#         (cpu(N2) - cpu(N1)) / (N2 - N1), so process start-up cancels out;
#   wall  marginal wall time, the same way;
# and the ratios cmpkit/openssl. Each point is the minimum of R runs (noise only ever adds time); the
# clients take turns within each of the R rounds, so that a noisy stretch of time hits them alike. The
# last columns give the CPU ratio of each round's own marginal figures (median and range over the rounds):
# the machine's speed drifts by tens of percent from minute to minute, and the ratio of two figures taken
# in the same minute moves less than the ratio of two minima taken minutes apart.
#
# Usage (from anywhere, on a fresh machine with the .NET SDK):
#   bash bench/vs-openssl.sh                  # N1=10 N2=210 R=5 S=11, with the NativeAOT build
#   N1=5 N2=55 R=1 AOT=0 bash bench/vs-openssl.sh   # quicker, noisier, JIT build only
# GNU time counts CPU in 10 ms steps: over N2 - N1 = 200 transactions that is 0.05 ms per transaction.
# Also prints one-shot figures (a whole process for one transaction, start-up included).
# Needs openssl (apt-get install openssl if missing) and GNU time (/usr/bin/time; apt-get install time).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
N1="${N1:-10}"; N2="${N2:-210}"; R="${R:-5}"
CASES="${CASES:-ec rsa pbm}"; KEEPALIVE="${KEEPALIVE:-0 1}"

need() { command -v "$1" >/dev/null 2>&1; }
if ! need openssl || [ ! -x /usr/bin/time ]; then
  if [ "$(id -u)" = 0 ] && need apt-get; then
    apt-get update -qq >/dev/null && apt-get install -y -qq openssl time >/dev/null
  else
    echo "bench: needs openssl and /usr/bin/time (apt-get install openssl time)" >&2; exit 1
  fi
fi

echo "building cmpkit (Release, framework-dependent with JIT) ..." >&2
dotnet build "$root/src/CmpKit.Cli" -c Release -nologo -v q >/dev/null
cmpkit="$root/src/CmpKit.Cli/bin/Release/net10.0/cmpkit"
aot=""
if [ "${AOT:-1}" = 1 ]; then
  echo "publishing cmpkit as NativeAOT (takes a few minutes; AOT=0 skips it) ..." >&2
  if dotnet publish "$root/src/CmpKit.Cli" -c Release -r linux-x64 -p:PublishAot=true -o "$root/bench/out/aot" -nologo -v q >/dev/null 2>"$root/bench/out-aot.log"; then
    aot="$root/bench/out/aot/cmpkit"
    [ -x "$aot" ] || aot="$root/bench/out/aot/CmpKit.Cli"
  else
    echo "bench: the NativeAOT build failed (see bench/out-aot.log); measuring the JIT build only" >&2
  fi
fi

work="$(mktemp -d)"
server_pids=()
cleanup() { for p in "${server_pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"

# --- a small PKI, made fresh each run -----------------------------------------------------------
ossl() { openssl "$@" 2>/dev/null; }
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt -days 30 \
  -subj "/CN=Bench Root CA" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
issue() { # name keyalg-args subject
  local name="$1" alg="$2" subj="$3"
  # shellcheck disable=SC2086
  ossl req -new -newkey $alg -nodes -keyout "$name.key" -out "$name.csr" -subj "$subj"
  ossl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -out "$name.crt" \
    -extfile <(printf 'keyUsage=critical,digitalSignature\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n')
}
issue srv "ec -pkeyopt ec_paramgen_curve:P-256" "/CN=Bench CMP Server"
issue ec "ec -pkeyopt ec_paramgen_curve:P-256" "/CN=Bench EC client"
issue rsa "rsa:2048" "/CN=Bench RSA client"
issue new "ec -pkeyopt ec_paramgen_curve:P-256" "/CN=bench"   # rsp_cert: the mock returns it for -newkey new.key

start_mock() { # name extra-args...: starts `openssl cmp -port 0`; sets $port to the port it accepts on
  local name="$1"; shift
  openssl cmp -port 0 -srv_cert srv.crt -srv_key srv.key -srv_trusted ca.crt -rsp_cert new.crt \
    "$@" >"$name.log" 2>&1 &
  server_pids+=("$!")
  port=""
  for _ in $(seq 100); do
    port="$(sed -nE 's/^ACCEPT .*:([0-9]+) PID=.*/\1/p' "$name.log" | head -1)"
    [ -n "$port" ] && return
    sleep 0.1
  done
  echo "bench: the OpenSSL mock server did not start: $(cat "$name.log")" >&2; exit 1
}
# Fresh mock servers for every measurement: OpenSSL 3.0.19's mock server has been seen to crash
# (segfault) after some thousand transactions, and a crash mid-run would end the benchmark.
fresh_mocks() {
  for p in "${server_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  server_pids=()
  start_mock sig; port_sig="$port"
  start_mock pbm -srv_secret pass:bench-secret -srv_ref bench; port_pbm="$port"
}
fresh_mocks

args_for() { # case keepalive
  local common="-cmd ir -newkey new.key -subject /CN=bench -certout out.crt -msg_timeout 20 -total_timeout 60 -keep_alive $2"
  case "$1" in
    ec)  echo "-server 127.0.0.1:$port_sig/pkix/ $common -cert ec.crt -key ec.key -trusted ca.crt" ;;
    rsa) echo "-server 127.0.0.1:$port_sig/pkix/ $common -cert rsa.crt -key rsa.key -trusted ca.crt" ;;
    pbm) echo "-server 127.0.0.1:$port_pbm/pkix/ $common -ref bench -secret pass:bench-secret -trusted ca.crt" ;;
  esac
}

run_once() { # client n args... → prints "cpu wall" (seconds) of one run
  local client="$1" n="$2"; shift 2
  if ! /usr/bin/time -f '%U %S %e' -o t.txt "$client" "$@" -repeat "$n" >run.log 2>&1; then
    echo "bench: $(basename "$client") failed: $(tail -3 run.log)" >&2; exit 1
  fi
  read -r u s e < <(tail -1 t.txt)
  echo "$(echo "$u + $s" | bc -l) $e"
}
need bc || { echo "bench: needs bc (apt-get install bc)" >&2; exit 1; }

declare -A best_cpu best_wall
declare -A round_cpu
record() { # label n round cpu wall: keeps the best of the point and the round's own CPU figure
  keep_best "$1/$2" "$4" "$5"
  round_cpu[$1/$2/$3]="$4"
}
# The CPU ratio label/openssl of each round's own marginal figures (both measured within the same minute):
# "median min max" over the R rounds. Steadier than the ratio of the best points when the machine's speed
# drifts, because a slow stretch slows both clients of a round.
round_ratios() { # label
  local r ratios=()
  for r in $(seq "$R"); do
    ratios+=("$(echo "(${round_cpu[$1/$N2/$r]} - ${round_cpu[$1/$N1/$r]}) / (${round_cpu[openssl/$N2/$r]} - ${round_cpu[openssl/$N1/$r]})" | bc -l)")
  done
  printf '%s\n' "${ratios[@]}" | sort -g | awk '{ v[NR] = $1 } END { printf "%.2f %.2f %.2f\n", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[1], v[NR] }'
}
keep_best() { # key cpu wall
  if [ -z "${best_cpu[$1]:-}" ] || (( $(echo "$2 < ${best_cpu[$1]}" | bc -l) )); then best_cpu[$1]="$2"; fi
  if [ -z "${best_wall[$1]:-}" ] || (( $(echo "$3 < ${best_wall[$1]}" | bc -l) )); then best_wall[$1]="$3"; fi
}
marginal() { # label → "cpu_ms wall_ms" per transaction from the best runs with N1 and N2
  printf '%.2f %.2f\n' "$(echo "(${best_cpu[$1/$N2]} - ${best_cpu[$1/$N1]}) * 1000 / ($N2 - $N1)" | bc -l)" \
    "$(echo "(${best_wall[$1/$N2]} - ${best_wall[$1/$N1]}) * 1000 / ($N2 - $N1)" | bc -l)"
}

# The builds above (and whatever ran before) keep the load up for a while: wait, up to 3 minutes, until the
# 1-minute load average is below 1, so that the first measurements do not share the cores.
for _ in $(seq 36); do
  awk '{ exit !($1 < 1.0) }' /proc/loadavg 2>/dev/null && break
  sleep 5
done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(openssl version); dotnet $(dotnet --version); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "per transaction (ir + certConf), marginal over -repeat $N1 vs $N2, best of $R; x = ratio to openssl"
printf '%-5s %-3s | %10s %10s %10s %6s %6s | %10s %10s %10s %6s %6s | %-16s %-16s\n' case ka "openssl" "cmpkit" "cmpkit-aot" "x" "x-aot" "openssl" "cmpkit" "cmpkit-aot" "x" "x-aot" "x rounds" "x-aot rounds"
printf '%-5s %-3s | %-45s | %-45s | %-33s\n' "" "" "client CPU (user+sys) ms" "wall ms" "CPU x per round: median (min-max)"
fmt_rounds() { # "median min max" → "median (min-max)"
  if [ "$1" = - ]; then printf -- -; else read -r m lo hi <<< "$1"; printf '%s (%s-%s)' "$m" "$lo" "$hi"; fi
}
ratio() { if [ -n "$2" ] && [ "$2" != "-" ]; then printf '%.2f' "$(echo "$2 / $1" | bc -l)"; else printf '%s' -; fi; }
for c in $CASES; do
  for k in $KEEPALIVE; do
    # R rounds; in each, every client with N1 and N2 transactions in turn against fresh mock servers,
    # so that a noisy minute hits all clients alike; each point is the best of its R runs.
    best_cpu=(); best_wall=(); round_cpu=()
    for r in $(seq "$R"); do
      fresh_mocks
      for n in "$N1" "$N2"; do
        # shellcheck disable=SC2046
        record openssl "$n" "$r" $(run_once openssl "$n" cmp $(args_for "$c" "$k"))
        # shellcheck disable=SC2046
        record cmpkit "$n" "$r" $(run_once "$cmpkit" "$n" $(args_for "$c" "$k"))
        if [ -n "$aot" ]; then
          # shellcheck disable=SC2046
          record aot "$n" "$r" $(run_once "$aot" "$n" $(args_for "$c" "$k"))
        fi
      done
    done
    read -r oc ow < <(marginal openssl)
    read -r kc kw < <(marginal cmpkit)
    ac=-; aw=-
    if [ -n "$aot" ]; then
      read -r ac aw < <(marginal aot)
    fi
    rk="$(round_ratios cmpkit)"; ra=-
    if [ -n "$aot" ]; then
      ra="$(round_ratios aot)"
    fi
    printf '%-5s %-3s | %10s %10s %10s %6s %6s | %10s %10s %10s %6s %6s | %-16s %-16s\n' "$c" "$k" "$oc" "$kc" "$ac" \
      "$(ratio "$oc" "$kc")" "$(ratio "$oc" "$ac")" "$ow" "$kw" "$aw" "$(ratio "$ow" "$kw")" "$(ratio "$ow" "$aw")" \
      "$(fmt_rounds "$rk")" "$(fmt_rounds "$ra")"
  done
done

# One-shot: a whole process for one transaction (start-up included), median of S runs.
S="${S:-11}"
oneshot() { # client args... → median wall ms and median cpu ms
  local client="$1"; shift
  local walls=() cpus=()
  for _ in $(seq "$S"); do
    /usr/bin/time -f '%U %S %e' -o t.txt "$client" "$@" >run.log 2>&1 || { echo "bench: $(basename "$client") failed: $(tail -3 run.log)" >&2; exit 1; }
    read -r u s e < <(tail -1 t.txt)
    walls+=("$(echo "$e * 1000" | bc -l)"); cpus+=("$(echo "($u + $s) * 1000" | bc -l)")
  done
  printf '%.0f %.0f\n' "$(printf '%s\n' "${walls[@]}" | sort -g | sed -n "$(( (S + 1) / 2 ))p")" \
    "$(printf '%s\n' "${cpus[@]}" | sort -g | sed -n "$(( (S + 1) / 2 ))p")"
}
echo
echo "one-shot: one process, one ir (ec, -keep_alive 1), median of $S runs"
fresh_mocks
printf '%-12s %10s %10s %8s\n' client "wall ms" "cpu ms" "wall x"
# shellcheck disable=SC2046
read -r ow oc < <(oneshot openssl cmp $(args_for ec 1))
printf '%-12s %10s %10s %8s\n' openssl "$ow" "$oc" 1.00
# shellcheck disable=SC2046
read -r kw kc < <(oneshot "$cmpkit" $(args_for ec 1))
printf '%-12s %10s %10s %8s\n' cmpkit "$kw" "$kc" "$(ratio "$ow" "$kw")"
if [ -n "$aot" ]; then
  # shellcheck disable=SC2046
  read -r aw ac < <(oneshot "$aot" $(args_for ec 1))
  printf '%-12s %10s %10s %8s\n' cmpkit-aot "$aw" "$ac" "$(ratio "$ow" "$aw")"
fi
