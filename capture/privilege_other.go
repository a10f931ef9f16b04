//go:build !linux

package capture

import "fmt"

// DropPrivileges is only needed after opening a live capture, which this
// build cannot do; it always fails.
func DropPrivileges(name string) error {
	return fmt.Errorf("drop privileges to %s: %w", name, ErrLiveUnsupported)
}
