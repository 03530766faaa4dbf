package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/user"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/colinmarc/hdfs/v2"
	krb "github.com/jcmturner/gokrb5/v8/client"
	krbconfig "github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/keytab"
)

// HDFSOptions configure the HDFS client (the output.hdfs block of the configuration). The zero
// value works for a cluster without Kerberos whose namenodes are named in the URL.
type HDFSOptions struct {
	// User is the HDFS user files are written as, without Kerberos. Default: $HADOOP_USER_NAME,
	// else the OS user, as for Hadoop's own tools.
	User string `yaml:"user"`
	// HadoopConfDir holds core-site.xml and hdfs-site.xml, read for nameservices, fs.defaultFS,
	// Kerberos and data transfer protection. Default: $HADOOP_CONF_DIR.
	HadoopConfDir string `yaml:"hadoop_conf_dir"`
	// Kerberos authenticates to a secured cluster. It is also used, from the ticket cache, when
	// the Hadoop configuration sets hadoop.security.authentication to kerberos.
	Kerberos HDFSKerberos `yaml:"kerberos"`
	// DialTimeout bounds each connection attempt to a namenode or datanode. Default: 10s.
	DialTimeout time.Duration `yaml:"dial_timeout"`
	// UseDatanodeHostname dials datanodes by host name instead of IP (multi-homed clusters, NAT);
	// dfs.client.use.datanode.hostname in hdfs-site.xml turns it on too.
	UseDatanodeHostname bool `yaml:"use_datanode_hostname"`
}

// HDFSKerberos selects the Kerberos identity: a keytab when Keytab is set, else a ticket cache
// (kinit's).
type HDFSKerberos struct {
	Enabled bool `yaml:"enabled"`
	// Principal logs in with Keytab, as user@REALM or service/_HOST@REALM (_HOST is this host's
	// name); without a realm, krb5.conf's default_realm.
	Principal string `yaml:"principal"`
	Keytab    string `yaml:"keytab"`
	// CCache is the ticket cache. Default: $KRB5CCNAME (FILE: caches only), else
	// /tmp/krb5cc_<uid>.
	CCache string `yaml:"ccache"`
	// Krb5Conf defaults to $KRB5_CONFIG, else /etc/krb5.conf.
	Krb5Conf string `yaml:"krb5_conf"`
	// ServicePrincipal is the namenodes' principal, such as nn/_HOST@EXAMPLE.COM. Default:
	// dfs.namenode.kerberos.principal from hdfs-site.xml.
	ServicePrincipal string `yaml:"service_principal"`
}

const defaultDialTimeout = 10 * time.Second

// closeRetry is Close's schedule for ErrReplicating: the namenode answers complete with false
// while the last block has fewer replicas than dfs.namenode.replication.min, which datanodes take
// a few heartbeats (seconds) to report. The Java client also retries with doubling delays; this
// gives up after about 10 s.
type closeRetry struct {
	attempts        int
	delay, maxDelay time.Duration
}

var defaultCloseRetry = closeRetry{attempts: 10, delay: 100 * time.Millisecond, maxDelay: 2 * time.Second}

// abortTimeout bounds how long Abort waits for a datanode to take the last buffered packets.
const abortTimeout = 5 * time.Second

// HDFS is an FS on HDFS through github.com/colinmarc/hdfs/v2. It holds one client, whose one
// namenode connection carries every call, and which renews the leases of the files being written.
//
// Timeouts: the client takes no context. A context's deadline bounds a file's block transfers
// (the deadline of the context given to Create or Open); an already done context fails an
// operation before it starts; otherwise a namenode call waits as long as the namenode takes,
// as with Hadoop's default ipc.client.rpc-timeout.ms of 0. Dead peers are still noticed:
// connections use TCP keep-alives, and dials time out after HDFSOptions.DialTimeout.
type HDFS struct {
	client *hdfs.Client
	addrs  []string
	user   string
	retry  closeRetry
	perms  Perms // zero: DefaultPerms

	// key is the HDFS's entry in shared ("" if NewHDFS made it); refs counts the Opens
	// sharing it. Both are guarded by shared.mu.
	key  string
	refs int
}

var _ FS = (*HDFS)(nil)

// shared holds the clients storage.Open made, so that a process opening the same root several
// times (validation, the loader, a read-back) has one client and one namenode connection.
var shared struct {
	mu sync.Mutex
	m  map[string]*HDFS
}

