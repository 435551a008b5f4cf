# SPDX-License-Identifier: Apache-2.0
"""Helpers of bench/taxii that speak TAXII or read its results.

  probe.py walk BASE TOKEN COLL AFTER_FILE    every 100th date_added
  probe.py check BASE TOKEN COLL AFTER_FILE N spot-check N random pages
  probe.py envelope TAG N                     an envelope of N indicators
  probe.py profile SYMBOLS                    perf script on stdin
  probe.py summary RESULTS OBJECTS            the table against the goals
"""
import collections
import json
import random
import sys
import time
import urllib.error
import urllib.request

MEDIA = "application/taxii+json;version=2.1"
PAGE = 100


def get(base, token, path):
    req = urllib.request.Request(base + path, headers={
        "Accept": MEDIA, "Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, None


def walk(base, token, coll, after_file):
    """Pages through the manifest 1,000 records at a time and keeps the
    date_added of every 100th record that has 100 more after it: each is
    the added_after of a page of 100 from its own part of the collection."""
    path = f"/api/collections/{coll}/manifest/?limit=1000"
    dates, pages, nxt = [], 0, None
    start = time.monotonic()
    while True:
        status, doc = get(base, token, path + (f"&next={nxt}" if nxt else ""))
        if status != 200:
            sys.exit(f"walk: manifest page {pages + 1} answered {status}")
        pages += 1
        dates += [r["date_added"] for r in doc.get("objects", [])]
        if not doc.get("more"):
            break
        nxt = doc["next"]
    seconds = time.monotonic() - start
    keep = dates[0:max(len(dates) - PAGE, 0):PAGE]
    with open(after_file, "w") as f:
        f.write("".join(d + "\n" for d in keep))
    print(f"records={len(dates)} pages={pages} seconds={seconds:.2f} "
          f"starts={len(keep)}")


def check(base, token, coll, after_file, samples):
    """Pages from random starts must hold 100 distinct items, in
    date_added order, with more to come: what the load runs ask for."""
    starts = [line.strip() for line in open(after_file) if line.strip()]
    bad = 0
    for listing in ("objects", "manifest"):
        for after in random.sample(starts, min(samples, len(starts))):
            status, doc = get(base, token, f"/api/collections/{coll}/"
                              f"{listing}/?limit={PAGE}&added_after={after}")
            items = (doc or {}).get("objects", [])
            ids = {o.get("id") for o in items}
            added = [o.get("date_added") for o in items]
            ok = (status == 200 and len(items) == PAGE and
                  len(ids) == PAGE and doc.get("more") is True and
                  (listing == "objects" or
                   (added == sorted(added) and added[0] > after)))
            if not ok:
                bad += 1
                print(f"check: {listing} after {after}: status {status}, "
                      f"{len(items)} items", file=sys.stderr)
    print(f"checked={2 * min(samples, len(starts))} bad={bad}")
    sys.exit(1 if bad else 0)


def envelope(tag, n):
    """The same indicators as taxii.d/post.lua sends, for a single POST."""
    objs = []
    for i in range(1, n + 1):
        c = f"{i:018x}"
        objs.append({
            "type": "indicator", "spec_version": "2.1",
            "id": f"indicator--{tag}-ffff-4{c[0:3]}-8{c[3:6]}-{c[6:18]}",
            "created": "2025-01-01T00:00:00.000Z",
            "modified": "2025-01-01T00:00:00.000Z",
            "name": f"posted indicator {i}",
            "indicator_types": ["malicious-activity"],
            "pattern": f"[ipv4-addr:value = '172.{16 + i % 16}."
                       f"{i // 256 % 256}.{i % 256}']",
            "pattern_type": "stix", "valid_from": "2025-01-01T00:00:00Z",
            "labels": ["bench"], "confidence": i % 101,
        })
    json.dump({"objects": objs}, sys.stdout, separators=(",", ":"))


def read_stacks(f):
    """perf script -F comm,tid,ip,sym: a header line, then one frame a
    line from the leaf outwards, then a blank line."""
    stack = []
    for line in f:
        if not line.strip():
            if stack:
                yield stack
            stack = []
        elif line[0] in " \t":
            parts = line.split(None, 1)
            name = parts[1].strip() if len(parts) > 1 else "?"
            stack.append(name.split("+0x")[0])
        else:
            stack = []
    if stack:
        yield stack


def profile(symbols_file):
    """Charges each sample to the innermost function of the server's own
    code on its stack (with what it called in SQLite, libc, the kernel),
    and names the library function the sample was in."""
    own = {s.strip() for s in open(symbols_file) if s.strip()}
    owner = collections.Counter()
    leaf = collections.Counter()
    total = 0
    for stack in read_stacks(sys.stdin):
        total += 1
        who = next((f for f in stack if f in own), "(outside fusion)")
        owner[who] += 1
        if who != stack[0]:
            leaf[(who, stack[0])] += 1
    if not total:
        print("no samples")
        return
    print(f"{total} samples; by the innermost fusion function:")
    for name, n in owner.most_common(20):
        print(f"  {100 * n / total:5.1f}%  {name}")
    print("hottest library code, by the fusion function that called it:")
    for (who, name), n in leaf.most_common(20):
        print(f"  {100 * n / total:5.1f}%  {name}  <- {who}")


def summary(results_file, objects):
    runs = {}
    for line in open(results_file):
        fields = dict(kv.split("=", 1) for kv in line.split())
        runs[fields["run"]] = fields
    print(f"\n{'run':<10} {'req/s':>9} {'items/s':>10} {'p50 ms':>8} "
          f"{'p99 ms':>8} {'non-2xx':>7} {'errors':>6}  "
          f"{'cpu srv/wrk/other':>17} {'srv us/req':>10}  {'RSS MB':>7} "
          f"{'peak MB':>7}")
    for name in ("objects", "manifest", "discovery", "post"):
        r = runs.get(name)
        if not r:
            continue
        per = {"objects": 100, "manifest": 100, "post": 1000}.get(name)
        items = f"{float(r['rps']) * per:10,.0f}" if per else f"{'':>10}"
        cpu = f"{r['srv_cpu']}/{r['wrk_cpu']}/{r['other_cpu']}%"
        # the server's CPU per request it finished (POST: per 1,000 stored)
        rate = (float(r["stored_per_s"]) / 1000 if name == "post"
                else float(r["rps"]))
        us = int(r["srv_cpu"]) / 100 / rate * 1e6 if rate else 0
        print(f"{name:<10} {float(r['rps']):9,.0f} {items} "
              f"{int(r['p50_us']) / 1000:8.1f} {int(r['p99_us']) / 1000:8.1f} "
              f"{r['non2xx']:>7} {r['errors']:>6}  {cpu:>17} {us:10,.0f}  "
              f"{int(r['rss_kb']) / 1024:7.1f} {int(r['hwm_kb']) / 1024:7.1f}")
    print("cpu: percent of one core, of the server, of wrk and of other "
          "processes on the machine")
    if "post" in runs:
        print(f"post: the server stored "
              f"{float(runs['post']['stored_per_s']):,.0f} objects/s during "
              f"the run by its own count")
    peak = max(int(r["hwm_kb"]) for r in runs.values()) / 1024
    goals = []
    if "objects" in runs:
        v = float(runs["objects"]["rps"])
        goals.append(("GET objects, pages of 100/s", ">= 5,000",
                      f"{v:,.0f}", v >= 5000))
    if "post" in runs:
        v = float(runs["post"]["rps"]) * 1000
        goals.append(("POST, objects/s", ">= 20,000", f"{v:,.0f}",
                      v >= 20000))
    rss_goal = objects >= 1000000
    goals.append((f"server peak RSS, {objects:,} objects", "< 100 MB at 1M",
                  f"{peak:.1f} MB", peak < 100 if rss_goal else None))
    print("\ngoal (2 cores, server and wrk on the same machine)")
    for what, goal, got, ok in goals:
        verdict = {True: "met", False: "MISSED", None: "n/a below 1M"}[ok]
        print(f"  {what:<36} {goal:>15} {got:>12}  {verdict}")


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "walk" and len(argv) == 6:
        walk(*argv[2:6])
    elif cmd == "check" and len(argv) == 7:
        check(*argv[2:6], int(argv[6]))
    elif cmd == "envelope" and len(argv) == 4:
        envelope(argv[2], int(argv[3]))
    elif cmd == "profile" and len(argv) == 3:
        profile(argv[2])
    elif cmd == "summary" and len(argv) == 4:
        summary(argv[2], int(argv[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
