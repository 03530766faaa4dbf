package e2e

import (
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

// The fault suite ("prove exactly-once under faults"): every scenario injects its faults, proves
// that they really happened, and ends with the independent read (0 lost, 0 duplicated), the
// committed offsets at the log ends and a clean audit, recording a row of the guarantees table.
// K2H_SOAK=1 runs the long versions.

// smallSteps makes the binary flush every 100 records or 100 ms, so a run makes many steps and
// a kill at a random moment lands in any phase of the protocol.
func smallSteps(y string) string {
	return strings.Replace(y, "max_records: 700\n  max_age: 300ms", "max_records: 100\n  max_age: 100ms", 1)
}

// slowCommits pauses a step before its prepare and before its publish, widening the windows in
// which a kill leaves orphan staging files or a prepared step to roll forward.
const slowCommits = "before-prepare:1:sleep=20ms,after-prepare:1:sleep=20ms"

// The real binary is SIGKILLed at random moments, over and over, in one load; a final clean run
// completes it.
func TestFaultRandomKill(t *testing.T) {
	t.Parallel()
	markStart(t)
	randomKillScenario(t, newHarness(t, "clicks", 3), "")
}

// randomKillScenario is TestFaultRandomKill on any harness; label names the systems in the
// guarantees row ("" for the fast tier's).
func randomKillScenario(t *testing.T, h *harness, label string) {
	rng, seed := seeded(t)
	h.more(pick(6_000, 30_000), 50)
	group := h.g("g-random-kill")
	cfgPath := h.writeConfig(t, group, 2*time.Second, smallSteps)
	minKills := pick(20, 150)
	var kills, runs, finished, rolledForward, orphanRuns int
	var delays []time.Duration
	deadline := time.Now().Add(pick(6*time.Minute, 60*time.Minute))
	// Commits are fast (their own connection, off the fetch path), so the windows between stage,
	// prepare and commit are narrow: about 1 kill in 50 landed in each. Each is widened by a pause,
	// as a slow broker would make it (the kill itself stays at a random moment), and the loop keeps
	// killing past minKills, up to 5x, until kills have landed in both, so the scenario really
	// covers the phases it is meant to.
	for kills < minKills || ((rolledForward == 0 || orphanRuns == 0) && kills < 5*minKills) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d kills before the deadline (%d runs)", kills, minKills, runs)
		}
		p := spawn(t, fmt.Sprintf("run %d", runs), "batch", cfgPath, slowCommits)
		runs++
		// Measure from the assignment: a restart first waits for the killed member's session to
		// expire, and a kill before the assignment would only repeat that wait.
		if !p.waitFor("msg=assigned", 60*time.Second) {
			if !p.exited() {
				t.Fatalf("run %d was not assigned partitions within 60s; output:\n%s", runs, p.tail(4000))
			}
		}
		delay := between(rng, 150*time.Millisecond, 1500*time.Millisecond)
		select {
		case <-p.done:
		case <-time.After(delay):
			if p.kill() {
				kills++
				delays = append(delays, delay)
			}
		}
		// What the run did on start shows where the previous kill landed.
		rolledForward += len(p.lines("rolled forward a prepared step"))
		if len(p.lines("removed orphan staging file")) > 0 {
			orphanRuns++
		}
		if !p.killedBy(syscall.SIGKILL) {
			if p.err != nil {
				t.Fatalf("run %d failed: %v; output:\n%s", runs, p.err, p.tail(8000))
			}
			// It finished the load before the kill: give it more to do.
			finished++
			h.more(2_000, 50)
		}
	}
	final := spawn(t, "final", "batch", cfgPath, "")
	if err := final.wait(3 * time.Minute); err != nil {
		t.Fatalf("final clean run: %v; output:\n%s", err, final.tail(8000))
	}
	rolledForward += len(final.lines("rolled forward a prepared step"))
	if len(final.lines("removed orphan staging file")) > 0 {
		orphanRuns++
	}
	t.Logf("%d SIGKILLs in %d runs (%d finished before their kill), kill delays %v; prepared steps rolled forward %d, runs that removed orphans %d",
		kills, runs, finished, delays, rolledForward, orphanRuns)
	if rolledForward == 0 || orphanRuns == 0 {
		// Not a loader failure, but the scenario did not reach the phases it is meant to.
		t.Errorf("no kill landed between prepare and commit (%d) or between stage and prepare (%d)", rolledForward, orphanRuns)
	}
	h.prove(t, group, "Random SIGKILL (batch binary)"+label,
		fmt.Sprintf("%d SIGKILLs at random 150–1500 ms after assignment, %d runs (20 ms pauses before prepare and publish), seed %d; next runs rolled %d prepared steps forward and removed orphans %d times",
			kills, runs+1, seed, rolledForward, orphanRuns))
}

