package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/keytab"

	"github.com/kafka2hdfs/kafka2hdfs/internal/verify"
	"github.com/kafka2hdfs/kafka2hdfs/storage"
)

// The secure real tier's HDFS half: the loader against the Kerberized MiniDFSCluster that
// `scripts/real-env.sh up --secure` starts next to the plain one (scripts/real-env-secure.sh):
// Kerberos from MiniKdc, block access tokens, hadoop.rpc.protection and
// dfs.data.transfer.protection (privacy unless REAL_ENV_HDFS_PROTECTION says otherwise), HTTPS
// only. The loader reads the cluster's client configuration from HADOOP_CONF_DIR, as Hadoop's own
// tools do, and logs in from a keytab. Kafka is the plain listener: these tests are about HDFS.
//
// Like the rest of the secure tier they skip on an environment without it, unless
// K2H_REAL_SECURE=1 (scripts/real-tier.sh), which makes that a failure.

// secureHDFS is the secure HDFS's part of the environment.
type secureHDFS struct {
	s          secureEnv
	confDir    string // the client's HADOOP_CONF_DIR
	protection string // hadoop.rpc.protection and dfs.data.transfer.protection
}

func theSecureHDFS(t *testing.T) *secureHDFS {
	t.Helper()
	_, s := theSecureEnv(t)
	if s["K2H_TEST_HDFS_CONF_DIR"] == "" || s["K2H_TEST_HDFS_RENEW_PRINCIPAL"] == "" {
		t.Fatal("the secure environment has no Kerberized HDFS (an env file from an older real-env-secure.sh: down and up --secure again)")
	}
	return &secureHDFS{s: s, confDir: s["K2H_TEST_HDFS_CONF_DIR"], protection: s["K2H_TEST_HDFS_PROTECTION"]}
}

// kerberos is the output.hdfs.kerberos identity of principal with the environment's keytab.
func (sh *secureHDFS) kerberos(principal string) storage.HDFSKerberos {
	return storage.HDFSKerberos{Enabled: true, Principal: principal, Keytab: sh.s["K2H_TEST_KEYTAB"], Krb5Conf: sh.s["K2H_TEST_KRB5_CONF"]}
}

// newSecureHDFSHarness is newRealHarness with its output root on the secure HDFS, named by
// fs.defaultFS (hdfs:///...) so that only HADOOP_CONF_DIR says which cluster it is; the harness
// reads it back as loader@EXAMPLE.COM.
func (sh *secureHDFS) harness(t *testing.T, topic string, partitions int) *harness {
	t.Helper()
	h := newRealHarness(t, topic, partitions)
	h.root = "hdfs:///k2h-e2e/" + unsafeName.ReplaceAllString(t.Name(), "_") + "-" + h.id
	h.hdfsOpts = &storage.HDFSOptions{HadoopConfDir: sh.confDir, Kerberos: sh.kerberos(sh.s["K2H_TEST_PRINCIPAL"])}
	return h
}

