package main

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/flowclass/flowclass/internal/testdata"
)

// cutPcap copies a classic pcap up to the middle of record number keep
// (0-based), so exactly keep whole records precede the cut.
func cutPcap(t *testing.T, src, dst string, keep int) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 24 || binary.LittleEndian.Uint32(data) != 0xa1b2c3d4 {
		t.Fatalf("%s: not a little-endian microsecond pcap", src)
	}
	off := 24
	for i := 0; i < keep; i++ {
		off += 16 + int(binary.LittleEndian.Uint32(data[off+8:]))
	}
	incl := int(binary.LittleEndian.Uint32(data[off+8:]))
	if incl < 4 {
		t.Fatalf("record %d too short to cut in the middle", keep)
	}
	if err := os.WriteFile(dst, data[:off+16+incl/2], 0o644); err != nil {
		t.Fatal(err)
	}
}

// renamedModel writes the embedded model with one feature renamed, in
// both the model's feature list and the LightGBM text.
func renamedModel(t *testing.T, dst, old, renamed string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(testdata.RepoRoot(t), "model", "embedded", "default.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	feats, _ := m["features"].([]any)
	found := false
	for i, f := range feats {
		if f == old {
			feats[i], found = renamed, true
		}
	}
	if !found {
		t.Fatalf("embedded model has no feature %q", old)
	}
	lgb, _ := m["lightgbm"].(string)
	lines := strings.Split(lgb, "\n")
	found = false
	for i, l := range lines {
		if strings.HasPrefix(l, "feature_names=") {
			names := strings.Fields(strings.TrimPrefix(l, "feature_names="))
			for j, n := range names {
				if n == old {
					names[j], found = renamed, true
				}
			}
			lines[i] = "feature_names=" + strings.Join(names, " ")
		}
	}
	if !found {
		t.Fatalf("LightGBM text has no feature_names entry %q", old)
	}
	m["lightgbm"] = strings.Join(lines, "\n")
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// asNobody makes cmd run as the unprivileged nobody user.
func asNobody(cmd *exec.Cmd) *exec.Cmd {
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	return cmd
}

func TestErrors(t *testing.T) {
	bin := classifyBin(t)
	dir := t.TempDir()
	// nobody must reach the files, so that only the file's own mode stops it.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	good := filepath.Join(dir, "good.pcap")
	genCapture(t, good, 3000, true)
	const keep = 1234
	trunc := filepath.Join(dir, "truncated.pcap")
	cutPcap(t, good, trunc, keep)

	missing := filepath.Join(dir, "no-such-file.pcap")
	unreadable := filepath.Join(dir, "unreadable.pcap")
	if err := os.WriteFile(unreadable, []byte("whatever"), 0o000); err != nil {
		t.Fatal(err)
	}
	notCapture := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notCapture, []byte("these are my notes, not packets\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	corruptModel := filepath.Join(dir, "corrupt-model.json")
	if err := os.WriteFile(corruptModel, []byte(`{"format":"flowclass-model/1","features":[`), 0o644); err != nil {
		t.Fatal(err)
	}
	const renamed = "src2dst_init_window_renamed"
	renamedPath := filepath.Join(dir, "renamed-model.json")
	renamedModel(t, renamedPath, "src2dst_init_win_bytes", renamed)
	root := os.Geteuid() == 0

	tests := []struct {
		name   string
		args   []string
		nobody bool   // run as nobody (root only)
		skip   string // reason to skip
		code   int
		names  string // what the single "classify: " line must name; "" for none expected
		warn   string // a "warning: " line must contain this
		read   int64  // when > 0, packets the summary must report read
	}{
		{name: "missing file", args: []string{"-r", missing}, code: 1, names: missing},
		{name: "directory", args: []string{"-r", dir}, code: 1, names: dir},
		{name: "unreadable file", args: []string{"-r", unreadable}, nobody: root, code: 1, names: unreadable},
		{name: "readable as nobody", args: []string{"-r", good}, nobody: root, code: 0, read: 3000},
		{name: "not a capture", args: []string{"-r", notCapture}, code: 1, names: notCapture},
		{name: "truncated", args: []string{"-r", trunc}, code: 0, warn: trunc, read: keep},
		{name: "truncated quiet", args: []string{"-r", trunc, "-q"}, code: 0, warn: trunc},
		{name: "truncated fail", args: []string{"-r", trunc, "--fail-on-truncated"}, code: 1, names: trunc, warn: trunc, read: keep},
		{name: "unknown interface", args: []string{"-i", "nosuch0"}, code: 1, names: "nosuch0"},
		{name: "live without permission", args: []string{"-i", "lo"}, nobody: true, skip: map[bool]string{false: "needs root to run the binary as nobody"}[root], code: 1, names: "lo"},
		{name: "corrupt model", args: []string{"-r", good, "--model", corruptModel}, code: 1, names: corruptModel},
		{name: "renamed feature", args: []string{"-r", good, "--model", renamedPath}, code: 1, names: renamed},
		{name: "splt", args: []string{"-r", good, "--splt", "999"}, code: 1, names: "--splt"},
		{name: "workers", args: []string{"-r", good, "--workers", "0"}, code: 1, names: "--workers"},
		{name: "ring size", args: []string{"-i", "lo", "--ring-size", "2"}, code: 1, names: "--ring-size"},
		{name: "negative window", args: []string{"-r", good, "--window", "-1s"}, code: 1, names: "--window"},
		{name: "unknown flag", args: []string{"-r", good, "--frobnicate"}, code: 1, names: "--frobnicate"},
		{name: "output is the input", args: []string{"-r", good, "-o", filepath.Join(dir, ".", "good.pcap")}, code: 1, names: good},
		{name: "read and interface", args: []string{"-r", good, "-i", "lo"}, code: 1, names: "-i"},
	}
	goodSize := fileSize(t, good)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.skip != "" {
				t.Skip(tc.skip)
			}
			cmd := exec.Command(bin, append(tc.args, "--no-progress")...)
			if tc.nobody {
				asNobody(cmd)
			}
			res := runCmd(t, cmd)
			noStackTrace(t, "stderr", res.stderr)
			noStackTrace(t, "stdout", res.stdout)
			if res.code != tc.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", res.code, tc.code, res.stderr)
			}
			var errLines, warnLines []string
			for _, l := range strings.Split(res.stderr, "\n") {
				switch {
				case strings.HasPrefix(l, "classify: "):
					errLines = append(errLines, l)
				case strings.HasPrefix(l, "warning: "):
					warnLines = append(warnLines, l)
				}
			}
			if tc.names == "" {
				if len(errLines) != 0 {
					t.Errorf("want no error line, got %q", errLines)
				}
			} else if len(errLines) != 1 {
				t.Errorf("want exactly one line starting with \"classify: \", got %d; stderr:\n%s", len(errLines), res.stderr)
			} else if !strings.Contains(errLines[0], tc.names) {
				t.Errorf("error line %q does not name %q", errLines[0], tc.names)
			}
			if tc.warn != "" {
				ok := false
				for _, l := range warnLines {
					ok = ok || (strings.Contains(l, tc.warn) && strings.Contains(l, "truncated"))
				}
				if !ok {
					t.Errorf("no warning line naming %s and the truncation; stderr:\n%s", tc.warn, res.stderr)
				}
			}
			if got := fileSize(t, good); got != goodSize {
				t.Fatalf("%s changed size from %d to %d", good, goodSize, got)
			}
			if tc.read > 0 {
				if s := parseSummary(t, res.stderr); s.read != tc.read {
					t.Errorf("summary says %d packets read, the file holds %d whole records", s.read, tc.read)
				}
			}
		})
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}
