package hdfstest

import (
	"bytes"
	"encoding/binary"
	"io"
	"maps"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// The parsers face bytes from any process that can reach a loopback port: they must never
// panic, and a hostile length must not make them allocate what it claims.

func FuzzRPCFrame(f *testing.F) {
	id := []byte("0123456789abcdef")
	call := func(method string, body []byte) []byte {
		h := rpcRequestHeader{rpcKind: rpcKindProtobuf, callID: 1, clientID: id}
		rh := requestHeader{method: method, protocol: clientProtocol, version: 1}
		return frame(h.encode(nil), rh.encode(nil), body)
	}
	f.Add(call("getFileInfo", pb(nil).str(1, "/x")))
	f.Add(call("create", pb(nil).str(1, "/f").bytes(2, pb(nil).uint(1, 0o644)).str(3, "c").uint(4, 1).
		boolean(5, false).uint(6, 1).uint(7, 1<<20)))
	prev := extendedBlock{poolID: "p", blockID: 1}
	f.Add(call("addBlock", pb(nil).str(1, "/f").str(2, "c").bytes(3, prev.encode(nil))))
	f.Add(frame(rpcRequestHeader{callID: handshakeCallID, clientID: id}.encode(nil),
		connectionContext{effectiveUser: "u", protocol: clientProtocol}.encode(nil)))
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1, 2, 3})

	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := readRPCFrame(bytes.NewReader(data), 1<<16)
		if err != nil {
			return
		}
		if len(fr) > len(data) {
			t.Fatalf("frame of %d bytes from %d input bytes", len(fr), len(data))
		}
		decodeConnectionContext(fr)
		if parts, err := splitFrame(fr, 2); err == nil && len(parts) == 2 {
			decodeConnectionContext(parts[1])
		}
		c, err := parseCall(fr)
		if err != nil {
			return
		}
		replyFrame(c.header, nil, c.err)
		for m := range nnRequestSchemas {
			decodeNNRequest(m, c.body)
		}
	})
}

