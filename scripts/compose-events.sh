#!/usr/bin/env bash
# Prints sample clickstream events for the `clicks` topic, one record a line as KEY|JSON, in the
# shape of internal/sample (the fields deploy/kafka2hdfs.yaml's schema reads). Needs only awk, so
# scripts/compose-demo.sh can feed kcat or kafka-console-producer.sh without a Go toolchain.
#
#   scripts/compose-events.sh [RECORDS] [BAD_EVERY] [SPAN_HOURS] [SEED]
#
# RECORDS     records to print (default 20000)
# BAD_EVERY   every n-th record is malformed: truncated JSON, a missing user.id, or a string
#             user.id, in turn; 0 for none (default 500). These become dead letters.
# SPAN_HOURS  event times (`ts`) spread over this many hours, ending at the current hour (default 6)
# SEED        for repeatable output (default 42); the times still follow the clock
#
# Counts go to stderr as one line: "events: N records, B malformed, S of type search".
set -euo pipefail

records=${1:-20000}
bad_every=${2:-500}
span_hours=${3:-6}
seed=${4:-42}
now=$(date -u +%s)

exec awk -v n="$records" -v bad_every="$bad_every" -v span_h="$span_hours" -v seed="$seed" -v now="$now" '
# Days since 1970-01-01 to YYYY-MM-DD (proleptic Gregorian; H. Hinnant, civil_from_days), so
# that no strftime is needed: mawk, BWK awk (macOS) and gawk all work.
function civil(days,   z, era, doe, yoe, y, doy, mp, d, m) {
  z = days + 719468
  era = int(z / 146097)
  doe = z - era * 146097
  yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
  y = yoe + era * 400
  doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100))
  mp = int((5 * doy + 2) / 153)
  d = doy - int((153 * mp + 2) / 5) + 1
  m = (mp < 10) ? mp + 3 : mp - 9
  if (m <= 2) y++
  return sprintf("%04d-%02d-%02d", y, m, d)
}
function hex8() { return sprintf("%08x", int(rand() * 4294967296)) }
BEGIN {
  srand(seed)
  ntypes = split("page_view page_view page_view click click add_to_cart purchase search", types, " ")
  split("US DE FR GB IN BR JP NL ES CA", countries, " ")
  split("iOS Android Windows macOS Linux", oses, " ")
  npaths = split("/ /search /product/ /cart /checkout /account /blog/", paths, " ")
  nrefs = split("https://www.google.com/|https://news.ycombinator.com/||https://t.co/x|https://duckduckgo.com/", refs, "|")
  span = span_h * 3600
  start = now - now % 3600 - span          # the current hour, minus the span
  bad = 0; searches = 0
  for (i = 0; i < n; i++) {
    # Mostly in order, with up to a minute of jitter either way, as real streams are.
    t = start + int(i / n * span) + int(rand() * 120) - 60
    if (t < start) t = start
    ms = int(rand() * 1000)
    days = int(t / 86400); sod = t - days * 86400
    day = civil(days)
    ts = sprintf("%sT%02d:%02d:%02d.%03dZ", day, int(sod / 3600), int(sod % 3600 / 60), sod % 60, ms)
    user = int(rand() * 50000) + 1
    typ = types[int(rand() * ntypes) + 1]
    if (typ == "search") searches++
    kind = 0
    if (bad_every > 0 && i % bad_every == bad_every - 1) { kind = 1 + int(i / bad_every) % 3; bad++ }

    v = sprintf("{\"event_id\":\"%s%s-%08d\",\"type\":\"%s\",\"ts\":\"%s\",\"day\":\"%s\",", hex8(), hex8(), i, typ, ts, day)
    if (kind == 2)
      v = v sprintf("\"user\":{\"email\":\"user%d@example.com\"},", user)
    else if (kind == 3)
      v = v sprintf("\"user\":{\"id\":\"abc-%d\",\"email\":\"user%d@example.com\"},", user, user)
    else
      v = v sprintf("\"user\":{\"id\":%d,\"email\":\"user%d@example.com\",\"geo\":{\"country\":\"%s\",\"city\":\"City %d\"}},", user, user, countries[user % 10 + 1], user % 500)
    v = v sprintf("\"session_id\":\"s-%s\",\"page\":{\"url\":\"https://shop.example.com%s%d?utm_source=newsletter\",\"referrer\":\"%s\"},", hex8(), paths[int(rand() * npaths) + 1], int(rand() * 10000), refs[int(rand() * nrefs) + 1])
    v = v sprintf("\"device\":{\"os\":\"%s\",\"mobile\":%s}", oses[user % 5 + 1], (user % 3 == 0) ? "true" : "false")
    if (typ == "add_to_cart" || typ == "purchase")
      v = v sprintf(",\"cart\":{\"price\":%.2f,\"quantity\":%d,\"currency\":\"EUR\"}", 1 + rand() * 500, 1 + int(rand() * 5))
    v = v "}"
    if (kind == 1) v = substr(v, 1, int(length(v) / 2))    # truncated: not JSON
    print "user-" user "|" v
  }
  printf "events: %d records, %d malformed, %d of type search\n", n, bad, searches > "/dev/stderr"
}'