// NewHDFS connects to the namenodes addrs (host:port, tried in order; empty means fs.defaultFS of
// the Hadoop configuration) and checks that one of them answers, so that a wrong address or
// credentials fail here rather than at the first file. Close it when done.
func NewHDFS(opts HDFSOptions, addrs []string) (*HDFS, error) {
	conf, err := loadHadoopConf(opts.HadoopConfDir)
	if err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		if addrs, err = defaultFSNameNodes(conf); err != nil {
			return nil, err
		}
	}
	return newHDFS(opts, conf, addrs)
}

func newHDFS(opts HDFSOptions, conf hadoopConf, addrs []string) (*HDFS, error) {
	if err := checkProtection(conf); err != nil {
		return nil, err
	}
	co := hdfs.ClientOptionsFromConf(conf.conf) // also carries settings only it can set
	co.Addresses = addrs
	co.UseDatanodeHostname = co.UseDatanodeHostname || opts.UseDatanodeHostname
	timeout := opts.DialTimeout
	if timeout <= 0 {
		timeout = defaultDialTimeout
	}
	dial := (&net.Dialer{Timeout: timeout}).DialContext
	co.NamenodeDialFunc, co.DatanodeDialFunc = dial, dial

	who := ""
	if opts.Kerberos.Enabled || co.KerberosClient != nil {
		kc, err := kerberosClient(opts.Kerberos, conf)
		if err != nil {
			return nil, err
		}
		co.KerberosClient = kc
		if sp := opts.Kerberos.ServicePrincipal; sp != "" {
			// The client wants service/host; the realm comes from krb5.conf's domain_realm.
			co.KerberosServicePrincipleName, _, _ = strings.Cut(sp, "@")
		}
		if co.KerberosServicePrincipleName == "" {
			kc.Destroy()
			return nil, fmt.Errorf("kerberos: the namenodes' principal is unknown; set the HDFS kerberos service_principal (such as nn/_HOST@EXAMPLE.COM) or dfs.namenode.kerberos.principal in hdfs-site.xml (%s)", conf.describe())
		}
		who = "kerberos principal " + kc.Credentials.CName().PrincipalNameString() + "@" + kc.Credentials.Realm()
	} else {
		u, err := hdfsUser(opts.User)
		if err != nil {
			return nil, err
		}
		co.User, who = u, "user "+u
	}

	nns := strings.Join(addrs, ",")
	client, err := hdfs.NewClient(co)
	if err != nil {
		if co.KerberosClient != nil {
			co.KerberosClient.Destroy()
			// A Kerberos refusal is not the namenode being away: no retry will cure it.
			if hinted := kerberosHint(err, co.KerberosServicePrincipleName); errors.Is(hinted, ErrRefused) {
				return nil, fmt.Errorf("connect to namenode %s as %s: %w", nns, who, hinted)
			}
		}
		return nil, unavailable{fmt.Errorf("connect to namenode %s as %s: %w%s", nns, who, err, connectHint(addrs))}
	}
	// The client caches the NameNode's server defaults on first use without a lock; fetch them
	// here, from one goroutine, before partitions create files concurrently (a data race otherwise).
	if _, err := client.ServerDefaults(); err != nil {
		_ = client.Close()
		if co.KerberosClient == nil {
			if refusal, ok := requiresKerberos(dial, addrs, timeout); ok {
				return nil, fmt.Errorf("connect to namenode %s as %s: %w; the namenode requires Kerberos (it answers a client without it: %q): set HADOOP_CONF_DIR to the cluster's client configuration, or output.hdfs.kerberos", nns, who, err, refusal)
			}
		}
		return nil, unavailable{fmt.Errorf("connect to namenode %s as %s: server defaults: %w%s", nns, who, err, connectHint(addrs))}
	}
	// NewClient's handshake only writes, so a namenode that accepts and drops the connection,
	// or rejects the user, shows only at the first call.
	if _, err := client.Stat("/"); err != nil {
		_ = client.Close()
		err = unwrapPathError(err)
		var refused hdfs.Error
		if errors.As(err, &refused) {
			return nil, fmt.Errorf("namenode %s refused a call from %s: %w", nns, who, err)
		}
		return nil, unavailable{fmt.Errorf("namenode %s did not answer (as %s): %w%s", nns, who, err, connectHint(addrs))}
	}
	return &HDFS{client: client, addrs: addrs, user: client.User(), retry: defaultCloseRetry, refs: 1}, nil
}

