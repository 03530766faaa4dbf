// Package fakeregistry is an in-process Confluent-compatible schema registry for the demo and the
// fast tests: it serves the lookups the loader makes (schemas by id, an id's subject/versions, a
// subject's version) and registration. It keeps no compatibility rules: the loader's own check is
// what the tests exercise. The real tier runs a real registry instead.
package fakeregistry

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
)

// Registry is a running fake registry.
type Registry struct {
	srv *httptest.Server

	mu       sync.Mutex
	schemas  []entry // by id-1
	subjects map[string][]int
	down     bool
}

type entry struct {
	text, typ string
	subject   string
	version   int
}

// Start serves a registry on a loopback port until Close.
func Start() *Registry {
	r := &Registry{subjects: map[string][]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	return r
}

// URL is the registry's base URL.
func (r *Registry) URL() string { return r.srv.URL }

// Close stops the server.
func (r *Registry) Close() { r.srv.Close() }

// SetDown makes every request fail with 503 (down) or serve again.
func (r *Registry) SetDown(down bool) {
	r.mu.Lock()
	r.down = down
	r.mu.Unlock()
}

// Register adds text (schemaType typ: "" for Avro) as the next version of subject and returns its
// id; the same text registered again under the subject returns the existing id.
func (r *Registry) Register(subject, typ, text string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range r.subjects[subject] {
		if r.schemas[id-1].text == text {
			return id
		}
	}
	r.schemas = append(r.schemas, entry{text: text, typ: typ, subject: subject, version: len(r.subjects[subject]) + 1})
	id := len(r.schemas)
	r.subjects[subject] = append(r.subjects[subject], id)
	return id
}

func (r *Registry) serve(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.down {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	parts := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
	notFound := func() { w.WriteHeader(http.StatusNotFound); _, _ = w.Write([]byte(`{"error_code":40403}`)) }
	reply := func(v any) {
		w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
		_ = json.NewEncoder(w).Encode(v)
	}
	switch {
	case len(parts) >= 3 && parts[0] == "schemas" && parts[1] == "ids":
		id, err := strconv.Atoi(parts[2])
		if err != nil || id < 1 || id > len(r.schemas) {
			notFound()
			return
		}
		e := r.schemas[id-1]
		if len(parts) == 4 && parts[3] == "versions" {
			reply([]map[string]any{{"subject": e.subject, "version": e.version}})
			return
		}
		reply(map[string]any{"schema": e.text, "schemaType": e.typ})
	case len(parts) == 4 && parts[0] == "subjects" && parts[2] == "versions":
		ids := r.subjects[parts[1]]
		v, err := strconv.Atoi(parts[3])
		if err != nil || v < 1 || v > len(ids) {
			notFound()
			return
		}
		e := r.schemas[ids[v-1]-1]
		reply(map[string]any{"subject": e.subject, "version": e.version, "id": ids[v-1], "schema": e.text, "schemaType": e.typ})
	default:
		notFound()
	}
}
