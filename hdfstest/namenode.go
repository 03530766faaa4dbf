package hdfstest

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"
)

// The NameNode: an in-memory directory tree, the block list of every file, leases, and the
// ClientNamenodeProtocol handlers over them.
//
// Semantics follow a real NameNode where the client can tell the difference: which exception
// class an error carries (the client maps some of them to os.ErrNotExist, os.ErrExist and
// syscall.ENOTEMPTY), that getFileInfo answers a missing path with an empty reply rather than an
// exception, that rename2 replaces an existing file, that create never creates parents, and that
// complete reports false until every block of the file has a finalized replica.

// Exception classes, as a real NameNode sends them.
const (
	classFileNotFound  = "java.io.FileNotFoundException"
	classIOException   = "java.io.IOException"
	classAlreadyExists = "org.apache.hadoop.fs.FileAlreadyExistsException"
	classBeingCreated  = "org.apache.hadoop.hdfs.protocol.AlreadyBeingCreatedException"
	classParentNotDir  = "org.apache.hadoop.fs.ParentNotDirectoryException"
	classNotEmpty      = "org.apache.hadoop.fs.PathIsNotEmptyDirectoryException"
	classInvalidPath   = "org.apache.hadoop.fs.InvalidPathException"
	classLeaseExpired  = "org.apache.hadoop.hdfs.server.namenode.LeaseExpiredException"
	classIllegalArg    = "org.apache.hadoop.HadoopIllegalArgumentException"
	classNoSuchMethod  = "org.apache.hadoop.ipc.RpcNoSuchMethodException"
	classRPCServer     = "org.apache.hadoop.ipc.RpcServerException"
)

// rpcError is an error reply: a Java exception class and message.
type rpcError struct {
	class  string
	msg    string
	detail uint64
	fatal  bool // FATAL status: the client must not reuse the connection
}

func (e *rpcError) Error() string { return e.class + ": " + e.msg }

func nnError(class, format string, args ...any) error {
	return &rpcError{class: class, msg: fmt.Sprintf(format, args...), detail: errDetailApplication}
}

func serverError(format string, args ...any) *rpcError {
	return &rpcError{class: classRPCServer, msg: fmt.Sprintf(format, args...), detail: errDetailRPCServer}
}

const (
	createFlagCreate    = 1
	createFlagOverwrite = 2
	createFlagAppend    = 4

	bytesPerChecksum = 512
	maxDataPerPacket = 64 << 10

	// First ids as a fresh real cluster hands them out; they make logs look familiar.
	firstInodeID  = 16385
	firstBlockID  = 1 << 30
	firstGenStamp = 1001

	defaultListLimit = 1000 // dfs.ls.limit
	supergroup       = "supergroup"
)

// inode is a directory (children != nil) or a file.
type inode struct {
	id       uint64
	name     string
	parent   *inode
	children map[string]*inode
	perm     uint32
	owner    string
	mtime    int64 // ms since the epoch
	atime    int64

	// Files only.
	replication uint32
	blockSize   uint64
	blocks      []*block
	holder      string // the lease holder (client name) while the file is under construction
}

// block is a block of a file as the NameNode knows it.
type block struct {
	id       uint64
	genStamp uint64
	numBytes uint64 // the length the client committed; 0 until it finishes the block
	file     *inode
}

func (n *inode) isDir() bool { return n.children != nil }

func (n *inode) path() string {
	if n.parent == nil {
		return "/"
	}
	var parts []string
	for ; n.parent != nil; n = n.parent {
		parts = append(parts, n.name)
	}
	slices.Reverse(parts)
	return "/" + strings.Join(parts, "/")
}

func (n *inode) length() uint64 {
	var l uint64
	for _, b := range n.blocks {
		l += b.numBytes
	}
	return l
}

func (n *inode) lastBlock() *block {
	if len(n.blocks) == 0 {
		return nil
	}
	return n.blocks[len(n.blocks)-1]
}

// offsetOf is the file offset of b's first byte.
func (n *inode) offsetOf(b *block) uint64 {
	var off uint64
	for _, x := range n.blocks {
		if x == b {
			break
		}
		off += x.numBytes
	}
	return off
}

