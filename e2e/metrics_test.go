package e2e

import (
	"log/slog"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// recordingRegisterer remembers every collector registered through it.
type recordingRegisterer struct {
	prometheus.Registerer
	mu         sync.Mutex
	collectors []prometheus.Collector
}

func (r *recordingRegisterer) Register(c prometheus.Collector) error {
	r.mu.Lock()
	r.collectors = append(r.collectors, c)
	r.mu.Unlock()
	return r.Registerer.Register(c)
}

func (r *recordingRegisterer) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

var descRE = regexp.MustCompile(`fqName: "([^"]+)".*variableLabels: \{([^}]*)\}`)

// docs/metrics.md lists every metric a member registers (with completeness on, so all of them),
// with exactly its labels, and nothing else.
func TestMetricsDocumented(t *testing.T) {
	h := newHarness(t, "events", 1)
	h.produceAt(0, spread(10, 0, 20)...)
	reg := &recordingRegisterer{Registerer: prometheus.NewRegistry()}
	opts, err := h.completenessConfig("g-metrics", "into", time.Hour).GroupOptions(true, slog.New(slog.DiscardHandler), reg)
	if err != nil {
		t.Fatal(err)
	}
	h.launch("metrics", opts).finish(t, 60*time.Second)

	registered := map[string]string{} // name -> sorted labels, comma-joined
	for _, c := range reg.collectors {
		ch := make(chan *prometheus.Desc, 16)
		go func() { c.Describe(ch); close(ch) }()
		for d := range ch {
			m := descRE.FindStringSubmatch(d.String())
			if m == nil {
				t.Fatalf("cannot read %s", d)
			}
			var labels []string
			for _, l := range strings.Split(m[2], ",") {
				if l = strings.TrimSpace(l); l != "" {
					labels = append(labels, l)
				}
			}
			slices.Sort(labels)
			registered[m[1]] = strings.Join(labels, ",")
		}
	}
	md, err := os.ReadFile("../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]string{}
	for _, m := range regexp.MustCompile("(?m)^\\| `(kafka2hdfs_[a-z_]+)` \\| [a-z]+ \\|([^|]*)\\|").FindAllStringSubmatch(string(md), -1) {
		labels := regexp.MustCompile("`([a-z_]+)`").FindAllStringSubmatch(m[2], -1)
		var names []string
		for _, l := range labels {
			names = append(names, l[1])
		}
		slices.Sort(names)
		documented[m[1]] = strings.Join(names, ",")
	}
	for _, name := range slices.Sorted(maps.Keys(registered)) {
		if doc, ok := documented[name]; !ok {
			t.Errorf("%s{%s} is registered but not in docs/metrics.md", name, registered[name])
		} else if doc != registered[name] {
			t.Errorf("%s: docs/metrics.md lists labels {%s}, the metric has {%s}", name, doc, registered[name])
		}
	}
	for name := range documented {
		if _, ok := registered[name]; !ok {
			t.Errorf("docs/metrics.md lists %s, which no member registers", name)
		}
	}
}