// One load, the binary killed in turn at every failpoint of the commit protocol and inside
// recovery itself, then a clean run.
func TestFaultFailpointSequence(t *testing.T) {
	t.Parallel()
	markStart(t)
	failpointSequenceScenario(t, newHarness(t, "clicks", 3), "")
}

func failpointSequenceScenario(t *testing.T, h *harness, label string) {
	h.more(3_000, 40)
	group := h.g("g-failpoints")
	cfgPath := h.writeConfig(t, group, 2*time.Second, func(y string) string {
		return strings.Replace(y, "max_records: 700", "max_records: 250", 1)
	})
	points := []string{
		"after-stage:3", "before-prepare:3", "after-prepare:3",
		// The prepared step left by the kill above is rolled forward by the next run's recovery:
		// kill it there, before and after its publish.
		"recover-before-publish:1", "recover-after-publish:1",
		"mid-publish:2", "after-publish:3", "after-commit:3",
	}
	for i, spec := range points {
		if i > 0 && !strings.HasPrefix(spec, "recover-") {
			h.more(1_000, 40)
		}
		p := spawn(t, spec, "batch", cfgPath, spec)
		if err := p.wait(2 * time.Minute); !p.killedBy(syscall.SIGKILL) {
			t.Fatalf("failpoint %s was never reached (exit %v); output:\n%s", spec, err, p.tail(6000))
		}
		name, _, _ := strings.Cut(spec, ":")
		if len(p.lines("failpoint "+name+": killing the process")) != 1 {
			t.Fatalf("run with %s was killed, but not by its failpoint; output:\n%s", spec, p.tail(6000))
		}
	}
	final := spawn(t, "final", "batch", cfgPath, "")
	if err := final.wait(2 * time.Minute); err != nil {
		t.Fatalf("final clean run: %v; output:\n%s", err, final.tail(8000))
	}
	if len(final.lines("rolled forward a prepared step")) == 0 && len(final.lines("removed orphan staging file")) == 0 {
		t.Logf("the final run found nothing to recover (the last kill was after a commit)")
	}
	h.prove(t, group, "Failpoint sequence (batch binary)"+label,
		fmt.Sprintf("%d SIGKILLs, one at each failpoint: %s", len(points), strings.Join(points, ", ")))
}

// A member frozen with SIGSTOP in the middle of a step comes back after the group gave its
// partitions to someone else: it must be fenced and publish nothing that duplicates.
func TestFaultZombieIsFenced(t *testing.T) {
	zombieScenarios(t, func(t *testing.T) *harness { return newHarness(t, "clicks", 3) }, "")
}

