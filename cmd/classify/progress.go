package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flowclass/flowclass/meter"
)

// progressBar draws one line on stderr while files are read: bytes read of
// the total, packets/s, flows, alerts and the time left. It draws only on
// a terminal.
type progressBar struct {
	w       io.Writer
	on      bool
	total   int64
	sizes   map[string]int64
	doneSz  int64
	curPath string
	start   time.Time
	last    time.Time
	drawn   bool
}

func newProgressBar(w io.Writer, want bool, files []string) *progressBar {
	p := &progressBar{w: w, start: time.Now(), sizes: map[string]int64{}}
	if f, ok := w.(*os.File); !ok || !want || !isTerminal(f) {
		return p
	}
	p.on = true
	for _, f := range files {
		if st, err := os.Stat(f); err == nil {
			p.total += st.Size()
			p.sizes[f] = st.Size()
		}
	}
	return p
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func (p *progressBar) update(pr meter.Progress) {
	if !p.on {
		return
	}
	if pr.Path != p.curPath {
		if p.curPath != "" {
			p.doneSz += p.sizes[p.curPath]
		}
		p.curPath = pr.Path
	}
	now := time.Now()
	if now.Sub(p.last) < 200*time.Millisecond {
		return
	}
	p.last = now
	read := p.doneSz + min(pr.Offset, pr.Size)
	frac := 0.0
	if p.total > 0 {
		frac = float64(read) / float64(p.total)
	}
	el := now.Sub(p.start).Seconds()
	const width = 24
	n := int(frac * width)
	bar := strings.Repeat("=", n) + strings.Repeat(" ", width-n)
	eta := "--"
	if frac > 0.01 {
		eta = (time.Duration(el/frac*(1-frac)) * time.Second).String()
	}
	fmt.Fprintf(p.w, "\r\033[K[%s] %3.0f%% %s/%s  %s pkt/s  flows %d  alerts %d  left %s",
		bar, frac*100, human(read), human(p.total), human(int64(float64(pr.Packets)/max(el, 1e-3))), pr.Flows, pr.Alerts, eta)
	p.drawn = true
}

func (p *progressBar) finish() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

func human(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1fG", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1fk", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}

// status keeps running totals for SIGUSR1, which may arrive at any time.
type status struct {
	mu      sync.Mutex
	pr      meter.Progress
	flows   atomic.Uint64
	alerts  atomic.Uint64
	started time.Time
}

func newStatus() *status { return &status{started: time.Now()} }

func (s *status) set(p meter.Progress) {
	s.mu.Lock()
	s.pr = p
	s.mu.Unlock()
}

func (s *status) event(ev *meter.Event) {
	if ev.Kind == meter.FlowEnd {
		s.flows.Add(1)
	}
	if ev.Alert {
		s.alerts.Add(1)
	}
}

func (s *status) line() string {
	s.mu.Lock()
	p := s.pr
	s.mu.Unlock()
	return fmt.Sprintf("status: %s, %d packets read from %s, %d flows ended, %d alerts\n",
		time.Since(s.started).Round(time.Second), p.Packets, p.Path, s.flows.Load(), s.alerts.Load())
}
