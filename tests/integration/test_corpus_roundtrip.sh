#!/usr/bin/env bash
# Ingests every STIX 2.0 and 2.1 file of the shared corpus, exports it
# all, checks every exported object against the OASIS schemas, and
# round-trips: the export ingested into a fresh store exports the same.
set -euo pipefail
fusion=$1
root=${FUSION_SOURCE_ROOT:?}
corpus=$root/../shared/corpus
here=$(cd "$(dirname "$0")" && pwd)
for d in stix21 stix20 schemas/oasis-stix2.1; do
    if [ ! -d "$corpus/$d" ]; then
        echo "skipped: corpus folder $corpus/$d is absent"
        exit 77
    fi
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$fusion" --db "$tmp/a.db" init >/dev/null
set +e
"$fusion" --db "$tmp/a.db" --json ingest "$corpus/stix21" "$corpus/stix20" \
    >"$tmp/ingest.jsonl" 2>"$tmp/ingest.err"
status=$?
set -e

# Only files that are not STIX at all may fail, and each with a reason.
/usr/bin/python3 - "$tmp/ingest.jsonl" <<'PY'
import json, sys
allowed = ("stix21/attack/index.json", "stix20/unit42-reports/reports.json")
files = [json.loads(l) for l in open(sys.argv[1])]
failed = [f for f in files if not f["ok"]]
bad = [f for f in failed if not f["file"].endswith(allowed)]
total = {k: sum(f[k] for f in files if f["ok"])
         for k in ("objects", "new_objects", "new_versions", "duplicates",
                   "rejected", "upgraded")}
print(f"{len(files)} files, {len(failed)} failed: {total}")
for f in failed:
    print("  failed:", f["file"], "-", f.get("error"))
if bad or not files or total["new_objects"] < 10000:
    sys.exit(1)
PY
if [ "$status" -ne 0 ] && [ "$status" -ne 3 ]; then
    echo "ingest exited $status"; cat "$tmp/ingest.err"; exit 1
fi

"$fusion" --db "$tmp/a.db" export --output "$tmp/a.json" 2>/dev/null
/usr/bin/python3 "$here/stix_schema_check.py" \
    "$corpus/schemas/oasis-stix2.1" "$tmp/a.json"

"$fusion" --db "$tmp/b.db" init >/dev/null
"$fusion" --db "$tmp/b.db" ingest --strict "$tmp/a.json" >/dev/null
"$fusion" --db "$tmp/b.db" export --output "$tmp/b.json" 2>/dev/null
/usr/bin/python3 "$here/stix_schema_check.py" --same "$tmp/a.json" "$tmp/b.json"
echo "round trip ok"
