package upstream

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCopiesAreUnmodified holds every file under testdata/upstream to SHA256SUMS:
// the copies are the upstream bytes, and an upgrade replaces them on purpose.
func TestCopiesAreUnmodified(t *testing.T) {
	t.Parallel()
	f, err := os.Open(filepath.Join(Root(), "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	listed := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			t.Fatalf("SHA256SUMS: malformed line %q", sc.Text())
		}
		listed[name] = true
		b, err := os.ReadFile(filepath.Join(Root(), name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		got := sha256.Sum256(b)
		if hex.EncodeToString(got[:]) != sum {
			t.Errorf("%s was changed: sha256 %x, SHA256SUMS says %s", name, got, sum)
		}
	}
	if len(listed) < 20 {
		t.Fatalf("SHA256SUMS lists %d files; the copies are missing", len(listed))
	}
	// Every data file is listed: nothing unaccounted for sneaks in beside them.
	err = filepath.WalkDir(Root(), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(Root(), path)
		if rel == "SHA256SUMS" || rel == "README.md" {
			return nil
		}
		if !listed[filepath.ToSlash(rel)] {
			t.Errorf("%s is not in SHA256SUMS", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestPathsExist(t *testing.T) {
	t.Parallel()
	for _, p := range []string{LBC("values.yaml"), LBC("iam_policy.json"), Echoservice("echoserver-ingress.yaml"),
		filepath.Join(GatewayAPIStandardDir(), "gateway.networking.k8s.io_gateways.yaml")} {
		if _, err := os.Stat(p); err != nil {
			t.Error(err)
		}
	}
}
