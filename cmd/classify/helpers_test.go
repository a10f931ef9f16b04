package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowclass/flowclass/synth"
)

// The tests run the real binary as a subprocess, so exit codes, stderr
// lines and signal handling are what a user sees. It is built once per
// test process.
var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// classifyBin builds cmd/classify with CGO_ENABLED=0 the first time it is
// asked for.
func classifyBin(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "classify-test-")
		if buildErr != nil {
			return
		}
		// Readable by all: one test runs the binary as nobody.
		if buildErr = os.Chmod(buildDir, 0o755); buildErr != nil {
			return
		}
		binPath = filepath.Join(buildDir, "classify")
		cmd := exec.Command("go", "build", "-o", binPath, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

type result struct {
	code           int
	stdout, stderr string
}

// runClassify runs the binary to completion with a time limit.
func runClassify(t *testing.T, args ...string) result {
	t.Helper()
	return runCmd(t, exec.Command(classifyBin(t), args...))
}

func runCmd(t *testing.T, cmd *exec.Cmd) result {
	t.Helper()
	args := cmd.Args[1:]
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	if err := cmd.Start(); err != nil {
		t.Fatalf("start classify: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(3 * time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatalf("classify %v did not finish in 3 minutes; stderr:\n%s", args, se.String())
	}
	return result{code: exitCode(t, err), stdout: so.String(), stderr: se.String()}
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	t.Fatalf("classify: %v", err)
	return -1
}

// noStackTrace fails when output looks like a Go panic or crash dump.
func noStackTrace(t *testing.T, what, s string) {
	t.Helper()
	if strings.Contains(s, "goroutine ") || strings.Contains(s, "panic:") {
		t.Errorf("%s contains a Go stack trace:\n%s", what, s)
	}
}

// runSummary is what the summary lines on stderr say.
type runSummary struct {
	read, filtered, inFlows, skipped int64
	flows, alerts                    int64
	interrupted                      bool
	kernelDrops                      int64
	live                             bool
}

var (
	reRead   = regexp.MustCompile(`(?m)^summary: (\d+) packets read(?:, (\d+) filtered out)?, (\d+) in flows, (\d+) skipped`)
	reFlows  = regexp.MustCompile(`(?m)^summary: (\d+) flows, (\d+) alerts`)
	reDrops  = regexp.MustCompile(`kernel drops (\d+)`)
	reNoteIn = regexp.MustCompile(`(?m)^note: interrupted`)
)

func parseSummary(t *testing.T, stderr string) runSummary {
	t.Helper()
	m := reRead.FindStringSubmatch(stderr)
	f := reFlows.FindStringSubmatch(stderr)
	if m == nil || f == nil {
		t.Fatalf("no summary lines in stderr:\n%s", stderr)
	}
	n := func(s string) int64 {
		if s == "" {
			return 0
		}
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("summary number %q: %v", s, err)
		}
		return v
	}
	s := runSummary{read: n(m[1]), filtered: n(m[2]), inFlows: n(m[3]), skipped: n(m[4]), flows: n(f[1]), alerts: n(f[2])}
	s.interrupted = reNoteIn.MatchString(stderr)
	if d := reDrops.FindStringSubmatch(stderr); d != nil {
		s.live, s.kernelDrops = true, n(d[1])
	}
	return s
}

// flowRow is the part of an output row the tests compare.
type flowRow struct {
	key        string // proto src:port dst:port as written
	src, dst   string
	packets    int64
	bytes      int64
	durationMS float64
	expiration string
	score      string
	predicted  string
}

// readFlowsCSV reads a -o CSV file strictly: a header, then rows of the
// same width, the last one ending in a newline.
func readFlowsCSV(t *testing.T, path string) []flowRow {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) == 0 || data[len(data)-1] != '\n' {
		t.Fatalf("%s: does not end with a whole line", path)
	}
	r := csv.NewReader(bytes.NewReader(data))
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(recs) == 0 {
		t.Fatalf("%s: no header", path)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	need := []string{"src_ip", "src_port", "dst_ip", "dst_port", "protocol", "bidirectional_packets", "bidirectional_bytes",
		"bidirectional_duration_ms", "expiration", "score", "predicted"}
	for _, h := range need {
		if _, ok := col[h]; !ok {
			t.Fatalf("%s: no column %q", path, h)
		}
	}
	rows := make([]flowRow, 0, len(recs)-1)
	for _, rec := range recs[1:] {
		pk, err1 := strconv.ParseInt(rec[col["bidirectional_packets"]], 10, 64)
		by, err2 := strconv.ParseInt(rec[col["bidirectional_bytes"]], 10, 64)
		dur, err3 := strconv.ParseFloat(rec[col["bidirectional_duration_ms"]], 64)
		if err1 != nil || err2 != nil || err3 != nil {
			t.Fatalf("%s: bad packet/byte counts in %v", path, rec)
		}
		rows = append(rows, flowRow{
			key:     rec[col["protocol"]] + " " + rec[col["src_ip"]] + ":" + rec[col["src_port"]] + " " + rec[col["dst_ip"]] + ":" + rec[col["dst_port"]],
			src:     rec[col["src_ip"]],
			dst:     rec[col["dst_ip"]],
			packets: pk, bytes: by, durationMS: dur,
			expiration: rec[col["expiration"]],
			score:      rec[col["score"]],
			predicted:  rec[col["predicted"]],
		})
	}
	return rows
}

func sumPackets(rows []flowRow) int64 {
	var n int64
	for _, r := range rows {
		n += r.packets
	}
	return n
}

// genCapture writes a synthetic Ethernet pcap of n packets, with one attack
// of every kind when attacks is set.
func genCapture(t *testing.T, path string, n int, attacks bool) synth.Summary {
	t.Helper()
	cfg := synth.DefaultConfig(7, n)
	if attacks {
		cfg.Attacks = synth.DefaultAttacks(n)
	}
	sum, err := synth.WriteFile(path, cfg)
	if err != nil {
		t.Fatalf("synth: %v", err)
	}
	return sum
}
