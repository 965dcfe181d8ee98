package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Every `eksbalance ...` and `make ...` command the README shows (in sh blocks
// and in inline code) is accounted for:
//   - the command or make target exists, and every flag it names is one of the
//     command's flags (a synopsis like `eksbalance check PATH... [-o ...]` is
//     checked this far);
//   - a concrete eksbalance command that runs offline and fast is run here as
//     written (paths taken from the repository root; a program DIR replaced by
//     a saved plan, which takes the same flags), and what the README says it
//     prints is compared with what it prints;
//   - one that builds a Pulumi program is named in readmeCommandTests with the
//     test that runs it, which must exist.
// A command that is none of these fails the test: add it to one of the tables.

// readmeCommandTests maps the README's slow commands (they build a program) to
// the test that runs them.
var readmeCommandTests = map[string]string{
	"make plan":              "TestPlanStacks",            // the dev stack, planned from the repository root
	"make plan ENV=prod":     "TestPlanStacks",            // prod, and its private-endpoint warning
	"eksbalance plan stacks": "TestPlanFindsProjectAbove", // the project above stacks/
	"eksbalance plan examples/automode --stack dev": "TestPlanAutoModeExample", // no node groups: layout from the spread
	"eksbalance plan . --stack dev":                 "TestReadmeRecipesPlan",   // the new-cluster recipe's run block
	"eksbalance plan . --stack dev --stack-outputs platform-outputs.yaml --nodes us-east-1a=2,us-east-1b=2,us-east-1c=2 --controller-default-target-type ip": "TestReadmeRecipesPlan",
}

// readmeCommand is one command the README shows.
type readmeCommand struct {
	line int
	text string
}

var (
	shBlock    = regexp.MustCompile("(?s)```sh\n(.*?)```")
	inlineCode = regexp.MustCompile("`([^`\n]+)`")
	// placeholder marks a synopsis: DIR, PATH..., [--flag], a|b.
	placeholder = regexp.MustCompile(`\[|\]|\.\.\.|^[A-Z][A-Z_.]*$|\|`)
)

// readmeCommands returns the eksbalance and make commands of the README, each
// once (the first line it appears on), with `\|` unescaped.
func readmeCommands(readme string) []readmeCommand {
	var out []readmeCommand
	seen := map[string]bool{}
	add := func(offset int, text string) {
		text = strings.TrimSpace(strings.ReplaceAll(text, `\|`, "|"))
		for _, part := range regexp.MustCompile(`\s(?:\||&&|;)\s`).Split(text, -1) {
			part = strings.TrimSpace(part)
			if i := strings.Index(part, " #"); i >= 0 {
				part = strings.TrimSpace(part[:i])
			}
			if !strings.HasPrefix(part, "eksbalance ") && !strings.HasPrefix(part, "make ") && part != "eksbalance" {
				continue
			}
			if !seen[part] {
				seen[part] = true
				out = append(out, readmeCommand{line: 1 + strings.Count(readme[:offset], "\n"), text: part})
			}
		}
	}
	for _, m := range shBlock.FindAllStringSubmatchIndex(readme, -1) {
		block := readme[m[2]:m[3]]
		off := m[2]
		for _, l := range strings.SplitAfter(block, "\n") {
			add(off, strings.TrimSuffix(l, "\n"))
			off += len(l)
		}
	}
	for _, m := range inlineCode.FindAllStringSubmatchIndex(readme, -1) {
		add(m[2], readme[m[2]:m[3]])
	}
	return out
}

// makeTargets are the Makefile's targets and the variables it reads.
func makeTargets(t *testing.T) (targets, vars map[string]bool) {
	t.Helper()
	b, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	targets, vars = map[string]bool{}, map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^([a-z][a-z-]*):`).FindAllStringSubmatch(string(b), -1) {
		targets[m[1]] = true
	}
	for _, m := range regexp.MustCompile(`\$\(([A-Z_]+)\)`).FindAllStringSubmatch(string(b), -1) {
		vars[m[1]] = true
	}
	return targets, vars
}

// flagsOf are the flags `eksbalance help CMD` lists.
func flagsOf(t *testing.T, cmd string) map[string]bool {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run([]string{"help", cmd}, &out, &errb); code != 0 {
		t.Fatalf("eksbalance help %s: exit %d: %s", cmd, code, errb.String())
	}
	flags := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^  -([a-z][a-z-]*)`).FindAllStringSubmatch(out.String()+errb.String(), -1) {
		flags[m[1]] = true
	}
	return flags
}

