// Command eksbalance plans a Pulumi Go program offline, checks Kubernetes YAML and
// planned stacks against the toolkit's guardrail rules, renders planned Kubernetes
// objects, and predicts each pod's share of load-balanced traffic.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/eksbalance/eksbalance/internal/stackconfig"
)

// command is one subcommand: it parses its own flags from args and returns the
// process exit code (0 ok, 1 findings, 2 bad usage or unreadable input).
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

// commands is filled by each subcommand's file in an init function, so each
// subcommand lives in one file with its flags.
var commands = map[string]command{}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "eksbalance: a command is required")
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "-h", "--help", "-help":
		usage(stdout)
		return 0
	case "help":
		return help(args[1:], stdout, stderr)
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "eksbalance: unknown command %q%s; run 'eksbalance help' for the list\n", args[0], suggest(args[0], commandNames()))
		return 2
	}
	return cmd.run(args[1:], stdout, stderr)
}

// help prints the top-level usage, or one command's usage and flags (the
// command's own -h, sent to stdout).
func help(args []string, stdout, stderr io.Writer) int {
	switch len(args) {
	case 0:
		usage(stdout)
		return 0
	case 1:
		cmd, ok := commands[args[0]]
		if !ok {
			fmt.Fprintf(stderr, "eksbalance help: unknown command %q%s; commands: %s\n", args[0], suggest(args[0], commandNames()), strings.Join(commandNames(), ", "))
			return 2
		}
		return cmd.run([]string{"-h"}, stdout, stdout)
	}
	fmt.Fprintf(stderr, "eksbalance help: takes one command name, got %d: %s\n", len(args), strings.Join(args, " "))
	return 2
}

func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: eksbalance COMMAND [flags] [args]")
	fmt.Fprintln(w, "commands:")
	for _, n := range commandNames() {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "Run 'eksbalance help COMMAND' for a command's arguments and flags.")
}

// suggest returns ` (did you mean "x"?)` when one name is close to got (a
// swap, a letter missing or extra, a different case), else "".
func suggest(got string, names []string) string {
	best := stackconfig.Closest(got, names)
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// usageError says in one line why cmd rejected its arguments and where its
// usage is; it returns the exit code for bad usage.
func usageError(stderr io.Writer, cmd, format string, args ...any) int {
	fmt.Fprintf(stderr, "eksbalance %s: %s (see 'eksbalance help %s')\n", cmd, fmt.Sprintf(format, args...), cmd)
	return 2
}

// flagSet is a command's flags and the usage -h prints.
type flagSet struct {
	*flag.FlagSet
	help func()
}

// newFlagSet is a command's flag set: parse errors are reported by parse in
// one line (via usageError), and -h prints printUsage and the flags to stderr.
func newFlagSet(name string, stderr io.Writer, printUsage func(w io.Writer)) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {} // the flag package calls it on errors too; parse decides
	return &flagSet{FlagSet: fs, help: func() {
		printUsage(stderr)
		fmt.Fprintln(stderr, "flags:")
		fs.SetOutput(stderr)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}}
}

// parse parses flags that may come before or after positional arguments
// (`eksbalance plan . --stack dev` and `eksbalance plan --stack dev .` alike)
// and returns the positional ones. done is true when the command should stop
// with code: after -h (0, usage printed) or a bad flag (2, reason printed).
func (fs *flagSet) parse(args []string, stderr io.Writer) (positional []string, code int, done bool) {
	pos, err := parseArgs(fs.FlagSet, args)
	if errors.Is(err, flag.ErrHelp) {
		fs.help()
		return nil, 0, true
	}
	if err != nil {
		return nil, usageError(stderr, fs.Name(), "%v", err), true
	}
	return pos, 0, false
}

// parseArgs parses flags that may come before or after positional arguments
// and returns the positional ones. A lone "-" is positional (standard input).
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// oneOf checks a flag value against its allowed values; it returns a reason
// when the value is not one of them.
func oneOf(flagName, got string, allowed ...string) (string, bool) {
	for _, a := range allowed {
		if got == a {
			return "", true
		}
	}
	return fmt.Sprintf("%s is %q: want %s", flagName, got, orList(allowed)), false
}

func orList(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " or " + xs[len(xs)-1]
}
