package awslb

import "time"

// Clock is the target group's time: the real one, or a test's.
type Clock interface {
	Now() time.Time
	// AfterFunc runs f in its own goroutine after d; stop cancels it and
	// reports whether it did.
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

// RealClock is time itself.
type RealClock struct{}

// Now is time.Now.
func (RealClock) Now() time.Time { return time.Now() }

// AfterFunc is time.AfterFunc.
func (RealClock) AfterFunc(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }
