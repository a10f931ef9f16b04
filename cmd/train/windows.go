package main

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/flowclass/flowclass/features"
	"github.com/flowclass/flowclass/flow"
	"github.com/flowclass/flowclass/meter"
	"github.com/flowclass/flowclass/window"
)

// writeWindows meters every capture again, on all cores, and writes one
// --windows-csv row per window of width. Windows restart with each capture,
// as its flows do. A pass of its own keeps the flow extraction untouched;
// it costs a second read of the captures only when the file is asked for.
func writeWindows(path string, caps []labelled, schema *features.Schema, fc flow.Config, bpf string, width time.Duration) error {
	if width <= 0 {
		return fmt.Errorf("--windows-csv %s needs a --window width above 0 (got %v)", path, width)
	}
	rows := make([][]byte, len(caps))
	errs := make([]error, len(caps))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(runtime.NumCPU(), len(caps)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				rows[i], errs[i] = captureWindows(caps[i].Path, schema, fc, bpf, width)
			}
		}()
	}
	for i := range caps {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return fmt.Errorf("--windows-csv: %w", err)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--windows-csv: %w", err)
	}
	err = window.NewCSVWriter(f, "source").Flush()
	for _, r := range rows {
		if err != nil {
			break
		}
		_, err = f.Write(r)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("--windows-csv %s: %w", path, err)
	}
	return nil
}

// captureWindows returns one capture's window rows, without the header.
// Reading errors were reported by the flow extraction; the windows cover
// what could be read.
func captureWindows(path string, schema *features.Schema, fc flow.Config, bpf string, width time.Duration) ([]byte, error) {
	var buf bytes.Buffer
	w := window.NewCSVWriter(&buf, "source")
	w.SkipHeader()
	var werr error
	// Idle flows leave the table an idle timeout after their last packet:
	// hold each window that long (and one more window) before writing it.
	agg, err := window.New(width, schema, window.Options{Hold: fc.IdleTimeout + width}, func(s *window.Stats) {
		if werr == nil {
			werr = w.Write(s, path)
		}
	})
	if err != nil {
		return nil, err
	}
	var m meter.Matcher
	if bpf != "" {
		b, err := meter.NewBPF(bpf)
		if err != nil {
			return nil, err
		}
		m = b
	}
	e := features.NewExtractor(schema, fc, agg.Add, 1, 1)
	meter.ReadFiles([]string{path}, e, m)
	agg.Flush()
	if err := w.Flush(); err != nil && werr == nil {
		werr = err
	}
	return buf.Bytes(), werr
}
