package consumer

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
)

// AutoInstanceID is the static member id of this host in group: stable across restarts, so a
// restarted member takes its partitions back at once, and different on every host.
func AutoInstanceID(group string) string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	id := "kafka2hdfs-" + host + "-" + group
	// Kafka allows letters, digits, '.', '_' and '-', up to 249 characters.
	id = badInstanceChars.ReplaceAllString(id, "_")
	if len(id) > 200 {
		sum := sha256.Sum256([]byte(id))
		id = id[:180] + "-" + hex.EncodeToString(sum[:8])
	}
	return id
}

var badInstanceChars = regexp.MustCompile(`[^a-zA-Z0-9._-]`)

// lockInstance takes this host's lock on the instance id of group, so that two members on one host
// (two overlapping batch runs without the cron wrapper's lock, or members in one process) never
// share an id: the second would fence the first, and the first then the second. It returns the
// release, or nil when another holder has it. flock locks belong to the open file, so a second
// lock from the same process fails too, and the kernel drops a dead process's lock.
func lockInstance(group, id string) (release func()) {
	sum := sha256.Sum256([]byte(group + "\x00" + id))
	name := filepath.Join(os.TempDir(), "kafka2hdfs-member-"+hex.EncodeToString(sum[:12])+".lock")
	f, err := os.OpenFile(name, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil
	}
	_, _ = f.WriteString(strings.TrimSpace(id) + "\n")
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}
}
