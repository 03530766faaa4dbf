package main

import (
	"fmt"
	"log/slog"

	"github.com/urfave/cli/v2"

	"github.com/kafka2hdfs/kafka2hdfs/config"
	"github.com/kafka2hdfs/kafka2hdfs/hdfstest"
	"github.com/kafka2hdfs/kafka2hdfs/internal/loadercli"
)

func devHDFSCommand() *cli.Command {
	return &cli.Command{
		Name:  "dev-hdfs",
		Usage: "run a small in-memory HDFS (one NameNode, one DataNode) for trying the loader; needs nothing installed",
		Description: `Serves the HDFS wire protocols on loopback until SIGINT, so that the loader and HDFS tools can be
pointed at it. Everything is kept in memory and is gone on exit. No Kerberos, permissions or
replication: for development only.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "addr", Value: "127.0.0.1:9000", Usage: "NameNode listen address"},
			&cli.StringFlag{Name: "datanode-addr", Value: "127.0.0.1:9866", Usage: "DataNode listen address (clients dial it as the NameNode tells them)"},
			&cli.StringFlag{Name: "block-size", Value: "1MiB", Usage: "block size of new files, a multiple of 512 bytes (HDFS's default is 128MiB; small blocks exercise block boundaries)"},
			&cli.StringFlag{Name: "log-level", Value: "info", Usage: "debug (every RPC), info, warn or error"},
		},
		Action: devHDFS,
	}
}

func devHDFS(c *cli.Context) error {
	bs, err := config.ParseByteSize(c.String("block-size"))
	if err != nil {
		return loadercli.ConfigError(fmt.Errorf("--block-size: %w", err))
	}
	if bs <= 0 || bs%512 != 0 {
		return loadercli.ConfigError(fmt.Errorf("--block-size %s: must be a positive multiple of 512 bytes, such as 1MiB", c.String("block-size")))
	}
	level, err := config.ParseLevel(c.String("log-level"))
	if err != nil {
		return loadercli.ConfigError(fmt.Errorf("--log-level: %w", err))
	}
	cluster, err := hdfstest.Start(hdfstest.Options{
		NameNodeAddr: c.String("addr"),
		DataNodeAddr: c.String("datanode-addr"),
		BlockSize:    int64(bs),
		Logger:       slog.New(slog.NewTextHandler(loadercli.Stderr(), &slog.HandlerOptions{Level: level})),
	})
	if err != nil {
		return fmt.Errorf("start test HDFS: %w; pick free ports with --addr and --datanode-addr", err)
	}
	defer cluster.Close()
	nn := cluster.NameNodeAddr()
	w := c.App.Writer
	fmt.Fprintf(w, `test HDFS running, in memory (gone on exit); Ctrl-C stops it
  namenode:   %s
  datanode:   %s
  block size: %s (%d bytes)

load into it:
  kafka2hdfs run --output hdfs://%s/data ...
browse it with the colinmarc HDFS CLI (go install github.com/colinmarc/hdfs/v2/cmd/hdfs@v2.4.0):
  HADOOP_NAMENODE=%s hdfs ls -l /data
`, nn, cluster.DataNodeAddr(), c.String("block-size"), bs, nn, nn)
	<-c.Context.Done()
	fmt.Fprintln(w, "stopping test HDFS")
	return nil
}
