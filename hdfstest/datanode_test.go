package hdfstest

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"net"
	"testing"
	"time"
)

// Hand-driven DataNode connections, for what the real client never sends: bad checksums, wrong
// offsets, heartbeats (the client sends them only after 30 s idle), an empty read range.

func encodeOpHeader(b pb, blockID uint64, numBytes uint64) pb {
	blk := extendedBlock{poolID: "BP-test", blockID: blockID, genStamp: 1001, numBytes: numBytes}
	base := pb(nil).bytes(1, blk.encode(nil)).bytes(2, emptyToken(nil))
	return b.bytes(1, pb(nil).bytes(1, base).str(2, "raw-client"))
}

func encodeWriteOp(blockID uint64, stage uint64, size uint64) []byte {
	sum := pb(nil).uint(1, checksumCRC32C).uint(2, bytesPerChecksum)
	return encodeOpHeader(nil, blockID, size).uint(4, stage).uint(5, 0).uint(6, size).uint(7, size).
		uint(8, 0).bytes(9, sum)
}

func encodeReadOp(blockID, offset, length uint64) []byte {
	return encodeOpHeader(nil, blockID, offset+length).uint(2, offset).uint(3, length)
}

// encodePacket frames data as one packet, with correct CRC32C checksums unless corrupt.
func encodePacket(h packetHeader, data []byte, corrupt bool) []byte {
	h.dataLen = int32(len(data))
	hdr := h.encode(nil)
	var sums []byte
	for i := 0; i < len(data); i += bytesPerChecksum {
		chunk := data[i:min(i+bytesPerChecksum, len(data))]
		sums = binary.BigEndian.AppendUint32(sums, crc32.Checksum(chunk, castagnoli))
	}
	if corrupt {
		sums[0] ^= 1
	}
	out := binary.BigEndian.AppendUint32(nil, uint32(4+len(sums)+len(data)))
	out = binary.BigEndian.AppendUint16(out, uint16(len(hdr)))
	return append(append(append(out, hdr...), sums...), data...)
}

type rawDN struct {
	t    *testing.T
	conn net.Conn
	br   *bufio.Reader
}