// fromRoot rewrites arguments that name a path of the repository (the README's
// commands run from the clone's root) to paths from this package's directory.
func fromRoot(args []string) []string {
	out := slices.Clone(args)
	for i, a := range out {
		if strings.HasPrefix(a, "-") || a == "." {
			continue
		}
		if _, err := os.Stat(filepath.Join("../..", a)); err == nil {
			out[i] = filepath.Join("../..", a)
		}
	}
	return out
}

func TestReadmeCommands(t *testing.T) {
	t.Parallel()
	_, readme := readRecipes(t)
	cmds := readmeCommands(readme)
	if len(cmds) < 20 {
		t.Fatalf("found %d commands in the README; the extraction is broken", len(cmds))
	}
	targets, vars := makeTargets(t)
	testSources := ""
	if files, err := filepath.Glob("*_test.go"); err == nil {
		for _, f := range files {
			b, _ := os.ReadFile(f)
			testSources += string(b)
		}
	}
	flagCache := map[string]map[string]bool{}
	saved := savedPlan(t, false)
	ran := 0
	for _, c := range cmds {
		fields := strings.Fields(c.text)
		where := func(format string, args ...any) {
			t.Helper()
			t.Errorf("README.md:%d `%s`: "+format, append([]any{c.line, c.text}, args...)...)
		}
		synopsis := slices.ContainsFunc(fields[1:], placeholder.MatchString)
		if fields[0] == "make" {
			for _, f := range fields[1:] {
				f = strings.Trim(f, "[]")
				if name, _, ok := strings.Cut(f, "="); ok {
					if !vars[name] {
						where("the Makefile reads no variable %s", name)
					}
				} else if !targets[f] {
					where("the Makefile has no target %s", f)
				}
			}
			continue
		}
		if len(fields) == 1 {
			continue // "eksbalance" alone, the command's name in prose
		}
		cmd := fields[1]
		if _, ok := commands[cmd]; !ok && cmd != "help" {
			where("eksbalance has no command %q", cmd)
			continue
		}
		if flagCache[cmd] == nil && cmd != "help" {
			flagCache[cmd] = flagsOf(t, cmd)
		}
		for _, f := range fields[2:] {
			name := strings.TrimLeft(strings.Trim(f, "[]"), "-")
			name, _, _ = strings.Cut(name, "=")
			if strings.HasPrefix(strings.Trim(f, "["), "-") && name != "" && !flagCache[cmd][name] {
				where("eksbalance %s has no flag -%s", cmd, name)
			}
		}
		if cmd == "help" {
			runReadmeCommand(t, c, fields[1:], saved, readme)
			ran++
			continue
		}
		if synopsis || len(fields) == 2 {
			continue // a synopsis or a bare command name: checked as far as it goes
		}
		if test, ok := readmeCommandTests[c.text]; ok {
			if !strings.Contains(testSources, "func "+test+"(t *testing.T)") {
				where("mapped to %s, which does not exist", test)
			}
			continue
		}
		if !runReadmeCommand(t, c, fields[1:], saved, readme) {
			where("is neither run by TestReadmeCommands nor mapped to the test that runs it (readmeCommandTests)")
			continue
		}
		ran++
	}
	t.Logf("%d README commands: %d run here, %d mapped to the tests that run them, the rest synopses, mentions and make targets checked against the CLI and the Makefile",
		len(cmds), ran, len(readmeCommandTests))
	// Both ways for make: every target `make help` lists is in the README's table.
	for target := range targets {
		if target == "FORCE" || target == "help" || target == "deps" || target == "test-unit" || target == "test-controlplane" {
			continue // internal steps of make test, listed by make help only
		}
		if !strings.Contains(readme, "`make "+target) {
			t.Errorf("the README's make targets table lacks `make %s`", target)
		}
	}
}

