package capture

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// DropPrivileges gives up what opening a live capture needed, once the
// capture is open (an open socket keeps working): run as root, it switches
// the whole process to the named user (name or numeric id), with that user's
// groups; run as that user already, with capabilities granted by setcap, it
// clears them. Either way the process can no longer open packet sockets.
//
// Go (1.16 and later) applies setuid, setgid and setgroups to every thread
// of the process, so no thread keeps running as root.
func DropPrivileges(name string) error {
	if name == "" {
		return errors.New("drop privileges: no user given")
	}
	u, err := user.Lookup(name)
	if err != nil {
		var unknown user.UnknownUserError
		if _, nerr := strconv.Atoi(name); nerr == nil && errors.As(err, &unknown) {
			u, err = user.LookupId(name)
		}
		if err != nil {
			return fmt.Errorf("drop privileges to %s: %w", name, err)
		}
	}
	uid, uerr := strconv.Atoi(u.Uid)
	gid, gerr := strconv.Atoi(u.Gid)
	if uerr != nil || gerr != nil {
		return fmt.Errorf("drop privileges to %s: non-numeric uid %q or gid %q", name, u.Uid, u.Gid)
	}
	if uid == 0 {
		return fmt.Errorf("drop privileges to %s: that user is root; choose an unprivileged one such as nobody", name)
	}

	if euid := os.Geteuid(); euid != 0 {
		if euid == uid {
			return clearCapabilities(name)
		}
		return fmt.Errorf("drop privileges to %s: switching user needs root, but running as uid %d", name, euid)
	}

	gids := []int{gid}
	if ids, err := u.GroupIds(); err == nil {
		gids = gids[:0]
		for _, s := range ids {
			if g, err := strconv.Atoi(s); err == nil {
				gids = append(gids, g)
			}
		}
	}
	// Groups first: after setuid the process may no longer change them.
	if err := syscall.Setgroups(gids); err != nil {
		return fmt.Errorf("drop privileges to %s: setgroups: %w", name, err)
	}
	if err := syscall.Setgid(gid); err != nil {
		return fmt.Errorf("drop privileges to %s: setgid %d: %w", name, gid, err)
	}
	if err := syscall.Setuid(uid); err != nil {
		return fmt.Errorf("drop privileges to %s: setuid %d: %w", name, uid, err)
	}
	// Paranoia as in OpenSSH: the change must be irreversible.
	if syscall.Setuid(0) == nil {
		return fmt.Errorf("drop privileges to %s: could become root again after setuid", name)
	}
	if os.Getuid() != uid || os.Geteuid() != uid || os.Getgid() != gid || os.Getegid() != gid {
		return fmt.Errorf("drop privileges to %s: ids are uid %d/%d gid %d/%d after the switch", name, os.Getuid(), os.Geteuid(), os.Getgid(), os.Getegid())
	}
	// Leaving uid 0 clears all capabilities, unless the process asked the
	// kernel to keep them; check rather than assume.
	if caps, err := heldCaps(); err != nil || caps != 0 {
		return clearCapabilities(name)
	}
	return nil
}

// capData is struct __user_cap_data_struct; version 3 uses two of them.
type capData struct{ effective, permitted, inheritable uint32 }

// heldCaps is the calling thread's effective and permitted sets together.
func heldCaps() (uint64, error) {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return 0, err
	}
	return uint64(data[1].Effective)<<32 | uint64(data[0].Effective) | uint64(data[1].Permitted)<<32 | uint64(data[0].Permitted), nil
}

// clearCapabilities empties the permitted, effective and inheritable sets of
// every thread. capset acts on one thread only, hence AllThreadsSyscall,
// which exists only in builds without cgo.
func clearCapabilities(name string) error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]capData
	_, _, errno := syscall.AllThreadsSyscall(unix.SYS_CAPSET, uintptr(unsafe.Pointer(&hdr)), uintptr(unsafe.Pointer(&data[0])), 0)
	if errno == syscall.ENOTSUP {
		return fmt.Errorf("drop privileges to %s: cannot clear capabilities on every thread in a cgo build; build with CGO_ENABLED=0", name)
	}
	if errno != 0 {
		return fmt.Errorf("drop privileges to %s: capset: %w", name, errno)
	}
	return nil
}
