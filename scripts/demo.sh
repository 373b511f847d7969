#!/usr/bin/env bash
# `make demo` after the build: start the telemetry processor, run the quickstart's training code against
# it, show what arrived, then keep serving until Ctrl-C.
#
# Environment: PORT (8080), PY (.venv/bin/python), LENS_DATABASE_URL (server default when unset),
# DEMO_DIR (data/demo: the server log and the offline wandb files).
# The server runs in a session of its own so that Ctrl-C reaches only this script, which then
# stops the server with SIGTERM (a clean drain) instead of it dying mid-write.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${PORT:-8080}"
PY="${PY:-.venv/bin/python}"
BASE="http://localhost:${PORT}"
LOG_DIR="${DEMO_DIR:-data/demo}"
mkdir -p "$LOG_DIR"
SERVER_LOG="$LOG_DIR/server.log"

if curl -s -o /dev/null --max-time 2 "$BASE/healthz"; then
  echo "Something already answers on port $PORT (an earlier 'make demo' or 'make serve'?)." >&2
  echo "Stop it, or run: make demo PORT=8081" >&2
  exit 1
fi

echo "==> starting the telemetry processor on :$PORT (log: $SERVER_LOG)"
PORT="$PORT" setsid node server/dist/src/main.js >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
echo "$SERVER_PID" >"$LOG_DIR/server.pid"

stop_server() {
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
}
trap stop_server EXIT
trap 'echo; echo "==> stopping the server"; exit 0' INT TERM

ready=0
for _ in $(seq 1 150); do
  if curl -sf -o /dev/null --max-time 1 "$BASE/readyz"; then ready=1; break; fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
  sleep 0.2
done
if [ "$ready" != 1 ]; then
  echo "The server did not become ready within 30 s. Its log:" >&2
  tail -n 40 "$SERVER_LOG" >&2
  exit 1
fi

echo "==> running examples/quickstart.py (wandb offline, the quickstart's environment)"
echo
# The environment of docs/quickstart.md. The spool is the demo's own: batches other jobs on this
# machine left in the default spool would otherwise be replayed here and counted in the stats.
env -u FRAMEWORK -u PRIMUS_LENS_WANDB_HOOK -u PRIMUS_LENS_WANDB_QUIET \
  WORKLOAD_UID="my-workload-123" \
  POD_UID="my-pod-456" \
  PRIMUS_CONFIG="/config/primus.yaml" \
  PRIMUS_VERSION="1.2.3" \
  PRIMUS_LENS_API_BASE_URL="$BASE/api/v1" \
  WANDB_MODE=offline \
  WANDB_SILENT=true \
  WANDB_DIR="$LOG_DIR" \
  PRIMUS_LENS_WANDB_SPOOL_DIR="$LOG_DIR/spool" \
  "$PY" examples/quickstart.py
echo

echo "==> the telemetry processor's log (grep WandB; the full JSON lines are in $SERVER_LOG)"
grep WandB "$SERVER_LOG" | tail -n 10 | "$PY" -c '
import json, sys
for line in sys.stdin:
    try:
        print(json.loads(line)["msg"])
    except (ValueError, KeyError, TypeError):
        print(line.rstrip())
' || echo "(no WandB lines in $SERVER_LOG)"
echo

echo "==> what the API has now"
"$PY" examples/show_result.py --base-url "$BASE/api/v1" --workload my-workload-123
echo
echo "Dashboard:  $BASE/"
echo "API:        $BASE/api/v1/openapi.json"
echo "The server keeps running; press Ctrl-C to stop it."

# `wait` returns when a signal arrives, so the INT trap runs at once.
wait "$SERVER_PID" || true
echo "The server exited on its own; its log is $SERVER_LOG" >&2
exit 1