// runReadmeCommand runs the README commands that are cheap, as written, and
// reports whether it knew the command.
func runReadmeCommand(t *testing.T, c readmeCommand, args []string, saved, readme string) bool {
	t.Helper()
	fail := func(format string, a ...any) {
		t.Helper()
		t.Errorf("README.md:%d `%s`: "+format, append([]any{c.line, c.text}, a...)...)
	}
	switch {
	case args[0] == "help":
		// `eksbalance help COMMAND`: every command has its help.
		for name := range commands {
			if code, _, errOut := runOut(t, "help", name); code != 0 {
				fail("eksbalance help %s: exit %d %s", name, code, errOut)
			}
		}
	case c.text == "eksbalance check --rules":
		if code, out, _ := runOut(t, "check", "--rules"); code != 0 || !strings.Contains(out, "rollout-timing") {
			fail("exit %d, no rule catalog:\n%s", code, out)
		}
	case args[0] == "predict":
		code, out, errOut := runOut(t, fromRoot(args)...)
		if code != 0 {
			fail("exit %d: %s", code, errOut)
			return true
		}
		// The README shows the table it prints in the block that follows.
		after := readme[strings.Index(readme, c.text):]
		if m := regexp.MustCompile("(?s)```\\s*```\n(.*?)```").FindStringSubmatch(after); m != nil {
			for _, l := range strings.Split(strings.TrimSpace(m[1]), "\n") {
				if !strings.Contains(out, l) {
					fail("prints no line %q (the README shows it):\n%s", l, out)
				}
			}
		} else {
			fail("no output block follows the command")
		}
	case args[0] == "plan" && len(args) > 1 && args[1] == ".":
		// The program replaced by a saved plan: the same flags, parsed and used.
		if code, _, errOut := runOut(t, append([]string{"plan", saved}, args[2:]...)...); code == 2 {
			fail("rejected: %s", errOut)
		}
	case args[0] == "render" && len(args) > 1 && args[1] == ".":
		out := filepath.Join(t.TempDir(), "out")
		rest := slices.Clone(args[2:])
		for i := range rest {
			if rest[i] == "out/" {
				rest[i] = out
			}
		}
		if code, _, errOut := runOut(t, append([]string{"render", saved}, rest...)...); code != 0 {
			fail("exit %d: %s", code, errOut)
		}
		// `eksbalance check out/` on what render wrote, as the README chains them.
		if code, stdout, errOut := runOut(t, "check", out); code == 2 {
			fail("then eksbalance check out/: exit 2: %s%s", stdout, errOut)
		}
	case c.text == "eksbalance check out/":
		// Run after the render above.
	case c.text == "eksbalance check -":
		code, stdout, stderr := checkStdin(helmOutput(t), "-")
		if code == 2 {
			fail("exit 2: %s%s", stdout, stderr)
		}
	default:
		return false
	}
	return true
}

// The extraction finds commands in sh blocks and inline code, splits pipes and
// drops comments; a command the test neither runs nor maps fails it.
func TestReadmeCommandExtraction(t *testing.T) {
	t.Parallel()
	readme := "Run `make plan ENV=prod` or\n```sh\nmake test   # everything\nhelm template x ./c | eksbalance check -\n```\n" +
		"and `eksbalance predict FILE [-o text\\|json]`.\n"
	var got []string
	for _, c := range readmeCommands(readme) {
		got = append(got, c.text)
	}
	want := []string{"make test", "eksbalance check -", "make plan ENV=prod", "eksbalance predict FILE [-o text|json]"}
	if !slices.Equal(got, want) {
		t.Errorf("commands %q, want %q", got, want)
	}
}
