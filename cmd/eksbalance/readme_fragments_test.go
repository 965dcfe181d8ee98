package main

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every Go block of the README is compiled by a test. A block that is a whole
// file of a recipe carries "<!-- readme-test: file PATH -->" and is built by
// TestReadmeRecipesPlan; a fragment carries a marker saying which function it
// lives in and what that function's file imports:
//
//	<!-- readme-test: fragment func(ctx *pulumi.Context, k8s pulumi.ResourceOption) (err error) imports github.com/pulumi/pulumi/sdk/v3/go/pulumi ... -->
//
// TestReadmeGoFragments wraps each fragment in `func _<signature> { <fragment> }`
// (ending it with a bare return when the signature has results, which must be
// named) in a file with those imports, and builds them all as one package of
// this module with `go build -overlay`, so a fragment that stops compiling
// against the toolkit's API (a renamed field, a changed signature) fails here.
// A Go block with no marker fails too.

var (
	goFence = regexp.MustCompile("(?s)(<!-- readme-test: [^\n]*-->\n)?```go\n(.*?)```")
	// fragmentMarker: the signature runs up to " imports ", the import paths
	// follow, separated by spaces.
	fragmentMarker = regexp.MustCompile(`^<!-- readme-test: fragment (func\(.*?) imports (\S+(?: \S+)*) -->\n$`)
)

// readmeFragment is one marked Go fragment of the README.
type readmeFragment struct {
	// line is the README line of the block's opening fence.
	line      int
	signature string
	imports   []string
	body      string
}

// readmeGoBlocks sorts the README's Go blocks into recipe files (counted) and
// fragments, and returns a problem for every block without a usable marker.
func readmeGoBlocks(readme string) (files int, fragments []readmeFragment, problems []string) {
	for _, m := range goFence.FindAllStringSubmatchIndex(readme, -1) {
		line := 1 + strings.Count(readme[:m[0]], "\n")
		marker, body := "", readme[m[4]:m[5]]
		if m[2] >= 0 {
			marker = readme[m[2]:m[3]]
			line++
		}
		switch fm := fragmentMarker.FindStringSubmatch(marker); {
		case strings.HasPrefix(marker, "<!-- readme-test: file "):
			files++
		case fm != nil:
			fragments = append(fragments, readmeFragment{line: line, signature: fm[1], imports: strings.Fields(fm[2]), body: body})
		case marker != "":
			problems = append(problems, fmt.Sprintf("README.md:%d: marker %q is neither `file PATH` nor `fragment func(...) imports PATH...`", line, strings.TrimSpace(marker)))
		default:
			problems = append(problems, fmt.Sprintf("README.md:%d: a Go block without a readme-test marker: no test compiles it (mark it `<!-- readme-test: fragment func(...) imports ... -->` or `file PATH`)", line))
		}
	}
	return files, fragments, problems
}

// source is the fragment as a Go file of package pkg.
func (f readmeFragment) source(pkg string) (string, error) {
	fset := token.NewFileSet()
	decl, err := parser.ParseFile(fset, "", "package p\nfunc _"+strings.TrimPrefix(f.signature, "func")+" {}", 0)
	if err != nil {
		return "", fmt.Errorf("README.md:%d: signature %q: %v", f.line, f.signature, err)
	}
	fn := decl.Decls[0].(*ast.FuncDecl)
	end := ""
	if res := fn.Type.Results; res != nil {
		for _, r := range res.List {
			if len(r.Names) == 0 {
				return "", fmt.Errorf("README.md:%d: signature %q: name the results, the fragment ends with a bare return", f.line, f.signature)
			}
		}
		end = "\treturn\n"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "// README.md:%d, wrapped by TestReadmeGoFragments.\n\npackage %s\n\nimport (\n", f.line, pkg)
	for _, imp := range f.imports {
		fmt.Fprintf(&b, "\t%q\n", imp)
	}
	fmt.Fprintf(&b, ")\n\nfunc _%s {\n//line README.md:%d\n%s%s}\n", strings.TrimPrefix(f.signature, "func"), f.line+1, f.body, end)
	return b.String(), nil
}

