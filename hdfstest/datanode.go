package hdfstest

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

// The DataNode: DataTransferProtocol WRITE_BLOCK and READ_BLOCK over an in-memory replica store.
//
// colinmarc opens one connection per block operation, so a connection serves one op and closes.
// Packets (both directions) are framed as
//
//	uint32 payloadLen (4 + checksums + data) | uint16 headerLen | PacketHeaderProto | checksums | data
//
// with one CRC per 512-byte chunk of the packet's data.

const (
	// maxPacket caps a packet's payload, as Hadoop's PacketReceiver does (16 MiB); the client
	// sends at most 64 KiB of data per packet.
	maxPacket = 16 << 20
	// maxOpMessage caps the op request message (a few hundred bytes in practice).
	maxOpMessage = 1 << 20
	// statusWait bounds how long a finished read waits for the optional ClientReadStatusProto.
	statusWait = time.Second
	// drainWait bounds how long a failed write waits for the client to hang up.
	drainWait = 2 * time.Second
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// replica is the DataNode's copy of a block.
//
// Readers use a replica's data without holding the store's lock, which is safe because bytes
// below len(data) never change once published. Walkthrough: a writer publishes data[:n] after
// each packet and keeps appending at n and beyond, possibly into the same backing array, while a
// reader that fetched the replica earlier copies from data[:m] with m <= n; the two never touch
// the same bytes. A failing packet is cut off (data = data[:start]) before it is published, so
// rewriting those bytes later is invisible too. An append starts from a private copy, so a
// reader of the old replica never sees the new bytes change under it.
//
// writer fences out stale writers: lease recovery finalizes a replica whose client went away and
// clears writer, so if that client's stream is in fact still alive, its next publish fails and
// the stream gets an error ack instead of overwriting the recovered block.
type replica struct {
	data      []byte
	finalized bool   // the writer finished the block (its last packet was acknowledged)
	writer    uint64 // the write stream allowed to publish; 0 when none is
}

// blockStore holds the DataNode's replicas. The NameNode reaches into it too (the two share
// memory instead of speaking the DataNode protocols): to free deleted blocks, to check that a
// file's blocks are finalized, and to settle their lengths in lease recovery.
type blockStore struct {
	mu         sync.Mutex
	replicas   map[uint64]replica
	lastWriter uint64
}

func newBlockStore() *blockStore { return &blockStore{replicas: map[uint64]replica{}} }

func (s *blockStore) get(id uint64) (replica, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.replicas[id]
	return r, ok
}

// create starts a new, empty replica and returns the writer token that may publish to it.
func (s *blockStore) create(id uint64) (writer uint64, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.replicas[id]; ok {
		return 0, errors.New("replica already exists")
	}
	s.lastWriter++
	s.replicas[id] = replica{writer: s.lastWriter}
	return s.lastWriter, nil
}

// reopen starts an append to a finalized replica of length size. It returns a private copy of
// the data to append to, and the writer token.
func (s *blockStore) reopen(id uint64, size uint64) (data []byte, writer uint64, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.replicas[id]
	switch {
	case !ok:
		return nil, 0, errors.New("replica not found")
	case !r.finalized:
		return nil, 0, errors.New("replica is being written or recovered")
	case uint64(len(r.data)) != size:
		return nil, 0, fmt.Errorf("replica has %d bytes, the append expects %d", len(r.data), size)
	}
	s.lastWriter++
	data = append(make([]byte, 0, len(r.data)+maxDataPerPacket), r.data...)
	s.replicas[id] = replica{data: r.data, writer: s.lastWriter}
	return data, s.lastWriter, nil
}

// publish makes data the replica's content. It reports false if writer no longer owns the
// replica: lease recovery took it over, or the file was deleted.
func (s *blockStore) publish(id, writer uint64, data []byte, finalized bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.replicas[id]
	if !ok || r.writer != writer {
		return false
	}
	r.data, r.finalized = data, finalized
	if finalized {
		r.writer = 0
	}
	s.replicas[id] = r
	return true
}

func (s *blockStore) remove(id uint64) {
	s.mu.Lock()
	delete(s.replicas, id)
	s.mu.Unlock()
}

// finalizedLen is the length of a finalized replica; ok is false if there is none.
func (s *blockStore) finalizedLen(id uint64) (n int, ok bool) {
	r, found := s.get(id)
	return len(r.data), found && r.finalized
}

// recover finalizes a replica as it stands, fencing out its writer (lease recovery), and
// returns its length.
func (s *blockStore) recover(id uint64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.replicas[id]
	if !ok {
		return 0
	}
	r.finalized, r.writer = true, 0
	s.replicas[id] = r
	return len(r.data)
}

// dnConn is one DataNode connection.
type dnConn struct {
	c    *Cluster
	conn net.Conn
	br   *bufio.Reader
	bw   *bufio.Writer
	log  *slog.Logger
}

func (c *Cluster) serveDataNode(conn net.Conn) {
	d := &dnConn{
		c:    c,
		conn: conn,
		br:   bufio.NewReaderSize(conn, 128<<10),
		bw:   bufio.NewWriterSize(conn, 128<<10),
		log:  c.log.With("server", "datanode", "remote", conn.RemoteAddr().String()),
	}
	if err := d.serve(); err != nil {
		logConnError(d.log, "block op", err)
	}
}

func (d *dnConn) serve() error {
	var hdr [3]byte
	if _, err := io.ReadFull(d.br, hdr[:]); err != nil {
		return fmt.Errorf("read op: %w", err)
	}
	if v := binary.BigEndian.Uint16(hdr[:2]); v != dataTransferVersion {
		d.reply(blockOpResponse{status: statusError,
			message: fmt.Sprintf("data transfer version %d not supported, want %d", v, dataTransferVersion)})
		return fmt.Errorf("data transfer version %d, want %d", v, dataTransferVersion)
	}
	msg, err := readPrefixed(d.br, maxOpMessage)
	if err != nil {
		return fmt.Errorf("read op 0x%02x: %w", hdr[2], err)
	}
	switch hdr[2] {
	case opWriteBlock:
		op, err := decodeWriteBlockOp(msg)
		if err != nil {
			d.reply(blockOpResponse{status: statusErrInvalid, message: err.Error()})
			return fmt.Errorf("write block: %w", err)
		}
		return d.writeBlock(op)
	case opReadBlock:
		op, err := decodeReadBlockOp(msg)
		if err != nil {
			d.reply(blockOpResponse{status: statusErrInvalid, message: err.Error()})
			return fmt.Errorf("read block: %w", err)
		}
		return d.readBlock(op)
	default:
		d.reply(blockOpResponse{status: statusUnsupported,
			message: fmt.Sprintf("op 0x%02x is not supported by hdfstest", hdr[2])})
		return fmt.Errorf("unsupported op 0x%02x", hdr[2])
	}
}

// readPrefixed reads a uvarint-length-prefixed message of at most limit bytes.
func readPrefixed(r *bufio.Reader, limit int) ([]byte, error) {
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return nil, err
	}
	if n > uint64(limit) {
		return nil, fmt.Errorf("message of %d bytes exceeds the %d-byte limit", n, limit)
	}
	return readN(r, nil, int(n))
}

