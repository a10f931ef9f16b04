//go:build linux

// Command livesend measures live capture under load: it replays a capture
// into one end of an existing veth pair at a ladder of rates while
// `classify -i` captures on the other end, and writes one Markdown table
// row per run (frames sent, rate reached, packets read, kernel drops, flows,
// classify's CPU time). scripts/live-bench.sh creates the pair and runs it.
//
//	livesend --ns NS --host HOSTVETH --peer PEERVETH --pcap F --classify BIN \
//	  [--rates 100000,250000,0] [--batch 256] [--runs 1] [--out live.md] [-- classify flags]
//
// With --send-only it runs no classify and only reports the sender's rate.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/flowclass/flowclass/capture"
	"github.com/flowclass/flowclass/internal/netns"
)

// Config is the command line.
type Config struct {
	NS, Host, Peer string
	Pcap           string
	Classify       []string
	ClassifyArgs   []string
	Rates          []int
	Batch          int
	Runs           int
	Out            string
	SendOnly       bool
	Settle         time.Duration
	Warmup         bool
}

// BindFlags registers the flags on fs.
func BindFlags(fs *pflag.FlagSet) *Config {
	c := &Config{}
	fs.StringVar(&c.NS, "ns", "", "network namespace holding --peer (as `ip netns` names it)")
	fs.StringVar(&c.Host, "host", "", "veth end classify captures on, in this namespace")
	fs.StringVar(&c.Peer, "peer", "", "veth end inside --ns that frames are written into")
	fs.StringVar(&c.Pcap, "pcap", "", "capture whose frames are replayed")
	fs.StringSliceVar(&c.Classify, "classify", nil, "classify binary; several (comma-separated or repeated) take turns at each rate, to compare builds under the same load")
	fs.IntSliceVar(&c.Rates, "rates", []int{100_000, 250_000, 500_000, 750_000, 1_000_000, 0}, "send rates in packets/s (0: unpaced, as fast as possible)")
	fs.IntVar(&c.Batch, "batch", netns.DefaultBatch, "frames per sendmmsg(2) call (1: one write(2) per frame)")
	fs.IntVar(&c.Runs, "runs", 1, "runs per rate")
	fs.StringVar(&c.Out, "out", "", "also write the Markdown table to this file")
	fs.BoolVar(&c.SendOnly, "send-only", false, "run no classify; measure the sender alone")
	fs.DurationVar(&c.Settle, "settle", 500*time.Millisecond, "after sending, how long classify must stay idle (no runnable thread, CPU time flat) before it is stopped")
	fs.BoolVar(&c.Warmup, "warmup", true, "send every frame once, unpaced and unmeasured, before the first run (a process's first pass is much slower on some VMs)")
	return c
}

func main() {
	fs := pflag.NewFlagSet("livesend", pflag.ExitOnError)
	c := BindFlags(fs)
	_ = fs.Parse(os.Args[1:])
	c.ClassifyArgs = fs.Args()
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "livesend:", err)
		os.Exit(1)
	}
}

// result is one run.
type result struct {
	rate       int
	bin        string // classify binary
	sent       uint64
	sendTime   time.Duration
	read       int64
	drops      int64
	flows      int64
	cpu        time.Duration // classify user+system
	maxRSS     int64         // KiB, classify's VmHWM just before SIGINT
	sendCPU    time.Duration // this process (the sender, and the kernel work it does)
	others     time.Duration // every other process on the machine
	vethDrops  uint64        // host end rx_dropped over the run
	backlogDrp uint64        // softnet backlog drops over the run
	wall       time.Duration // classify's lifetime
}

func run(c *Config) error {
	if c.NS == "" || c.Host == "" || c.Peer == "" || c.Pcap == "" {
		return errors.New("--ns, --host, --peer and --pcap are required")
	}
	if !c.SendOnly && len(c.Classify) == 0 {
		return errors.New("--classify is required (or --send-only)")
	}
	frames, bytes, err := load(c.Pcap)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "livesend: %d frames, %.0f bytes average, from %s\n", len(frames), float64(bytes)/float64(max(1, len(frames))), c.Pcap)
	pair := &netns.Pair{NS: c.NS, Host: c.Host, Peer: c.Peer}
	snd, err := pair.Sender()
	if err != nil {
		return err
	}
	defer snd.Close()
	snd.SetBatch(c.Batch)
	if c.Warmup {
		start := time.Now()
		if err := snd.Send(frames, 0); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
		fmt.Fprintf(os.Stderr, "livesend: warm-up pass (no capture running) sent %d frames in %v\n", len(frames), time.Since(start).Round(time.Millisecond))
	}

	var rows []result
	for _, rate := range c.Rates {
		for i := 0; i < c.Runs; i++ {
			bins := c.Classify
			if c.SendOnly {
				bins = []string{""}
			}
			for _, bin := range bins {
				var r result
				if c.SendOnly {
					r, err = sendOnly(snd, frames, rate, c.Host)
				} else {
					r, err = measure(c, bin, snd, frames, rate)
				}
				if err != nil {
					return fmt.Errorf("rate %s: %w", rateName(rate), err)
				}
				fmt.Fprintf(os.Stderr, "livesend: %s\n", r.line(c.SendOnly))
				rows = append(rows, r)
			}
		}
	}
	table := markdown(c, rows, len(frames), bytes)
	fmt.Print(table)
	if c.Out != "" {
		if err := os.WriteFile(c.Out, []byte(table), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", c.Out, err)
		}
	}
	return nil
}

