package storage

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/colinmarc/hdfs/v2/hadoopconf"
)

// defaultNameNodePort is the port Hadoop assumes when an hdfs:// URL names a host without one
// (dfs.namenode.rpc-address's default).
const defaultNameNodePort = "8020"

// hadoopConf is a loaded Hadoop configuration and the directory it came from ("" if none), which
// error messages name so that a user knows which files were read.
type hadoopConf struct {
	dir  string
	conf hadoopconf.HadoopConf
}

// loadHadoopConf reads core-site.xml and hdfs-site.xml from dir, or from $HADOOP_CONF_DIR when dir
// is "". No directory at all is fine (URLs with host:port need none); a directory that was asked
// for but cannot be read is an error, since it would silently change which cluster is used.
func loadHadoopConf(dir string) (hadoopConf, error) {
	source := "hadoop_conf_dir"
	if dir == "" {
		dir, source = os.Getenv("HADOOP_CONF_DIR"), "HADOOP_CONF_DIR"
	}
	if dir == "" {
		return hadoopConf{}, nil
	}
	st, err := os.Stat(dir)
	if err != nil {
		return hadoopConf{}, fmt.Errorf("hadoop configuration directory %s (from %s): %w", dir, source, err)
	}
	if !st.IsDir() {
		return hadoopConf{}, fmt.Errorf("hadoop configuration directory %s (from %s) is not a directory", dir, source)
	}
	conf, err := hadoopconf.Load(dir)
	if err != nil {
		return hadoopConf{}, fmt.Errorf("hadoop configuration in %s (from %s): %w", dir, source, err)
	}
	return hadoopConf{dir: dir, conf: conf}, nil
}

// describe names the configuration for error messages.
func (c hadoopConf) describe() string {
	if c.dir == "" {
		return "no Hadoop configuration (HADOOP_CONF_DIR is not set)"
	}
	if c.conf == nil {
		return fmt.Sprintf("the Hadoop configuration in %s (which has no core-site.xml or hdfs-site.xml)", c.dir)
	}
	return "the Hadoop configuration in " + c.dir
}

// isHDFSURL reports whether root uses the hdfs scheme, in any case, with or without the slashes
// (hdfs:/x is a malformed HDFS URL, not a local path named "hdfs:").
func isHDFSURL(root string) bool {
	scheme, _, ok := strings.Cut(root, ":")
	return ok && strings.EqualFold(scheme, "hdfs")
}

// parseHDFSURL splits an hdfs:// output root into namenode addresses (host:port, in failover
// order) and the absolute path within HDFS. It reads the Hadoop configuration only where Hadoop
// tools would: for hdfs:///path (fs.defaultFS) and for a name without a port that may be a
// nameservice. It never touches the network.
func parseHDFSURL(root string, conf hadoopConf) (addrs []string, p string, err error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("output root %q: %s", root, fmt.Sprintf(format, args...))
	}
	_, rest, _ := strings.Cut(root, ":")
	if !strings.HasPrefix(rest, "//") {
		return nil, "", bad("write HDFS URLs as hdfs://namenode:8020/path, hdfs://nameservice/path or hdfs:///path")
	}
	rest = rest[2:]
	if strings.ContainsAny(rest, "?#") {
		return nil, "", bad("HDFS paths take no query or fragment (? or #)")
	}
	authority, p, found := strings.Cut(rest, "/")
	if !found {
		return nil, "", bad("no path after the namenode; write it like hdfs://namenode:8020/warehouse/events")
	}
	p = path.Clean("/" + p)
	if strings.Contains(authority, "@") {
		return nil, "", bad("a user name does not go in the URL; set the HDFS user option or HADOOP_USER_NAME")
	}
	if authority == "" {
		addrs, err = defaultFSNameNodes(conf)
		if err != nil {
			return nil, "", bad("%v", err)
		}
		return addrs, p, nil
	}
	addrs, err = resolveAuthority(authority, conf)
	if err != nil {
		return nil, "", bad("%v", err)
	}
	return addrs, p, nil
}

// resolveAuthority turns a URL's authority into namenode addresses: a comma-separated list of
// host[:port] (an HA pair named directly), or one name, which is a nameservice when the
// configuration defines it and otherwise a host on the default port, as Hadoop resolves it.
func resolveAuthority(authority string, conf hadoopConf) ([]string, error) {
	entries := strings.Split(authority, ",")
	if len(entries) == 1 {
		host, port, err := splitNameNode(entries[0])
		if err != nil {
			return nil, err
		}
		if port == "" {
			if addrs, ok, err := nameserviceNameNodes(host, conf); ok || err != nil {
				return addrs, err
			}
			port = defaultNameNodePort
		}
		return []string{net.JoinHostPort(host, port)}, nil
	}
	addrs := make([]string, 0, len(entries))
	for _, e := range entries {
		if e == "" {
			return nil, errors.New("empty namenode address in the list; separate namenodes with single commas, as in hdfs://nn1:8020,nn2:8020/path")
		}
		host, port, err := splitNameNode(e)
		if err != nil {
			return nil, err
		}
		if port == "" {
			if _, ok, _ := nameserviceNameNodes(host, conf); ok {
				return nil, fmt.Errorf("%s is a nameservice and cannot be part of a namenode list; write hdfs://%s/path alone", host, host)
			}
			port = defaultNameNodePort
		}
		addr := net.JoinHostPort(host, port)
		if slices.Contains(addrs, addr) {
			return nil, fmt.Errorf("namenode %s is listed twice", addr)
		}
		addrs = append(addrs, addr)
	}
	return addrs, nil
}