func dialDN(t *testing.T, c *Cluster, op byte, msg []byte) *rawDN {
	t.Helper()
	conn, err := net.Dial("tcp", c.DataNodeAddr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	d := &rawDN{t: t, conn: conn, br: bufio.NewReader(conn)}
	d.write(prefixed([]byte{0, dataTransferVersion, op}, msg))
	return d
}

func (d *rawDN) write(b []byte) {
	d.t.Helper()
	if _, err := d.conn.Write(b); err != nil {
		d.t.Fatal(err)
	}
}

// message reads one uvarint-prefixed message and decodes its status (field 1) and, for acks,
// its seqno.
func (d *rawDN) message() (raw []byte, seqno int64, status uint64) {
	d.t.Helper()
	raw, err := readPrefixed(d.br, 1<<16)
	if err != nil {
		d.t.Fatalf("read message: %v", err)
	}
	err = decode(raw, "reply", nil, func(f *field) {
		switch f.num {
		case 1:
			status = f.uint() // BlockOpResponseProto.status; PipelineAckProto.seqno (zigzag)
			seqno = f.sint()
		case 2:
			if f.typ == 0 {
				status = f.uint() // PipelineAckProto.reply
			}
		}
	})
	if err != nil {
		d.t.Fatal(err)
	}
	return raw, seqno, status
}

func TestWriteBlockRaw(t *testing.T) {
	t.Parallel()
	c := startCluster(t, Options{})
	data := testData(3000, 9)

	d := dialDN(t, c, opWriteBlock, encodeWriteOp(1, stageSetupCreate, 0))
	raw, _, status := d.message()
	// {status: SUCCESS, firstBadLink: ""}: exactly 5 bytes with its length, the minimum the
	// client reads before parsing.
	if status != statusSuccess || len(raw)+1 != 5 {
		t.Fatalf("write reply: status %d, %d bytes", status, len(raw)+1)
	}
	d.write(encodePacket(packetHeader{seqno: -1}, nil, false)) // heartbeat
	if _, seqno, status := d.message(); seqno != -1 || status != statusSuccess {
		t.Fatalf("heartbeat ack: seqno %d status %d", seqno, status)
	}
	d.write(encodePacket(packetHeader{offsetInBlock: 0, seqno: 1}, data[:1000], false))
	d.write(encodePacket(packetHeader{offsetInBlock: 1000, seqno: 2}, data[1000:], false))
	d.write(encodePacket(packetHeader{offsetInBlock: 3000, seqno: 3, last: true}, nil, false))
	for want := int64(1); want <= 3; want++ {
		if _, seqno, status := d.message(); seqno != want || status != statusSuccess {
			t.Fatalf("ack: seqno %d status %d, want %d SUCCESS", seqno, status, want)
		}
	}
	r, ok := c.store.get(1)
	if !ok || !r.finalized || !bytes.Equal(r.data, data) {
		t.Fatalf("stored replica: ok=%v finalized=%v %d bytes", ok, r.finalized, len(r.data))
	}

	// Read it back from a mid-chunk offset: the data starts at the chunk boundary before it.
	d = dialDN(t, c, opReadBlock, encodeReadOp(1, 700, 2300))
	if _, _, status := d.message(); status != statusSuccess {
		t.Fatalf("read reply: status %d", status)
	}
	var got []byte
	for {
		h, sums, out, _, err := readPacket(d.br, nil, got, bytesPerChecksum, 4)
		if err != nil {
			t.Fatal(err)
		}
		if chunk := badChunk(out[len(got):], sums, bytesPerChecksum, castagnoli); chunk >= 0 {
			t.Fatalf("read packet %d: bad checksum in chunk %d", h.seqno, chunk)
		}
		got = out
		if h.last {
			break
		}
	}
	checkBytes(t, "read from chunk 1", got, data[512:])

	// Appending to a replica of another length is refused.
	d = dialDN(t, c, opWriteBlock, encodeWriteOp(1, stageSetupAppend, 100))
	if _, _, status := d.message(); status != statusError {
		t.Errorf("append with a wrong length: status %d, want ERROR", status)
	}
	// Creating an existing replica is refused.
	d = dialDN(t, c, opWriteBlock, encodeWriteOp(1, stageSetupCreate, 0))
	if _, _, status := d.message(); status == statusSuccess {
		t.Error("create of an existing replica succeeded")
	}
}

func TestWriteBlockRejectsBadPackets(t *testing.T) {
	t.Parallel()
	c := startCluster(t, Options{})
	data := testData(2000, 10)
	cases := []struct {
		name   string
		packet []byte
		want   uint64
	}{
		{"bad checksum", encodePacket(packetHeader{seqno: 1}, data, true), statusErrChecksum},
		{"wrong offset", encodePacket(packetHeader{offsetInBlock: 512, seqno: 1}, data, false), statusErrInvalid},
		{"short checksums", func() []byte {
			p := encodePacket(packetHeader{seqno: 1}, data, false)
			binary.BigEndian.PutUint32(p, binary.BigEndian.Uint32(p)-4) // the header now claims fewer checksum bytes
			return p
		}(), statusErrInvalid},
	}
	for i, tc := range cases {
		id := uint64(100 + i)
		d := dialDN(t, c, opWriteBlock, encodeWriteOp(id, stageSetupCreate, 0))
		if _, _, status := d.message(); status != statusSuccess {
			t.Fatalf("%s: reply status %d", tc.name, status)
		}
		d.write(tc.packet)
		if _, _, status := d.message(); status != tc.want {
			t.Errorf("%s: ack status %d, want %d", tc.name, status, tc.want)
		}
		if r, _ := c.store.get(id); len(r.data) != 0 || r.finalized {
			t.Errorf("%s: replica has %d bytes, finalized %v", tc.name, len(r.data), r.finalized)
		}
	}
}

func TestReadBlockErrors(t *testing.T) {
	t.Parallel()
	c := startCluster(t, Options{})
	d := dialDN(t, c, opReadBlock, encodeReadOp(42, 0, 10))
	if _, _, status := d.message(); status != statusError {
		t.Errorf("read of a missing replica: status %d, want ERROR", status)
	}

	conn, err := net.Dial("tcp", c.DataNodeAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	conn.Write(prefixed([]byte{0, 27, opReadBlock}, encodeReadOp(42, 0, 10)))
	d = &rawDN{t: t, conn: conn, br: bufio.NewReader(conn)}
	if _, _, status := d.message(); status != statusError {
		t.Errorf("old protocol version: status %d, want ERROR", status)
	}
}
