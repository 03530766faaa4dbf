package hdfstest

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// This file holds the protobuf messages both servers speak, hand-encoded with protowire. Each
// message is a small Go struct with an append-style encoder (for what the server sends) or a
// decoder (for what it receives). Field numbers and proto2 "required" markers come from Hadoop's
// RpcHeader.proto, IpcConnectionContext.proto, ClientNamenodeProtocol.proto, hdfs.proto and
// datatransfer.proto, as listed in the team's hdfs-wire.md notes.
//
// Why not generated code: colinmarc/hdfs registers its own generated types under the proto
// packages hadoop.common and hadoop.hdfs, and a second registration of those names panics at init.
// Hand-encoding needs no protoc and touches no registry.
//
// The trap hand-encoding brings: the client's proto.Unmarshal enforces proto2 required fields,
// nested ones included. Every encoder below therefore writes each required field even when it is
// zero or empty (an empty TokenProto still carries its four empty fields).

// pb is an append-only protobuf encoder: every method appends one field and returns the buffer.
type pb []byte

func (b pb) uint(n protowire.Number, v uint64) pb {
	b = protowire.AppendTag(b, n, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func (b pb) boolean(n protowire.Number, v bool) pb { return b.uint(n, protowire.EncodeBool(v)) }

func (b pb) sint(n protowire.Number, v int64) pb { return b.uint(n, protowire.EncodeZigZag(v)) }

func (b pb) bytes(n protowire.Number, v []byte) pb {
	b = protowire.AppendTag(b, n, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func (b pb) str(n protowire.Number, v string) pb {
	b = protowire.AppendTag(b, n, protowire.BytesType)
	return protowire.AppendString(b, v)
}

func (b pb) fixed64(n protowire.Number, v uint64) pb {
	b = protowire.AppendTag(b, n, protowire.Fixed64Type)
	return protowire.AppendFixed64(b, v)
}

func (b pb) fixed32(n protowire.Number, v uint32) pb {
	b = protowire.AppendTag(b, n, protowire.Fixed32Type)
	return protowire.AppendFixed32(b, v)
}

// field is one decoded field. Its getters check the wire type and record a mismatch in err
// rather than returning it, so that a decoder's switch stays one line per field.
type field struct {
	num protowire.Number
	typ protowire.Type
	v   uint64 // varint, fixed32 and fixed64 values
	b   []byte // length-delimited values; aliases the input
	err error
}

func (f *field) want(t protowire.Type) bool {
	if f.typ != t {
		if f.err == nil {
			f.err = fmt.Errorf("field %d has wire type %d, want %d", f.num, f.typ, t)
		}
		return false
	}
	return true
}

func (f *field) uint() uint64 {
	if !f.want(protowire.VarintType) {
		return 0
	}
	return f.v
}

func (f *field) uint32() uint32 { return uint32(f.uint()) }

func (f *field) boolean() bool { return f.uint() != 0 }

func (f *field) sint() int64 { return protowire.DecodeZigZag(f.uint()) }

func (f *field) sfixed64() int64 {
	if !f.want(protowire.Fixed64Type) {
		return 0
	}
	return int64(f.v)
}

func (f *field) sfixed32() int32 {
	if !f.want(protowire.Fixed32Type) {
		return 0
	}
	return int32(uint32(f.v))
}

func (f *field) raw() []byte {
	if !f.want(protowire.BytesType) {
		return nil
	}
	return f.b
}

func (f *field) str() string { return string(f.raw()) }

// msg decodes an embedded message with dec.
func (f *field) msg(dec func([]byte) error) {
	if b := f.raw(); f.err == nil {
		f.err = dec(b)
	}
}

// decode walks the fields of the message b, calling fn for each, and then checks that every
// field number in required was present. Unknown fields are skipped, as protobuf requires.
func decode(b []byte, name string, required []protowire.Number, fn func(f *field)) error {
	var seen uint64
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("%s: %w", name, protowire.ParseError(n))
		}
		b = b[n:]
		f := field{num: num, typ: typ}
		switch typ {
		case protowire.VarintType:
			f.v, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var v uint32
			v, n = protowire.ConsumeFixed32(b)
			f.v = uint64(v)
		case protowire.Fixed64Type:
			f.v, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			f.b, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return fmt.Errorf("%s: field %d: %w", name, num, protowire.ParseError(n))
		}
		b = b[n:]
		if num < 64 {
			seen |= 1 << num
		}
		fn(&f)
		if f.err != nil {
			return fmt.Errorf("%s: %w", name, f.err)
		}
	}
	for _, n := range required {
		if seen&(1<<n) == 0 {
			return fmt.Errorf("%s: required field %d missing", name, n)
		}
	}
	return nil
}

// req lists required field numbers.
func req(n ...protowire.Number) []protowire.Number { return n }

// ---- Hadoop IPC (RpcHeader.proto, IpcConnectionContext.proto) ----

const (
	rpcKindProtobuf = 2 // RpcKindProto.RPC_PROTOCOL_BUFFER

	rpcStatusSuccess = 0
	rpcStatusError   = 1
	rpcStatusFatal   = 2

	errDetailApplication  = 1  // ERROR_APPLICATION
	errDetailNoSuchMethod = 2  // ERROR_NO_SUCH_METHOD
	errDetailNoSuchProto  = 3  // ERROR_NO_SUCH_PROTOCOL
	errDetailRPCServer    = 4  // ERROR_RPC_SERVER
	errDetailUnauthorized = 15 // FATAL_UNAUTHORIZED
)

// rpcRequestHeader is RpcRequestHeaderProto. callId is a sint32 here but a uint32 in the reply.
type rpcRequestHeader struct {
	rpcKind    uint64
	rpcOp      uint64
	callID     int32
	clientID   []byte
	retryCount int32
}

func decodeRPCRequestHeader(b []byte) (h rpcRequestHeader, err error) {
	h.retryCount = -1
	err = decode(b, "RpcRequestHeaderProto", req(3, 4), func(f *field) {
		switch f.num {
		case 1:
			h.rpcKind = f.uint()
		case 2:
			h.rpcOp = f.uint()
		case 3:
			h.callID = int32(f.sint())
		case 4:
			h.clientID = f.raw()
		case 5:
			h.retryCount = int32(f.sint())
		}
	})
	return h, err
}

func (h rpcRequestHeader) encode(b pb) pb {
	return b.uint(1, h.rpcKind).uint(2, h.rpcOp).sint(3, int64(h.callID)).bytes(4, h.clientID)
}

// requestHeader is RequestHeaderProto: which method of which protocol a call is for.
type requestHeader struct {
	method   string
	protocol string
	version  uint64
}

func decodeRequestHeader(b []byte) (h requestHeader, err error) {
	err = decode(b, "RequestHeaderProto", req(1, 2, 3), func(f *field) {
		switch f.num {
		case 1:
			h.method = f.str()
		case 2:
			h.protocol = f.str()
		case 3:
			h.version = f.uint()
		}
	})
	return h, err
}

func (h requestHeader) encode(b pb) pb {
	return b.str(1, h.method).str(2, h.protocol).uint(3, h.version)
}

// connectionContext is IpcConnectionContextProto with its UserInformationProto flattened.
type connectionContext struct {
	effectiveUser string
	realUser      string
	protocol      string
}

func decodeConnectionContext(b []byte) (c connectionContext, err error) {
	err = decode(b, "IpcConnectionContextProto", nil, func(f *field) {
		switch f.num {
		case 2:
			f.msg(func(b []byte) error {
				return decode(b, "UserInformationProto", nil, func(f *field) {
					switch f.num {
					case 1:
						c.effectiveUser = f.str()
					case 2:
						c.realUser = f.str()
					}
				})
			})
		case 3:
			c.protocol = f.str()
		}
	})
	return c, err
}

func (c connectionContext) encode(b pb) pb {
	return b.bytes(2, pb(nil).str(1, c.effectiveUser)).str(3, c.protocol)
}

// rpcResponseHeader is RpcResponseHeaderProto.
type rpcResponseHeader struct {
	callID         uint32
	status         uint64
	exceptionClass string
	errorMsg       string
	errorDetail    uint64
	clientID       []byte
	retryCount     int32
}

func (h rpcResponseHeader) encode(b pb) pb {
	b = b.uint(1, uint64(h.callID)).uint(2, h.status).uint(3, 9) // serverIpcVersionNum
	if h.status != rpcStatusSuccess {
		b = b.str(4, h.exceptionClass).str(5, h.errorMsg).uint(6, h.errorDetail)
	}
	return b.bytes(7, h.clientID).sint(8, int64(h.retryCount))
}

func decodeRPCResponseHeader(b []byte) (h rpcResponseHeader, err error) {
	err = decode(b, "RpcResponseHeaderProto", req(1, 2), func(f *field) {
		switch f.num {
		case 1:
			h.callID = f.uint32()
		case 2:
			h.status = f.uint()
		case 4:
			h.exceptionClass = f.str()
		case 5:
			h.errorMsg = f.str()
		case 6:
			h.errorDetail = f.uint()
		case 7:
			h.clientID = f.raw()
		case 8:
			h.retryCount = int32(f.sint())
		}
	})
	return h, err
}

// ---- Shared HDFS structures (hdfs.proto, Security.proto) ----

// extendedBlock is ExtendedBlockProto: a block id within a block pool, its generation stamp and,
// where the client reports one, its length.
type extendedBlock struct {
	poolID   string
	blockID  uint64
	genStamp uint64
	numBytes uint64
}

func (e extendedBlock) encode(b pb) pb {
	return b.str(1, e.poolID).uint(2, e.blockID).uint(3, e.genStamp).uint(4, e.numBytes)
}

func decodeExtendedBlock(b []byte) (e extendedBlock, err error) {
	err = decode(b, "ExtendedBlockProto", req(1, 2, 3), func(f *field) {
		switch f.num {
		case 1:
			e.poolID = f.str()
		case 2:
			e.blockID = f.uint()
		case 3:
			e.genStamp = f.uint()
		case 4:
			e.numBytes = f.uint()
		}
	})
	return e, err
}

// emptyToken is a TokenProto with its four required fields present and empty: this server
// hands out no block tokens, but the client refuses a LocatedBlockProto without one.
func emptyToken(b pb) pb { return b.bytes(1, nil).bytes(2, nil).str(3, "").str(4, "") }

// datanodeID is DatanodeIDProto, wrapped in a DatanodeInfoProto when encoded.
type datanodeID struct {
	ipAddr   string
	hostName string
	uuid     string
	xferPort uint32
}

func (d datanodeID) encodeInfo(b pb) pb {
	id := pb(nil).str(1, d.ipAddr).str(2, d.hostName).str(3, d.uuid).
		uint(4, uint64(d.xferPort)).uint(5, 0).uint(6, 0)
	return b.bytes(1, id).str(8, "/default-rack") // 8: location
}

// locatedBlock is LocatedBlockProto: a block, its offset in the file and where to find it.
type locatedBlock struct {
	b      extendedBlock
	offset uint64
	locs   []datanodeID
}

func (l locatedBlock) encode(b pb) pb {
	b = b.bytes(1, l.b.encode(nil)).uint(2, l.offset)
	for _, d := range l.locs {
		b = b.bytes(3, d.encodeInfo(nil))
	}
	return b.boolean(4, false).bytes(5, emptyToken(nil)) // 4: corrupt
}

// locatedBlocks is LocatedBlocksProto.
type locatedBlocks struct {
	fileLength        uint64
	blocks            []locatedBlock
	underConstruction bool
	lastBlockComplete bool
}

func (l locatedBlocks) encode(b pb) pb {
	b = b.uint(1, l.fileLength)
	for _, blk := range l.blocks {
		b = b.bytes(2, blk.encode(nil))
	}
	return b.boolean(3, l.underConstruction).boolean(5, l.lastBlockComplete)
}

const (
	fileTypeDir  = 1 // HdfsFileStatusProto.IS_DIR
	fileTypeFile = 2 // HdfsFileStatusProto.IS_FILE
)

// fileStatus is HdfsFileStatusProto.
type fileStatus struct {
	fileType uint64
	// path is empty in getFileInfo replies (the client uses the name it asked for) and the
	// base name in listings.
	path        string
	length      uint64
	perm        uint32
	owner       string
	group       string
	mtime       uint64 // ms since the epoch
	atime       uint64
	replication uint32
	blockSize   uint64
	fileID      uint64
	children    int32
}

func (s fileStatus) encode(b pb) pb {
	return b.uint(1, s.fileType).str(2, s.path).uint(3, s.length).
		bytes(4, pb(nil).uint(1, uint64(s.perm))).
		str(5, s.owner).str(6, s.group).uint(7, s.mtime).uint(8, s.atime).
		uint(10, uint64(s.replication)).uint(11, s.blockSize).uint(13, s.fileID).
		uint(14, uint64(int64(s.children))) // int32: negative values sign-extend
}

// serverDefaults is FsServerDefaultsProto. encryptDataTransfer (6) is left out on purpose: true
// would make the client start SASL toward the DataNode.
type serverDefaults struct {
	blockSize   uint64
	replication uint32
}

func (d serverDefaults) encode(b pb) pb {
	return b.uint(1, d.blockSize).uint(2, bytesPerChecksum).uint(3, maxDataPerPacket).
		uint(4, uint64(d.replication)).uint(5, 4096).uint(7, 0).uint(8, checksumCRC32C)
}

// ---- ClientNamenodeProtocol requests ----

// decodePerm decodes an FsPermissionProto.
func decodePerm(b []byte) (perm uint32, err error) {
	err = decode(b, "FsPermissionProto", req(1), func(f *field) {
		if f.num == 1 {
			perm = f.uint32()
		}
	})
	return perm, err
}

// nnRequest is the union of the ClientNamenodeProtocol request fields this server reads. One
// struct instead of thirteen keeps the decoders short; each method has its own field table.
type nnRequest struct {
	src          string
	dst          string
	clientName   string
	perm         uint32
	createParent bool
	createFlag   uint32
	replication  uint32
	blockSize    uint64
	block        *extendedBlock // addBlock previous, complete last, updateBlockForPipeline block
	fileID       uint64
	offset       uint64
	length       uint64
	startAfter   string
	recursive    bool
	overwrite    bool
}

// nnRequestField assigns one field of a ClientNamenodeProtocol request to r.
type nnRequestField func(r *nnRequest, f *field)

func blockField(r *nnRequest, f *field) {
	f.msg(func(b []byte) error {
		e, err := decodeExtendedBlock(b)
		r.block = &e
		return err
	})
}

func srcField(r *nnRequest, f *field)        { r.src = f.str() }
func clientNameField(r *nnRequest, f *field) { r.clientName = f.str() }

// nnRequestSchemas maps a method to its request message name, required fields and field table.
var nnRequestSchemas = map[string]struct {
	name     string
	required []protowire.Number
	fields   map[protowire.Number]nnRequestField
}{
	"getFileInfo": {"GetFileInfoRequestProto", req(1), map[protowire.Number]nnRequestField{
		1: srcField}},
	"getServerDefaults": {"GetServerDefaultsRequestProto", nil, nil},
	"renewLease": {"RenewLeaseRequestProto", req(1), map[protowire.Number]nnRequestField{
		1: clientNameField}},
	"mkdirs": {"MkdirsRequestProto", req(1, 2, 3), map[protowire.Number]nnRequestField{
		1: srcField,
		2: func(r *nnRequest, f *field) {
			f.msg(func(b []byte) (err error) { r.perm, err = decodePerm(b); return err })
		},
		3: func(r *nnRequest, f *field) { r.createParent = f.boolean() },
	}},
	"create": {"CreateRequestProto", req(1, 2, 3, 4, 5, 6, 7), map[protowire.Number]nnRequestField{
		1: srcField,
		2: func(r *nnRequest, f *field) {
			f.msg(func(b []byte) (err error) { r.perm, err = decodePerm(b); return err })
		},
		3: clientNameField,
		4: func(r *nnRequest, f *field) { r.createFlag = f.uint32() },
		5: func(r *nnRequest, f *field) { r.createParent = f.boolean() },
		6: func(r *nnRequest, f *field) { r.replication = f.uint32() },
		7: func(r *nnRequest, f *field) { r.blockSize = f.uint() },
	}},
	"addBlock": {"AddBlockRequestProto", req(1, 2), map[protowire.Number]nnRequestField{
		1: srcField, 2: clientNameField, 3: blockField,
		5: func(r *nnRequest, f *field) { r.fileID = f.uint() },
	}},
	"updateBlockForPipeline": {"UpdateBlockForPipelineRequestProto", req(1, 2),
		map[protowire.Number]nnRequestField{1: blockField, 2: clientNameField}},
	"complete": {"CompleteRequestProto", req(1, 2), map[protowire.Number]nnRequestField{
		1: srcField, 2: clientNameField, 3: blockField,
		4: func(r *nnRequest, f *field) { r.fileID = f.uint() },
	}},
	"getBlockLocations": {"GetBlockLocationsRequestProto", req(1, 2, 3),
		map[protowire.Number]nnRequestField{
			1: srcField,
			2: func(r *nnRequest, f *field) { r.offset = f.uint() },
			3: func(r *nnRequest, f *field) { r.length = f.uint() },
		}},
	"getListing": {"GetListingRequestProto", req(1, 2, 3), map[protowire.Number]nnRequestField{
		1: srcField,
		2: func(r *nnRequest, f *field) { r.startAfter = f.str() },
	}},
	"delete": {"DeleteRequestProto", req(1, 2), map[protowire.Number]nnRequestField{
		1: srcField, 2: func(r *nnRequest, f *field) { r.recursive = f.boolean() },
	}},
	"rename2": {"Rename2RequestProto", req(1, 2, 3), map[protowire.Number]nnRequestField{
		1: srcField,
		2: func(r *nnRequest, f *field) { r.dst = f.str() },
		3: func(r *nnRequest, f *field) { r.overwrite = f.boolean() },
	}},
	"append": {"AppendRequestProto", req(1, 2), map[protowire.Number]nnRequestField{
		1: srcField, 2: clientNameField,
	}},
	"getContentSummary": {"GetContentSummaryRequestProto", req(1), map[protowire.Number]nnRequestField{
		1: srcField}},
	"getFsStats": {"GetFsStatusRequestProto", nil, nil},
}

// decodeNNRequest decodes the request body of method; ok is false for a method this server does
// not implement.
func decodeNNRequest(method string, b []byte) (r nnRequest, ok bool, err error) {
	s, ok := nnRequestSchemas[method]
	if !ok {
		return r, false, nil
	}
	err = decode(b, s.name, s.required, func(f *field) {
		if set := s.fields[f.num]; set != nil {
			set(&r, f)
		}
	})
	return r, true, err
}

// ---- DataTransferProtocol (datatransfer.proto) ----

const (
	dataTransferVersion = 28
	opWriteBlock        = 0x50
	opReadBlock         = 0x51

	// Status enum values.
	statusSuccess     = 0
	statusError       = 1
	statusErrChecksum = 2
	statusErrInvalid  = 3
	statusErrExists   = 4
	statusUnsupported = 7

	// OpWriteBlockProto.BlockConstructionStage values.
	stageSetupAppend = 0
	stageSetupCreate = 6

	checksumNull   = 0
	checksumCRC32  = 1
	checksumCRC32C = 2
)

// opHeader is ClientOperationHeaderProto with BaseHeaderProto flattened (the token is ignored).
type opHeader struct {
	block      extendedBlock
	clientName string
}

func decodeOpHeader(b []byte) (h opHeader, err error) {
	err = decode(b, "ClientOperationHeaderProto", req(1, 2), func(f *field) {
		switch f.num {
		case 1:
			f.msg(func(b []byte) error {
				return decode(b, "BaseHeaderProto", req(1), func(f *field) {
					if f.num == 1 {
						f.msg(func(b []byte) (err error) {
							h.block, err = decodeExtendedBlock(b)
							return err
						})
					}
				})
			})
		case 2:
			h.clientName = f.str()
		}
	})
	return h, err
}

// writeBlockOp is OpWriteBlockProto.
type writeBlockOp struct {
	opHeader
	targets          int
	stage            uint64
	minBytesRcvd     uint64
	maxBytesRcvd     uint64
	latestGenStamp   uint64
	checksumType     uint64
	bytesPerChecksum uint32
}

func decodeWriteBlockOp(b []byte) (op writeBlockOp, err error) {
	err = decode(b, "OpWriteBlockProto", req(1, 4, 5, 6, 7, 8, 9), func(f *field) {
		switch f.num {
		case 1:
			f.msg(func(b []byte) (err error) { op.opHeader, err = decodeOpHeader(b); return err })
		case 2:
			if f.want(protowire.BytesType) {
				op.targets++
			}
		case 4:
			op.stage = f.uint()
		case 6:
			op.minBytesRcvd = f.uint()
		case 7:
			op.maxBytesRcvd = f.uint()
		case 8:
			op.latestGenStamp = f.uint()
		case 9:
			f.msg(func(b []byte) error {
				return decode(b, "ChecksumProto", req(1, 2), func(f *field) {
					switch f.num {
					case 1:
						op.checksumType = f.uint()
					case 2:
						op.bytesPerChecksum = f.uint32()
					}
				})
			})
		}
	})
	return op, err
}

// readBlockOp is OpReadBlockProto.
type readBlockOp struct {
	opHeader
	offset        uint64
	length        uint64
	sendChecksums bool
}

func decodeReadBlockOp(b []byte) (op readBlockOp, err error) {
	op.sendChecksums = true // proto default
	err = decode(b, "OpReadBlockProto", req(1, 2, 3), func(f *field) {
		switch f.num {
		case 1:
			f.msg(func(b []byte) (err error) { op.opHeader, err = decodeOpHeader(b); return err })
		case 2:
			op.offset = f.uint()
		case 3:
			op.length = f.uint()
		case 4:
			op.sendChecksums = f.boolean()
		}
	})
	return op, err
}

// blockOpResponse is BlockOpResponseProto. For READ_BLOCK it carries the checksum parameters and
// the chunk-aligned offset the data starts at.
type blockOpResponse struct {
	status       uint64
	message      string
	readChecksum *checksumInfo
}

type checksumInfo struct {
	typ              uint64
	bytesPerChecksum uint32
	chunkOffset      uint64
}

func (r blockOpResponse) encode(b pb) pb {
	// firstBadLink is always sent: {status: SUCCESS} alone is 3 bytes on the wire, and the
	// client reads at least 5 bytes before it parses the reply, so it would wait forever.
	b = b.uint(1, r.status).str(2, "")
	if c := r.readChecksum; c != nil {
		sum := pb(nil).uint(1, c.typ).uint(2, uint64(c.bytesPerChecksum))
		b = b.bytes(4, pb(nil).bytes(1, sum).uint(2, c.chunkOffset))
	}
	if r.message != "" {
		b = b.str(5, r.message)
	}
	return b
}

// packetHeader is PacketHeaderProto. Note the fixed-width wire types.
type packetHeader struct {
	offsetInBlock int64
	seqno         int64
	last          bool
	dataLen       int32
}

func (h packetHeader) encode(b pb) pb {
	return b.fixed64(1, uint64(h.offsetInBlock)).fixed64(2, uint64(h.seqno)).
		boolean(3, h.last).fixed32(4, uint32(h.dataLen))
}

func decodePacketHeader(b []byte) (h packetHeader, err error) {
	err = decode(b, "PacketHeaderProto", req(1, 2, 3, 4), func(f *field) {
		switch f.num {
		case 1:
			h.offsetInBlock = f.sfixed64()
		case 2:
			h.seqno = f.sfixed64()
		case 3:
			h.last = f.boolean()
		case 4:
			h.dataLen = f.sfixed32()
		}
	})
	return h, err
}

// encodeAck encodes a PipelineAckProto with one reply (this is a one-DataNode pipeline).
func encodeAck(b pb, seqno int64, status uint64) pb {
	return b.sint(1, seqno).uint(2, status)
}

// prefixed appends msg to b behind its uvarint length, the framing of every DataTransferProtocol
// message and of each part of an IPC frame.
func prefixed(b, msg []byte) []byte {
	return append(protowire.AppendVarint(b, uint64(len(msg))), msg...)
}
