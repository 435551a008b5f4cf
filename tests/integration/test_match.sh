#!/usr/bin/env bash
# fusion pattern and fusion match as a user meets them: checks and
# explanations, hits printed and kept as sightings, bad lines and bad
# patterns reported without stopping the rest, revocations taken up.
set -uo pipefail
fusion=$1
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
. "$here/lib.sh"

# fusion pattern
check "pattern check valid" 0 "$fusion" pattern check "[ipv4-addr:value = '198.51.100.1']"
expect_in "pattern check valid" out.txt "valid: [ipv4-addr:value = '198.51.100.1']"
check "pattern check syntax" 3 "$fusion" pattern check "[file:name = 'a' AND]"
expect_in "pattern check syntax" err.txt "at byte 20"
expect_in "pattern check syntax" err.txt "^"
check "pattern check semantic" 3 "$fusion" pattern check "[file:hashes.MD5 = 'abc']"
expect_in "pattern check semantic" err.txt "hash"
check "pattern check json" 3 "$fusion" --json pattern check "[x:y = ]"
expect_in "pattern check json" out.txt '"valid":false'
check "pattern check stdin" 0 "$fusion" pattern check - <<<"[domain-name:value = 'example.com']"
check "pattern check 2.0" 0 "$fusion" pattern check --stix20 \
    "[file:name = 'a'] START '2016-01-01T00:00:00Z' STOP '2017-01-01T00:00:00Z'"
expect_in "pattern check 2.0" out.txt "START t'2016-01-01T00:00:00Z'"
check "pattern explain" 0 "$fusion" pattern explain \
    "([file:name = 'a'] FOLLOWEDBY [url:value = 'http://x.example/']) WITHIN 60 SECONDS"
expect_in "pattern explain" out.txt "FOLLOWEDBY  WITHIN 60 SECONDS"
expect_in "pattern explain" out.txt "[ ] observation 1"
expect_in "pattern explain" out.txt "url:value = 'http://x.example/'"
check "pattern explain json" 0 "$fusion" --json pattern explain "[file:size > 5]"
expect_in "pattern explain json" out.txt '"operator":">"'
check "pattern unknown" 2 "$fusion" pattern frob "[a:b = 1]"
check "pattern explain invalid" 3 "$fusion" pattern explain "[file:hashes.MD5 = 'a']"
expect_in "pattern explain invalid" err.txt "error: hash value"
expect_in "pattern explain invalid" out.txt "file:hashes.MD5 = 'a'"
check "pattern explain json invalid" 3 "$fusion" --json pattern explain "[file:name MATCHES '(']"
expect_in "pattern explain json invalid" out.txt '"valid":false'
# a digest in capitals is the same digest
check "pattern check digest" 0 "$fusion" pattern check "[file:hashes.'SHA-256' = '275A021BBFB6489E54D471899F7DB9D1663FC695EC2FE2A2C4538AABF651FD0F']"

# indicators: simple, two observations, one beyond what the matcher
# evaluates
ind() { # id digit, pattern (JSON-escaped), extra members
    printf '{"type":"indicator","spec_version":"2.1","id":"indicator--0000000%s-1111-4111-8111-111111111111","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","pattern":"%s","pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z"%s}\n' "$1" "$2" "${3:-}"
}
export FUSION_DB=$tmp/t.db
check "init" 0 "$fusion" init --no-tls
{
    ind 1 "[ipv4-addr:value = '198.51.100.1']"
    ind 2 "[domain-name:value = 'evil.example']"
    ind 3 "[domain-name:value = 'first.example'] FOLLOWEDBY [url:value = 'http://second.example/x']"
    ind 4 "[file:name = 'a'] REPEATS 65 TIMES"
    ind 5 "[ipv4-addr:value = '203.0.113.9']" ',"valid_until":"2021-01-01T00:00:00Z"'
} >ind.jsonl
check "ingest indicators" 0 "$fusion" ingest --warnings ind.jsonl
expect_in "ingest warns on a pattern not evaluated" err.txt "Fusion does not evaluate it"
ind 6 "[file:name MATCHES '(unclosed']" >bad-regex.jsonl
check "ingest bad regex" 0 "$fusion" ingest bad-regex.jsonl
expect_in "ingest bad regex" err.txt "does not compile"
check "pattern check bad regex" 3 "$fusion" pattern check "[file:name MATCHES '(']"
check "pattern check bad cidr" 3 "$fusion" pattern check "[ipv4-addr:value ISSUBSET '10.0.0.0/33']"
check "pattern check not evaluated" 0 "$fusion" pattern check "[file:name = 'a'] REPEATS 65 TIMES"
expect_in "pattern check not evaluated" err.txt "warning"
printf "[file:name = 'a\0b']" >nul.txt
check "pattern check NUL" 3 "$fusion" pattern check - <nul.txt
expect_in "pattern check NUL" err.txt "NUL character at byte 15"

