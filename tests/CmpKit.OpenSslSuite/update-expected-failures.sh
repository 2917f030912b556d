#!/usr/bin/env bash
# Re-measures the rows of OpenSSL's CMP suite that fail for each client-server combination with
# cmpkit in it, and rewrites expected-failures.txt from the runner's FAIL lines (keeping the
# header). Run after a change that makes rows pass or fail, review the diff, commit both.
#   bash tests/CmpKit.OpenSslSuite/update-expected-failures.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
list="$here/expected-failures.txt"
cd "$root"
dotnet build CmpKit.slnx -c Release -nologo -v q >/dev/null
tmp="$(mktemp)"
sed -n '/^#/p;/^$/q' "$list" > "$tmp"
for combo in cmpkit-openssl openssl-cmpkit cmpkit-cmpkit; do
  client="${combo%-*}"; server="${combo#*-}"
  echo >> "$tmp"
  echo "# $client client against $server server (measured $(date -u +%F) with $(openssl version | cut -d' ' -f1-2))" >> "$tmp"
  out="$(dotnet run --no-build --project tests/CmpKit.OpenSslSuite -c Release -- --client "$client" --server "$server" || true)"
  printf '%s\n' "$out" | grep '^openssl-suite' >&2
  printf '%s\n' "$out" | sed -nE "s/^FAIL ([a-z_]+:[0-9]+) (.*): expected (success|failure), (.*)$/$combo \1 \2  # \4/p" \
    | cut -c1-300 >> "$tmp"
done
mv "$tmp" "$list"
echo "rewrote $list" >&2