func (d *dnConn) reply(r blockOpResponse) error {
	d.bw.Write(prefixed(nil, r.encode(nil)))
	return d.bw.Flush()
}

func (d *dnConn) ack(seqno int64, status uint64) error {
	d.bw.Write(prefixed(nil, encodeAck(nil, seqno, status)))
	return d.bw.Flush()
}

// drain ends a failed write politely: it half-closes the connection and discards what the
// client still sends until it hangs up. Closing at once, with the client's packets unread, would
// send a reset that can overtake the error ack, and the client would report "connection reset"
// instead of the DataNode's status.
func (d *dnConn) drain() {
	if tc, ok := d.conn.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
	d.conn.SetReadDeadline(time.Now().Add(drainWait))
	io.Copy(io.Discard, d.br)
}

func blockName(b extendedBlock) string {
	return fmt.Sprintf("%s:blk_%d_%d", b.poolID, b.blockID, b.genStamp)
}

// writeBlock receives one block (or the rest of one, for an append).
func (d *dnConn) writeBlock(op writeBlockOp) error {
	name := blockName(op.block)
	log := d.log.With("op", "WRITE_BLOCK", "block", name)
	fail := func(status uint64, format string, args ...any) error {
		msg := fmt.Sprintf(format, args...)
		d.reply(blockOpResponse{status: status, message: name + ": " + msg})
		return fmt.Errorf("write %s: %s", name, msg)
	}
	tab, ok := checksumTable(op.checksumType)
	switch {
	case op.targets > 0:
		return fail(statusErrInvalid, "pipeline of %d more datanodes requested; hdfstest has one datanode",
			op.targets)
	case !ok || op.checksumType == checksumNull:
		return fail(statusUnsupported, "checksum type %d not supported (CRC32 and CRC32C are)",
			op.checksumType)
	case op.bytesPerChecksum == 0 || op.bytesPerChecksum > maxPacket:
		return fail(statusErrInvalid, "bytesPerChecksum %d out of range", op.bytesPerChecksum)
	}

	var (
		data   []byte
		writer uint64
		err    error
	)
	switch op.stage {
	case stageSetupCreate:
		writer, err = d.c.store.create(op.block.blockID)
	case stageSetupAppend:
		data, writer, err = d.c.store.reopen(op.block.blockID, op.minBytesRcvd)
	default:
		return fail(statusUnsupported, "block construction stage %d not supported", op.stage)
	}
	if err != nil {
		return fail(statusError, "%v", err)
	}
	if err := d.reply(blockOpResponse{status: statusSuccess}); err != nil {
		return fmt.Errorf("write %s: reply: %w", name, err)
	}
	log.Debug("receiving block", "stage", op.stage, "offset", len(data))

	bpc := int(op.bytesPerChecksum)
	var scratch []byte
	for {
		start := len(data)
		var h packetHeader
		var sums []byte
		h, sums, data, scratch, err = readPacket(d.br, scratch, data, bpc, 4)
		if err != nil {
			if isHangUp(err) {
				return fmt.Errorf("write %s: client went away after %d bytes: %w", name, start, err)
			}
			// The packet's seqno may be unknown; the client checks an ack's status before
			// its seqno, so it still reports ERROR_INVALID.
			d.ack(-2, statusErrInvalid)
			d.drain()
			return fmt.Errorf("write %s: %w", name, err)
		}
		if h.seqno == -1 {
			// A heartbeat, sent every 30 s while the client holds the block open. Not data.
			data = data[:start]
			if err := d.ack(-1, statusSuccess); err != nil {
				return fmt.Errorf("write %s: heartbeat ack: %w", name, err)
			}
			continue
		}
		if h.offsetInBlock != int64(start) {
			d.ack(h.seqno, statusErrInvalid)
			d.drain()
			return fmt.Errorf("write %s: packet %d at offset %d, want %d", name, h.seqno, h.offsetInBlock, start)
		}
		if chunk := badChunk(data[start:], sums, bpc, tab); chunk >= 0 {
			d.ack(h.seqno, statusErrChecksum)
			d.drain()
			return fmt.Errorf("write %s: checksum mismatch in packet %d, chunk %d", name, h.seqno, chunk)
		}
		if !d.c.faults.consumeWrite(int64(h.dataLen)) {
			d.ack(h.seqno, statusError)
			log.Info("injected write failure", "offset", start, "seqno", h.seqno)
			d.drain()
			return nil
		}
		// Publish every packet, not just the finished block: like a real DataNode's replica
		// being written, what arrived survives the writer (lease recovery uses it). The last
		// packet is acked only after this, because the client takes that ack to mean the
		// block is durable and goes on to commit its length at the NameNode.
		if !d.c.store.publish(op.block.blockID, writer, data, h.last) {
			d.ack(h.seqno, statusError)
			d.drain()
			return fmt.Errorf("write %s: the replica was recovered or deleted during the write", name)
		}
		if err := d.ack(h.seqno, statusSuccess); err != nil {
			return fmt.Errorf("write %s: ack %d: %w", name, h.seqno, err)
		}
		if h.last {
			log.Debug("block received", "bytes", len(data))
			return nil
		}
	}
}

