#!/usr/bin/env bash
# The fusion command line as a user meets it: exit codes, messages,
# nothing stored from a failed file, searches, get and export.
set -uo pipefail
fusion=$1
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
. "$here/lib.sh"

ind() { # id digit, value
    printf '{"type":"indicator","spec_version":"2.1","id":"indicator--0000000%s-1111-4111-8111-111111111111","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","name":"Test %s","pattern":"[ipv4-addr:value = '"'"'%s'"'"']","pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z","labels":["phishing"]}' "$1" "$1" "$2"
}

export FUSION_DB=$tmp/t.db
check "stats before init" 4 "$fusion" stats
expect_in "stats before init" err.txt "fusion init"
check "init" 0 "$fusion" init
expect_in "init" out.txt "created store"
check "init again" 0 "$fusion" init
# init makes the server's certificate pair once, the key readable by its owner only
# and the store, which holds password hashes, is its owner's alone too
[ "$(stat -c %a t.db)" = 600 ] ||
    { echo "FAIL: store mode $(stat -c %a t.db)"; failures=$((failures + 1)); }
[ -s t.db-cert.pem ] && [ "$(stat -c %a t.db-key.pem)" = 600 ] ||
    { echo "FAIL: init certificate pair"; failures=$((failures + 1)); }
check "init no tls" 0 "$fusion" --db notls.db init --no-tls
[ ! -e notls.db-cert.pem ] ||
    { echo "FAIL: init --no-tls made a certificate"; failures=$((failures + 1)); }
touch half.db-key.pem
check "init half a pair" 1 "$fusion" --db half.db init
expect_in "init half a pair" err.txt "half.db-key.pem exists without"
check "unknown command" 2 "$fusion" frobnicate
check "unknown option" 2 "$fusion" ingest --frobnicate x
check "help" 0 "$fusion" ingest --help
expect_in "help" out.txt "usage: fusion ingest"

{ printf '{"type":"bundle","id":"bundle--11111111-1111-4111-8111-111111111111","objects":['
  ind 1 198.51.100.1; printf ','; ind 2 198.51.100.2; printf ']}'; } >good.json
check "ingest" 0 "$fusion" ingest good.json
expect_in "ingest" out.txt "good.json: 2 objects: 2 new"
check "ingest again" 0 "$fusion" ingest good.json
expect_in "ingest again" out.txt "2 duplicates"
"$fusion" --json stats >before.json

{ printf '['; ind 3 198.51.100.3; printf ',{"type":"indic'; } >trunc.json
check "truncated" 3 "$fusion" ingest trunc.json
expect_in "truncated" out.txt "FAILED after reading 1 object: nothing stored"
expect_in "truncated" err.txt "trunc.json: line 1, byte"
check "missing file" 1 "$fusion" ingest nosuch.json good.json
expect_in "missing file" out.txt "1 of 2 files FAILED"
"$fusion" --json stats >after.json
cmp -s before.json after.json ||
    { echo "FAIL: a failed ingest changed the store"; failures=$((failures + 1)); }

check "search value" 0 "$fusion" search 198.51.100.2
expect_in "search value" out.txt "indicator--00000002-1111-4111-8111-111111111111"
check "search not a value" 2 "$fusion" search emotet
expect_in "search not a value" err.txt "--text"
check "search label" 0 "$fusion" search --label phishing --json
[ "$(wc -l <out.txt)" -eq 2 ] ||
    { echo "FAIL: --label found $(wc -l <out.txt) objects"; failures=$((failures + 1)); }
check "search text" 0 "$fusion" search --text "TEST 1"
expect_in "search text" out.txt "indicator--00000001"
check "search bad time" 2 "$fusion" search --modified-from yesterday
check "get" 0 "$fusion" get indicator--00000001-1111-4111-8111-111111111111
expect_in "get" out.txt '"pattern_type":"stix"'
check "get provenance" 0 "$fusion" --json get --provenance \
    indicator--00000001-1111-4111-8111-111111111111
expect_in "get provenance" out.txt "$tmp/good.json"
check "get missing" 1 "$fusion" get indicator--00000009-1111-4111-8111-111111111111
check "export" 0 "$fusion" export --type indicator --output out.json
/usr/bin/python3 -c 'import json,sys; b=json.load(open("out.json")); sys.exit(len(b["objects"]) != 2)' ||
    { echo "FAIL: export"; failures=$((failures + 1)); }