func connectHint(addrs []string) string {
	s := "; check that the namenode is up and reachable from here"
	if len(addrs) == 1 {
		s += " (for an HA pair list both, as in hdfs://nn1:8020,nn2:8020/path, or name the nameservice with HADOOP_CONF_DIR set)"
	}
	return s
}

// unwrapPathError drops the client's "stat /:" prefix from a probe error, which would suggest
// that "/" is the problem.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func hdfsUser(u string) (string, error) {
	if u != "" {
		return u, nil
	}
	if u = os.Getenv("HADOOP_USER_NAME"); u != "" {
		return u, nil
	}
	cur, err := user.Current()
	if err != nil {
		return "", fmt.Errorf("find the HDFS user: %w; set HADOOP_USER_NAME or the HDFS user option", err)
	}
	return cur.Username, nil
}

// kerberosClient logs in with a keytab, or loads a ticket cache that kinit filled. A keytab
// client logs in again by itself: gokrb5 renews or replaces the TGT at 5/6 of its lifetime, and
// asks for a new namenode ticket when the cached one has expired, which a new namenode connection
// (after a failover, a restart, a dropped connection) needs; e2e.TestRealSecureHDFSTicketRenewal
// proves it across several ticket lifetimes. A ticket cache is read once, so a process that runs
// longer than its tickets' lifetime needs a keytab.
func kerberosClient(k HDFSKerberos, conf hadoopConf) (*krb.Client, error) {
	cfgPath := k.Krb5Conf
	if cfgPath == "" {
		cfgPath = os.Getenv("KRB5_CONFIG")
	}
	if cfgPath == "" {
		cfgPath = "/etc/krb5.conf"
	}
	cfg, err := krbconfig.Load(cfgPath)
	if err != nil {
		return nil, fmt.Errorf("kerberos: load %s: %w; set the HDFS kerberos krb5_conf or KRB5_CONFIG", cfgPath, err)
	}
	// gokrb5's FAST pre-authentication is refused by Active Directory and most MIT KDCs.
	settings := []func(*krb.Settings){krb.DisablePAFXFAST(true)}
	if k.Keytab != "" {
		if k.Principal == "" {
			return nil, errors.New("kerberos: a keytab needs a principal to log in as; set the HDFS kerberos principal, such as kafka2hdfs/_HOST@EXAMPLE.COM")
		}
		kt, err := keytab.Load(k.Keytab)
		if err != nil {
			return nil, fmt.Errorf("kerberos: load keytab %s: %w", k.Keytab, err)
		}
		name, realm, _ := strings.Cut(k.Principal, "@")
		if strings.Contains(name, "_HOST") {
			host, err := os.Hostname()
			if err != nil {
				return nil, fmt.Errorf("kerberos: principal %s: this host's name for _HOST: %w", k.Principal, err)
			}
			name = strings.ReplaceAll(name, "_HOST", strings.ToLower(host))
		}
		if realm == "" {
			realm = cfg.LibDefaults.DefaultRealm
		}
		if realm == "" {
			return nil, fmt.Errorf("kerberos: principal %s has no realm and %s sets no default_realm; write it as name@REALM", k.Principal, cfgPath)
		}
		kc := krb.NewWithKeytab(name, realm, kt, cfg, settings...)
		if err := kc.Login(); err != nil {
			return nil, fmt.Errorf("kerberos: log in as %s@%s with keytab %s: %w", name, realm, k.Keytab, kerberosHint(err, ""))
		}
		return kc, nil
	}
	cc := k.CCache
	if cc == "" {
		cc = os.Getenv("KRB5CCNAME")
		if kind, p, ok := strings.Cut(cc, ":"); ok {
			if kind != "FILE" {
				return nil, fmt.Errorf("kerberos: KRB5CCNAME=%s is not a FILE: ticket cache, the only kind supported; set the HDFS kerberos ccache, or a keytab", cc)
			}
			cc = p
		}
	}
	if cc == "" {
		u, err := user.Current()
		if err != nil {
			return nil, fmt.Errorf("kerberos: find the default ticket cache: %w; set KRB5CCNAME", err)
		}
		cc = "/tmp/krb5cc_" + u.Uid
	}
	ccache, err := credentials.LoadCCache(cc)
	if err != nil {
		return nil, fmt.Errorf("kerberos: load ticket cache %s: %w; run kinit, or set the HDFS kerberos keytab and principal", cc, err)
	}
	if err := checkTGT(ccache, cc, time.Now()); err != nil {
		return nil, err
	}
	kc, err := krb.NewFromCCache(ccache, cfg, settings...)
	if err != nil {
		return nil, fmt.Errorf("kerberos: ticket cache %s: %w; run kinit again", cc, err)
	}
	return kc, nil
}

