package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestExpandFolders: a folder gives its captures, gzipped or not, sorted,
// and nothing else; a folder without any is an error naming it.
func TestExpandFolders(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"b.pcap", "a.pcapng.gz", "sub/c.CAP", "d.pcap.GZ", "notes.txt", "e.gz", "f.pcap.gz.bak"} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := expand([]string{dir}, 1)
	if err != nil {
		t.Fatal(err)
	}
	var want []labelled
	for _, name := range []string{"a.pcapng.gz", "b.pcap", "d.pcap.GZ", "sub/c.CAP"} {
		want = append(want, labelled{filepath.Join(dir, name), 1})
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	empty := filepath.Join(dir, "sub2")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := expand([]string{empty}, 0); err == nil || !strings.Contains(err.Error(), "--benign "+empty+": folder holds no") {
		t.Errorf("empty folder: %v", err)
	}
}
