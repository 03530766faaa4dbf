package hdfstest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"syscall"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// The NameNode side of Hadoop IPC (RPC version 9, protobuf engine).
//
// A connection starts with a 7-byte preamble and a connection-context frame that gets no reply;
// then the client sends calls, one at a time (colinmarc serialises calls per connection), and
// every call gets exactly one reply frame. So one goroutine per connection reads a call, runs it
// and writes the reply, and needs no locking of its own.
//
// The one rule that shapes the error handling: a NameNode connection is never dropped while the
// client is healthy. The client marks a NameNode that broke a connection as failed for 5 s and
// refuses every call in that window, so a bad call gets an error reply and the connection stays
// up. Only a frame that cannot be parsed far enough to answer (no call id) ends the connection.

const (
	// maxRPCFrame caps an IPC frame, as Hadoop's ipc.maximum.data.length (64 MiB) does. Frames
	// are read incrementally, so a hostile length costs no more memory than the bytes that
	// really arrive.
	maxRPCFrame = 64 << 20

	clientProtocol = "org.apache.hadoop.hdfs.protocol.ClientProtocol"

	handshakeCallID = -3
	pingCallID      = -4
	saslCallID      = -33

	authNone = 0x00
	authSASL = 0xDF

	rpcOpCloseConnection = 2
)

// errNoReply marks a call that must not be answered (a ping).
var errNoReply = &rpcError{msg: "no reply"}

// readRPCFrame reads one length-prefixed IPC frame.
func readRPCFrame(r io.Reader, limit int) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if int64(n) > int64(limit) {
		return nil, fmt.Errorf("ipc frame of %d bytes exceeds the %d-byte limit", n, limit)
	}
	return readN(r, nil, int(n))
}

// readN appends exactly n bytes from r to dst. It grows dst in steps of at most 1 MiB, so the
// allocation follows the bytes that actually arrive, not a length a peer claims.
func readN(r io.Reader, dst []byte, n int) ([]byte, error) {
	const step = 1 << 20
	for n > 0 {
		k := min(n, step)
		dst = slices.Grow(dst, k)
		m, err := io.ReadFull(r, dst[len(dst):len(dst)+k])
		dst = dst[:len(dst)+m]
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return dst, err
		}
		n -= k
	}
	return dst, nil
}

// splitFrame splits an IPC frame into its uvarint-length-prefixed parts. A frame may hold fewer
// than max parts (an error reply has no body); it may not hold trailing bytes.
func splitFrame(frame []byte, max int) ([][]byte, error) {
	var parts [][]byte
	for len(frame) > 0 {
		if len(parts) == max {
			return nil, fmt.Errorf("ipc frame has %d trailing bytes", len(frame))
		}
		p, n := protowire.ConsumeBytes(frame)
		if n < 0 {
			return nil, fmt.Errorf("ipc frame part %d: %w", len(parts), protowire.ParseError(n))
		}
		parts = append(parts, p)
		frame = frame[n:]
	}
	return parts, nil
}

// rpcCall is a parsed call frame.
type rpcCall struct {
	header rpcRequestHeader
	method string
	proto  string
	body   []byte
	// err is set when the call header parsed (so the call can be answered) but the rest did not.
	err *rpcError
}

// parseCall parses a call frame. An error means not even the call id could be read.
func parseCall(frame []byte) (rpcCall, error) {
	parts, err := splitFrame(frame, 3)
	if err != nil {
		return rpcCall{}, err
	}
	if len(parts) == 0 {
		return rpcCall{}, errors.New("empty ipc frame")
	}
	h, err := decodeRPCRequestHeader(parts[0])
	if err != nil {
		return rpcCall{}, err
	}
	call := rpcCall{header: h}
	switch {
	case h.rpcKind != rpcKindProtobuf:
		call.err = serverError("unsupported rpc kind %d: only RPC_PROTOCOL_BUFFER is served", h.rpcKind)
	case len(parts) < 2:
		call.err = serverError("call %d has no request header", h.callID)
	default:
		rh, err := decodeRequestHeader(parts[1])
		if err != nil {
			call.err = serverError("call %d: %v", h.callID, err)
			break
		}
		call.method, call.proto = rh.method, rh.protocol
		if len(parts) == 3 {
			call.body = parts[2]
		}
	}
	return call, nil
}

// replyFrame builds the reply to call h: the header alone for an error, header and body for a
// success. The client rejects a frame with bytes after the parts it expects.
func replyFrame(h rpcRequestHeader, body []byte, rerr *rpcError) []byte {
	rh := rpcResponseHeader{callID: uint32(h.callID), clientID: h.clientID, retryCount: h.retryCount}
	if rerr != nil {
		rh.status, rh.exceptionClass, rh.errorMsg, rh.errorDetail =
			rpcStatusError, rerr.class, rerr.msg, rerr.detail
		if rerr.fatal {
			rh.status = rpcStatusFatal
		}
	}
	frame := prefixed(make([]byte, 4, 64+len(body)), rh.encode(nil))
	if rerr == nil {
		frame = prefixed(frame, body)
	}
	binary.BigEndian.PutUint32(frame, uint32(len(frame)-4))
	return frame
}