// openShared returns the process's client for these options and namenodes, connecting it the
// first time.
func openShared(opts HDFSOptions, conf hadoopConf, addrs []string, perms Perms) (*HDFS, error) {
	key := fmt.Sprintf("%q|%q|%+v|%+v", addrs, conf.dir, opts, perms)
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if h := shared.m[key]; h != nil {
		h.refs++
		return h, nil
	}
	// Connecting under the lock serialises Opens of different clusters too; they happen at
	// start-up, and a second Open of the same one must wait for the first anyway.
	h, err := newHDFS(opts, conf, addrs)
	if err != nil {
		return nil, err
	}
	h.perms = perms
	if shared.m == nil {
		shared.m = map[string]*HDFS{}
	}
	h.key = key
	shared.m[key] = h
	return h, nil
}

// Close releases the HDFS; the client closes with the last user of a shared one (see Open).
// Files still open for writing lose their leases, as if the process had died.
func (h *HDFS) Close() error {
	shared.mu.Lock()
	if h.refs <= 0 {
		shared.mu.Unlock()
		return nil
	}
	h.refs--
	last := h.refs == 0
	if last && h.key != "" {
		delete(shared.m, h.key)
	}
	shared.mu.Unlock()
	if !last {
		return nil
	}
	if err := h.client.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("close hdfs client: %w", err)
	}
	return nil
}

// NameNodes are the namenode addresses, in failover order.
func (h *HDFS) NameNodes() []string { return h.addrs }

// User is who the client acts as: the HDFS user, or the Kerberos principal's user name.
func (h *HDFS) User() string { return h.user }

// Create implements FS. The parent must exist (the client never creates parents).
func (h *HDFS) Create(ctx context.Context, name string) (File, error) {
	if err := ctx.Err(); err != nil {
		return nil, &fs.PathError{Op: "create", Path: name, Err: err}
	}
	// client.Create would give every file 0644; CreateFile takes the mode, with the replication
	// and block size Create would use (the namenode's defaults, fetched once per client).
	if _, err := h.client.Stat(name); err == nil {
		return nil, &fs.PathError{Op: "create", Path: name, Err: fs.ErrExist}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, pathError("create", name, err)
	}
	d, err := h.client.ServerDefaults()
	if err != nil {
		return nil, pathError("create", name, err)
	}
	w, err := h.client.CreateFile(name, d.Replication, d.BlockSize, fs.FileMode(h.perms.WithDefaults().File))
	if err != nil {
		return nil, pathError("create", name, err)
	}
	if d, ok := ctx.Deadline(); ok {
		_ = w.SetDeadline(d) // only records it; errors come with the first block
	}
	return &hdfsFile{h: h, w: w, name: name}, nil
}

// hdfsFile is a file being written. Like os.File for writing, it is for one goroutine.
type hdfsFile struct {
	h    *HDFS
	w    *hdfs.FileWriter
	name string
	// done is set once the file was closed durably or aborted: Abort after Close is a no-op,
	// so that `defer f.Abort()` is safe.
	done bool
}

func (f *hdfsFile) Write(p []byte) (int, error) {
	if f.done {
		return 0, &fs.PathError{Op: "write", Path: f.name, Err: fs.ErrClosed}
	}
	n, err := f.w.Write(p)
	if err != nil {
		return n, pathError("write", f.name, err)
	}
	return n, nil
}

// Close finishes the last block and completes the file. The namenode may answer complete with
// "not yet" while the last block is replicated; the client reports that as ErrReplicating and
// never retries, so Close does, with backoff. A repeated complete is harmless: the data is all
// on the datanodes by then.
func (f *hdfsFile) Close() error {
	if f.done {
		return &fs.PathError{Op: "close", Path: f.name, Err: fs.ErrClosed}
	}
	r := f.h.retry
	delay := r.delay
	for attempt := 1; ; attempt++ {
		err := f.w.Close()
		if err == nil {
			f.done = true
			return nil
		}
		if !hdfs.IsErrReplicating(err) {
			return pathError("close", f.name, err)
		}
		if attempt >= r.attempts {
			return fmt.Errorf("close %s: the namenode still had the last block under replication after %d tries: %w", f.name, attempt, err)
		}
		time.Sleep(delay)
		delay = min(2*delay, r.maxDelay)
	}
}