type namesystem struct {
	blockSize int64
	softLimit time.Duration
	poolID    string
	dn        datanodeID
	store     *blockStore
	faults    *faults
	listLimit int

	mu        sync.Mutex
	root      *inode
	files     map[uint64]*inode    // by inode id: addBlock and complete name files by id
	blocks    map[uint64]*block    // by block id
	leases    map[string]time.Time // client name → last call (renewLease or a write call)
	lastInode uint64
	lastBlock uint64
	lastGS    uint64
}

func newNamesystem(opts Options, dn datanodeID, store *blockStore, f *faults) *namesystem {
	now := time.Now().UnixMilli()
	return &namesystem{
		blockSize: opts.BlockSize,
		softLimit: opts.LeaseSoftLimit,
		poolID:    "BP-hdfstest-127.0.0.1-1",
		dn:        dn,
		store:     store,
		faults:    f,
		listLimit: defaultListLimit,
		root: &inode{id: firstInodeID, children: map[string]*inode{}, perm: 0o755, owner: "hdfs",
			mtime: now, atime: now},
		files:     map[uint64]*inode{},
		blocks:    map[uint64]*block{},
		leases:    map[string]time.Time{},
		lastInode: firstInodeID,
		lastBlock: firstBlockID,
		lastGS:    firstGenStamp,
	}
}

// handle runs one ClientNamenodeProtocol call and returns the encoded response message.
func (ns *namesystem) handle(method, user string, body []byte) ([]byte, error) {
	r, ok, err := decodeNNRequest(method, body)
	if !ok {
		return nil, &rpcError{class: classNoSuchMethod, detail: errDetailNoSuchMethod,
			msg: fmt.Sprintf("Unknown method %s called on %s protocol (not implemented by hdfstest)",
				method, clientProtocol)}
	}
	if err != nil {
		return nil, serverError("%s: %v", method, err)
	}
	now := time.Now()

	ns.mu.Lock()
	defer ns.mu.Unlock()
	if r.clientName != "" {
		// Any call from a client proves it alive, as renewLease does.
		ns.leases[r.clientName] = now
	}
	switch method {
	case "getFileInfo":
		return ns.getFileInfo(r)
	case "getServerDefaults":
		d := serverDefaults{blockSize: uint64(ns.blockSize), replication: 1}
		return pb(nil).bytes(1, d.encode(nil)), nil
	case "renewLease":
		return nil, nil
	case "mkdirs":
		return ns.mkdirs(r, user, now)
	case "create":
		return ns.create(r, user, now)
	case "addBlock":
		return ns.addBlock(r)
	case "updateBlockForPipeline":
		return ns.updateBlockForPipeline(r)
	case "complete":
		return ns.complete(r, now)
	case "getBlockLocations":
		return ns.getBlockLocations(r)
	case "getListing":
		return ns.getListing(r)
	case "delete":
		return ns.delete(r, now)
	case "rename2":
		return ns.rename2(r, now)
	case "append":
		return ns.append(r, now)
	case "getContentSummary":
		return ns.getContentSummary(r)
	case "getFsStats":
		return ns.getFsStats()
	}
	panic("hdfstest: request schema without handler: " + method)
}

// parsePath splits an absolute HDFS path into its components. Like a real NameNode it refuses
// relative paths, "." and ".." components and ':' in names; repeated slashes are tolerated.
func parsePath(p string) ([]string, error) {
	if !strings.HasPrefix(p, "/") {
		return nil, nnError(classInvalidPath, "Invalid path name %s: not an absolute path", p)
	}
	var parts []string
	for c := range strings.SplitSeq(p, "/") {
		switch {
		case c == "":
			continue
		case c == "." || c == ".." || strings.Contains(c, ":"):
			return nil, nnError(classInvalidPath, "Invalid path name %s: invalid component %q", p, c)
		}
		parts = append(parts, c)
	}
	return parts, nil
}

func joinPath(parts []string) string { return "/" + strings.Join(parts, "/") }

