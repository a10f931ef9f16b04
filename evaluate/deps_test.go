package evaluate

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoCgoDependencies checks that the package builds without cgo and pulls
// in none of golearn's cgo packages (ensemble, linear_models, liblinear).
func TestNoCgoDependencies(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not in PATH; skipping the dependency check")
	}
	cmd := exec.Command(gobin, "list", "-deps", "-f", "{{.ImportPath}} {{len .CgoFiles}}", ".")
	cmd.Env = append(cmd.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			t.Fatalf("unexpected go list line %q", line)
		}
		n++
		low := strings.ToLower(f[0])
		for _, bad := range []string{"liblinear", "golearn/ensemble", "golearn/linear_models"} {
			if strings.Contains(low, bad) {
				t.Errorf("depends on %s", f[0])
			}
		}
		if f[1] != "0" {
			t.Errorf("%s has cgo files with CGO_ENABLED=0", f[0])
		}
	}
	if n < 10 || !strings.Contains(string(out), "github.com/sjwhitworth/golearn/trees") {
		t.Errorf("dependency list looks wrong (%d packages):\n%s", n, out)
	}
	build := exec.Command(gobin, "build", "-o", "/dev/null", ".")
	build.Env = append(build.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Errorf("CGO_ENABLED=0 go build: %v\n%s", err, out)
	}
}
