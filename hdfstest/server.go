package hdfstest

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"
)

// DefaultBlockSize is the block size when Options.BlockSize is zero. The real default is 128 MiB;
// a small one makes ordinary test files cross block boundaries, the client's most intricate path.
const DefaultBlockSize = 1 << 20

// Options configure a Cluster. The zero value is ready to use.
type Options struct {
	// BlockSize is the block size getServerDefaults reports, which hdfs.Client.Create uses (a
	// client's CreateFile chooses its own). It must
	// be a multiple of 512 (the checksum chunk). 0 means DefaultBlockSize.
	BlockSize int64

	// NameNodeAddr is the NameNode's listen address; "" means 127.0.0.1 on a random port.
	NameNodeAddr string

	// DataNodeAddr is the DataNode's listen address; "" means 127.0.0.1 on a random port. The
	// NameNode tells clients to dial this address; an unspecified host (0.0.0.0, ::) is
	// advertised as 127.0.0.1.
	DataNodeAddr string

	// LeaseSoftLimit lets another client take over a file under construction whose holder has
	// not renewed its lease for this long, as real HDFS does after its 60 s soft limit. The
	// client renews every second while it lives, so only a crashed or closed client loses its
	// files. 0 means leases never expire.
	LeaseSoftLimit time.Duration

	// Logger receives connection and RPC logs (RPCs at debug level). nil discards them.
	Logger *slog.Logger
}

// Cluster is a running NameNode and DataNode. All methods are safe for concurrent use.
type Cluster struct {
	log    *slog.Logger
	ns     *namesystem
	store  *blockStore
	faults faults

	nnLn, dnLn net.Listener

	// done is closed by Close; it wakes goroutines that wait on a timer (latency injection).
	done chan struct{}
	wg   sync.WaitGroup

	mu      sync.Mutex
	closing bool
	conns   map[net.Conn]struct{}
}

// Start starts a NameNode and a DataNode and returns once both listen.
func Start(opts Options) (*Cluster, error) {
	if opts.BlockSize == 0 {
		opts.BlockSize = DefaultBlockSize
	}
	if opts.BlockSize < 0 || opts.BlockSize%bytesPerChecksum != 0 {
		return nil, fmt.Errorf("hdfstest: block size %d is not a positive multiple of %d",
			opts.BlockSize, bytesPerChecksum)
	}
	if opts.NameNodeAddr == "" {
		opts.NameNodeAddr = "127.0.0.1:0"
	}
	if opts.DataNodeAddr == "" {
		opts.DataNodeAddr = "127.0.0.1:0"
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}

	dnLn, err := net.Listen("tcp", opts.DataNodeAddr)
	if err != nil {
		return nil, fmt.Errorf("hdfstest: datanode listen: %w", err)
	}
	nnLn, err := net.Listen("tcp", opts.NameNodeAddr)
	if err != nil {
		dnLn.Close()
		return nil, fmt.Errorf("hdfstest: namenode listen: %w", err)
	}
	dn, err := advertised(dnLn.Addr())
	if err != nil {
		dnLn.Close()
		nnLn.Close()
		return nil, err
	}

	c := &Cluster{
		log:   log,
		store: newBlockStore(),
		nnLn:  nnLn,
		dnLn:  dnLn,
		done:  make(chan struct{}),
		conns: make(map[net.Conn]struct{}),
	}
	c.ns = newNamesystem(opts, dn, c.store, &c.faults)

	c.wg.Add(2)
	go c.acceptLoop(nnLn, "namenode", c.serveNameNode)
	go c.acceptLoop(dnLn, "datanode", c.serveDataNode)
	log.Info("hdfstest started", "namenode", nnLn.Addr().String(), "datanode", dnLn.Addr().String(),
		"block_size", opts.BlockSize)
	return c, nil
}

// advertised is the DataNode identity clients are told to dial.
func advertised(a net.Addr) (datanodeID, error) {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return datanodeID{}, fmt.Errorf("hdfstest: datanode address: %w", err)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return datanodeID{}, fmt.Errorf("hdfstest: datanode port: %w", err)
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return datanodeID{ipAddr: host, hostName: "localhost", uuid: "hdfstest-dn-1", xferPort: uint32(p)}, nil
}

// NameNodeAddr is the host:port to put in hdfs.ClientOptions.Addresses.
func (c *Cluster) NameNodeAddr() string { return c.nnLn.Addr().String() }

// DataNodeAddr is the DataNode's host:port (clients learn it from the NameNode).
func (c *Cluster) DataNodeAddr() string { return c.dnLn.Addr().String() }

// Close stops both servers: it closes the listeners and every open connection, then waits for
// all of the cluster's goroutines to return. Clients still connected see their connections drop.
// Close is idempotent.
func (c *Cluster) Close() error {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return nil
	}
	c.closing = true
	for conn := range c.conns {
		conn.Close()
	}
	c.mu.Unlock()

	close(c.done)
	err := errors.Join(c.nnLn.Close(), c.dnLn.Close())
	c.wg.Wait()
	c.log.Info("hdfstest stopped")
	if err != nil {
		return fmt.Errorf("hdfstest: close: %w", err)
	}
	return nil
}

// acceptLoop accepts connections on ln and serves each on its own goroutine until ln is closed.
func (c *Cluster) acceptLoop(ln net.Listener, name string, serve func(net.Conn)) {
	defer c.wg.Done()
	var backoff time.Duration
	for {
		conn, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: wait and retry rather than spin or give
			// up, as net/http does.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			c.log.Warn("accept", "server", name, "err", err, "retry_in", backoff)
			select {
			case <-time.After(backoff):
				continue
			case <-c.done:
				return
			}
		}
		backoff = 0
		if c.faults.refusing() {
			c.log.Debug("refusing connection", "server", name, "remote", conn.RemoteAddr().String())
			conn.Close()
			continue
		}
		if !c.track(conn) {
			conn.Close()
			return
		}
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			defer c.untrack(conn)
			serve(conn)
		}()
	}
}

// track registers conn so that Close can close it. It reports false once Close has begun: a
// connection accepted in that window would otherwise escape Close's sweep and keep its
// goroutine (and Close's Wait) alive until the peer hangs up.
func (c *Cluster) track(conn net.Conn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return false
	}
	c.conns[conn] = struct{}{}
	return true
}

func (c *Cluster) untrack(conn net.Conn) {
	conn.Close()
	c.mu.Lock()
	delete(c.conns, conn)
	c.mu.Unlock()
}

// sleep waits for d or until Close, whichever comes first.
func (c *Cluster) sleep(d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-c.done:
	}
}