// load reads every frame of path into one arena, so millions of frames
// cost one allocation.
func load(path string) ([][]byte, int, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, 0, err
	}
	f, err := capture.OpenFile(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	arena := make([]byte, 0, st.Size())
	var offs []int
	var rec capture.Record
	for {
		err := f.Next(&rec)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, 0, fmt.Errorf("%s: %w", path, err)
		}
		offs = append(offs, len(arena))
		arena = append(arena, rec.Data...)
	}
	frames := make([][]byte, len(offs))
	for i, o := range offs {
		end := len(arena)
		if i+1 < len(offs) {
			end = offs[i+1]
		}
		frames[i] = arena[o:end:end]
	}
	return frames, len(arena), nil
}

func sendOnly(snd *netns.Sender, frames [][]byte, rate int, host string) (result, error) {
	r := result{rate: rate}
	v0, b0 := vethDrops(host), backlogDrops()
	before, self0 := snd.Sent(), cpuTime(os.Getpid())
	start := time.Now()
	err := snd.Send(frames, rate)
	r.sendTime = time.Since(start)
	r.sent = snd.Sent() - before
	r.sendCPU = cpuTime(os.Getpid()) - self0
	r.vethDrops, r.backlogDrp = vethDrops(host)-v0, backlogDrops()-b0
	return r, err
}

var (
	reRead  = regexp.MustCompile(`(?m)^summary: (\d+) packets read`)
	reFlows = regexp.MustCompile(`(?m)^summary: (\d+) flows`)
	reDrops = regexp.MustCompile(`kernel drops (\d+)`)
)

func measure(c *Config, bin string, snd *netns.Sender, frames [][]byte, rate int) (result, error) {
	r := result{rate: rate, bin: filepath.Base(bin)}
	ifi, err := net.InterfaceByName(c.Host)
	if err != nil {
		return r, err
	}
	ifindex := ifi.Index
	args := append([]string{"-i", c.Host, "--no-progress"}, c.ClassifyArgs...)
	cmd := exec.Command(bin, args...)
	// Dying (killed by live-bench.sh's trap, say) must not leave classify
	// capturing on an interface about to be deleted.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var stderr strings.Builder
	cmd.Stderr = &stderr // stdout (alerts) stays nil: /dev/null
	v0, b0 := vethDrops(c.Host), backlogDrops()
	busy0, self0 := busyTime(), cpuTime(os.Getpid())
	began := time.Now()
	if err := cmd.Start(); err != nil {
		return r, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-exited
		}
	}
	if err := waitCapturing(cmd.Process.Pid, ifindex, exited); err != nil {
		stop()
		return r, fmt.Errorf("%w; stderr:\n%s", err, stderr.String())
	}
	time.Sleep(300 * time.Millisecond) // classify reaches its read loop

	before := snd.Sent()
	start := time.Now()
	err = snd.Send(frames, rate)
	r.sendTime = time.Since(start)
	r.sent = snd.Sent() - before
	if err != nil {
		stop()
		return r, err
	}
	// classify has drained the ring once it stops using CPU.
	waitIdle(cmd.Process.Pid, c.Settle, 2*time.Minute)
	// Not the child's rusage: that counts this process's memory too, as
	// exec inherits the high-water mark of the memory it replaces.
	r.maxRSS = peakRSS(cmd.Process.Pid)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		stop()
		return r, err
	}
	select {
	case err = <-exited:
	case <-time.After(2 * time.Minute):
		stop()
		return r, fmt.Errorf("classify did not stop within 2 minutes of SIGINT; stderr:\n%s", stderr.String())
	}
	r.wall = time.Since(began)
	if err != nil {
		return r, fmt.Errorf("classify: %w; stderr:\n%s", err, stderr.String())
	}
	r.vethDrops, r.backlogDrp = vethDrops(c.Host)-v0, backlogDrops()-b0
	ps := cmd.ProcessState
	r.cpu = ps.UserTime() + ps.SystemTime()
	r.sendCPU = cpuTime(os.Getpid()) - self0
	r.others = max(0, busyTime()-busy0-r.cpu-r.sendCPU)
	se := stderr.String()
	m, f, d := reRead.FindStringSubmatch(se), reFlows.FindStringSubmatch(se), reDrops.FindStringSubmatch(se)
	if m == nil || f == nil || d == nil {
		return r, fmt.Errorf("no live summary in classify's stderr:\n%s", se)
	}
	r.read, _ = strconv.ParseInt(m[1], 10, 64)
	r.flows, _ = strconv.ParseInt(f[1], 10, 64)
	r.drops, _ = strconv.ParseInt(d[1], 10, 64)
	return r, nil
}