// lookup returns the inode at parts, or nil if there is none (including when a component on
// the way is a file).
func (ns *namesystem) lookup(parts []string) *inode {
	n := ns.root
	for _, c := range parts {
		if !n.isDir() {
			return nil
		}
		if n = n.children[c]; n == nil {
			return nil
		}
	}
	return n
}

// lookupSrc parses src and looks it up.
func (ns *namesystem) lookupSrc(src string) (*inode, []string, error) {
	parts, err := parsePath(src)
	if err != nil {
		return nil, nil, err
	}
	return ns.lookup(parts), parts, nil
}

// parentDir returns the directory that is to hold parts' last component, creating missing
// directories on the way if createParent is set.
func (ns *namesystem) parentDir(parts []string, createParent bool, user string,
	now time.Time,
) (*inode, error) {
	dir := ns.root
	for i, c := range parts[:len(parts)-1] {
		next := dir.children[c]
		switch {
		case next == nil && !createParent:
			return nil, nnError(classFileNotFound, "Parent directory doesn't exist: %s", joinPath(parts[:i+1]))
		case next == nil:
			next = ns.newDir(dir, c, 0o755, user, now)
		case !next.isDir():
			return nil, nnError(classParentNotDir, "%s (is not a directory)", joinPath(parts[:i+1]))
		}
		dir = next
	}
	return dir, nil
}

func (ns *namesystem) newInode(parent *inode, name string, perm uint32, user string,
	now time.Time,
) *inode {
	ns.lastInode++
	ms := now.UnixMilli()
	n := &inode{id: ns.lastInode, name: name, parent: parent, perm: perm & 0o1777, owner: user,
		mtime: ms, atime: ms}
	parent.children[name] = n
	parent.mtime = ms
	return n
}

func (ns *namesystem) newDir(parent *inode, name string, perm uint32, user string,
	now time.Time,
) *inode {
	n := ns.newInode(parent, name, perm, user, now)
	n.children = map[string]*inode{}
	return n
}

// remove unlinks n and frees the blocks of every file under it.
func (ns *namesystem) remove(n *inode, now time.Time) {
	delete(n.parent.children, n.name)
	n.parent.mtime = now.UnixMilli()
	var free func(n *inode)
	free = func(n *inode) {
		for _, c := range n.children {
			free(c)
		}
		for _, b := range n.blocks {
			delete(ns.blocks, b.id)
			ns.store.remove(b.id)
		}
		delete(ns.files, n.id)
	}
	free(n)
}

func (ns *namesystem) status(n *inode, name string) fileStatus {
	s := fileStatus{fileType: fileTypeFile, path: name, length: n.length(), perm: n.perm,
		owner: n.owner, group: supergroup, mtime: uint64(n.mtime), atime: uint64(n.atime),
		replication: n.replication, blockSize: n.blockSize, fileID: n.id}
	if n.isDir() {
		s.fileType, s.children = fileTypeDir, int32(len(n.children))
	}
	return s
}

func (ns *namesystem) located(b *block) locatedBlock {
	return locatedBlock{
		b:      extendedBlock{poolID: ns.poolID, blockID: b.id, genStamp: b.genStamp, numBytes: b.numBytes},
		offset: b.file.offsetOf(b),
		locs:   []datanodeID{ns.dn},
	}
}

func (ns *namesystem) getFileInfo(r nnRequest) ([]byte, error) {
	n, _, err := ns.lookupSrc(r.src)
	if err != nil {
		return nil, err
	}
	if n == nil {
		// An empty reply, not FileNotFoundException: the client turns it into os.ErrNotExist,
		// and Remove/RemoveAll rely on that (they do not map exceptions from getFileInfo).
		return nil, nil
	}
	return pb(nil).bytes(1, ns.status(n, "").encode(nil)), nil
}