// FuzzNameNodeCall runs arbitrary request bodies through every handler of a namespace that
// already holds a directory, a complete file and a file being written.
func FuzzNameNodeCall(f *testing.F) {
	methods := slices.Sorted(maps.Keys(nnRequestSchemas))
	blk := extendedBlock{poolID: "p", blockID: firstBlockID + 2, numBytes: 10}
	f.Add(uint8(0), []byte(pb(nil).str(1, "/d/f").str(2, "writer").bytes(3, blk.encode(nil))))
	f.Add(uint8(1), []byte(pb(nil).str(1, "/d").str(2, "/e").boolean(3, true)))
	f.Add(uint8(2), []byte(pb(nil).str(1, "/d/done").str(2, "other")))

	f.Fuzz(func(t *testing.T, m uint8, body []byte) {
		var fl faults
		opts := Options{BlockSize: 1 << 20, LeaseSoftLimit: time.Nanosecond}
		ns := newNamesystem(opts, datanodeID{}, newBlockStore(), &fl)
		mustCall := func(method string, b []byte) {
			if _, err := ns.handle(method, "u", b); err != nil {
				t.Fatalf("setup %s: %v", method, err)
			}
		}
		mustCall("mkdirs", pb(nil).str(1, "/d").bytes(2, pb(nil).uint(1, 0o755)).boolean(3, true))
		create := func(name, client string) {
			mustCall("create", pb(nil).str(1, name).bytes(2, pb(nil).uint(1, 0o644)).str(3, client).
				uint(4, 1).boolean(5, false).uint(6, 1).uint(7, 1<<20))
			mustCall("addBlock", pb(nil).str(1, name).str(2, client))
		}
		create("/d/done", "writer")
		w, _ := ns.store.create(firstBlockID + 1)
		ns.store.publish(firstBlockID+1, w, []byte("ten bytes!"), true)
		last := extendedBlock{poolID: ns.poolID, blockID: firstBlockID + 1, numBytes: 10}
		mustCall("complete", pb(nil).str(1, "/d/done").str(2, "writer").bytes(3, last.encode(nil)))
		create("/d/f", "writer")

		for _, method := range []string{methods[int(m)%len(methods)], "frobnicate"} {
			ns.handle(method, "u", body)
		}
		// Whatever happened, the tree must still be walkable.
		if _, err := ns.handle("getListing", "u", pb(nil).str(1, "/").bytes(2, nil).boolean(3, false)); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzPacket(f *testing.F) {
	data := testData(1500, 11)
	f.Add(uint16(512), append(encodePacket(packetHeader{seqno: 1}, data, false),
		encodePacket(packetHeader{offsetInBlock: 1500, seqno: 2, last: true}, nil, false)...))
	f.Add(uint16(512), encodePacket(packetHeader{seqno: -1}, nil, false))
	f.Add(uint16(1), []byte{0, 0, 0, 4, 0, 0})
	f.Add(uint16(512), []byte{0x7f, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Add(uint16(512), encodeWriteOp(1, stageSetupCreate, 0))

	f.Fuzz(func(t *testing.T, bpc uint16, in []byte) {
		if bpc == 0 {
			bpc = 512
		}
		decodeWriteBlockOp(in)
		decodeReadBlockOp(in)
		r := bytes.NewReader(in)
		var buf, scratch []byte
		for {
			start := len(buf)
			h, sums, out, s, err := readPacket(r, scratch, buf, int(bpc), 4)
			scratch = s
			if err != nil {
				if len(out) != start {
					t.Fatalf("failed read changed the data from %d to %d bytes", start, len(out))
				}
				return
			}
			if len(out)-start != int(h.dataLen) || len(sums) != (int(h.dataLen)+int(bpc)-1)/int(bpc)*4 {
				t.Fatalf("packet with dataLen %d gave %d data bytes and %d checksum bytes",
					h.dataLen, len(out)-start, len(sums))
			}
			badChunk(out[start:], sums, int(bpc), castagnoli)
			buf = out
		}
	})
}

// TestHostileLengths checks that a length prefix claiming the maximum costs memory in
// proportion to the bytes that really arrive, not to the claim.
func TestHostileLengths(t *testing.T) {
	allocated := func(f func()) uint64 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		f()
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	claim := func(n uint32, rest ...byte) io.Reader {
		return bytes.NewReader(append(binary.BigEndian.AppendUint32(nil, n), rest...))
	}
	const budget = 4 << 20

	if n := allocated(func() {
		if _, err := readRPCFrame(claim(maxRPCFrame, 1, 2, 3), maxRPCFrame); err == nil {
			t.Error("truncated frame read without error")
		}
	}); n > budget {
		t.Errorf("a truncated %d-byte frame allocated %d bytes", maxRPCFrame, n)
	}
	if _, err := readRPCFrame(claim(maxRPCFrame+1), maxRPCFrame); err == nil {
		t.Error("oversized frame accepted")
	}

	// A packet header claiming the largest payload, consistently, followed by a little data.
	dataLen := maxPacket - 4
	for dataLen+(dataLen+511)/512*4 > maxPacket-4 {
		dataLen--
	}
	if dataLen+(dataLen+511)/512*4 != maxPacket-4 {
		t.Fatalf("no data length fits a %d-byte payload", maxPacket)
	}
	hdr := packetHeader{seqno: 1, dataLen: int32(dataLen)}.encode(nil)
	pkt := binary.BigEndian.AppendUint32(nil, maxPacket)
	pkt = binary.BigEndian.AppendUint16(pkt, uint16(len(hdr)))
	// All the checksums, then 1000 of the data bytes.
	pkt = append(append(pkt, hdr...), make([]byte, (dataLen+511)/512*4+1000)...)
	if n := allocated(func() {
		_, _, _, _, err := readPacket(bytes.NewReader(pkt), nil, nil, 512, 4)
		if err == nil || !strings.Contains(err.Error(), "packet data") {
			t.Errorf("truncated packet: got %v, want an error reading its data", err)
		}
	}); n > budget {
		t.Errorf("a truncated 16 MiB packet allocated %d bytes", n)
	}
}
