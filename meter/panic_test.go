package meter

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/flowclass/flowclass/features"
	"github.com/flowclass/flowclass/synth"
)

type panickyScorer struct{}

func (panickyScorer) ScoreBatch([]float64, int, []float64) error { panic("scorer bug") }

// TestPanicReachesHandler: a bug in a worker goroutine reaches OnPanic (the
// CLI prints one line and exits) instead of crashing with a stack trace.
func TestPanicReachesHandler(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.pcap")
	if _, err := synth.WriteFile(path, synth.DefaultConfig(3, 2000)); err != nil {
		t.Fatal(err)
	}
	schema, err := features.NewSchema(features.Config{})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan any, 4)
	go Run(context.Background(), []Input{{Path: path, Name: path}}, Options{
		Schema: schema, Workers: 2, Threshold: 0.5,
		NewScorer: func() (Scorer, error) { return panickyScorer{}, nil },
		OnPanic:   func(r any) { got <- r; select {} }, // a handler must not return
	}, func(*Event) {})
	select {
	case r := <-got:
		if r != "scorer bug" {
			t.Fatalf("handler got %v", r)
		}
	case <-time.After(time.Minute):
		t.Fatal("the panic never reached the handler")
	}
}