// config writes the harness's config with an output.hdfs.kerberos block (k's fields; empty ones
// left out) and returns its path.
func (sh *secureHDFS) config(t *testing.T, h *harness, group string, k storage.HDFSKerberos, edit func(string) string) string {
	t.Helper()
	y := h.configYAML(group)
	old := "output:\n  root: " + h.root + "\n"
	if !strings.Contains(y, old) {
		t.Fatalf("the harness config has no %q to extend", old)
	}
	var b strings.Builder
	b.WriteString(old + "  hdfs:\n    kerberos:\n      enabled: true\n")
	for _, kv := range [][2]string{{"principal", k.Principal}, {"keytab", k.Keytab}, {"ccache", k.CCache}, {"krb5_conf", k.Krb5Conf}} {
		if kv[1] != "" {
			fmt.Fprintf(&b, "      %s: %s\n", kv[0], kv[1])
		}
	}
	y = strings.Replace(y, old, b.String(), 1)
	if edit != nil {
		y = edit(y)
	}
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// keytabSecrets are the key bytes of the keytab's entries for principal, hex and base64: what
// must never show in the loader's output.
func keytabSecrets(t *testing.T, path, principal string) []string {
	t.Helper()
	kt, err := keytab.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	user, realm, _ := strings.Cut(principal, "@")
	var out []string
	for _, e := range kt.Entries {
		if e.Principal.Realm == realm && strings.Join(e.Principal.Components, "/") == user {
			k := e.Key.KeyValue
			out = append(out, hex.EncodeToString(k), base64.StdEncoding.EncodeToString(k), base64.RawURLEncoding.EncodeToString(k))
		}
	}
	if len(out) == 0 {
		t.Fatalf("keytab %s has no key of %s", path, principal)
	}
	return out
}

// TestRealSecureHDFSLoad: `kafka2hdfs batch` loads a topic into the Kerberized HDFS, logged in
// from a keytab, the cluster's settings from HADOOP_CONF_DIR; every offset lands exactly once
// (read back through the same Kerberized client), the deep audit is clean, and no key of the
// keytab shows in the output.
func TestRealSecureHDFSLoad(t *testing.T) {
	sh := theSecureHDFS(t)
	markStart(t)
	h := sh.harness(t, "secure-hdfs", 2)
	h.produce(1_200, 40)
	group := h.g("g-secure-hdfs")
	k := sh.kerberos(sh.s["K2H_TEST_PRINCIPAL"])
	cfg := sh.config(t, h, group, k, nil)
	code, out, took := runSecureLoader(t, 3*time.Minute, []string{"HADOOP_CONF_DIR=" + sh.confDir}, "batch", "--config", cfg, "--progress", "none")
	if code != 0 {
		t.Fatalf("batch into the Kerberized HDFS: exit %d after %s:\n%s", code, took.Round(time.Millisecond), out)
	}
	t.Logf("batch into the Kerberized HDFS (protection %s): exit 0 in %s", sh.protection, took.Round(time.Millisecond))
	for _, secret := range keytabSecrets(t, k.Keytab, k.Principal) {
		if strings.Contains(out, secret) {
			t.Errorf("the batch output shows a key of the keytab")
		}
	}
	fsys, p := h.outputFS()
	rep := h.proveFS(t, group, "load into Kerberized HDFS (rpc and data transfer protection "+sh.protection+") [real Kafka "+h.real.kafkaVersion+", Hadoop MiniDFSCluster]", "", fsys, p)
	h.checkDeadLetters(rep)
}

// TestRealSecureHDFSRefused: a wrong Kerberos identity, a stale keytab, an expired ticket cache, a
// wrong NameNode principal and no Kerberos at all each end `batch` within seconds with a message
// naming the cause and the setting to check, and exit 1, as the Kafka side's refusals do
// (storage.ErrRefused): the cure is a credential, not an edit of the configuration. No Kerberos at
// all against a Kerberized NameNode is the configuration's fault: exit 2. A client asking for more
// data transfer protection than the DataNodes give fails at the start's write probe, exit 1 (only
// on a cluster below privacy: REAL_ENV_HDFS_PROTECTION).
func TestRealSecureHDFSRefused(t *testing.T) {
	sh := theSecureHDFS(t)
	s := sh.s
	loader := s["K2H_TEST_PRINCIPAL"]
	_, realm, _ := strings.Cut(loader, "@")
	krb5 := s["K2H_TEST_KRB5_CONF"]

	// A ticket cache as kinit would leave it, whose TGT (real, from the KDC) has expired.
	tgt := kdcTGT(t, krb5, s["K2H_TEST_KEYTAB"], loader, 10*time.Second)
	if life := tgt.EndTime.Sub(tgt.StartTime); life > time.Minute {
		t.Fatalf("the KDC gave a TGT for %s, not the 10 s asked for", life)
	}
	expired := writeCCache(t, loader, tgt)
	time.Sleep(time.Until(tgt.EndTime.Add(time.Second)))

	// A client configuration naming a NameNode principal the KDC does not have.
	wrongNN := t.TempDir()
	for _, f := range []string{"core-site.xml", "hdfs-site.xml"} {
		b, err := os.ReadFile(filepath.Join(sh.confDir, f))
		if err != nil {
			t.Fatal(err)
		}
		b = bytes.ReplaceAll(b, []byte(s["K2H_TEST_HDFS_PRINCIPAL"]), []byte("nn/localhost@"+realm))
		if err := os.WriteFile(filepath.Join(wrongNN, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// A client configuration asking for more data transfer protection than the DataNodes give;
	// only possible when they do not give privacy (REAL_ENV_HDFS_PROTECTION).
	moreQOP := t.TempDir()
	for _, f := range []string{"core-site.xml", "hdfs-site.xml"} {
		b, err := os.ReadFile(filepath.Join(sh.confDir, f))
		if err != nil {
			t.Fatal(err)
		}
		b = bytes.ReplaceAll(b, []byte("<name>dfs.data.transfer.protection</name><value>"+sh.protection+"<"), []byte("<name>dfs.data.transfer.protection</name><value>privacy<"))
		if err := os.WriteFile(filepath.Join(moreQOP, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	type refusal struct {
		name    string
		k       *storage.HDFSKerberos // nil: no output.hdfs.kerberos block
		confDir string                // HADOOP_CONF_DIR; default the cluster's
		want    string
	}
	withKT := func(principal, keytab string) *storage.HDFSKerberos {
		k := sh.kerberos(principal)
		k.Keytab = keytab
		return &k
	}
	cases := []refusal{
		{"unknown principal", withKT("nobody@"+realm, s["K2H_TEST_KEYTAB"]), "",
			"KDC_ERR_C_PRINCIPAL_UNKNOWN Client not found in Kerberos database - Client not found in Kerberos database; the KDC does not know the loader's principal: check output.hdfs.kerberos.principal"},
		{"principal not in the keytab", withKT(s["K2H_TEST_HDFS_RENEW_PRINCIPAL"], staleKeytab(t, loader)), "",
			"the keytab has no key for the principal: check output.hdfs.kerberos.keytab and principal"},
		{"stale keytab", withKT(loader, staleKeytab(t, loader)), "",
			"KRB_AP_ERR_BAD_INTEGRITY Integrity check on decrypted field failed - PREAUTH_FAILED; the KDC refused the keytab's key (a stale keytab, or one of another principal): check output.hdfs.kerberos.keytab"},
		{"expired ticket cache", &storage.HDFSKerberos{Enabled: true, CCache: expired, Krb5Conf: krb5}, "",
			"kerberos: ticket cache " + expired + ": the ticket-granting ticket of " + loader + " expired at "},
		{"wrong namenode principal", withKT(loader, s["K2H_TEST_KEYTAB"]), wrongNN,
			"KDC_ERR_S_PRINCIPAL_UNKNOWN Server not found in Kerberos database - Server not found in Kerberos database; the KDC has no principal nn/localhost for the namenode: set dfs.namenode.kerberos.principal in hdfs-site.xml"},
		{"data transfer protection above the cluster's", withKT(loader, s["K2H_TEST_KEYTAB"]), moreQOP,
			"negotiating data protection: invalid qop: [auth]; the datanodes offer less protection than dfs.data.transfer.protection in the client's hdfs-site.xml asks for: set it to the cluster's value"},
		{"no kerberos", nil, t.TempDir(),
			`the namenode requires Kerberos (it answers a client without it: "SIMPLE authentication is not enabled.  Available:[TOKEN, KERBEROS]"): set HADOOP_CONF_DIR to the cluster's client configuration, or output.hdfs.kerberos`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.confDir == moreQOP && sh.protection == "privacy" {
				t.Skip("the DataNodes give privacy, the most a client can ask for (REAL_ENV_HDFS_PROTECTION=authentication runs this)")
			}
			t.Parallel()
			h := sh.harness(t, "secure-hdfs-refused", 1)
			h.produce(50, 0)
			conf := sh.confDir
			if c.confDir != "" {
				conf = c.confDir
			}
			var cfg string
			if c.k == nil {
				// No Kerberos, and the NameNode by address, since this configuration has no
				// fs.defaultFS.
				h.root = "hdfs://" + s["K2H_TEST_HDFS_NAMENODE"] + "/k2h-e2e/refused-" + h.id
				cfg = h.secureConfig(t, h.g("g-refused"), kafkaSecurity{brokers: h.brokers}, nil)
			} else {
				cfg = sh.config(t, h, h.g("g-refused"), *c.k, nil)
			}
			code, out, took := runSecureLoader(t, time.Minute, []string{"HADOOP_CONF_DIR=" + conf, "KRB5CCNAME="}, "batch", "--config", cfg, "--progress", "none")
			t.Logf("exit %d after %s; last line: %s", code, took.Round(time.Millisecond), lastLines(strings.TrimSpace(out), 1))
			want := 1
			if c.k == nil {
				want = 2 // no Kerberos configured for a Kerberized cluster
			}
			if code != want || !strings.Contains(out, c.want) || took > 15*time.Second {
				t.Errorf("exit %d after %s, want exit %d within 15 s with %q:\n%s", code, took.Round(time.Millisecond), want, c.want, out)
			}
		})
	}
}

// TestRealSecureHDFSTicketRenewal: the loader's Kerberos tickets live one minute (its krb5.conf
// asks the KDC for ticket_lifetime = 60s, for a principal of its own) while `run` loads for three
// minutes, with the NameNode restarted twice, each time after the loader's NameNode ticket has
// expired, so that the loader must connect anew with a ticket it did not have. In the KDC's log,
// the loader must have refreshed its TGT as it neared its end (MiniKdc's TGTs are renewable, so
// gokrb5 renews them; it would log in again otherwise) and asked for a new NameNode ticket after
// each restart; it must keep committing through all of it (no stall longer than the restarts),
// and lose or duplicate nothing.
func TestRealSecureHDFSTicketRenewal(t *testing.T) {
	sh := theSecureHDFS(t)
	s := sh.s
	const lifetime = time.Minute
	runFor := pick(3*lifetime, 6*lifetime)
	principal := s["K2H_TEST_HDFS_RENEW_PRINCIPAL"]
	b, err := os.ReadFile(s["K2H_TEST_KRB5_CONF"])
	if err != nil {
		t.Fatal(err)
	}
	short := strings.Replace(string(b), "[libdefaults]\n", fmt.Sprintf("[libdefaults]\n    ticket_lifetime = %ds\n", int(lifetime.Seconds())), 1)
	if short == string(b) {
		t.Fatalf("%s has no [libdefaults] line to add ticket_lifetime under", s["K2H_TEST_KRB5_CONF"])
	}
	krb5 := filepath.Join(t.TempDir(), "krb5.conf")
	if err := os.WriteFile(krb5, []byte(short), 0o644); err != nil {
		t.Fatal(err)
	}
	// The KDC grants what was asked for: check it, or the test would prove nothing.
	probe := kdcTGT(t, krb5, s["K2H_TEST_KEYTAB"], principal, lifetime)
	if life := probe.EndTime.Sub(probe.StartTime); life > lifetime+time.Second {
		t.Fatalf("the KDC granted a TGT for %s, not the %s asked for", life, lifetime)
	}

	markStart(t)
	h := sh.harness(t, "secure-hdfs-renew", 2)
	k := sh.kerberos(principal)
	k.Krb5Conf = krb5
	h.hdfsOpts.Kerberos = sh.kerberos(principal) // the output's owner reads it back (mode 0750)
	group := h.g("g-secure-hdfs-renew")
	conf := sh.config(t, h, group, k, nil)
	kdcLog := filepath.Join(h.real.dir, "logs", "kdc.out")
	// A TGT from an AS exchange (a login) or a TGS exchange for krbtgt (a renewal), and tickets
	// for the NameNode.
	tgts := func() int { return countKDCLines(t, kdcLog, "_REQ ISSUE: ", principal+" for krbtgt/") }
	nnTickets := func() int {
		return countKDCLines(t, kdcLog, "TGS_REQ ISSUE: ", principal+" for "+s["K2H_TEST_HDFS_PRINCIPAL"])
	}
	tgtsBefore, nnBefore := tgts(), nnTickets()

	run := spawnArgs(t, "run", []string{"run", "--config", conf}, "HADOOP_CONF_DIR="+sh.confDir)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("run output (tail):\n%s", run.tail(8000))
		}
	})

	control := &realEnv{control: s["K2H_TEST_HDFS_CONTROL"]}
	// The first restart once the first NameNode ticket has expired, the second once the one the
	// loader fetched after the first restart has.
	began := time.Now()
	nextRestart := began.Add(lifetime + 15*time.Second)
	lastMove, lastTotal := began, int64(-1)
	var stall time.Duration
	var restartTook []time.Duration
	for time.Since(began) < runFor {
		select {
		case <-run.done:
			t.Fatalf("run exited after %s: %v", time.Since(began).Round(time.Second), run.err)
		default:
		}
		if err := h.produceNext(120, 40); err != nil {
			t.Fatal(err)
		}
		if len(restartTook) < 2 && time.Now().After(nextRestart) {
			r := time.Now()
			control.hdfsControl(t, "restart-namenode")
			restartTook = append(restartTook, time.Since(r))
			nextRestart = time.Now().Add(lifetime + 15*time.Second)
			t.Logf("NameNode restarted at %s (took %s)", time.Since(began).Round(time.Second), time.Since(r).Round(100*time.Millisecond))
		}
		total := int64(0)
		for _, o := range h.committed(group) {
			total += o
		}
		if total > lastTotal {
			lastTotal, lastMove = total, time.Now()
		} else if d := time.Since(lastMove); d > stall {
			stall = d
		}
		time.Sleep(2 * time.Second)
	}
	h.waitCommitted(group, 1, 2*time.Minute)
	if run.exited() {
		t.Fatalf("run exited before SIGTERM: %v\n%s", run.err, run.tail(6000))
	}
	run.signal(syscall.SIGTERM)
	if err := run.wait(time.Minute); err != nil {
		t.Fatalf("run: %v", err)
	}
	ran := time.Since(began)
	newTGTs, newNN := tgts()-tgtsBefore, nnTickets()-nnBefore
	t.Logf("ran %s with %s tickets: %d TGTs (logins and renewals) and %d NameNode tickets issued to %s, NameNode restarts took %v, longest commit stall %s",
		ran.Round(time.Second), lifetime, newTGTs, newNN, principal, restartTook, stall.Round(time.Second))
	// One TGT at start, then one each time the last nears its end (gokrb5 refreshes at 5/6 of
	// its lifetime, so more than one per lifetime).
	if want := 1 + int(ran/lifetime); newTGTs < want {
		t.Errorf("%d TGTs issued to %s in %s, want at least %d: the loader did not renew or replace its TGT as it expired", newTGTs, principal, ran.Round(time.Second), want)
	}
	// One NameNode ticket at start, one after each restart.
	if len(restartTook) != 2 {
		t.Errorf("%d NameNode restarts, want 2", len(restartTook))
	} else if newNN < 3 {
		t.Errorf("%d NameNode tickets issued to %s, want at least 3 (one at start, one after each restart, each made after the last had expired)", newNN, principal)
	}
	// Files kept landing: no stall longer than a NameNode restart and the loader's retry after it.
	maxRestart := time.Duration(0)
	for _, d := range restartTook {
		maxRestart = max(maxRestart, d)
	}
	if limit := maxRestart + 30*time.Second; stall > limit {
		t.Errorf("the group's commits stalled for %s (NameNode restarts took %v): a gap beyond the restarts", stall.Round(time.Second), restartTook)
	}
	fsys, p := h.outputFS()
	rep := h.proveFS(t, group, fmt.Sprintf("run for %s with %s Kerberos tickets, NameNode restarted twice after they expired [Kerberized HDFS, protection %s]",
		ran.Round(time.Second), lifetime, sh.protection), "2 NameNode restarts", fsys, p)
	h.checkDeadLetters(rep)
	checkFilesSpread(t, fsys, p, rep, began, ran)
}

// countKDCLines counts the lines of MiniKdc's log holding every one of subs.
func countKDCLines(t *testing.T, path string, subs ...string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
next:
	for sc.Scan() {
		for _, s := range subs {
			if !strings.Contains(sc.Text(), s) {
				continue next
			}
		}
		n++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}

// checkFilesSpread requires data files published in every third of the run, by their
// modification times on HDFS: the loader kept writing across the ticket lifetimes, not only
// before the first expired or after a late recovery.
func checkFilesSpread(t *testing.T, fsys storage.FS, root string, rep *verify.Report, began time.Time, ran time.Duration) {
	t.Helper()
	thirds := [3]int{}
	for _, f := range rep.Files {
		fi, err := fsys.Stat(context.Background(), root+"/"+f.Path)
		if err != nil {
			t.Fatal(err)
		}
		if i := int(fi.ModTime().Sub(began) * 3 / ran); i >= 0 && i < 3 {
			thirds[i]++
		}
	}
	t.Logf("data files published per third of the run: %v", thirds)
	for i, n := range thirds {
		if n == 0 {
			t.Errorf("no data file published in third %d of the run: %v", i+1, thirds)
		}
	}
}
