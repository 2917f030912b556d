#!/usr/bin/env bash
# Fuzzes one CmpKit target with AFL++ and SharpFuzz for SECONDS, then prints the figures.
#
#   fuzz/run.sh TARGET SECONDS        TARGET: decode | client | server
#
# Works on a fresh machine with the .NET SDK: installs afl++ (apt-get) and the SharpFuzz
# instrumentation tool (into fuzz/.tools) when missing, builds the harness, instruments CmpKit,
# CmpKit.Server and BouncyCastle's ASN.1 namespaces, seeds the corpus from ../shared (vectors and
# OpenSSL's unit-test messages, copied into the work folder, never into the repository) and runs
# afl-fuzz niced (the machine is shared). Work folder: $CMPKIT_FUZZ_WORK (default
# /tmp/cmpkit-fuzz)/TARGET; findings land in its out/default/crashes and out/default/hangs;
# replay one with: dotnet WORK/bin/CmpKit.Fuzz.dll TARGET --replay FILE
set -euo pipefail

target=${1:?usage: fuzz/run.sh decode|client|server SECONDS}
seconds=${2:?usage: fuzz/run.sh decode|client|server SECONDS}
case "$target" in decode|client|server) ;; *) echo "unknown target: $target" >&2; exit 2 ;; esac

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
shared=${CMPKIT_SHARED_DIR:-$repo/../shared}
base=${CMPKIT_FUZZ_WORK:-/tmp/cmpkit-fuzz}
work=$base/$target
mkdir -p "$base"

# 1. tools
if ! command -v afl-fuzz >/dev/null; then
    echo "installing afl++" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq afl++ >/dev/null
fi
if [ ! -x "$here/.tools/sharpfuzz" ]; then
    dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$here/.tools" >/dev/null
fi

# 2. build and instrument (one build at a time: the targets share obj/)
rm -rf "$work/bin"
mkdir -p "$work"
flock "$base/build.lock" dotnet build "$here/CmpKit.Fuzz/CmpKit.Fuzz.csproj" -c Release -o "$work/bin" -v quiet -nologo >/dev/null
for dll in CmpKit.dll CmpKit.Server.dll; do
    "$here/.tools/sharpfuzz" "$work/bin/$dll" >/dev/null
done
# Only the ASN.1 parsers of BouncyCastle: the rest (crypto engines) would crowd the 64 KiB coverage map.
"$here/.tools/sharpfuzz" "$work/bin/BouncyCastle.Cryptography.dll" Org.BouncyCastle.Asn1 >/dev/null

# 3. seeds: every DER message in the shared vectors and OpenSSL's unit data (at most 16 KiB each)
if [ ! -d "$work/out/default/queue" ]; then
    rm -rf "$work/in" && mkdir -p "$work/in"
    n=0
    while IFS= read -r -d '' f; do
        [ "$(head -c1 "$f" | od -An -tx1 | tr -d ' ')" = 30 ] || continue
        [ "$(stat -c %s "$f")" -le 16384 ] || continue
        n=$((n + 1))
        case "$target" in
            decode) cp "$f" "$work/in/seed$n" ;;
            # first byte: the mode (see FuzzTargets.ClientResponse / ServerRequest)
            client) for m in 00 04 05 06; do { printf "\\x$m"; cat "$f"; } > "$work/in/seed$n-$m"; done ;;
            server) for m in 00 01; do { printf "\\x$m"; cat "$f"; } > "$work/in/seed$n-$m"; done ;;
        esac
    done < <(find "$shared/vectors" "$shared/openssl-cmp-unit-data" -type f \
                \( -name '*.der' -o -name '*.bin' -o -name '*.PKI' -o -name '*.pkimessage' \) -print0 | sort -z)
    echo "seeds: $(ls "$work/in" | wc -l) files from $n messages" >&2
    input=(-i "$work/in")
else
    input=(-i -)   # resume
fi

# 4. fuzz
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1
export AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_AUTORESUME=1
start=$(date +%s)
nice -n 15 afl-fuzz "${input[@]}" -o "$work/out" -t 10000 -m none -V "$seconds" \
    -- dotnet "$work/bin/CmpKit.Fuzz.dll" "$target" > "$work/afl.log" 2>&1 || {
    echo "afl-fuzz failed; last lines of $work/afl.log:" >&2; tail -20 "$work/afl.log" >&2; exit 1; }
end=$(date +%s)

# 5. figures
stats=$work/out/default/fuzzer_stats
get() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
echo "target=$target seconds=$((end - start)) execs=$(get execs_done) execs_per_sec=$(get execs_per_sec)" \
     "corpus=$(get corpus_count) edges=$(get edges_found) crashes=$(get saved_crashes) hangs=$(get saved_hangs)" \
     "machine=\"$(nproc) cores, $(uname -srm)\""
