package measure

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/eksbalance/eksbalance/internal/validation"
)

// Rollout describes a rollout check: steady load before, during and after a
// restart that the caller performs.
type Rollout struct {
	// Load is the steady load. Its Requests is a minimum: load keeps going
	// until the restart has returned, Tail has passed and at least Requests
	// have been sent. Its Duration is the hard cap on the whole check; a
	// restart still running then is reported as an error. Set Rate for load
	// that stays steady whatever the target's speed.
	Load Load
	// Warmup is steady load before Restart starts, so failures that exist
	// without any restart show up as such. Default 1s.
	Warmup time.Duration
	// Tail is load kept after Restart returns, to catch failures from the last
	// replaced pod (connections still pointing at it, a health check still
	// counting down). Default 2s.
	Tail time.Duration
	// Restart performs the rolling restart and returns when it is complete.
	// It should stop when ctx is done. mark records a named event on the
	// check's time axis (e.g. "SIGTERM pod-2"). Required.
	Restart func(ctx context.Context, mark func(event string)) error
}

// Event is a named moment reported by Restart through mark.
type Event struct {
	// At is measured from the start of the load.
	At   time.Duration
	Name string
}

// RolloutResult is what a rollout check saw.
type RolloutResult struct {
	// Load is the whole run; Load.Failures is every failed request with its
	// time and kind.
	Load *Result
	// RestartStarted and RestartEnded bound the restart on the load's time
	// axis.
	RestartStarted, RestartEnded time.Duration
	// Events are the marks Restart made, in order.
	Events []Event
}

// DuringRestart returns the failures that started between the restart's start
// and its end plus tail, the ones a rollout is to blame for.
func (r *RolloutResult) DuringRestart(tail time.Duration) []Failure {
	var out []Failure
	for _, f := range r.Load.Failures {
		if f.At >= r.RestartStarted && f.At <= r.RestartEnded+tail {
			out = append(out, f)
		}
	}
	return out
}

// Timeline renders events and failures in time order, one per line; runs of
// failures of the same kind are folded into one line to keep it readable.
func (r *RolloutResult) Timeline() string {
	var s string
	fi, ei := 0, 0
	fs := r.Load.Failures
	for fi < len(fs) || ei < len(r.Events) {
		if ei < len(r.Events) && (fi >= len(fs) || r.Events[ei].At <= fs[fi].At) {
			s += fmt.Sprintf("%8.3fs event   %s\n", r.Events[ei].At.Seconds(), r.Events[ei].Name)
			ei++
			continue
		}
		j := fi
		for j+1 < len(fs) && fs[j+1].Kind == fs[fi].Kind &&
			(ei >= len(r.Events) || fs[j+1].At < r.Events[ei].At) {
			j++
		}
		if j == fi {
			s += fs[fi].String() + "\n"
		} else {
			s += fmt.Sprintf("%8.3fs %-7s x%d until %.3fs (first: %s)\n",
				fs[fi].At.Seconds(), fs[fi].Kind, j-fi+1, fs[j].At.Seconds(), fs[fi].Err)
		}
		fi = j + 1
	}
	return s
}

// CheckRollout runs r: warmup load, then Restart under load, then the tail.
// It returns the result together with the restart's error, if any.
func CheckRollout(ctx context.Context, r Rollout) (*RolloutResult, error) {
	if r.Warmup == 0 {
		r.Warmup = time.Second
	}
	if r.Tail == 0 {
		r.Tail = 2 * time.Second
	}
	v := validation.New("rollout")
	v.Merge("Load", r.Load.Validate())
	if r.Restart == nil {
		v.Add("Restart", "nil", "must be set")
	}
	if r.Warmup < 0 {
		v.Add("Warmup", r.Warmup, "must be >= 0")
	}
	if r.Tail < 0 {
		v.Add("Tail", r.Tail, "must be >= 0")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}

	load := r.Load.withDefaults()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		mu        sync.Mutex
		events    []Event
		restarted = make(chan struct{})
		tailUntil time.Time
		res       = &RolloutResult{}
		start     time.Time
	)
	startCh := make(chan struct{})
	more := func(n int64) bool {
		select {
		case <-restarted:
			mu.Lock()
			done := !time.Now().Before(tailUntil)
			mu.Unlock()
			return !done || (load.Requests > 0 && n <= int64(load.Requests))
		default:
			return true
		}
	}

	var restartErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(restarted)
		<-startCh
		t := time.NewTimer(r.Warmup)
		select {
		case <-ctx.Done():
			t.Stop()
			restartErr = ctx.Err()
			return
		case <-t.C:
		}
		mark := func(name string) {
			mu.Lock()
			events = append(events, Event{At: time.Since(start), Name: name})
			mu.Unlock()
		}
		res.RestartStarted = time.Since(start)
		restartErr = r.Restart(ctx, mark)
		mu.Lock()
		res.RestartEnded = time.Since(start)
		tailUntil = time.Now().Add(r.Tail)
		mu.Unlock()
	})

	start = time.Now()
	close(startCh)
	loadRes, loadErr := run(ctx, load, more, start)
	// The load ends on its own only after the restart, unless Duration ran
	// out first; then the restart must not outlive the check.
	select {
	case <-restarted:
	default:
		cancel()
		wg.Wait()
		restartErr = errors.Join(fmt.Errorf("rollout: restart still running when the load's Duration (%v) ran out", load.Duration), restartErr)
	}
	wg.Wait()
	res.Load = loadRes
	res.Events = events
	return res, errors.Join(restartErr, loadErr)
}
