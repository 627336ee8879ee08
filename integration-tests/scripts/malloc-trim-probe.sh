#!/usr/bin/env bash
# Reloads the bundled model N times on a running quickstart node (./quickstart --keep-running), with
# encoding between reloads, printing the node's anonymous memory after each; then calls glibc's
# malloc_trim(0) in the node through gdb and prints it again. Run as root (reads the node's /proc and
# attaches gdb). Usage: integration-tests/scripts/malloc-trim-probe.sh URL [N]
set -euo pipefail
url=$1; n=${2:-12}
pid=$(pgrep -u dense-es -f org.elasticsearch.bootstrap.Elasticsearch | head -1)
manifest=$(find /tmp/dense-retrieval-quickstart -path '*models/bge-small-en-v1.5/model.json' | head -1)
anon() { awk '/RssAnon/ {print int($2 / 1024)}' "/proc/$pid/status"; }
texts=$(python3 -c "import json; print(json.dumps({'texts': [('passage %d about heart disease, statins and stroke risk ' % i) * (1 + i % 6) for i in range(64)], 'role': 'passage'}))")
load() { for _ in 1 2 3; do curl -s -XPOST "$url/_dense/models/bge-small-en-v1.5/_encode" -H 'Content-Type: application/json' -d "$texts" >/dev/null; done; }
load; echo "before: $(anon) MiB"
for r in $(seq 1 "$n"); do
  touch "$manifest"
  curl -s -XPOST "$url/_dense/models/_reload" >/dev/null
  load; sleep 1
  echo "reload $r: $(anon) MiB"
done
gdb -p "$pid" -batch -ex 'call (int)malloc_trim(0)' >/dev/null 2>&1
sleep 1; echo "after malloc_trim(0): $(anon) MiB"
