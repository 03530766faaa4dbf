#!/usr/bin/env bash
# Cron wrapper for `kafka2hdfs batch`: one run at a time per config, timestamped log lines in a
# file, and exit codes turned into "fine" or "alert".
#
#   scripts/kafka2hdfs-cron.sh /etc/kafka2hdfs/config.yaml [more batch flags, e.g. --max-duration 50m]
#
# Environment (all optional):
#   KAFKA2HDFS_BIN     the binary (default: kafka2hdfs on PATH)
#   KAFKA2HDFS_LOG     log file (default: /var/log/kafka2hdfs/<config name>.log)
#   KAFKA2HDFS_LOCK    lock file (default: /run/lock/kafka2hdfs-<config name>.lock, else /tmp)
#   KAFKA2HDFS_ALERT   command run with the message as its one argument when a run needs a person,
#                      e.g. 'logger -p user.err -t kafka2hdfs' or a script that pages; without it the
#                      message goes to stderr, which cron mails to MAILTO.
#
# Exit codes of kafka2hdfs batch and what this does with them:
#   0  done: every partition reached its start-time snapshot           -> exit 0
#   4  stopped early by --max-duration/--max-records, progress committed -> exit 0 (the next run continues)
#   2  bad configuration or usage: nothing was done                    -> alert, exit 2
#   1  the job failed (Kafka, the filesystem, too many bad records,    -> alert, exit 1
#      an output root that cannot take files)
#   *  killed (130, 137, ...)                                          -> alert, exit with it
# A run skipped because the previous one still holds the lock exits 0: overlapping runs of a group
# are safe, the lock only stops them piling up when a run takes longer than the cron interval.
set -uo pipefail

if [[ $# -lt 1 || $1 == -h || $1 == --help ]]; then
	sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
fi
config=$1
shift
name=$(basename "${config%.*}")
bin=${KAFKA2HDFS_BIN:-kafka2hdfs}
log=${KAFKA2HDFS_LOG:-/var/log/kafka2hdfs/$name.log}
lockdir=/run/lock
[[ -d $lockdir && -w $lockdir ]] || lockdir=${TMPDIR:-/tmp}
lock=${KAFKA2HDFS_LOCK:-$lockdir/kafka2hdfs-$name.lock}

mkdir -p "$(dirname "$log")" || exit 1

stamp() {
	# Prefix each line with a UTC timestamp; cron runs have no terminal to show time.
	while IFS= read -r line; do
		printf '%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$line"
	done
}

note() { printf '%s\n' "kafka2hdfs-cron[$$]: $*" | stamp >>"$log"; }

alert() {
	note "ALERT: $*"
	if [[ -n ${KAFKA2HDFS_ALERT:-} ]]; then
		# Word-split on purpose: the variable holds a command and its arguments.
		# shellcheck disable=SC2086
		$KAFKA2HDFS_ALERT "kafka2hdfs $name: $*" || note "alert command failed: $KAFKA2HDFS_ALERT"
	else
		printf 'kafka2hdfs %s: %s (log: %s)\n' "$name" "$*" "$log" >&2
	fi
}

exec 9>>"$lock" || { alert "cannot open lock file $lock"; exit 1; }
if ! flock -n 9; then
	note "previous run still holds $lock; skipping this one"
	exit 0
fi

note "start: $bin batch --config $config $*"
start=$(date +%s)
# The run's own output is kept too, so an alert can quote why it failed (its last
# "kafka2hdfs: ..." line: the path and OS error of an unwritable root, say).
out=$(mktemp "${TMPDIR:-/tmp}/kafka2hdfs-cron.XXXXXX") || { alert "cannot create a temporary file"; exit 1; }
trap 'rm -f "$out"' EXIT
"$bin" batch --config "$config" "$@" 2>&1 | tee "$out" | stamp >>"$log"
code=${PIPESTATUS[0]}
took=$(($(date +%s) - start))
reason=$(grep '^kafka2hdfs: ' "$out" | tail -n 1 | cut -c 1-500)
reason=${reason:+: ${reason#kafka2hdfs: }}

case $code in
0)
	note "done in ${took}s: every partition reached its snapshot"
	exit 0
	;;
4)
	note "stopped early by a time box after ${took}s; progress committed, the next run continues"
	exit 0
	;;
2)
	alert "bad configuration or usage (exit 2); nothing was loaded$reason"
	exit 2
	;;
1)
	alert "batch failed after ${took}s (exit 1); see the log$reason"
	exit 1
	;;
*)
	alert "batch ended with exit $code after ${took}s (killed?); see the log"
	exit "$code"
	;;
esac
