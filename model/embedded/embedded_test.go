package embedded

import (
	"strings"
	"testing"

	"github.com/flowclass/flowclass/features"
)

// TestDefaultModelBindsToExtractor: the shipped model must load and match
// the extractor's feature set, or classify would refuse to start.
func TestDefaultModelBindsToExtractor(t *testing.T) {
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	s, err := features.NewSchema(features.Config{})
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(s.Features))
	for i, f := range s.Features {
		names[i] = f.Name
	}
	if _, err := m.Bind(names, features.Version); err != nil {
		t.Fatalf("default model does not fit the extractor: %v (rebuild it with scripts/train-default.sh)", err)
	}
	if m.Threshold <= 0 || m.Threshold >= 1 {
		t.Errorf("threshold %v", m.Threshold)
	}
	// Identity columns must never be model inputs.
	for _, f := range m.Features {
		for _, id := range []string{"src_ip", "dst_ip", "src_port", "flow_id", "first_seen", "last_seen", "vlan_id"} {
			if f == id {
				t.Errorf("model uses identity column %s", f)
			}
		}
	}
	if !strings.Contains(DefaultIdentity(), features.Version) {
		t.Errorf("identity %q", DefaultIdentity())
	}
}
