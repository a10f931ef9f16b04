package features

import "testing"

// TestStatFieldsFollowStatNames keeps the per-field readers in the order of
// the column names.
func TestStatFieldsFollowStatNames(t *testing.T) {
	s := summary{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	v := s.values()
	for k := range statNames {
		if statFields[k](&s) != v[k] {
			t.Errorf("%s: field reader gives %v, values() %v", statNames[k], statFields[k](&s), v[k])
		}
	}
}