// waitCapturing waits until process pid has an AF_PACKET socket bound to
// ifindex with its ring mapped. The socket exists, and is bound, a while
// before the ring is set up (longer for a big ring on a busy machine);
// frames arriving in between are neither captured nor counted as dropped,
// so sending earlier would lose frames that are nobody's fault.
func waitCapturing(pid, ifindex int, exited <-chan error) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("classify exited before capturing: %v", err)
		default:
		}
		bound := map[string]bool{} // inodes of packet sockets bound to ifindex
		if data, err := os.ReadFile("/proc/net/packet"); err == nil {
			// sk RefCnt Type Proto Iface R Rmem User Inode
			for _, l := range strings.Split(string(data), "\n")[1:] {
				if f := strings.Fields(l); len(f) >= 9 && f[4] == strconv.Itoa(ifindex) {
					bound[f[8]] = true
				}
			}
		}
		maps, _ := os.ReadFile(fmt.Sprintf("/proc/%d/maps", pid))
		fds, _ := filepath.Glob(fmt.Sprintf("/proc/%d/fd/*", pid))
		for _, fd := range fds {
			l, err := os.Readlink(fd)
			if err == nil && strings.HasPrefix(l, "socket:[") && bound[strings.Trim(l[7:], "[]")] && strings.Contains(string(maps), l) {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("classify had no packet ring on the interface within 30 s")
}

// waitIdle returns once pid has had no runnable thread at any of the
// samples taken over settle and its CPU time grew by at most one clock tick
// (the ring's poll timeout and timers wake it now and then), or after limit.
// A process starved by other load is runnable, not idle: CPU time alone
// would mistake it for one that has drained its ring.
func waitIdle(pid int, settle, limit time.Duration) {
	const every = 25 * time.Millisecond
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		start, quiet := cpuTime(pid), true
		for t := time.Duration(0); t < settle && quiet; t += every {
			time.Sleep(every)
			quiet = !running(pid)
		}
		if quiet && cpuTime(pid)-start <= 10*time.Millisecond {
			return
		}
	}
}

// running says whether any thread of pid is runnable (state R).
func running(pid int) bool {
	stats, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", pid))
	for _, p := range stats {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		s := string(data)
		if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) && s[i+2] == 'R' {
			return true
		}
	}
	return false
}

// cpuTime is utime+stime of pid from /proc (clock ticks of 10 ms).
func cpuTime(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name may hold spaces; fields count from after it.
	s := string(data)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+1:]
	}
	f := strings.Fields(s)
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+st) * 10 * time.Millisecond
}

// peakRSS is pid's VmHWM in KiB.
func peakRSS(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// busyTime is the CPU time all CPUs spent not idle, from /proc/stat.
func busyTime() time.Duration {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	var busy int64
	for i := 1; i < len(f) && i <= 8; i++ {
		if i == 4 || i == 5 { // idle, iowait
			continue
		}
		n, _ := strconv.ParseInt(f[i], 10, 64)
		busy += n
	}
	return time.Duration(busy) * 10 * time.Millisecond
}

func vethDrops(iface string) uint64 {
	data, err := os.ReadFile(filepath.Join("/sys/class/net", iface, "statistics/rx_dropped"))
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
	return n
}

// backlogDrops sums the second column of /proc/net/softnet_stat: packets
// dropped because a CPU's input backlog was full, before any socket saw
// them.
func backlogDrops() uint64 {
	f, err := os.Open("/proc/net/softnet_stat")
	if err != nil {
		return 0
	}
	defer f.Close()
	var sum uint64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fs := strings.Fields(sc.Text()); len(fs) > 1 {
			n, _ := strconv.ParseUint(fs[1], 16, 64)
			sum += n
		}
	}
	return sum
}