// buildFragments builds the fragments as one package of this module (a
// directory that does not exist on disk, supplied by -overlay) and returns the
// compiler's output on failure.
func buildFragments(t *testing.T, fragments []readmeFragment) (string, error) {
	t.Helper()
	const pkgDir = "zz_readme_fragments"
	if _, err := os.Stat(pkgDir); err == nil {
		t.Fatalf("%s exists: the overlay must supply the whole package", pkgDir)
	}
	abs, err := filepath.Abs(pkgDir)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	overlay := map[string]map[string]string{"Replace": {}}
	for i, f := range fragments {
		src, err := f.source("readmefragments")
		if err != nil {
			return "", err
		}
		real := filepath.Join(tmp, fmt.Sprintf("fragment%d.go", i))
		if err := os.WriteFile(real, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		overlay["Replace"][filepath.Join(abs, fmt.Sprintf("fragment%d.go", i))] = real
	}
	ov, _ := json.Marshal(overlay)
	ovPath := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(ovPath, ov, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "build", "-overlay", ovPath, "./"+pkgDir).CombinedOutput()
	return string(out), err
}

func TestReadmeGoFragments(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the README's Go fragments: skipped with -short")
	}
	t.Parallel()
	_, readme := readRecipes(t)
	files, fragments, problems := readmeGoBlocks(readme)
	for _, p := range problems {
		t.Error(p)
	}
	if files != 2 || len(fragments) < 2 {
		t.Errorf("%d recipe files and %d fragments in Go blocks, want the two recipe programs and at least the Gateway and serve fragments", files, len(fragments))
	}
	if out, err := buildFragments(t, fragments); err != nil {
		t.Fatalf("the README's Go fragments do not compile: %v\n%s", err, out)
	}
	t.Logf("compiled %d Go fragments of the README (lines %v)", len(fragments), fragmentLines(fragments))

	// The failing side: the same fragments with one identifier misspelt must not
	// build, or the check above proves nothing.
	broken := append([]readmeFragment(nil), fragments...)
	broken[0].body = strings.Replace(broken[0].body, "err", "errr", 1)
	if out, err := buildFragments(t, broken); err == nil || !strings.Contains(out, fmt.Sprintf("README.md:%d:", broken[0].line+1)) {
		t.Errorf("a broken fragment built, or its error does not point at README.md:%d, where it is: %v\n%s", broken[0].line+1, err, out)
	}
}

// An unmarked Go block, an unknown marker and a signature with unnamed results
// are each reported, naming the README line.
func TestReadmeGoBlockMarkers(t *testing.T) {
	t.Parallel()
	readme := "intro\n```go\nx := 1\n```\n" +
		"<!-- readme-test: fragment func(ctx context.Context) (error) imports context -->\n```go\nreturn nil\n```\n" +
		"<!-- readme-test: snippet -->\n```go\ny()\n```\n" +
		"<!-- readme-test: file a/main.go -->\n```go\npackage main\n```\n"
	files, fragments, problems := readmeGoBlocks(readme)
	if files != 1 || len(fragments) != 1 || len(problems) != 2 {
		t.Fatalf("files %d, fragments %d, problems %q", files, len(fragments), problems)
	}
	if !strings.Contains(problems[0], "README.md:2: a Go block without a readme-test marker") || !strings.Contains(problems[1], `README.md:10: marker "<!-- readme-test: snippet -->"`) {
		t.Errorf("problems %q", problems)
	}
	if _, err := fragments[0].source("p"); err == nil || !strings.Contains(err.Error(), "README.md:6: signature") {
		t.Errorf("unnamed results: %v", err)
	}
}

func fragmentLines(fs []readmeFragment) []int {
	out := make([]int, len(fs))
	for i, f := range fs {
		out[i] = f.line
	}
	return out
}