cat >events.jsonl <<'EOF'
{"ts":1709287200.5,"uid":"C1","id.orig_h":"10.0.0.5","id.orig_p":50000,"id.resp_h":"198.51.100.1","id.resp_p":443,"proto":"tcp"}
{"timestamp":"2024-03-01T10:00:01.000000+0000","event_type":"dns","src_ip":"10.0.0.5","src_port":53000,"dest_ip":"10.0.0.1","dest_port":53,"proto":"UDP","dns":{"type":"query","rrname":"evil.example","rrtype":"A"}}
{this is not json
{"type":"domain-name","spec_version":"2.1","id":"domain-name--2f3c1b6a-0d9e-5e4f-9a41-4c2b1f0e8d7a","value":"unrelated.example"}
{"timestamp":"2024-03-01T10:00:02.000000+0000","event_type":"dns","src_ip":"10.0.0.5","src_port":53001,"dest_ip":"10.0.0.1","dest_port":53,"proto":"UDP","dns":{"type":"query","rrname":"first.example","rrtype":"A"}}
{"timestamp":"2024-03-01T10:00:03.000000+0000","event_type":"http","src_ip":"10.0.0.5","src_port":50001,"dest_ip":"192.0.2.80","dest_port":80,"proto":"TCP","http":{"hostname":"second.example","url":"/x","http_method":"GET"}}
{"ts":1709287204.0,"uid":"C2","id.orig_h":"10.0.0.5","id.orig_p":50002,"id.resp_h":"203.0.113.9","id.resp_p":443,"proto":"tcp"}
EOF
check "match" 3 "$fusion" match events.jsonl
expect_lines "match hits" out.txt 3
expect_in "match hit simple" out.txt '"indicator_id":"indicator--00000001-1111-4111-8111-111111111111"'
expect_in "match hit suricata" out.txt '"indicator_id":"indicator--00000002-1111-4111-8111-111111111111"'
expect_in "match hit followedby" out.txt '"indicator_id":"indicator--00000003-1111-4111-8111-111111111111"'
expect_in "match hit line" out.txt '"line":6'
expect_in "match bad line" err.txt "events.jsonl:3: byte"
expect_in "match bad pattern" err.txt "indicator--00000004-1111-4111-8111-111111111111"
expect_in "match summary" err.txt "6 events"
if grep -q 'indicator--00000005' out.txt; then
    echo "FAIL: an expired indicator fired"
    failures=$((failures + 1))
fi

# the sightings are stored; the same events again are repeats, a new
# event counts on
check "sightings stored" 0 "$fusion" --json search --type sighting
expect_lines "sightings stored" out.txt 3
check "match again" 3 "$fusion" match events.jsonl
expect_lines "match again hits" out.txt 3
expect_in "same events again" out.txt '"count":1'
expect_in "same events again" out.txt '"repeat":true'
check "sighting versions" 0 "$fusion" search --type sighting --all-versions --json
expect_lines "sighting versions unchanged" out.txt 3
cat >later.jsonl <<'EOF'
{"ts":1709290800.0,"uid":"C9","id.orig_h":"10.0.0.6","id.orig_p":50100,"id.resp_h":"198.51.100.1","id.resp_p":443,"proto":"tcp"}
EOF
check "match a new event" 0 "$fusion" match later.jsonl
expect_in "count grows" out.txt '"count":2'
expect_in "count grows" out.txt '"repeat":false'
expect_in "last_seen widens" out.txt '"last_seen":"2024-03-01T11:00:00.000000Z"'
check "sighting versions" 0 "$fusion" search --type sighting --all-versions --json
expect_lines "sighting versions" out.txt 4
check "observed data stored" 0 "$fusion" --json search --type observed-data
[ "$(grep -c . out.txt)" -ge 4 ] ||
    { echo "FAIL: observed-data of the hits not stored"; failures=$((failures + 1)); }

# an event that is not valid STIX: its hit is printed, reported and not
# recorded; nothing of it is stored
echo '{"type":"ipv4-addr","spec_version":"2.1","value":"198.51.100.1","resolves_to_refs":["bogus"]}' >invalid-sco.jsonl
check "invalid event" 3 "$fusion" match invalid-sco.jsonl
expect_in "invalid event" err.txt "invalid-sco.jsonl:1: event is not valid STIX"
expect_in "invalid event" err.txt "resolves_to_refs[0]"
expect_in "invalid event" err.txt "1 hits of events that are not valid STIX"
expect_lines "invalid event hit printed" out.txt 1
expect_in "invalid event hit printed" out.txt '"recorded":false'
check "invalid event not stored" 0 "$fusion" search --type sighting --all-versions --json
expect_lines "invalid event not stored" out.txt 4

# a domain-name stored before with other properties keeps its version
# and is no refusal
echo '{"timestamp":"2024-03-01T12:00:00.000000+0000","event_type":"dns","src_ip":"10.0.0.5","src_port":53002,"dest_ip":"10.0.0.1","dest_port":53,"proto":"UDP","dns":{"type":"answer","rrname":"evil.example","rrtype":"A","answers":[{"rrname":"evil.example","rrtype":"A","rdata":"192.0.2.55"}]}}' >answer.jsonl
check "dns answer, domain stored before" 0 "$fusion" match answer.jsonl
expect_in "dns answer, domain stored before" out.txt '"count":2'

# more hits than a sighting lists: a second run still counts none again
for i in $(seq 100 249); do
    printf '{"ts":%s.0,"uid":"R%s","id.orig_h":"10.0.1.%s","id.orig_p":50000,"id.resp_h":"192.0.2.200","id.resp_p":443,"proto":"tcp"}\n' \
        "$((1709300000 + i))" "$i" "$((i - 99))"
done >many.jsonl
ind 7 "[ipv4-addr:value = '192.0.2.200']" >ind7.jsonl
check "ingest indicator 7" 0 "$fusion" ingest ind7.jsonl
check "many hits" 0 "$fusion" match many.jsonl
expect_in "many hits" out.txt '"count":150'
check "many hits again" 0 "$fusion" match many.jsonl
if grep -q '"repeat":false' out.txt; then
    echo "FAIL: a second run counted hits again"
    failures=$((failures + 1))
fi
expect_in "many hits again" out.txt '"count":150'

# a bare SCO has the time it is read: sent again later it counts again
echo '{"type":"ipv4-addr","spec_version":"2.1","value":"192.0.2.200"}' >bare.jsonl
check "bare SCO" 0 "$fusion" match bare.jsonl
expect_in "bare SCO" out.txt '"count":151'
check "bare SCO again" 0 "$fusion" match bare.jsonl
expect_in "bare SCO again" out.txt '"count":152'

# a byte order mark first is passed over; a time past 2262 is refused
printf '\xef\xbb\xbf{"ts":1709300000.0,"uid":"B1","id.orig_h":"10.0.0.1","id.orig_p":5000,"id.resp_h":"192.0.2.200","id.resp_p":443,"proto":"tcp"}\n{"ts":1e10,"uid":"B2","id.orig_h":"10.0.0.1","id.orig_p":5000,"id.resp_h":"192.0.2.200","id.resp_p":443,"proto":"tcp"}\n' >bom.jsonl
check "byte order mark" 3 "$fusion" match --no-store bom.jsonl
expect_lines "byte order mark" out.txt 1
expect_in "time out of range" err.txt "bom.jsonl:2:"

# an unreadable input is reported and skipped, the others matched
check "unreadable input" 1 "$fusion" match --no-store nosuch.jsonl bare.jsonl
expect_in "unreadable input" err.txt "cannot open 'nosuch.jsonl'"
expect_lines "unreadable input, the rest matched" out.txt 1

# --no-store writes nothing
before=$("$fusion" --json stats)
check "no-store" 3 "$fusion" match --no-store events.jsonl
expect_lines "no-store hits" out.txt 3
[ "$("$fusion" --json stats)" = "$before" ] ||
    { echo "FAIL: --no-store changed the store"; failures=$((failures + 1)); }

# a revocation is taken up: the revoked indicator no longer fires
printf '{"type":"indicator","spec_version":"2.1","id":"indicator--00000001-1111-4111-8111-111111111111","created":"2020-01-01T00:00:00.000Z","modified":"2020-02-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '"'"'198.51.100.1'"'"']","pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z","revoked":true}\n' >rev.jsonl
check "ingest revocation" 0 "$fusion" ingest rev.jsonl
check "match after revocation" 0 "$fusion" match --no-store --format zeek <(head -1 events.jsonl)
expect_lines "revoked does not fire" out.txt 0
check "match format mismatch" 3 "$fusion" match --no-store --format suricata <(head -1 events.jsonl)
check "match bad format" 2 "$fusion" match --format frob events.jsonl
check "match missing file" 1 "$fusion" match --no-store nosuch.jsonl

# --follow: a change of the store meets the next event, even after a
# quiet spell
mkfifo events.fifo
"$fusion" match --no-store --follow 1 events.fifo >follow.out 2>follow.err &
matcher=$!
exec 3>events.fifo
sleep 0.5
ind 8 "[ipv4-addr:value = '192.0.2.88']" >ind8.jsonl
check "ingest while following" 0 "$fusion" ingest ind8.jsonl
sleep 1.5
echo '{"ts":1709400000.0,"uid":"F1","id.orig_h":"10.0.0.9","id.orig_p":50000,"id.resp_h":"192.0.2.88","id.resp_p":443,"proto":"tcp"}' >&3
exec 3>&-
wait "$matcher"
expect_in "follow takes up a new indicator" follow.out "indicator--00000008-1111-4111-8111-111111111111"

# a quiet stream: the hit is printed and its sighting stored within a
# second or two, not only when the next event comes; SIGTERM ends the run
# as the end of input would, storing what is pending
ind 9 "[ipv4-addr:value = '192.0.2.77']" >ind9.jsonl
check "ingest indicator 9" 0 "$fusion" ingest ind9.jsonl
mkfifo live.fifo
"$fusion" match --follow 0 live.fifo >live.out 2>live.err &
matcher=$!
exec 4>live.fifo
echo '{"ts":1709500000.0,"uid":"L1","id.orig_h":"10.0.0.7","id.orig_p":50000,"id.resp_h":"192.0.2.77","id.resp_p":443,"proto":"tcp"}' >&4
sleep 2.5
expect_lines "hit printed while the stream is quiet" live.out 1
check "sighting stored while the stream is quiet" 0 "$fusion" --json search --type sighting
expect_in "sighting stored while the stream is quiet" out.txt '"last_seen":"2024-03-03T21:06:40.000000Z"'
echo '{"ts":1709500001.0,"uid":"L2","id.orig_h":"10.0.0.7","id.orig_p":50000,"id.resp_h":"192.0.2.77","id.resp_p":443,"proto":"tcp"}' >&4
sleep 0.3
kill -TERM "$matcher"
wait "$matcher"
status=$?
exec 4>&-
[ "$status" -eq 0 ] || { echo "FAIL: match ended by SIGTERM: exit $status"; failures=$((failures + 1)); }
expect_lines "hits before SIGTERM printed" live.out 2
check "sighting stored at SIGTERM" 0 "$fusion" --json search --type sighting
expect_in "sighting stored at SIGTERM" out.txt '"last_seen":"2024-03-03T21:06:41.000000Z"'

# the same events twice in one run count once, however many there are
for i in $(seq 100 249); do
    printf '{"ts":%s.0,"uid":"S%s","id.orig_h":"10.0.2.%s","id.orig_p":50000,"id.resp_h":"192.0.2.201","id.resp_p":443,"proto":"tcp"}\n' \
        "$((1709600000 + i))" "$i" "$((i - 99))"
done >twice.jsonl
ind a "[ipv4-addr:value = '192.0.2.201']" >inda.jsonl
check "ingest indicator a" 0 "$fusion" ingest inda.jsonl
check "same file twice in one run" 0 "$fusion" match twice.jsonl twice.jsonl
expect_in "same file twice in one run" out.txt '"count":150'
if grep -q '"count":151' out.txt; then
    echo "FAIL: a run counted its own events again"
    failures=$((failures + 1))
fi
# an indicator added later still counts old events, out of order too
ind b "[ipv4-addr:value = '192.0.2.201']" >indb.jsonl
check "ingest indicator b" 0 "$fusion" ingest indb.jsonl
tac twice.jsonl >reversed.jsonl
check "new indicator, old events" 0 "$fusion" match reversed.jsonl
expect_in "new indicator, old events" out.txt '"indicator_id":"indicator--0000000b-1111-4111-8111-111111111111","sighting_id":"sighting--'
grep '0000000b-1111' out.txt | tail -1 >last-b.txt
expect_in "new indicator, old events" last-b.txt '"count":150'

# two runs at once: the one that stores last adds its hits to the other's
ind c "[ipv4-addr:value = '192.0.2.202']" >indc.jsonl
check "ingest indicator c" 0 "$fusion" ingest indc.jsonl
ev202() { # uid, seconds
    printf '{"ts":%s.0,"uid":"%s","id.orig_h":"10.0.0.8","id.orig_p":50000,"id.resp_h":"192.0.2.202","id.resp_p":443,"proto":"tcp"}\n' "$((1709700000 + $2))" "$1"
}
mkfifo a.fifo
"$fusion" match --follow 0 a.fifo >a.out 2>a.err &
matcher=$!
exec 5>a.fifo
ev202 A1 1 >&5
sleep 2
ev202 B1 2 >b.jsonl
check "second run meanwhile" 0 "$fusion" match b.jsonl
expect_in "second run meanwhile" out.txt '"count":2'
ev202 A2 3 >&5
exec 5>&-
wait "$matcher"
check "counts of both runs" 0 "$fusion" --json search --type sighting
grep '0000000c-1111' out.txt >c.txt
expect_in "counts of both runs" c.txt '"count":3'

# an observed-data id that names other objects than before is refused
ind e "[domain-name:value = 'first.od.example' OR domain-name:value = 'second.od.example']" >inde.jsonl
check "ingest indicator e" 0 "$fusion" ingest inde.jsonl
od_line() { # domain
    printf '{"type":"bundle","id":"bundle--6f3c2b1a-0d9e-4e4f-9a41-4c2b1f0e8d7a","objects":[{"type":"observed-data","spec_version":"2.1","id":"observed-data--1d7c1b6a-0d9e-4e4f-9a41-4c2b1f0e8d7a","created":"2024-03-01T10:00:00.000Z","modified":"2024-03-01T10:00:00.000Z","first_observed":"2024-03-01T10:00:00Z","last_observed":"2024-03-01T10:00:00Z","number_observed":1,"object_refs":["domain-name--%s"]},{"type":"domain-name","spec_version":"2.1","id":"domain-name--%s","value":"%s"}]}\n' "$2" "$2" "$1"
}
od_line first.od.example 0a1b2c3d-0000-5000-8000-000000000001 >od1.jsonl
od_line second.od.example 0a1b2c3d-0000-5000-8000-000000000002 >od2.jsonl
cat od1.jsonl od2.jsonl >od12.jsonl
check "observed-data id reused in one run" 3 "$fusion" match od12.jsonl
expect_in "observed-data id reused in one run" err.txt "od12.jsonl:2: observed-data observed-data--1d7c1b6a-0d9e-4e4f-9a41-4c2b1f0e8d7a of this version is read before with other objects"
check "observed-data id reused across runs" 3 "$fusion" match od2.jsonl
expect_in "observed-data id reused across runs" err.txt "stored already with other objects"
check "observed-data again" 0 "$fusion" match od1.jsonl
expect_in "observed-data again" out.txt '"repeat":true'

# two runs at the very same time take turns storing: no count is lost
ind d "[ipv4-addr:value = '192.0.2.203']" >indd.jsonl
check "ingest indicator d" 0 "$fusion" ingest indd.jsonl
for side in 1 2; do
    for i in $(seq 1 300); do
        printf '{"ts":%s.0,"uid":"P%s-%s","id.orig_h":"10.0.%s.9","id.orig_p":50000,"id.resp_h":"192.0.2.203","id.resp_p":443,"proto":"tcp"}\n' \
            "$((1709800000 + side * 1000 + i))" "$side" "$i" "$side"
    done >"side$side.jsonl"
done
"$fusion" match side1.jsonl >side1.out 2>side1.err &
one=$!
"$fusion" match side2.jsonl >side2.out 2>side2.err &
two=$!
wait "$one" "$two"
check "runs at once" 0 "$fusion" --json search --type sighting
grep '0000000d-1111' out.txt >d.txt
expect_in "runs at once" d.txt '"count":600'

[ "$failures" -eq 0 ] || { echo "$failures failures"; exit 1; }
echo "all match checks passed"