check "option after argument" 0 "$fusion" get \
    indicator--00000001-1111-4111-8111-111111111111 --pretty
expect_in "option after argument" out.txt '  "pattern_type": "stix"'
check "defanged value" 0 "$fusion" search 198[.]51[.]100[.]2
expect_in "defanged value" out.txt "indicator--00000002"
check "not a domain" 2 "$fusion" search 'a..b'
check "export to stdout" 0 "$fusion" export --output - --type indicator
expect_in "export to stdout" out.txt '"type":"bundle"'
printf '[{"type":"x-a","id":"x-a--11111111-1111-4111-8111-111111111111","v":"a\\u0000b"},' >nul.json
ind 4 198.51.100.4 >>nul.json
printf ']' >>nul.json
check "NUL in a string" 0 "$fusion" ingest nul.json
expect_in "NUL in a string" out.txt "1 new, 0 new versions, 0 duplicates, 0 conflicts, 1 rejected"
expect_in "NUL in a string" err.txt "NUL character"
check "notes as JSON" 0 "$fusion" --json ingest nul.json
expect_in "notes as JSON" out.txt '"notes":[{"event":"rejected","line":1,"offset":1,"id":null'
cp good.json copy.json
check "second source" 0 "$fusion" ingest copy.json
check "sources as JSON" 0 "$fusion" --json get --provenance \
    indicator--00000001-1111-4111-8111-111111111111
/usr/bin/python3 -c 'import json,sys; v=[json.loads(l) for l in open("out.txt")]; sys.exit(len(v[0]["sources"]) != 2)' ||
    { echo "FAIL: provenance JSON"; failures=$((failures + 1)); }
: >empty.db
check "empty store file" 4 "$fusion" --db empty.db stats
expect_in "empty store file" err.txt "empty file"
# a store of schema 1 (before collections) is upgraded by a reading command
"$fusion" --db old.db init >/dev/null
/usr/bin/python3 - old.db <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                          " AND (name LIKE 'collection%' OR name IN ('users',"
                          " 'tokens', 'user_groups', 'group_members',"
                          " 'grants', 'taxii_status', 'totals'))").fetchall():
    db.execute(f"DROP TABLE {name}")
db.execute("PRAGMA user_version = 1")
db.commit()
PY
check "older schema" 0 "$fusion" --db old.db stats
expect_in "older schema" out.txt "schema version 4"
check "collection add" 0 "$fusion" collection add --alias shared "Shared intel"
id=$(cat out.txt)
check "collection list" 0 "$fusion" --json collection list
expect_in "collection list" out.txt "\"id\":\"$id\",\"title\":\"Shared intel\",\"alias\":\"shared\""
check "collection alias taken" 3 "$fusion" collection add --alias shared "Again"
expect_in "collection alias taken" err.txt "alias 'shared' is taken"
grep -q "id '" err.txt &&
    { echo "FAIL: collection alias taken names an id"; failures=$((failures + 1)); }
check "collection alias slash" 3 "$fusion" collection add --alias 'a/b' "Slash"
expect_in "collection alias slash" err.txt "letters, digits"
check "collection id case" 0 "$fusion" collection add \
    --id 1234ABCD-1234-4234-8234-1234567890AB "Upper"
expect_in "collection id case" out.txt "1234abcd-1234-4234-8234-1234567890ab"
check "ingest into collection" 0 "$fusion" ingest --collection shared good.json
check "ingest into no collection" 1 "$fusion" ingest --collection nope good.json
expect_in "ingest into no collection" err.txt "--collection 'nope'"
check "collection remove" 0 "$fusion" collection remove shared
check "collection gone" 1 "$fusion" collection remove "$id"
check "store is a folder" 4 "$fusion" --db "$tmp" stats
check "store folder missing" 4 "$fusion" --db "$tmp/no/such.db" init