// zombieScenarios runs the zombie cases, each on a harness newH makes.
func zombieScenarios(t *testing.T, newH func(*testing.T) *harness, label string) {
	for _, tc := range []struct {
		name, point string
		// fencedAt is the protocol step whose refused commit the zombie's log line names.
		fencedAt string
		// newOwner is the log line by which the new owner shows it cleaned up after the zombie.
		newOwner string
	}{
		{"holding staged files", "after-stage:2:stop", "prepare", "removed orphan staging file"},
		{"holding a prepared step", "after-prepare:2:stop", "commit", "rolled forward a prepared step"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			markStart(t)
			h := newH(t)
			h.more(4_000, 40)
			group := h.g("g-zombie")
			cfgPath := h.writeConfig(t, group, 2*time.Second, nil)
			name, _, _ := strings.Cut(tc.point, ":")

			z := spawn(t, "zombie", "batch", cfgPath, tc.point)
			if !z.waitFor("failpoint "+name+": stopping the process", 90*time.Second) {
				t.Fatalf("the zombie never reached %s; output:\n%s", tc.point, z.tail(6000))
			}
			if !z.waitStopped(10 * time.Second) {
				t.Fatalf("the zombie is not stopped (state %q); output:\n%s", procState(z.cmd.Process.Pid), z.tail(4000))
			}
			// While it sleeps its session expires (2s without heartbeats), and a new member takes
			// all partitions and loads everything.
			owner := h.startLogged("new-owner", withSession(t, h.config(group), 2*time.Second), true)
			owner.finish(t, 2*time.Minute)
			if got := h.committed(group); !equalOffsets(got, h.produced) {
				t.Fatalf("the new owner committed %v, want everything %v", got, h.produced)
			}
			if owner.count(tc.newOwner) == 0 {
				t.Fatalf("the new owner did not log %q: it did not take over the zombie's step", tc.newOwner)
			}
			if procState(z.cmd.Process.Pid) != 'T' {
				t.Fatalf("the zombie woke up before the new owner finished")
			}

			// Wake the zombie: it carries on from the failpoint with its old generation.
			z.signal(syscall.SIGCONT)
			err := z.wait(2 * time.Minute)
			fencedAt := `err="` + tc.fencedAt + " " + h.topic + "/"
			fenced := z.lines("step abandoned", "fenced", fencedAt)
			if len(fenced) == 0 {
				t.Fatalf("the zombie was not fenced at %q (exit %v); output:\n%s\nnew owner's log:\n%s", fencedAt, err, z.tail(8000),
					strings.Join(strings.Split(owner.log.String(), "\n")[:min(40, countLines(owner.log.String()))], "\n"))
			}
			t.Logf("zombie exit %v; fenced: %s", err, fenced[0])
			if strings.Contains(z.out.String(), "conflicting final file") {
				t.Fatalf("the zombie found a conflicting final file; output:\n%s", z.tail(8000))
			}
			h.prove(t, group, "Zombie "+tc.name+" (SIGSTOP at "+name+", SIGCONT after takeover)"+label,
				fmt.Sprintf("1 SIGSTOP for the session to expire, takeover by a new member, SIGCONT; %d refused commit(s) of the zombie",
					len(z.lines("step abandoned", "fenced"))))
		})
	}
}

// Members join and leave (gracefully, or SIGKILLed) over and over while records are produced
// continuously; then one member finishes the load.
func TestFaultRebalanceStorm(t *testing.T) {
	t.Parallel()
	markStart(t)
	rebalanceStormScenario(t, newHarness(t, "clicks", 6), "")
}