// splitNameNode splits host[:port] (or [ipv6][:port]); port is "" when absent.
func splitNameNode(s string) (host, port string, err error) {
	if host, port, err = net.SplitHostPort(s); err != nil {
		// No port: a bare name, or a bracketed IPv6 literal.
		host, port = s, ""
		if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
			host = s[1 : len(s)-1]
			if net.ParseIP(host) == nil {
				return "", "", fmt.Errorf("namenode address %q: %q is not an IPv6 address", s, host)
			}
		} else if strings.ContainsAny(host, ":[]") {
			return "", "", fmt.Errorf("namenode address %q is malformed; write host:port, such as nn1.example.com:8020", s)
		}
	}
	if host == "" {
		return "", "", fmt.Errorf("namenode address %q has no host", s)
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "", "", fmt.Errorf("namenode address %q: port %q is not a number from 1 to 65535", s, port)
		}
	}
	return host, port, nil
}

// nameserviceNameNodes resolves a logical nameservice through hdfs-site.xml: the namenode ids in
// dfs.ha.namenodes.<ns>, each with dfs.namenode.rpc-address.<ns>.<id>, or the single
// dfs.namenode.rpc-address.<ns> of a federated, non-HA nameservice. ok is false when ns is not a
// nameservice of the configuration (it is then a host name).
func nameserviceNameNodes(ns string, conf hadoopConf) (addrs []string, ok bool, err error) {
	c := conf.conf
	if ids, found := c["dfs.ha.namenodes."+ns]; found {
		for _, id := range strings.Split(ids, ",") {
			id = strings.TrimSpace(id)
			if id == "" {
				continue
			}
			key := "dfs.namenode.rpc-address." + ns + "." + id
			addr := strings.TrimSpace(c[key])
			if addr == "" {
				return nil, true, fmt.Errorf("nameservice %s: dfs.ha.namenodes.%s lists namenode %s, but %s is not set in %s", ns, ns, id, key, conf.describe())
			}
			if _, _, err := net.SplitHostPort(addr); err != nil {
				return nil, true, fmt.Errorf("nameservice %s: %s is %q, not host:port (in %s)", ns, key, addr, conf.describe())
			}
			addrs = append(addrs, addr)
		}
		if len(addrs) == 0 {
			return nil, true, fmt.Errorf("nameservice %s: dfs.ha.namenodes.%s lists no namenode in %s", ns, ns, conf.describe())
		}
		return addrs, true, nil
	}
	if addr := strings.TrimSpace(c["dfs.namenode.rpc-address."+ns]); addr != "" {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return nil, true, fmt.Errorf("nameservice %s: dfs.namenode.rpc-address.%s is %q, not host:port (in %s)", ns, ns, addr, conf.describe())
		}
		return []string{addr}, true, nil
	}
	return nil, false, nil
}

// defaultFSNameNodes resolves hdfs:///path: the namenode is fs.defaultFS's (fs.default.name in
// old configurations), as for `hdfs dfs -ls /path`.
func defaultFSNameNodes(conf hadoopConf) ([]string, error) {
	key := "fs.defaultFS"
	def := strings.TrimSpace(conf.conf[key])
	if def == "" {
		key = "fs.default.name"
		def = strings.TrimSpace(conf.conf[key])
	}
	if def == "" {
		return nil, fmt.Errorf("hdfs:/// names no namenode, and %s sets no fs.defaultFS; write hdfs://namenode:8020/path, or set HADOOP_CONF_DIR to a directory whose core-site.xml sets fs.defaultFS", conf.describe())
	}
	if !isHDFSURL(def) || !strings.HasPrefix(def[len("hdfs:"):], "//") {
		return nil, fmt.Errorf("hdfs:/// takes its namenode from %s = %q in %s, which is not an hdfs:// URL; name the namenode in the URL", key, def, filepath.Clean(conf.dir))
	}
	authority, _, _ := strings.Cut(def[len("hdfs://"):], "/")
	if authority == "" {
		return nil, fmt.Errorf("%s = %q in %s names no namenode", key, def, filepath.Clean(conf.dir))
	}
	addrs, err := resolveAuthority(authority, conf)
	if err != nil {
		return nil, fmt.Errorf("%s = %q: %w", key, def, err)
	}
	return addrs, nil
}