func rateName(rate int) string {
	if rate <= 0 {
		return "unpaced"
	}
	return fmt.Sprintf("%.0fk/s", float64(rate)/1000)
}

// lost counts frames that reached neither the ring nor its drop counter: a
// full input backlog, frames sent before the ring was ready, or (negative)
// other traffic on the link.
func (r result) lost() int64 { return int64(r.sent) - r.read - r.drops }

func (r result) achieved() float64 { return float64(r.sent) / r.sendTime.Seconds() }

func (r result) line(sendOnly bool) string {
	s := fmt.Sprintf("%s: sent %d in %v (%.0f/s)", rateName(r.rate), r.sent, r.sendTime.Round(time.Millisecond), r.achieved())
	if !sendOnly {
		s += fmt.Sprintf(", %s read %d, kernel drops %d, flows %d, cpu %v, sender cpu %v, other processes %v over %v",
			r.bin, r.read, r.drops, r.flows, r.cpu.Round(10*time.Millisecond), r.sendCPU.Round(10*time.Millisecond), r.others.Round(10*time.Millisecond), r.wall.Round(10*time.Millisecond))
	}
	return s + fmt.Sprintf(", veth rx_dropped %d, backlog drops %d", r.vethDrops, r.backlogDrp)
}

func markdown(c *Config, rows []result, frames, bytes int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d frames (%.0f bytes average) from %s, sendmmsg batch %d, %d CPUs, %s\n\n",
		frames, float64(bytes)/float64(max(1, frames)), filepath.Base(c.Pcap), c.Batch, runtime.NumCPU(), time.Now().UTC().Format(time.RFC3339))
	if c.SendOnly {
		b.WriteString("| target rate | frames sent | send time | achieved rate | sender CPU per frame | veth rx_dropped | backlog drops |\n|---|---|---|---|---|---|---|\n")
		for _, r := range rows {
			fmt.Fprintf(&b, "| %s | %d | %.2fs | %.0f/s | %.2fµs | %d | %d |\n", rateName(r.rate), r.sent, r.sendTime.Seconds(), r.achieved(),
				r.sendCPU.Seconds()*1e6/float64(max(1, r.sent)), r.vethDrops, r.backlogDrp)
		}
		return b.String()
	}
	b.WriteString("| target rate | classify | frames sent | achieved rate | classify read | kernel drops | lost elsewhere | flows | classify CPU | CPU per packet | peak RSS | sender CPU | other processes' CPU |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %d | %.0f/s | %d | %d | %d | %d | %.2fs | %.2fµs | %d MB | %.2fs | %.2fs (%.2f cores) |\n",
			rateName(r.rate), r.bin, r.sent, r.achieved(), r.read, r.drops, r.lost(), r.flows,
			r.cpu.Seconds(), r.cpu.Seconds()*1e6/float64(max(1, r.read)), r.maxRSS/1024,
			r.sendCPU.Seconds(), r.others.Seconds(), r.others.Seconds()/r.wall.Seconds())
	}
	b.WriteString("\n")
	// The sender slows down when the machine is busy, so a run's target
	// and achieved rates can be far apart: say both.
	for _, bin := range c.Classify {
		bin = filepath.Base(bin)
		var per []string
		lowDrop, lowDropRate, highClean := -1.0, 0, 0.0
		for _, rate := range c.Rates {
			n, bad := 0, 0
			for _, r := range rows {
				if r.bin != bin || r.rate != rate {
					continue
				}
				n++
				if r.drops > 0 || r.lost() > 0 {
					bad++
					if lowDrop < 0 || r.achieved() < lowDrop {
						lowDrop, lowDropRate = r.achieved(), rate
					}
				} else {
					highClean = max(highClean, r.achieved())
				}
			}
			per = append(per, fmt.Sprintf("%s %d/%d", rateName(rate), bad, n))
		}
		fmt.Fprintf(&b, "%s: runs with drops per target rate: %s.", bin, strings.Join(per, ", "))
		if highClean > 0 {
			fmt.Fprintf(&b, " Highest rate reached without drops: %.0f/s.", highClean)
		}
		if lowDrop >= 0 {
			fmt.Fprintf(&b, " Lowest rate reached with drops: %.0f/s (target %s).", lowDrop, rateName(lowDropRate))
		}
		b.WriteString("\n")
	}
	return b.String()
}