// Abort closes the writer once, ignoring its error (it may be the failure that led here), to
// release the datanode connection, then deletes the file, which we still hold the lease of, so
// that no half-written file stays behind.
func (f *hdfsFile) Abort() error {
	if f.done {
		return nil
	}
	f.done = true
	_ = f.w.SetDeadline(time.Now().Add(abortTimeout))
	_ = f.w.Close()
	if err := f.h.client.Remove(f.name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return pathError("abort", f.name, err)
	}
	return nil
}

// Open implements FS.
func (h *HDFS) Open(ctx context.Context, name string) (ReadFile, error) {
	if err := ctx.Err(); err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	r, err := h.client.Open(name)
	if err != nil {
		return nil, pathError("open", name, err)
	}
	if d, ok := ctx.Deadline(); ok {
		_ = r.SetDeadline(d)
	}
	return &hdfsReadFile{r: r, size: r.Stat().Size()}, nil
}

// hdfsReadFile makes the client's FileReader safe for concurrent use, as io.ReaderAt requires
// (Parquet readers fetch column chunks in parallel): the FileReader implements ReadAt as Seek
// plus Read on its one position and block stream. ReadAt leaves Read's position alone, as
// os.File's does.
type hdfsReadFile struct {
	mu   sync.Mutex
	r    *hdfs.FileReader
	size int64
	pos  int64 // Read's position
	// moved is set when a ReadAt moved the FileReader away from pos.
	moved bool
}

func (f *hdfsReadFile) Size() int64 { return f.size }

func (f *hdfsReadFile) Read(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pos >= f.size {
		return 0, io.EOF
	}
	if f.moved {
		if _, err := f.r.Seek(f.pos, io.SeekStart); err != nil {
			return 0, err
		}
		f.moved = false
	}
	n, err := f.r.Read(p)
	f.pos += int64(n)
	return n, err
}

func (f *hdfsReadFile) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, &fs.PathError{Op: "readat", Path: f.r.Name(), Err: errors.New("negative offset")}
	}
	if len(p) == 0 {
		return 0, nil
	}
	if off >= f.size {
		return 0, io.EOF
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.moved = true
	return f.r.ReadAt(p, off)
}

func (f *hdfsReadFile) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.r.Close()
}

// Rename implements FS. It replaces newpath, like the client (rename2 with overwrite).
func (h *HDFS) Rename(ctx context.Context, oldpath, newpath string) error {
	if err := ctx.Err(); err != nil {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
	}
	return pathError("rename", oldpath, h.client.Rename(oldpath, newpath))
}

// Remove implements FS; a non-empty directory fails with syscall.ENOTEMPTY.
func (h *HDFS) Remove(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return &fs.PathError{Op: "remove", Path: name, Err: err}
	}
	return pathError("remove", name, h.client.Remove(name))
}

// MkdirAll implements FS.
func (h *HDFS) MkdirAll(ctx context.Context, dir string) error {
	if err := ctx.Err(); err != nil {
		return &fs.PathError{Op: "mkdir", Path: dir, Err: err}
	}
	return pathError("mkdir", dir, h.client.MkdirAll(dir, fs.FileMode(h.perms.WithDefaults().Dir)))
}

// Stat implements FS.
func (h *HDFS) Stat(ctx context.Context, name string) (fs.FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	fi, err := h.client.Stat(name)
	if err != nil {
		return nil, pathError("stat", name, err)
	}
	return fi, nil
}

// ReadDir implements FS.
func (h *HDFS) ReadDir(ctx context.Context, dir string) ([]fs.FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: dir, Err: err}
	}
	infos, err := h.client.ReadDir(dir)
	if err != nil {
		return nil, pathError("readdir", dir, err)
	}
	// A namenode lists in name order already; the contract should not rest on it.
	sort.Slice(infos, func(i, j int) bool { return infos[i].Name() < infos[j].Name() })
	return infos, nil
}

// pathError keeps the client's *os.PathError (it maps namenode exceptions to fs.ErrNotExist,
// fs.ErrExist, fs.ErrPermission and syscall.ENOTEMPTY inside it) and gives the errors it
// returns bare, such as a lost namenode connection, the same shape.
func pathError(op, name string, err error) error {
	if err == nil {
		return nil
	}
	err = protectionHint(err)
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return err
	}
	return &fs.PathError{Op: op, Path: name, Err: err}
}