// getContentSummary answers `hdfs du` and `hdfs dfs -count`: the bytes, files and directories
// (the path itself included, if a directory) under src. There are no quotas (-1), and one
// replica, so the space consumed is the length.
func (ns *namesystem) getContentSummary(r nnRequest) ([]byte, error) {
	n, _, err := ns.lookupSrc(r.src)
	if err != nil {
		return nil, err
	}
	if n == nil {
		return nil, nnError(classFileNotFound, "File does not exist: %s", r.src)
	}
	var length, files, dirs uint64
	var walk func(n *inode)
	walk = func(n *inode) {
		if !n.isDir() {
			files++
			length += n.length()
			return
		}
		dirs++
		for _, c := range n.children {
			walk(c)
		}
	}
	walk(n)
	noQuota := uint64(1<<64 - 1) // -1 as the uint64 the proto declares
	// ContentSummaryProto: length, fileCount, directoryCount, quota, spaceConsumed, spaceQuota.
	summary := pb(nil).uint(1, length).uint(2, files).uint(3, dirs).uint(4, noQuota).uint(5, length).uint(6, noQuota)
	return pb(nil).bytes(1, summary), nil
}

// fsCapacity is the nominal size of the in-memory test cluster, for `hdfs df`.
const fsCapacity = 1 << 40

// getFsStats answers `hdfs df`: a nominal capacity, the bytes of every file as used, and no
// replication or block problems.
func (ns *namesystem) getFsStats() ([]byte, error) {
	var used uint64
	for _, b := range ns.blocks {
		used += b.numBytes
	}
	// GetFsStatsResponseProto: capacity, used, remaining, under_replicated, corrupt_blocks,
	// missing_blocks.
	return pb(nil).uint(1, fsCapacity).uint(2, used).uint(3, fsCapacity-min(used, fsCapacity)).
		uint(4, 0).uint(5, 0).uint(6, 0), nil
}

func (ns *namesystem) mkdirs(r nnRequest, user string, now time.Time) ([]byte, error) {
	parts, err := parsePath(r.src)
	if err != nil {
		return nil, err
	}
	dir := ns.root
	for i, c := range parts {
		next := dir.children[c]
		switch {
		case next == nil && i < len(parts)-1 && !r.createParent:
			return nil, nnError(classFileNotFound, "Parent directory doesn't exist: %s", joinPath(parts[:i+1]))
		case next == nil && i < len(parts)-1:
			// Like HDFS, implicit parents get at least u+wx so the new child can be reached.
			next = ns.newDir(dir, c, r.perm|0o300, user, now)
		case next == nil:
			next = ns.newDir(dir, c, r.perm, user, now)
		case !next.isDir() && i < len(parts)-1:
			return nil, nnError(classParentNotDir, "%s (is not a directory)", joinPath(parts[:i+1]))
		case !next.isDir():
			return nil, nnError(classAlreadyExists, "Path is not a directory: %s", joinPath(parts))
		}
		dir = next
	}
	return pb(nil).boolean(1, true), nil
}

func (ns *namesystem) create(r nnRequest, user string, now time.Time) ([]byte, error) {
	parts, err := parsePath(r.src)
	if err != nil {
		return nil, err
	}
	switch {
	case len(parts) == 0:
		return nil, nnError(classAlreadyExists, "/ already exists as a directory")
	case r.createFlag&createFlagAppend != 0:
		return nil, nnError(classIllegalArg, "create with the APPEND flag is not supported by hdfstest")
	case r.createFlag&(createFlagCreate|createFlagOverwrite) == 0:
		return nil, nnError(classIllegalArg, "create of %s without the CREATE or OVERWRITE flag", r.src)
	case r.blockSize == 0 || r.blockSize%bytesPerChecksum != 0:
		return nil, nnError(classIOException, "block size %d is not a positive multiple of %d",
			r.blockSize, bytesPerChecksum)
	case r.replication < 1:
		return nil, nnError(classIOException,
			"Requested replication factor of %d is less than the required minimum of 1 for %s",
			r.replication, r.src)
	}
	parent, err := ns.parentDir(parts, r.createParent, user, now)
	if err != nil {
		return nil, err
	}
	name := parts[len(parts)-1]
	if old := parent.children[name]; old != nil {
		switch {
		case old.isDir():
			return nil, nnError(classAlreadyExists, "%s already exists as a directory", r.src)
		case old.holder != "" && !ns.recoverExpired(old, r.clientName, now):
			return nil, ns.beingCreated("create", old, r.clientName)
		case r.createFlag&createFlagOverwrite == 0:
			return nil, nnError(classAlreadyExists, "%s for client %s already exists", r.src, r.clientName)
		}
		ns.remove(old, now)
	}
	f := ns.newInode(parent, name, r.perm, user, now)
	f.replication, f.blockSize, f.holder = r.replication, r.blockSize, r.clientName
	ns.files[f.id] = f
	return pb(nil).bytes(1, ns.status(f, "").encode(nil)), nil
}