# accounts: users, tokens, groups and grants
check "user add" 0 sh -c 'printf "s3cret-pw\n" | "$0" user add alice' "$fusion"
check "user add taken" 3 sh -c 'printf "pw\n" | "$0" user add alice' "$fusion"
printf 'other-pw\n' >pw.txt
check "user add from file" 0 "$fusion" user add --password-file pw.txt bob
check "user add no password" 3 "$fusion" user add carol </dev/null
check "user add missing file" 1 "$fusion" user add --password-file nosuch carol
check "user list" 0 "$fusion" --json user list
expect_in "user list" out.txt '{"name":"alice","created":"'
expect_in "user list" out.txt '"disabled":false}'
if grep -q 's3cret-pw' t.db t.db-wal 2>/dev/null; then
    echo "FAIL: a password is stored in clear"; failures=$((failures + 1))
fi
check "user disable" 0 "$fusion" user disable bob
check "user list disabled" 0 "$fusion" user list
expect_in "user list disabled" out.txt "disabled"
check "user list disabled json" 0 "$fusion" --json user list
expect_in "user list disabled json" out.txt '{"name":"bob","created":"'
expect_in "user list disabled json" out.txt '"disabled":true}'
check "user enable" 0 "$fusion" user enable bob
check "user list enabled json" 0 "$fusion" --json user list
grep -q '"disabled":true' out.txt &&
    { echo "FAIL: user enable: bob is still disabled"; failures=$((failures + 1)); }
check "user disable unknown" 1 "$fusion" user disable nobody
check "user enable unknown" 1 "$fusion" user enable nobody
check "user disable no name" 2 "$fusion" user disable
check "user passwd" 0 "$fusion" user passwd --password-file pw.txt alice
check "user passwd unknown" 1 "$fusion" user passwd --password-file pw.txt nobody
check "token create" 0 "$fusion" token create --label ci alice
token=$(cat out.txt)
case $token in
fusion_????????????????_*) ;;
*) echo "FAIL: token create printed '$token'"; failures=$((failures + 1)) ;;
esac
tid=${token#fusion_}
tid=${tid%%_*}
check "token list" 0 "$fusion" --json token list alice
expect_in "token list" out.txt "\"id\":\"$tid\",\"user\":\"alice\",\"label\":\"ci\""
if grep -qF -- "${token#fusion_"$tid"_}" out.txt; then
    echo "FAIL: token list shows a secret"; failures=$((failures + 1))
fi
check "token bad expiry" 2 "$fusion" token create --expires tomorrow alice
check "token unknown user" 1 "$fusion" token create nobody
check "token revoke" 0 "$fusion" token revoke "$tid"
check "token revoke unknown" 1 "$fusion" token revoke 0000000000000000
check "token past expiry" 2 "$fusion" token create --expires 2000-01-01T00:00:00Z alice
check "token revoke whole" 0 "$fusion" token create alice
whole=$(cat out.txt)
check "token revoke whole" 0 "$fusion" token revoke "$whole"
if grep -qF -- "${whole##*_}" err.txt out.txt; then
    echo "FAIL: token revoke echoes a secret"; failures=$((failures + 1))
fi
check "user bad name" 3 "$fusion" user add --password-file pw.txt " alice"
check "user control name" 3 "$fusion" user add --password-file pw.txt "$(printf 'c\302\233x')"
check "collection for grants" 0 "$fusion" collection add --alias feed "Feed"
check "grant read" 0 "$fusion" grant read alice feed
check "grant unknown group" 1 "$fusion" grant write @analysts feed
check "group add" 0 "$fusion" group add analysts bob
check "grant group" 0 "$fusion" grant write @analysts feed
check "group remove" 0 "$fusion" group remove analysts bob
check "group remove again" 1 "$fusion" group remove analysts bob
check "grant bad access" 2 "$fusion" grant execute alice feed
check "grant unknown collection" 1 "$fusion" grant read alice nope
check "grant revoke" 0 "$fusion" grant --revoke read alice feed
check "grant revoke again" 1 "$fusion" grant --revoke read alice feed
check "user help" 0 "$fusion" user --help
expect_in "user help" out.txt "usage: fusion user add"
check "user remove" 0 "$fusion" user remove alice
check "user remove again" 1 "$fusion" user remove alice
echo "$failures failures"
[ "$failures" -eq 0 ]
