package storage

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/colinmarc/hdfs/v2"
	"github.com/colinmarc/hdfs/v2/hadoopconf"

	"github.com/kafka2hdfs/kafka2hdfs/hdfstest"
)

func TestParseHDFSURL(t *testing.T) {
	conf := hadoopConf{dir: "/etc/hadoop/conf", conf: hadoopconf.HadoopConf{
		"fs.defaultFS":                        "hdfs://ns1",
		"dfs.nameservices":                    "ns1,ns2,broken",
		"dfs.ha.namenodes.ns1":                "nn1, nn2",
		"dfs.namenode.rpc-address.ns1.nn1":    "a.example.com:8020",
		"dfs.namenode.rpc-address.ns1.nn2":    "b.example.com:8020",
		"dfs.namenode.rpc-address.ns2":        "c.example.com:9000",
		"dfs.ha.namenodes.broken":             "nn1,nn2",
		"dfs.namenode.rpc-address.broken.nn1": "d.example.com:8020",
	}}
	ok := []struct {
		root      string
		wantAddrs string
		wantPath  string
	}{
		{"hdfs://nn1:8020/warehouse/events", "nn1:8020", "/warehouse/events"},
		{"hdfs://nn1:8020,nn2:8021/warehouse/events", "nn1:8020 nn2:8021", "/warehouse/events"},
		{"hdfs://nn1/w", "nn1:8020", "/w"}, // a host, not a nameservice: Hadoop's default port
		{"hdfs://nn1,nn2/w", "nn1:8020 nn2:8020", "/w"},
		{"HDFS://nn1:9000/a/../b//c/", "nn1:9000", "/b/c"},
		{"hdfs://nn1:8020/", "nn1:8020", "/"},
		{"hdfs://ns1/w", "a.example.com:8020 b.example.com:8020", "/w"},
		{"hdfs://ns2/w", "c.example.com:9000", "/w"},
		{"hdfs://ns1:8020/w", "ns1:8020", "/w"}, // with a port it is a host
		{"hdfs:///w", "a.example.com:8020 b.example.com:8020", "/w"},
		{"hdfs://[::1]:8020/w", "[::1]:8020", "/w"},
		{"hdfs://[::1]/w", "[::1]:8020", "/w"},
	}
	for _, tt := range ok {
		addrs, p, err := parseHDFSURL(tt.root, conf)
		if err != nil {
			t.Errorf("%s: %v", tt.root, err)
			continue
		}
		if strings.Join(addrs, " ") != tt.wantAddrs || p != tt.wantPath {
			t.Errorf("%s: got %v %s, want %s %s", tt.root, addrs, p, tt.wantAddrs, tt.wantPath)
		}
	}

	bad := []struct {
		root string
		conf hadoopConf
		want string
	}{
		{"hdfs:/w", conf, "write HDFS URLs as hdfs://namenode:8020/path"},
		{"hdfs:w", conf, "write HDFS URLs as"},
		{"hdfs://nn1:8020", conf, "no path after the namenode; write it like hdfs://namenode:8020/warehouse/events"},
		{"hdfs://nn1:8020/w#x", conf, "no query or fragment"},
		{"hdfs://etl@nn1:8020/w", conf, "user name does not go in the URL"},
		{"hdfs://nn1:0/w", conf, `port "0" is not a number from 1 to 65535`},
		{"hdfs://nn1:65536/w", conf, `port "65536"`},
		{"hdfs://:8020/w", conf, "has no host"},
		{"hdfs://nn1:8020:1/w", conf, "malformed"},
		{"hdfs://nn1:8020,/w", conf, "empty namenode address in the list"},
		{"hdfs://nn1:8020,nn1:8020/w", conf, "namenode nn1:8020 is listed twice"},
		{"hdfs://ns1,nn2:8020/w", conf, "ns1 is a nameservice and cannot be part of a namenode list"},
		{"hdfs://broken/w", conf, "dfs.ha.namenodes.broken lists namenode nn2, but dfs.namenode.rpc-address.broken.nn2 is not set in the Hadoop configuration in /etc/hadoop/conf"},
		{"hdfs:///w", hadoopConf{}, "hdfs:/// names no namenode, and no Hadoop configuration (HADOOP_CONF_DIR is not set) sets no fs.defaultFS"},
		{"hdfs:///w", hadoopConf{dir: "/c", conf: hadoopconf.HadoopConf{"fs.defaultFS": "file:///"}}, `fs.defaultFS = "file:///" in /c, which is not an hdfs:// URL`},
		{"hdfs:///w", hadoopConf{dir: "/c", conf: hadoopconf.HadoopConf{"fs.default.name": "hdfs:///"}}, `fs.default.name = "hdfs:///" in /c names no namenode`},
	}
	for _, tt := range bad {
		_, _, err := parseHDFSURL(tt.root, tt.conf)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want an error containing %q", tt.root, err, tt.want)
			continue
		}
		if !strings.HasPrefix(err.Error(), `output root "`+tt.root+`": `) {
			t.Errorf("%s: error does not start with the root: %v", tt.root, err)
		}
	}
}

func TestLoadHadoopConf(t *testing.T) {
	dir := t.TempDir()
	site := `<configuration><property><name>dfs.ha.namenodes.ns</name><value>a</value></property></configuration>`
	if err := os.WriteFile(filepath.Join(dir, "hdfs-site.xml"), []byte(site), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "hdfs-site.xml")
	t.Setenv("HADOOP_CONF_DIR", dir)
	if c, err := loadHadoopConf(""); err != nil || c.dir != dir || c.conf["dfs.ha.namenodes.ns"] != "a" {
		t.Errorf("from HADOOP_CONF_DIR: %+v, %v", c, err)
	}
	if _, err := loadHadoopConf(file); err == nil || !strings.Contains(err.Error(), "is not a directory") {
		t.Errorf("a file: got %v", err)
	}
	t.Setenv("HADOOP_CONF_DIR", filepath.Join(dir, "gone"))
	if _, err := loadHadoopConf(""); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "(from HADOOP_CONF_DIR)") {
		t.Errorf("a missing HADOOP_CONF_DIR: got %v", err)
	}
	t.Setenv("HADOOP_CONF_DIR", "")
	if c, err := loadHadoopConf(""); err != nil || c.conf != nil {
		t.Errorf("no configuration: %+v, %v", c, err)
	}
}

// TestCloseGivesUp: a namenode that keeps answering "not yet" makes Close fail after the retry
// budget, with an error that says so, and Abort still removes the file.
func TestCloseGivesUp(t *testing.T) {
	t.Parallel()
	c, err := hdfstest.Start(hdfstest.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	h, err := NewHDFS(HDFSOptions{User: "test", HadoopConfDir: t.TempDir()}, []string{c.NameNodeAddr()})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	h.retry = closeRetry{attempts: 4, delay: time.Millisecond, maxDelay: 2 * time.Millisecond}
	ctx := context.Background()
	f, err := h.Create(ctx, "/stuck")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("data")); err != nil {
		t.Fatal(err)
	}
	c.CompleteReplicating(5)
	err = f.Close()
	if !errors.Is(err, hdfs.ErrReplicating) || !strings.Contains(err.Error(), "after 4 tries") {
		t.Fatalf("close: got %v, want ErrReplicating after 4 tries", err)
	}
	if err := f.Abort(); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Stat(ctx, "/stuck"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stat after abort: %v", err)
	}
}
