package capture

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

func TestDropPrivilegesRefuses(t *testing.T) {
	for _, c := range []struct{ user, want string }{
		{"", "drop privileges: no user given"},
		{"fc-no-such-user", "drop privileges to fc-no-such-user: user: unknown user fc-no-such-user"},
		{"root", "drop privileges to root: that user is root; choose an unprivileged one such as nobody"},
		{"0", "drop privileges to 0: that user is root; choose an unprivileged one such as nobody"},
	} {
		// None of these gets as far as changing anything.
		if err := DropPrivileges(c.user); err == nil || err.Error() != c.want {
			t.Errorf("DropPrivileges(%q) = %v, want %q", c.user, err, c.want)
		}
	}
}

const privHelperEnv = "FLOWCLASS_PRIV_HELPER"

// TestHelperDropPrivileges runs in a child process: it opens a capture on
// lo, drops to the user named in the environment, and reports what every
// thread now runs as and what still works.
func TestHelperDropPrivileges(t *testing.T) {
	name := os.Getenv(privHelperEnv)
	if name == "" {
		t.Skip("helper for TestDropPrivileges")
	}
	if only, ok := strings.CutPrefix(name, "only-drop:"); ok {
		fmt.Printf("RESULT drop=%v\n", DropPrivileges(only))
		return
	}
	// Extra threads, parked, so "all threads" means more than one.
	for i := 0; i < 4; i++ {
		go func() {
			runtime.LockOSThread()
			select {}
		}()
	}
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		fmt.Println("RESULT listen", err)
		return
	}
	port := conn.LocalAddr().(*net.UDPAddr).Port
	prog, _ := bpf.Assemble([]bpf.Instruction{
		bpf.LoadAbsolute{Off: 36, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(port), SkipFalse: 1},
		bpf.RetConstant{Val: 65535},
		bpf.RetConstant{Val: 0},
	})
	l, err := OpenLive("lo", LiveOptions{BPF: prog})
	if err != nil {
		fmt.Println("RESULT open", err)
		return
	}
	time.Sleep(50 * time.Millisecond)

	fmt.Printf("RESULT drop=%v\n", DropPrivileges(name))

	tasks, _ := filepath.Glob("/proc/self/task/*/status")
	fmt.Printf("RESULT threads=%d\n", len(tasks))
	for _, p := range tasks {
		b, _ := os.ReadFile(p)
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) > 0 && (f[0] == "Uid:" || f[0] == "Gid:" || f[0] == "Groups:" || f[0] == "CapEff:" || f[0] == "CapPrm:") {
				fmt.Printf("RESULT task %s\n", strings.Join(f, " "))
			}
		}
	}
	_, err = OpenLive("lo", LiveOptions{})
	fmt.Printf("RESULT reopen needcap=%v\n", errors.Is(err, ErrNeedCapNetRaw))

	if _, err := conn.WriteToUDP([]byte("after drop"), conn.LocalAddr().(*net.UDPAddr)); err != nil {
		fmt.Println("RESULT send", err)
	}
	done := make(chan error, 1)
	var r Record
	go func() { done <- l.Next(&r) }()
	select {
	case err := <-done:
		fmt.Printf("RESULT captured=%v %q\n", err, r.Data[len(r.Data)-10:])
	case <-time.After(2 * time.Second):
		fmt.Println("RESULT captured=timeout")
	}
}

func TestDropPrivileges(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to test switching user")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("setpriv (util-linux) not installed")
	}
	bin := worldExecutableCopy(t)
	_, _, cgoErrno := syscall.AllThreadsSyscall(unix.SYS_GETPID, 0, 0, 0)
	for _, c := range []struct {
		name   string
		wrap   []string // how the child is started
		user   string
		uidGid string
		cgoErr bool // in a cgo build DropPrivileges cannot clear capabilities
	}{
		{name: "root-to-nobody", user: "nobody", uidGid: "65534"},
		{name: "root-to-numeric-id", user: "65534", uidGid: "65534"},
		// nobody holding CAP_NET_RAW, as after `setcap cap_net_raw+ep`
		{name: "setcap-nobody", wrap: []string{setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
			"--inh-caps=+net_raw", "--ambient-caps=+net_raw", "--"}, user: "nobody", uidGid: "65534", cgoErr: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.cgoErr && cgoErrno == syscall.ENOTSUP {
				t.Skip("cgo build: clearing capabilities on all threads needs CGO_ENABLED=0")
			}
			args := append(append([]string(nil), c.wrap...), bin, "-test.run=^TestHelperDropPrivileges$", "-test.count=1")
			cmd := exec.Command(args[0], args[1:]...)
			cmd.Env = append(os.Environ(), privHelperEnv+"="+c.user)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			var lines []string
			for _, l := range strings.Split(string(out), "\n") {
				if strings.HasPrefix(l, "RESULT ") {
					lines = append(lines, strings.TrimPrefix(l, "RESULT "))
				}
			}
			res := strings.Join(lines, "\n")
			id := c.uidGid
			for _, want := range []string{
				"drop=<nil>",
				"reopen needcap=true",
				`captured=<nil> "after drop"`,
			} {
				if !strings.Contains(res, want+"\n") && !strings.HasSuffix(res, want) {
					t.Errorf("missing %q in child report:\n%s", want, res)
				}
			}
			threads := 0
			for _, l := range lines {
				f := strings.Fields(l)
				if len(f) < 2 || f[0] != "task" {
					continue
				}
				switch f[1] {
				case "Uid:", "Gid:":
					threads++
					if len(f) != 6 || f[2] != id || f[3] != id || f[4] != id || f[5] != id {
						t.Errorf("thread still has %s", l)
					}
				case "Groups:":
					if len(f) > 3 || (len(f) == 3 && f[2] != id) {
						t.Errorf("thread kept groups: %s", l)
					}
				case "CapEff:", "CapPrm:":
					if f[2] != "0000000000000000" {
						t.Errorf("thread kept capabilities: %s", l)
					}
				}
			}
			if threads < 2*3 {
				t.Errorf("only %d threads reported, want several:\n%s", threads/2, res)
			}
		})
	}
}

// TestDropPrivilegesNeedsRoot: a non-root process cannot become another user.
func TestDropPrivilegesNeedsRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to start a child as nobody")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("setpriv (util-linux) not installed")
	}
	bin := worldExecutableCopy(t)
	cmd := exec.Command(setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--",
		bin, "-test.run=^TestHelperDropPrivileges$", "-test.count=1")
	cmd.Env = append(os.Environ(), privHelperEnv+"=only-drop:daemon")
	out, _ := cmd.CombinedOutput()
	want := "RESULT drop=drop privileges to daemon: switching user needs root, but running as uid 65534\n"
	if !strings.Contains(string(out), want) {
		t.Fatalf("child output:\n%s\nwant %q", out, want)
	}
}
