package consumer

import "testing"

type countingPauser struct{ paused, resumed int }

func (c *countingPauser) PauseAll()  { c.paused++ }
func (c *countingPauser) ResumeAll() { c.resumed++ }

// Fetches pause when the first partition starts waiting for memory and resume when the last one
// stops, however the waits overlap.
func TestFetchGate(t *testing.T) {
	var g fetchGate
	g.enter() // before the group is joined: nothing to pause yet
	g.leave()
	p := &countingPauser{}
	g.set(p)
	g.enter()
	g.enter()
	g.leave()
	if p.paused != 1 || p.resumed != 0 {
		t.Fatalf("after two waits began and one ended: paused %d, resumed %d; want 1, 0", p.paused, p.resumed)
	}
	g.leave()
	g.enter()
	g.leave()
	if p.paused != 2 || p.resumed != 2 {
		t.Fatalf("paused %d, resumed %d; want 2, 2", p.paused, p.resumed)
	}
}
