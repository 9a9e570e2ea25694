#!/usr/bin/env bash
# cg.sh BIN LABEL [N] [BODY]: gridhub under callgrind (1 worker), 30 warm-up requests, then N counted console requests
set -euo pipefail
BIN=$1; LABEL=$2; N=${3:-100}; BODYF=${4:-/work/perf-tools/console.json}
cd /work/perf-tools; source env.sh
OUTD=/work/perf-tools/cg; mkdir -p $OUTD
GRIDHUB_WORKERS=1 nice -n 15 valgrind --tool=callgrind --callgrind-out-file=$OUTD/$LABEL.%p.out "$BIN" serve > $OUTD/$LABEL.log 2>&1 &
VPID=$!
for _ in $(seq 600); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.5; done
source bodies.sh
TOKEN=${!TOKEN_VAR:-$WORKER}
for i in $(seq 30); do curl -s -o /dev/null $GH -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" -d @$BODYF; done
curl -s $GH -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" -d @$BODYF > $OUTD/$LABEL.response
callgrind_control -z $VPID >/dev/null
URLS=$(for i in $(seq $N); do printf '%s ' "$GH"; done)
# one curl, one keep-alive connection, N requests (as wrk sends them)
curl -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" -d @$BODYF $URLS | sort | uniq -c
callgrind_control -d $VPID >/dev/null
sleep 1
kill $VPID; wait $VPID 2>/dev/null || true
F=$(ls $OUTD/$LABEL.*.out.1 | tail -1)
TOTAL=$(callgrind_annotate $F 2>/dev/null | awk '/PROGRAM TOTALS/{gsub(",","",$1); print $1}')
echo "$LABEL: total Ir $TOTAL over $N requests = $((TOTAL / N)) per request ($F)"
