// Package hdfstest is a small in-process HDFS, one NameNode and one DataNode on loopback TCP, that
// the unmodified github.com/colinmarc/hdfs/v2 client (v2.4.0) talks to as if it were a real
// cluster.
//
// It exists because the loader writes Parquet files to HDFS through that client, and its tests
// (and the dev-hdfs command) need an HDFS where no Hadoop can be installed. Mocking the client's
// Go API would test nothing of what can go wrong in production: this package speaks the real wire
// protocols instead, Hadoop IPC with protobuf on the NameNode and DataTransferProtocol on the
// DataNode, so the client's own code paths run end to end (block boundaries, packet acks, checksums,
// lease renewal, error mapping), and fault injection reproduces the failures the loader has to
// survive.
//
//	c, err := hdfstest.Start(hdfstest.Options{})
//	...
//	defer c.Close()
//	client, err := hdfs.NewClient(hdfs.ClientOptions{Addresses: []string{c.NameNodeAddr()}, User: "test"})
//
// What it implements follows the team's byte-level notes on the client (hdfs-wire.md), checked
// here end to end against the client itself:
//
//   - NameNode: getFileInfo, getServerDefaults, renewLease, mkdirs, create, addBlock,
//     updateBlockForPipeline, complete, getBlockLocations, getListing, delete, rename2, append,
//     getContentSummary and getFsStats (`hdfs du` and `hdfs df`: no quotas, one replica, a
//     nominal 1 TiB capacity), with the exception classes a real NameNode throws (so the client maps them to os.ErrNotExist,
//     os.ErrExist, syscall.ENOTEMPTY as it would in production). Other methods get
//     RpcNoSuchMethodException and the connection stays up.
//   - DataNode: WRITE_BLOCK (create and append) and READ_BLOCK, with CRC32C checked on write and
//     computed on read.
//   - Leases: a file is held by the client that creates or appends it; with Options.LeaseSoftLimit
//     set, another client may take over a file whose holder stopped renewing.
//   - Faults: FailWriteAfter, CompleteReplicating, RefuseConnections and SetLatency.
//
// Not implemented: SASL and Kerberos (refused with an AccessControlException), block tokens, data
// encryption, replication and pipeline recovery (there is one DataNode), permission checks,
// quotas, snapshots, symlinks, xattrs, truncate, erasure coding, persistence (everything lives in
// memory and is gone after Close).
package hdfstest