func (ns *namesystem) beingCreated(op string, f *inode, client string) error {
	if f.holder == client {
		return nnError(classBeingCreated,
			"Failed to %s %s for %s because current leaseholder is trying to recreate file.",
			op, f.path(), client)
	}
	return nnError(classBeingCreated,
		"Failed to %s %s for %s because this file lease is currently owned by %s",
		op, f.path(), client, f.holder)
}

// recoverExpired takes the lease of f away from its holder if the holder has not renewed it for
// longer than the soft limit, and reports whether it did.
func (ns *namesystem) recoverExpired(f *inode, client string, now time.Time) bool {
	if ns.softLimit <= 0 || f.holder == client || now.Sub(ns.leases[f.holder]) <= ns.softLimit {
		return false
	}
	ns.recoverLease(f, now)
	return true
}

// recoverLease closes a file whose writer went away, as HDFS lease recovery does: each block
// takes the length of the replica the DataNode holds (the writer may have sent more than it
// committed, or less), empty blocks are dropped, and the file is complete again.
func (ns *namesystem) recoverLease(f *inode, now time.Time) {
	kept := f.blocks[:0]
	for _, b := range f.blocks {
		b.numBytes = uint64(ns.store.recover(b.id))
		if b.numBytes == 0 {
			delete(ns.blocks, b.id)
			ns.store.remove(b.id)
			continue
		}
		kept = append(kept, b)
	}
	clear(f.blocks[len(kept):])
	f.blocks, f.holder, f.mtime = kept, "", now.UnixMilli()
}

// fileForWrite finds the file a writer names (by id if it sends one: the file may have been
// renamed since it was opened) and checks that the writer holds its lease.
func (ns *namesystem) fileForWrite(src string, id uint64, client string) (*inode, error) {
	var f *inode
	if id != 0 {
		f = ns.files[id]
	} else if n, _, err := ns.lookupSrc(src); err != nil {
		return nil, err
	} else if n != nil && !n.isDir() {
		f = n
	}
	switch {
	case f == nil:
		return nil, nnError(classFileNotFound,
			"File does not exist: %s (inode %d). Holder %s does not have any open files.",
			src, id, client)
	case f.holder == "":
		return nil, nnError(classLeaseExpired,
			"No lease on %s (inode %d): File is not open for writing. Holder %s does not have any open files.",
			f.path(), f.id, client)
	case f.holder != client:
		return nil, nnError(classLeaseExpired,
			"Lease mismatch on %s (inode %d) owned by %s but is accessed by %s",
			f.path(), f.id, f.holder, client)
	}
	return f, nil
}

// commitLast records the length the client reports for the file's last block.
func commitLast(f *inode, eb *extendedBlock, op string) error {
	if eb == nil {
		return nil
	}
	last := f.lastBlock()
	if last == nil || last.id != eb.blockID {
		return nnError(classIOException, "%s: block blk_%d is not the last block of %s",
			op, eb.blockID, f.path())
	}
	last.numBytes = eb.numBytes
	return nil
}

func (ns *namesystem) addBlock(r nnRequest) ([]byte, error) {
	f, err := ns.fileForWrite(r.src, r.fileID, r.clientName)
	if err != nil {
		return nil, err
	}
	if err := commitLast(f, r.block, "addBlock"); err != nil {
		return nil, err
	}
	ns.lastBlock++
	ns.lastGS++
	b := &block{id: ns.lastBlock, genStamp: ns.lastGS, file: f}
	f.blocks = append(f.blocks, b)
	ns.blocks[b.id] = b
	return pb(nil).bytes(1, ns.located(b).encode(nil)), nil
}