func rebalanceStormScenario(t *testing.T, h *harness, label string) {
	rng, seed := seeded(t)
	h.more(2_000, 100)
	group := h.g("g-storm")
	cfgPath := h.writeConfig(t, group, 2*time.Second, nil)

	// Produce continuously until the storm is over.
	stopProducing := make(chan struct{})
	var (
		wg      sync.WaitGroup
		prodErr error
		chunks  int
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stopProducing:
				return
			case <-time.After(200 * time.Millisecond):
			}
			if err := h.produceNext(200, 100); err != nil {
				prodErr = err
				return
			}
			chunks++
		}
	}()

	var (
		inproc                []*member
		procs                 []*proc
		joins, leaves, killed int
		n                     int
	)
	startInproc := func() {
		n++
		inproc = append(inproc, h.start(fmt.Sprintf("m%d", n), withSession(t, h.config(group), 2*time.Second), false))
		joins++
	}
	startProc := func() {
		n++
		procs = append(procs, spawn(t, fmt.Sprintf("p%d", n), "run", cfgPath, ""))
		joins++
	}
	actions := pick(14, 120)
	for i := 0; i < actions; i++ {
		live := len(inproc) + len(procs)
		var act int // 0 start in-process, 1 start subprocess, 2 graceful leave, 3 SIGKILL
		switch {
		case i < 2:
			act = i // one member of each kind to begin with
		case live < 2:
			act = rng.IntN(2)
		case live >= 4:
			act = 2 + rng.IntN(2)
		default:
			act = rng.IntN(4)
		}
		if act == 2 && len(inproc) == 0 {
			act = 3
		}
		if act == 3 && len(procs) == 0 {
			act = 2
		}
		switch act {
		case 0:
			startInproc()
		case 1:
			startProc()
		case 2:
			k := rng.IntN(len(inproc))
			inproc[k].stop(t)
			inproc = append(inproc[:k], inproc[k+1:]...)
			leaves++
		case 3:
			k := rng.IntN(len(procs))
			p := procs[k]
			if !p.kill() {
				t.Fatalf("member %s had exited before its kill: %v; output:\n%s", p.name, p.err, p.tail(6000))
			}
			procs = append(procs[:k], procs[k+1:]...)
			killed++
		}
		// Pace the storm (this is the fault schedule, not a wait for a condition): the next change
		// comes while the group is rebalancing, or just after.
		<-time.After(between(rng, 300*time.Millisecond, 1500*time.Millisecond))
	}
	close(stopProducing)
	wg.Wait()
	if prodErr != nil {
		t.Fatalf("produce: %v", prodErr)
	}
	for _, m := range inproc {
		m.stop(t)
		leaves++
	}
	for _, p := range procs {
		if !p.kill() {
			t.Fatalf("member %s had exited before its kill: %v; output:\n%s", p.name, p.err, p.tail(6000))
		}
		killed++
	}
	if killed == 0 || leaves == 0 {
		t.Fatalf("the storm had %d SIGKILLs and %d graceful leaves; want both", killed, leaves)
	}
	// Let the group expel the killed members before the finisher joins. Once (1 run in ~20, under
	// load) the finisher, joining while killed members were still being expelled, was assigned 3
	// of the 6 partitions and no rebalance followed for 3 minutes: kfake kept a member that no
	// live process stood behind. Suspected kfake cause (not confirmed by a standalone repro): a
	// member killed while its JoinGroup is parked gets no session timer if kfake cannot deliver its
	// join response, as kfake arms the timer only after a delivered reply; Kafka would expel it
	// after its session timeout. kfake does drop a member whose SyncGroup is overdue (the 20s
	// rebalance timeout) while no leader has synced, so an empty group keeps the finisher out of
	// such a generation; a group that never empties fails here, naming the group.
	cl := newClient(t, h.brokers)
	admin, err := sarama.NewClusterAdminFromClient(cl)
	if err != nil {
		t.Fatal(err)
	}
	expelled := time.Now()
	waitEmptyWithin(t, admin, group, 90*time.Second)
	t.Logf("the killed members left the group in %s", time.Since(expelled).Round(time.Millisecond))
	// One member finishes the load.
	fin := h.start("finisher", withSession(t, h.config(group), 2*time.Second), true)
	fin.finish(t, 3*time.Minute, func() string {
		return fmt.Sprintf("committed %v; group: %s", h.committed(group), describeGroup(admin, group))
	})
	h.prove(t, group, "Rebalance storm (in-process and subprocess members)"+label,
		fmt.Sprintf("%d joins, %d graceful leaves, %d SIGKILLs over %d actions while producing %d chunks (seed %d)",
			joins, leaves, killed, actions, chunks, seed))
}

// describeGroup lists a group's state and members with their assignments, for a failure message.
func describeGroup(admin sarama.ClusterAdmin, group string) string {
	ds, err := admin.DescribeConsumerGroups([]string{group})
	if err != nil || len(ds) != 1 {
		return fmt.Sprintf("describe: %v", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "state %s", ds[0].State)
	for id, m := range ds[0].Members {
		a, err := m.GetMemberAssignment()
		if err != nil {
			fmt.Fprintf(&b, "; %s (%s): assignment: %v", id, m.ClientHost, err)
			continue
		}
		fmt.Fprintf(&b, "; %s (%s): %v", id, m.ClientHost, a.Topics)
	}
	return b.String()
}
