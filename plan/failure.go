package plan

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/eksbalance/eksbalance/internal/stackconfig"
)

// ProgramError is a planned program's own failure, in its own words: what it
// logged as errors (a stack's config problems, a component's validation, a
// registration the mocked cloud refused), without the Go SDK's wrapper around
// an error returned from pulumi.Run ("an unhandled error occurred: program
// failed:") or the process' exit status.
type ProgramError struct {
	Project, Stack string
	// Messages are the program's error messages, unwrapped.
	Messages []string
	// Exit is how the process ended, e.g. "exit status 32" (kept for when the
	// program logged nothing, e.g. it panicked).
	Exit string
	// Output is the program's own stdout and stderr.
	Output string
}

func (e *ProgramError) Error() string {
	if len(e.Messages) > 0 {
		return strings.Join(e.Messages, "\n")
	}
	msg := fmt.Sprintf("program %s (stack %s) failed: %s", e.Project, e.Stack, e.Exit)
	if out := strings.TrimSpace(e.Output); out != "" {
		msg += "\n" + out
	}
	return msg
}

// wrappers are what the Go SDK and gRPC put around a program's error.
var wrappers = []string{
	"an unhandled error occurred: program failed:",
	"an unhandled error occurred:",
	"waiting for RPCs:",
	"rpc error: code = Unknown desc =",
}

// missingConfig is the Go SDK's panic from config.Require (and RequireInt,
// RequireSecret, ...) when the stack has no value for the key.
var missingConfig = regexp.MustCompile(`Missing required configuration variable '([^']+)'`)

// programError is the program's failure: what it logged as errors, else a key
// it required that the stack file lacks (named with the file's closest key,
// usually a typo, instead of the SDK's panic and stack trace), else its exit
// status and output. keys are the stack's config keys, namespaced.
func programError(project, stack string, runErr error, logged []string, output string, keys []string) *ProgramError {
	e := &ProgramError{Project: project, Stack: stack, Output: output}
	if runErr != nil {
		e.Exit = runErr.Error()
	} else {
		e.Exit = "the program logged errors"
	}
	seen := map[string]bool{}
	for _, m := range logged {
		m = unwrap(m)
		if m != "" && !seen[m] {
			seen[m] = true
			e.Messages = append(e.Messages, m)
		}
	}
	if len(e.Messages) == 0 {
		for _, m := range missingConfig.FindAllStringSubmatch(output, -1) {
			if key := m[1]; !seen[key] {
				seen[key] = true
				e.Messages = append(e.Messages, missingConfigMessage(stack, key, keys))
			}
		}
	}
	return e
}

func missingConfigMessage(stack, key string, keys []string) string {
	msg := fmt.Sprintf("stack config (Pulumi.%s.yaml): %s: not set, and the program requires it", stack, key)
	if near := stackconfig.Closest(key, keys); near != "" && near != key {
		return msg + fmt.Sprintf("; the file sets %s: did you mean %s?", near, key)
	}
	return msg + fmt.Sprintf("; set it with `pulumi config set %s VALUE -s %s`", key, stack)
}

// multiHeader is go-multierror's header, which the SDK's error list prints:
// "1 error occurred:\n\t* ..." (each error then on a "\t* " line).
var multiHeader = regexp.MustCompile(`^\d+ errors? occurred:\n\t\* `)

// unwrap removes the SDK's, go-multierror's and gRPC's prefixes from a logged
// error, wherever they appear at the start of the message.
func unwrap(msg string) string {
	msg = strings.TrimSpace(msg)
	for changed := true; changed; {
		changed = false
		if loc := multiHeader.FindStringIndex(msg); loc != nil {
			msg, changed = strings.TrimSpace(strings.ReplaceAll(msg[loc[1]:], "\n\t* ", "\n")), true
		}
		for _, w := range wrappers {
			if rest, ok := strings.CutPrefix(msg, w); ok {
				msg, changed = strings.TrimSpace(rest), true
			}
		}
		// "registering resource X: ... rpc error: code = Unknown desc = <why>"
		if i := strings.Index(msg, wrappers[3]); i > 0 {
			msg, changed = strings.TrimSpace(msg[i+len(wrappers[3]):]), true
		}
	}
	return msg
}

// programWarnings are the warnings the program logged (ctx.Log.Warn), which
// `pulumi preview` would show too.
func programWarnings(logs []string) []string {
	var out []string
	for _, l := range logs {
		if w, ok := strings.CutPrefix(l, "warning: "); ok {
			out = append(out, w)
		}
	}
	return out
}