// readPacket reads one packet. Its data is appended to buf (so a block's bytes land in place)
// and its checksums to scratch, which is reused between packets. sumSize is the size of one
// checksum (0 for CHECKSUM_NULL). Lengths are validated against each other before anything of
// that length is read, and allocation follows the bytes that actually arrive.
func readPacket(r io.Reader, scratch, buf []byte, bpc, sumSize int) (
	h packetHeader, sums, data, scratchOut []byte, err error,
) {
	var pre [6]byte
	if _, err = io.ReadFull(r, pre[:]); err != nil {
		return h, nil, buf, scratch, err
	}
	payload := int(binary.BigEndian.Uint32(pre[:4]))
	hlen := int(binary.BigEndian.Uint16(pre[4:]))
	if payload < 4 || payload > maxPacket {
		return h, nil, buf, scratch, fmt.Errorf("packet payload length %d out of range [4, %d]",
			payload, maxPacket)
	}
	scratch, err = readN(r, scratch[:0], hlen)
	if err != nil {
		return h, nil, buf, scratch, fmt.Errorf("packet header: %w", err)
	}
	if h, err = decodePacketHeader(scratch); err != nil {
		return h, nil, buf, scratch, err
	}
	dataLen := int(h.dataLen)
	if dataLen < 0 || dataLen > payload-4 {
		return h, nil, buf, scratch, fmt.Errorf("packet data length %d does not fit payload length %d",
			h.dataLen, payload)
	}
	if want := (dataLen + bpc - 1) / bpc * sumSize; payload-4-dataLen != want {
		return h, nil, buf, scratch, fmt.Errorf("packet has %d checksum bytes for %d data bytes, want %d",
			payload-4-dataLen, dataLen, want)
	}
	scratch, err = readN(r, scratch[:0], payload-4-dataLen)
	if err != nil {
		return h, nil, buf, scratch, fmt.Errorf("packet checksums: %w", err)
	}
	start := len(buf)
	buf, err = readN(r, buf, dataLen)
	if err != nil {
		return h, nil, buf[:start], scratch, fmt.Errorf("packet data: %w", err)
	}
	return h, scratch, buf, scratch, nil
}

func checksumTable(typ uint64) (*crc32.Table, bool) {
	switch typ {
	case checksumCRC32C:
		return castagnoli, true
	case checksumCRC32:
		return crc32.IEEETable, true
	case checksumNull:
		return nil, true
	}
	return nil, false
}

// badChunk checks data against its per-chunk CRCs and returns the first bad chunk, or -1.
func badChunk(data, sums []byte, bpc int, tab *crc32.Table) int {
	for i := 0; len(data) > 0; i++ {
		n := min(bpc, len(data))
		if crc32.Checksum(data[:n], tab) != binary.BigEndian.Uint32(sums[4*i:]) {
			return i
		}
		data = data[n:]
	}
	return -1
}

// readBlock sends [offset, offset+length) of a block, starting at the chunk boundary at or
// before offset as a real DataNode does (the client discards the difference), in packets of
// whole 512-byte chunks, then an empty last packet.
func (d *dnConn) readBlock(op readBlockOp) error {
	name := blockName(op.block)
	r, ok := d.c.store.get(op.block.blockID)
	size := uint64(len(r.data))
	switch {
	case !ok:
		msg := fmt.Sprintf("replica %s not found", name)
		d.reply(blockOpResponse{status: statusError, message: msg})
		return fmt.Errorf("read: %s", msg)
	case op.offset > size || op.length > size-op.offset:
		msg := fmt.Sprintf("offset %d and length %d don't match block %s (block length %d)",
			op.offset, op.length, name, size)
		d.reply(blockOpResponse{status: statusError, message: msg})
		return fmt.Errorf("read: %s", msg)
	}
	typ, sumSize := uint64(checksumCRC32C), 4
	if !op.sendChecksums {
		typ, sumSize = checksumNull, 0
	}
	start := op.offset / bytesPerChecksum * bytesPerChecksum
	end := min((op.offset+op.length+bytesPerChecksum-1)/bytesPerChecksum*bytesPerChecksum, size)
	err := d.reply(blockOpResponse{status: statusSuccess,
		readChecksum: &checksumInfo{typ: typ, bytesPerChecksum: bytesPerChecksum, chunkOffset: start}})
	if err != nil {
		return fmt.Errorf("read %s: reply: %w", name, err)
	}
	var hdr, sums []byte
	seqno := int64(0)
	for off := start; ; seqno++ {
		n := min(end-off, maxDataPerPacket)
		chunk := r.data[off : off+n]
		sums = sums[:0]
		for i := 0; sumSize > 0 && i < len(chunk); i += bytesPerChecksum {
			c := chunk[i:min(i+bytesPerChecksum, len(chunk))]
			sums = binary.BigEndian.AppendUint32(sums, crc32.Checksum(c, castagnoli))
		}
		last := n == 0
		ph := packetHeader{offsetInBlock: int64(off), seqno: seqno, last: last, dataLen: int32(n)}
		hdr = ph.encode(hdr[:0])
		var pre [6]byte
		binary.BigEndian.PutUint32(pre[:4], uint32(4+len(sums)+len(chunk)))
		binary.BigEndian.PutUint16(pre[4:], uint16(len(hdr)))
		d.bw.Write(pre[:])
		d.bw.Write(hdr)
		d.bw.Write(sums)
		if _, err := d.bw.Write(chunk); err != nil {
			// The client reads exactly what it asked for and hangs up without a status.
			return fmt.Errorf("read %s: send: %w", name, err)
		}
		if last {
			break
		}
		off += n
	}
	if err := d.bw.Flush(); err != nil {
		return fmt.Errorf("read %s: send: %w", name, err)
	}
	// The Java client confirms with a ClientReadStatusProto; colinmarc never does.
	d.conn.SetReadDeadline(time.Now().Add(statusWait))
	if msg, err := readPrefixed(d.br, 64); err == nil {
		var status uint64
		decode(msg, "ClientReadStatusProto", nil, func(f *field) {
			if f.num == 1 {
				status = f.uint()
			}
		})
		d.log.Debug("client read status", "block", name, "status", status)
	}
	return nil
}
