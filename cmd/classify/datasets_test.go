package main

import (
	"bufio"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/flowclass/flowclass/internal/testdata"
)

// datasetPick is how many captures of each label the dataset tests run,
// one classify process per capture.
const datasetPick = 10

type captureRun struct {
	rel, label string
	flows      int
	scoreSum   float64
}

var (
	datasetOnce sync.Once
	datasetRes  []captureRun
	datasetErr  string
)

// pickCaptures chooses, per label, datasetPick captures of 200 to 20000
// packets spread evenly over the manifest's sorted list.
func pickCaptures(t *testing.T, dir string) [][2]string {
	f, err := os.Open(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Skipf("no MANIFEST.tsv in %s: %v", dir, err)
	}
	defer f.Close()
	byLabel := map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		if len(c) < 6 || (c[1] != "benign" && c[1] != "malicious") {
			continue
		}
		n, err := strconv.Atoi(c[5])
		if err != nil || n < 200 || n > 20000 {
			continue
		}
		byLabel[c[1]] = append(byLabel[c[1]], c[0])
	}
	var out [][2]string
	for _, label := range []string{"benign", "malicious"} {
		list := byLabel[label]
		sort.Strings(list)
		if len(list) < datasetPick {
			t.Fatalf("only %d %s captures of 200 to 20000 packets in the manifest", len(list), label)
		}
		for i := 0; i < datasetPick; i++ {
			out = append(out, [2]string{list[i*len(list)/datasetPick], label})
		}
	}
	return out
}

// runDatasets runs classify once per picked capture and checks each run;
// the results are shared by the tests below.
func runDatasets(t *testing.T) []captureRun {
	dir := testdata.Datasets(t)
	datasetOnce.Do(func() {
		tmp, err := os.MkdirTemp("", "classify-datasets-")
		if err != nil {
			datasetErr = err.Error()
			return
		}
		defer os.RemoveAll(tmp)
		for i, pc := range pickCaptures(t, dir) {
			rel, label := pc[0], pc[1]
			path := filepath.Join(dir, rel)
			csvPath := filepath.Join(tmp, strconv.Itoa(i)+".csv")
			res := runClassify(t, "-r", path, "-o", csvPath, "--no-progress")
			noStackTrace(t, rel+" stderr", res.stderr)
			if res.code != 0 {
				t.Errorf("%s: exit %d; stderr:\n%s", rel, res.code, res.stderr)
				continue
			}
			s := parseSummary(t, res.stderr)
			if s.read != s.inFlows+s.skipped+s.filtered {
				t.Errorf("%s: %d packets read != %d in flows + %d skipped + %d filtered", rel, s.read, s.inFlows, s.skipped, s.filtered)
			}
			rows := readFlowsCSV(t, csvPath)
			if got := sumPackets(rows); got != s.inFlows {
				t.Errorf("%s: CSV bidirectional_packets sum to %d, summary says %d in flows", rel, got, s.inFlows)
			}
			run := captureRun{rel: rel, label: label, flows: len(rows)}
			for _, r := range rows {
				v, err := strconv.ParseFloat(r.score, 64)
				if err != nil || v < 0 || v > 1 {
					t.Errorf("%s: score %q is not a probability", rel, r.score)
				}
				run.scoreSum += v
			}
			t.Logf("%-9s %-60s %6d packets %5d flows, mean score %.3f", label, rel, s.read, run.flows, run.scoreSum/max(float64(run.flows), 1))
			datasetRes = append(datasetRes, run)
		}
		if t.Failed() {
			datasetErr = "per-capture checks failed in " + t.Name()
		}
	})
	if datasetErr != "" {
		t.Fatal(datasetErr)
	}
	return datasetRes
}

func TestDatasetCaptures(t *testing.T) {
	runs := runDatasets(t)
	if len(runs) != 2*datasetPick {
		t.Errorf("%d captures ran, want %d", len(runs), 2*datasetPick)
	}
}

// TestDatasetScores: on average, flows of malicious captures score higher
// than flows of benign ones. The embedded model was trained on these
// captures (a quarter held out), so this is a sanity check of the wiring
// (features reach the model in the right columns), not a measure of skill.
func TestDatasetScores(t *testing.T) {
	runs := runDatasets(t)
	var sum, capMean [2]float64
	var flows, caps [2]int
	for _, r := range runs {
		i := 0
		if r.label == "malicious" {
			i = 1
		}
		sum[i] += r.scoreSum
		flows[i] += r.flows
		if r.flows > 0 {
			capMean[i] += r.scoreSum / float64(r.flows)
			caps[i]++
		}
	}
	if flows[0] == 0 || flows[1] == 0 {
		t.Fatalf("no flows: benign %d, malicious %d", flows[0], flows[1])
	}
	ben, mal := sum[0]/float64(flows[0]), sum[1]/float64(flows[1])
	t.Logf("mean flow score: benign %.4f over %d flows of %d captures, malicious %.4f over %d flows of %d captures",
		ben, flows[0], caps[0], mal, flows[1], caps[1])
	t.Logf("mean of per-capture mean scores: benign %.4f, malicious %.4f", capMean[0]/float64(caps[0]), capMean[1]/float64(caps[1]))
	if mal <= ben {
		t.Errorf("malicious flows score %.4f on average, not above benign flows' %.4f", mal, ben)
	}
}
