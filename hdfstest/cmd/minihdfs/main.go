// Command minihdfs runs the test HDFS of package hdfstest (one NameNode, one DataNode,
// everything in memory) until interrupted, so that a person can point the loader or another
// colinmarc/hdfs-based tool at it:
//
//	go run ./hdfstest/cmd/minihdfs -addr 127.0.0.1:9000
//	HADOOP_NAMENODE=127.0.0.1:9000 gohdfs ls /    # colinmarc/hdfs's command line tool
//
// It prints the NameNode address on stdout and logs to stderr. It speaks only what the
// colinmarc/hdfs/v2 client needs (see the package documentation), so Hadoop's Java tools will
// not work against it, and the data is gone when it stops.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/kafka2hdfs/kafka2hdfs/hdfstest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9000", "NameNode listen address (host:port; port 0 picks one)")
	dnAddr := flag.String("datanode-addr", "", "DataNode listen address (default: 127.0.0.1, random port)")
	blockSize := flag.Int64("block-size", hdfstest.DefaultBlockSize, "block size in bytes (a multiple of 512)")
	leaseSoftLimit := flag.Duration("lease-soft-limit", 0,
		"let other clients take over files whose writer stopped renewing for this long (0: never)")
	verbose := flag.Bool("v", false, "log every RPC and block transfer")
	flag.Parse()

	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	c, err := hdfstest.Start(hdfstest.Options{
		BlockSize:      *blockSize,
		NameNodeAddr:   *addr,
		DataNodeAddr:   *dnAddr,
		LeaseSoftLimit: *leaseSoftLimit,
		Logger:         log,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "minihdfs:", err)
		os.Exit(1)
	}
	fmt.Println(c.NameNodeAddr())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	if err := c.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "minihdfs:", err)
		os.Exit(1)
	}
}