func (c *Cluster) serveNameNode(conn net.Conn) {
	log := c.log.With("server", "namenode", "remote", conn.RemoteAddr().String())
	br := bufio.NewReader(conn)
	user, err := c.handshake(conn, br, log)
	if err != nil {
		logConnError(log, "handshake", err)
		return
	}
	log = log.With("user", user)
	log.Debug("client connected")
	for {
		frame, err := readRPCFrame(br, maxRPCFrame)
		if err != nil {
			logConnError(log, "read call", err)
			return
		}
		call, err := parseCall(frame)
		if err != nil {
			// Without a call id there is nothing to answer, and the stream may be out of step.
			log.Warn("unparseable call, closing connection", "err", err)
			return
		}
		if call.header.rpcOp == rpcOpCloseConnection {
			log.Debug("client asked to close the connection")
			return
		}
		body, rerr := c.runCall(call, user, log)
		if rerr == errNoReply {
			continue
		}
		c.sleep(time.Duration(c.faults.latency.Load()))
		if _, err := conn.Write(replyFrame(call.header, body, rerr)); err != nil {
			logConnError(log, "write reply", err)
			return
		}
	}
}

// runCall runs one call and returns its reply body or error.
func (c *Cluster) runCall(call rpcCall, user string, log *slog.Logger) ([]byte, *rpcError) {
	switch {
	case call.header.callID == pingCallID:
		return nil, errNoReply
	case call.header.callID < 0:
		log.Warn("ignoring call with reserved call id", "call_id", call.header.callID)
		return nil, errNoReply
	case call.err != nil:
		log.Warn("malformed call", "err", call.err.msg)
		return nil, call.err
	case call.proto != clientProtocol:
		return nil, &rpcError{class: "org.apache.hadoop.ipc.RpcNoSuchProtocolException",
			msg: fmt.Sprintf("unknown protocol: %s", call.proto), detail: errDetailNoSuchProto}
	}
	start := time.Now()
	body, err := c.ns.handle(call.method, user, call.body)
	var rerr *rpcError
	if err != nil && !errors.As(err, &rerr) {
		rerr = &rpcError{class: classIOException, msg: err.Error(), detail: errDetailApplication}
	}
	if log.Enabled(context.Background(), slog.LevelDebug) {
		args := []any{"method", call.method, "call_id", call.header.callID, "dur", time.Since(start)}
		if r, _, _ := decodeNNRequest(call.method, call.body); r.src != "" {
			args = append(args, "src", r.src) // decoded twice, but only when debugging
		}
		if rerr != nil {
			args = append(args, "exception", rerr.class, "err", rerr.msg)
		}
		log.Debug("rpc", args...)
	}
	return body, rerr
}

// handshake reads the preamble and the connection context and returns the effective user.
func (c *Cluster) handshake(conn net.Conn, br *bufio.Reader, log *slog.Logger) (string, error) {
	var pre [7]byte
	if _, err := io.ReadFull(br, pre[:]); err != nil {
		return "", fmt.Errorf("read preamble: %w", err)
	}
	if !bytes.Equal(pre[:4], []byte("hrpc")) {
		return "", fmt.Errorf("not a hadoop ipc client: preamble %q", pre[:])
	}
	if pre[4] != 9 {
		return "", fmt.Errorf("unsupported ipc version %d, want 9", pre[4])
	}
	switch pre[6] {
	case authNone:
	case authSASL:
		c.refuseSASL(conn, br)
		return "", errors.New("client asked for sasl authentication, which is not supported")
	default:
		return "", fmt.Errorf("unknown auth protocol 0x%02x", pre[6])
	}

	frame, err := readRPCFrame(br, maxRPCFrame)
	if err != nil {
		return "", fmt.Errorf("read connection context: %w", err)
	}
	parts, err := splitFrame(frame, 2)
	if err != nil {
		return "", fmt.Errorf("connection context: %w", err)
	}
	if len(parts) != 2 {
		return "", fmt.Errorf("connection context frame has %d parts, want 2", len(parts))
	}
	h, err := decodeRPCRequestHeader(parts[0])
	if err != nil {
		return "", fmt.Errorf("connection context: %w", err)
	}
	if h.callID != handshakeCallID {
		return "", fmt.Errorf("connection context has call id %d, want %d", h.callID, handshakeCallID)
	}
	cc, err := decodeConnectionContext(parts[1])
	if err != nil {
		return "", fmt.Errorf("connection context: %w", err)
	}
	if cc.protocol != "" && cc.protocol != clientProtocol {
		log.Warn("client asked for another protocol; serving ClientProtocol anyway", "protocol", cc.protocol)
	}
	if cc.effectiveUser == "" {
		return "", errors.New("connection context has no user")
	}
	return cc.effectiveUser, nil
}

// refuseSASL answers a client that wants SASL (a Kerberos client) with a fatal error it can
// report, instead of a bare disconnect: colinmarc surfaces it as "SASL handshake: sasl call
// failed with FATAL_UNAUTHORIZED (org.apache.hadoop.security.AccessControlException)".
func (c *Cluster) refuseSASL(conn net.Conn, br *bufio.Reader) {
	// Read the client's NEGOTIATE frame first: closing a socket with unread input sends a reset,
	// which could destroy the reply before the client reads it.
	conn.SetReadDeadline(time.Now().Add(time.Second))
	readRPCFrame(br, 1<<16)
	h := rpcRequestHeader{callID: saslCallID, retryCount: -1}
	conn.Write(replyFrame(h, nil, &rpcError{
		class: "org.apache.hadoop.security.AccessControlException",
		msg: "SASL authentication is not supported by this test HDFS (hdfstest); " +
			"connect without a Kerberos client",
		detail: errDetailUnauthorized,
		fatal:  true,
	}))
}

// logConnError logs a connection-ending error: a hang-up at debug level, since clients close
// connections all the time, anything else as a warning.
func logConnError(log *slog.Logger, what string, err error) {
	if isHangUp(err) {
		log.Debug("connection closed", "during", what, "err", err)
		return
	}
	log.Warn("connection error", "during", what, "err", err)
}

// isHangUp reports whether err only says that the peer (or Close) ended the connection.
func isHangUp(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE)
}
