package hdfstest

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"
)

// rawNN is a hand-driven NameNode connection, for what the real client cannot be made to send.
type rawNN struct {
	t      *testing.T
	conn   net.Conn
	br     *bufio.Reader
	id     []byte
	callID int32
}

func dialNN(t *testing.T, c *Cluster, auth byte) *rawNN {
	t.Helper()
	conn, err := net.Dial("tcp", c.NameNodeAddr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	r := &rawNN{t: t, conn: conn, br: bufio.NewReader(conn), id: []byte("0123456789abcdef")}
	r.write([]byte{'h', 'r', 'p', 'c', 9, 0, auth})
	return r
}

func (r *rawNN) write(b []byte) {
	r.t.Helper()
	if _, err := r.conn.Write(b); err != nil {
		r.t.Fatal(err)
	}
}

// frame builds an IPC frame from its parts.
func frame(parts ...[]byte) []byte {
	f := make([]byte, 4)
	for _, p := range parts {
		f = prefixed(f, p)
	}
	binary.BigEndian.PutUint32(f, uint32(len(f)-4))
	return f
}

func (r *rawNN) handshake() {
	h := rpcRequestHeader{rpcKind: rpcKindProtobuf, callID: handshakeCallID, clientID: r.id}
	cc := connectionContext{effectiveUser: "raw", protocol: clientProtocol}
	r.write(frame(h.encode(nil), cc.encode(nil)))
}

// send sends a call and returns its call id.
func (r *rawNN) send(method, protocol string, body []byte) int32 {
	r.callID++
	h := rpcRequestHeader{rpcKind: rpcKindProtobuf, callID: r.callID, clientID: r.id}
	rh := requestHeader{method: method, protocol: protocol, version: 1}
	r.write(frame(h.encode(nil), rh.encode(nil), body))
	return r.callID
}

// reply reads one reply frame.
func (r *rawNN) reply() (rpcResponseHeader, []byte) {
	r.t.Helper()
	f, err := readRPCFrame(r.br, maxRPCFrame)
	if err != nil {
		r.t.Fatalf("read reply: %v", err)
	}
	parts, err := splitFrame(f, 2)
	if err != nil || len(parts) == 0 {
		r.t.Fatalf("reply frame: %v (%d parts)", err, len(parts))
	}
	h, err := decodeRPCResponseHeader(parts[0])
	if err != nil {
		r.t.Fatal(err)
	}
	if len(parts) == 1 {
		return h, nil
	}
	return h, parts[1]
}

func TestRawIPC(t *testing.T) {
	t.Parallel()
	c := startCluster(t, Options{})
	r := dialNN(t, c, authNone)
	r.handshake()

	call := func(method, protocol string, body []byte) (rpcResponseHeader, []byte) {
		t.Helper()
		id := r.send(method, protocol, body)
		h, b := r.reply()
		if int32(h.callID) != id || !bytes.Equal(h.clientID, r.id) {
			t.Fatalf("%s: reply for call %d (client %q), want %d (%q)", method, h.callID, h.clientID, id, r.id)
		}
		return h, b
	}
	wantError := func(method string, h rpcResponseHeader, body []byte, class string, detail uint64) {
		t.Helper()
		if h.status != rpcStatusError || h.exceptionClass != class || h.errorDetail != detail || body != nil {
			t.Errorf("%s: got status %d class %q detail %d body %x (%s), want ERROR %q detail %d and no body",
				method, h.status, h.exceptionClass, h.errorDetail, body, h.errorMsg, class, detail)
		}
	}

	h, body := call("frobnicate", clientProtocol, nil)
	wantError("frobnicate", h, body, classNoSuchMethod, errDetailNoSuchMethod)

	// A request without its required src field.
	h, body = call("getFileInfo", clientProtocol, nil)
	wantError("getFileInfo without src", h, body, classRPCServer, errDetailRPCServer)

	h, body = call("getFileInfo", "org.example.OtherProtocol", pb(nil).str(1, "/"))
	wantError("other protocol", h, body, "org.apache.hadoop.ipc.RpcNoSuchProtocolException",
		errDetailNoSuchProto)

	// A ping gets no reply: the next reply is for the next call.
	ping := rpcRequestHeader{rpcKind: rpcKindProtobuf, callID: pingCallID, clientID: r.id}
	r.write(frame(ping.encode(nil)))

	// The connection still works after all of that.
	h, body = call("getFileInfo", clientProtocol, pb(nil).str(1, "/"))
	if h.status != rpcStatusSuccess || len(body) == 0 {
		t.Fatalf("getFileInfo /: status %d %s, body %x", h.status, h.errorMsg, body)
	}
	// A missing path is an empty reply, not an exception.
	h, body = call("getFileInfo", clientProtocol, pb(nil).str(1, "/missing"))
	if h.status != rpcStatusSuccess || len(body) != 0 {
		t.Fatalf("getFileInfo /missing: status %d, body %x", h.status, body)
	}
}

func TestSASLRefused(t *testing.T) {
	t.Parallel()
	c := startCluster(t, Options{})
	r := dialNN(t, c, authSASL)
	negotiate := rpcRequestHeader{rpcKind: rpcKindProtobuf, callID: saslCallID, clientID: r.id}
	r.write(frame(negotiate.encode(nil), pb(nil).uint(2, 1))) // RpcSaslProto{state: NEGOTIATE}
	h, _ := r.reply()
	if int32(h.callID) != saslCallID || h.status != rpcStatusFatal ||
		h.exceptionClass != "org.apache.hadoop.security.AccessControlException" {
		t.Errorf("SASL reply: call %d status %d class %q msg %q",
			int32(h.callID), h.status, h.exceptionClass, h.errorMsg)
	}
	if _, err := r.br.ReadByte(); err != io.EOF {
		t.Errorf("after refusing SASL: got %v, want the connection closed", err)
	}
}

func TestBadConnectionsAreClosed(t *testing.T) {
	t.Parallel()
	c := startCluster(t, Options{})
	cases := map[string][]byte{
		"http":        []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
		"old version": {'h', 'r', 'p', 'c', 7, 0, 0},
		"huge frame":  append([]byte{'h', 'r', 'p', 'c', 9, 0, 0}, 0x7f, 0xff, 0xff, 0xff),
		"bad context": append([]byte{'h', 'r', 'p', 'c', 9, 0, 0}, frame([]byte{0xff})...),
	}
	for name, b := range cases {
		conn, err := net.Dial("tcp", c.NameNodeAddr())
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		conn.Write(b)
		if _, err := conn.Read(make([]byte, 1)); err == nil {
			t.Errorf("%s: got a reply, want the connection closed", name)
		} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Errorf("%s: connection still open", name)
		}
		conn.Close()
	}
	// The server is still fine.
	cl := newClient(t, c)
	if _, err := cl.Stat("/"); err != nil {
		t.Fatal(err)
	}
}
