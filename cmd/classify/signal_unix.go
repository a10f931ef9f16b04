//go:build unix

package main

import (
	"io"
	"os"
	"os/signal"
	"syscall"
)

// ignoreSIGPIPE turns a closed stdout (classify ... | head) into a write
// error that is reported, instead of a silent kill that would leave the
// -o file without its last rows.
func ignoreSIGPIPE() { signal.Ignore(syscall.SIGPIPE) }

// onUSR1 prints a status line whenever SIGUSR1 arrives.
func (c *Config) onUSR1(w io.Writer, s *status) func() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGUSR1)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-ch:
				io.WriteString(w, s.line())
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
	}
}
