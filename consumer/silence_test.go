package consumer

import (
	"bytes"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A broker that accepts connections and never answers used to give minutes of silence: New logs
// what it waits for while it waits, and gives up within ConnectTimeout (plus one read timeout).
func TestConnectToSilentBrokerIsBoundedAndLogged(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // held open, never answered
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	var logs lockedBuffer
	sc := sarama.NewConfig()
	sc.Version = sarama.V2_8_0_0
	sc.Net.ReadTimeout = 2 * time.Second
	start := time.Now()
	g, err := New(Options{Brokers: []string{ln.Addr().String()}, Sarama: sc, ConnectTimeout: 3 * time.Second,
		ConnectLogEvery: 500 * time.Millisecond, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	took := time.Since(start)
	if err == nil {
		g.Close()
		t.Fatal("New succeeded against a broker that never answers")
	}
	t.Logf("New failed after %s: %v\n%s", took.Round(time.Millisecond), err, logs.String())
	if took > 15*time.Second {
		t.Errorf("New took %s, want about ConnectTimeout plus a read timeout", took)
	}
	if !strings.Contains(logs.String(), "waiting for Kafka") || !strings.Contains(logs.String(), ln.Addr().String()) {
		t.Errorf("nothing logged about the wait:\n%s", logs.String())
	}
}