// updateBlockForPipeline is colinmarc's "block finished" signal (it never sets up a new
// pipeline). A real NameNode would hand out a new generation stamp here, which the client then
// ignores; this one keeps the stamp and records the block's final length.
func (ns *namesystem) updateBlockForPipeline(r nnRequest) ([]byte, error) {
	b := ns.blocks[r.block.blockID]
	if b == nil || b.file.holder == "" {
		return nil, nnError(classIOException, "%s:blk_%d does not exist or is not under construction",
			r.block.poolID, r.block.blockID)
	}
	if _, err := ns.fileForWrite("", b.file.id, r.clientName); err != nil {
		return nil, err
	}
	b.numBytes = r.block.numBytes
	return pb(nil).bytes(1, ns.located(b).encode(nil)), nil
}

func (ns *namesystem) complete(r nnRequest, now time.Time) ([]byte, error) {
	f := ns.files[r.fileID]
	if f == nil {
		n, _, err := ns.lookupSrc(r.src)
		if err != nil {
			return nil, err
		}
		if n == nil || n.isDir() {
			return nil, nnError(classFileNotFound, "File does not exist: %s", r.src)
		}
		f = n
	}
	if f.holder == "" {
		// A repeated Close after a successful one: complete is idempotent.
		return pb(nil).boolean(1, true), nil
	}
	f, err := ns.fileForWrite("", f.id, r.clientName)
	if err != nil {
		return nil, err
	}
	if err := commitLast(f, r.block, "complete"); err != nil {
		return nil, err
	}
	if ns.faults.takeReplicating() {
		return pb(nil).boolean(1, false), nil
	}
	// A first Write of zero bytes allocates a block the DataNode never sees; drop it.
	for last := f.lastBlock(); last != nil && last.numBytes == 0; last = f.lastBlock() {
		delete(ns.blocks, last.id)
		ns.store.remove(last.id)
		f.blocks[len(f.blocks)-1] = nil
		f.blocks = f.blocks[:len(f.blocks)-1]
	}
	// As on a real cluster, the file stays open until every block has a finalized replica of
	// the committed length; the client reports false as hdfs.ErrReplicating.
	for _, b := range f.blocks {
		if n, ok := ns.store.finalizedLen(b.id); !ok || uint64(n) != b.numBytes {
			return pb(nil).boolean(1, false), nil
		}
	}
	f.holder, f.mtime = "", now.UnixMilli()
	return pb(nil).boolean(1, true), nil
}

func (ns *namesystem) getBlockLocations(r nnRequest) ([]byte, error) {
	f, _, err := ns.lookupSrc(r.src)
	if err != nil {
		return nil, err
	}
	if f == nil {
		return nil, nnError(classFileNotFound, "File does not exist: %s", r.src)
	}
	if f.isDir() {
		return nil, nnError(classFileNotFound, "Path is not a file: %s", r.src)
	}
	end := r.offset + min(r.length, math.MaxUint64-r.offset)
	lbs := locatedBlocks{fileLength: f.length(),
		underConstruction: f.holder != "", lastBlockComplete: f.holder == ""}
	var off uint64
	for _, b := range f.blocks {
		// Blocks the writer has not finished have no committed length yet: not readable.
		if b.numBytes > 0 && off+b.numBytes > r.offset && off < end {
			lbs.blocks = append(lbs.blocks, ns.located(b))
		}
		off += b.numBytes
	}
	return pb(nil).bytes(1, lbs.encode(nil)), nil
}

func (ns *namesystem) getListing(r nnRequest) ([]byte, error) {
	n, _, err := ns.lookupSrc(r.src)
	if err != nil {
		return nil, err
	}
	if n == nil {
		return nil, nil // no dirList: the client reports os.ErrNotExist
	}
	list := pb(nil)
	remaining := 0
	if !n.isDir() {
		list = list.bytes(1, ns.status(n, "").encode(nil))
	} else {
		var names []string
		for name := range n.children {
			if name > r.startAfter {
				names = append(names, name)
			}
		}
		slices.Sort(names) // bytewise, as HDFS orders names
		if len(names) > ns.listLimit {
			names, remaining = names[:ns.listLimit], len(names)-ns.listLimit
		}
		for _, name := range names {
			list = list.bytes(1, ns.status(n.children[name], name).encode(nil))
		}
	}
	return pb(nil).bytes(1, list.uint(2, uint64(remaining))), nil
}

