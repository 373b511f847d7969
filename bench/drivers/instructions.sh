#!/bin/sh
# Instructions each SQLite driver spends on the same work (sqlite_drivers.mjs, one process per
# driver, one rep), counted by callgrind: repeatable whatever else the machine runs, unlike time.
#   bench/drivers/instructions.sh [points]
set -eu
cd "$(dirname "$0")/../.."
points="${1:-200000}"
for driver in better-sqlite3 node:sqlite; do
  out="$(mktemp)"
  valgrind --tool=callgrind --callgrind-out-file=/dev/null node bench/drivers/sqlite_drivers.mjs \
    --points "$points" --reps 1 --only "$driver" >/dev/null 2>"$out" || { cat "$out" >&2; exit 1; }
  total="$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out")"
  echo "{\"driver\": \"$driver\", \"points\": $points, \"instructions\": $total, \"per_point\": $((total / points))}"
  rm -f "$out"
done
