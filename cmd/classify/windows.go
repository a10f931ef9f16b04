package main

import (
	"fmt"
	"os"

	"github.com/flowclass/flowclass/features"
	"github.com/flowclass/flowclass/window"
)

// openWindows starts the --windows CSV: one row per window of --window
// packet time. It returns a nil aggregator (which ignores records) when
// no file was asked for.
func (c *Config) openWindows(schema *features.Schema) (*window.Aggregator, func() error, error) {
	if c.Windows == "" {
		return nil, func() error { return nil }, nil
	}
	if c.Window <= 0 {
		return nil, nil, fmt.Errorf("--windows %s needs a --window width above 0 (got %v)", c.Windows, c.Window)
	}
	if c.Windows == "-" || c.Windows == c.Output {
		return nil, nil, fmt.Errorf("--windows %s: give a file of its own", c.Windows)
	}
	if out, err := os.Stat(c.Windows); err == nil {
		for _, p := range c.Read {
			if in, err := os.Stat(p); err == nil && os.SameFile(in, out) {
				return nil, nil, fmt.Errorf("--windows %s is also read with -r %s: writing it would destroy the capture", c.Windows, p)
			}
		}
	}
	f, err := os.Create(c.Windows)
	if err != nil {
		return nil, nil, fmt.Errorf("--windows: %w", err)
	}
	w := window.NewCSVWriter(f)
	var werr error
	// Idle flows leave the table an idle timeout after their last packet:
	// hold each window that long (and one more window) before writing it.
	agg, err := window.New(c.Window, schema, window.Options{Hold: c.IdleTimeout + c.Window}, func(s *window.Stats) {
		if werr == nil {
			werr = w.Write(s)
		}
	})
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("--window: %w", err)
	}
	return agg, func() error {
		agg.Flush()
		if err := w.Flush(); err != nil && werr == nil {
			werr = err
		}
		if err := f.Close(); err != nil && werr == nil {
			werr = err
		}
		if werr != nil {
			return fmt.Errorf("--windows %s: %w", c.Windows, werr)
		}
		return nil
	}, nil
}