func (ns *namesystem) delete(r nnRequest, now time.Time) ([]byte, error) {
	n, _, err := ns.lookupSrc(r.src)
	if err != nil {
		return nil, err
	}
	switch {
	case n == nil, n == ns.root:
		return pb(nil).boolean(1, false), nil
	case n.isDir() && len(n.children) > 0 && !r.recursive:
		return nil, nnError(classNotEmpty, "`%s is non empty': Directory is not empty", n.path())
	}
	ns.remove(n, now)
	return pb(nil).boolean(1, true), nil
}

func (ns *namesystem) rename2(r nnRequest, now time.Time) ([]byte, error) {
	src, srcParts, err := ns.lookupSrc(r.src)
	if err != nil {
		return nil, err
	}
	dstParts, err := parsePath(r.dst)
	if err != nil {
		return nil, err
	}
	switch {
	case src == nil:
		return nil, nnError(classFileNotFound, "rename source %s is not found.", r.src)
	case src == ns.root:
		return nil, nnError(classIOException, "rename source cannot be the root")
	case slices.Equal(srcParts, dstParts):
		return nil, nnError(classAlreadyExists, "The source %s and destination %s are the same", r.src, r.dst)
	case len(dstParts) > len(srcParts) && slices.Equal(srcParts, dstParts[:len(srcParts)]):
		return nil, nnError(classIOException,
			"Rename destination %s is a directory or file under source %s", r.dst, r.src)
	case len(dstParts) == 0:
		return nil, nnError(classIOException, "rename destination cannot be the root")
	}
	dstParent := dstParts[:len(dstParts)-1]
	dstDir := ns.lookup(dstParent)
	switch {
	case dstDir == nil:
		return nil, nnError(classFileNotFound, "rename destination parent %s not found.", joinPath(dstParent))
	case !dstDir.isDir():
		return nil, nnError(classParentNotDir, "rename destination parent %s is a file.", joinPath(dstParent))
	}
	name := dstParts[len(dstParts)-1]
	if dst := dstDir.children[name]; dst != nil {
		switch {
		case !r.overwrite:
			return nil, nnError(classAlreadyExists, "rename destination %s already exists", r.dst)
		case dst.isDir() && !src.isDir():
			return nil, nnError(classIOException,
				"Source %s and destination %s must both be directories", r.src, r.dst)
		case !dst.isDir() && src.isDir():
			return nil, nnError(classIOException, "Source %s and destination %s must both be files", r.src, r.dst)
		case dst.isDir() && len(dst.children) > 0:
			return nil, nnError(classIOException, "rename destination directory is not empty: %s", r.dst)
		}
		ns.remove(dst, now)
	}
	// A file being written may be renamed; its writer names it by inode id from then on.
	delete(src.parent.children, src.name)
	src.parent.mtime = now.UnixMilli()
	src.parent, src.name = dstDir, name
	dstDir.children[name] = src
	dstDir.mtime = now.UnixMilli()
	return nil, nil
}

func (ns *namesystem) append(r nnRequest, now time.Time) ([]byte, error) {
	f, _, err := ns.lookupSrc(r.src)
	if err != nil {
		return nil, err
	}
	switch {
	case f == nil:
		return nil, nnError(classFileNotFound, "failed to append to non-existent file %s for client %s",
			r.src, r.clientName)
	case f.isDir():
		return nil, nnError(classFileNotFound, "failed to append to %s for client %s: not a file",
			r.src, r.clientName)
	case f.holder != "" && !ns.recoverExpired(f, r.clientName, now):
		return nil, ns.beingCreated("APPEND_FILE", f, r.clientName)
	}
	f.holder = r.clientName
	resp := pb(nil)
	// A partial last block is reopened (the client appends to it in place); after a full one,
	// or in an empty file, the client's first Write asks addBlock for a new block.
	if last := f.lastBlock(); last != nil && last.numBytes < f.blockSize {
		resp = resp.bytes(1, ns.located(last).encode(nil))
	}
	return resp.bytes(2, ns.status(f, "").encode(nil)), nil
}
