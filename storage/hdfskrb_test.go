package storage

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// TestRequiresKerberos: a namenode that answers the RPC header of a client without Kerberos with
// Hadoop's refusal (the bytes a Kerberized Hadoop 3.5 NameNode sends, e2e.TestRealSecureHDFSRefused)
// is recognised and quoted; one that waits for more, as any other namenode does, and an address
// nothing listens on are not.
func TestRequiresKerberos(t *testing.T) {
	serve := func(reply []byte) string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = l.Close() })
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				header := make([]byte, 7)
				if _, err := io.ReadFull(c, header); err == nil && bytes.Equal(header, []byte("hrpc\x09\x00\x00")) && reply != nil {
					_, _ = c.Write(reply)
					_ = c.Close()
					continue
				}
				go func() { time.Sleep(3 * time.Second); _ = c.Close() }()
			}
		}()
		return l.Addr().String()
	}
	refusal := []byte("\x00\x00\x00\x8a\x88\x01\x08\xdf\xff\xff\xff\x0f\x10\x02\x22\x31org.apache.hadoop.security.AccessControlException" +
		"\x2a\x42SIMPLE authentication is not enabled.  Available:[TOKEN, KERBEROS]\x30\x0e")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	_ = l.Close()
	dial := (&net.Dialer{}).DialContext

	got, ok := requiresKerberos(dial, []string{dead, serve(refusal)}, time.Second)
	if want := "SIMPLE authentication is not enabled.  Available:[TOKEN, KERBEROS]"; !ok || got != want {
		t.Errorf("refusing namenode: got %q, %v; want %q, true", got, ok, want)
	}
	start := time.Now()
	if got, ok := requiresKerberos(dial, []string{serve(nil), dead}, time.Second); ok {
		t.Errorf("a namenode waiting for the rest of the connection: got %q, true", got)
	}
	if took := time.Since(start); took > 2500*time.Millisecond {
		t.Errorf("the probe of a waiting namenode took %s, want about a second", took)
	}
}
