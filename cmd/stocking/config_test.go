package main

import (
	"strings"
	"testing"
)

// TestGroupCommitConfig reads DB_GROUP_COMMIT: on by default with the
// store's number of lanes, off, or a number of lanes; anything else is
// refused with the variable's name.
func TestGroupCommitConfig(t *testing.T) {
	for _, tc := range []struct {
		value string
		lanes int
		bad   bool
	}{
		{"", -1, false},
		{"on", -1, false},
		{"OFF", 0, false},
		{"4", 4, false},
		{"0", 0, true},
		{"257", 0, true},
		{"fast", 0, true},
	} {
		c, err := LoadConfig(func(k string) string {
			if k == "DB_GROUP_COMMIT" {
				return tc.value
			}
			return ""
		}, true)
		if tc.bad {
			if err == nil || !strings.Contains(err.Error(), "DB_GROUP_COMMIT") {
				t.Errorf("DB_GROUP_COMMIT=%q: err %v, want one naming the variable", tc.value, err)
			}
			continue
		}
		if err != nil || c.GroupLanes != tc.lanes {
			t.Errorf("DB_GROUP_COMMIT=%q: lanes %d, err %v; want %d", tc.value, c.GroupLanes, err, tc.lanes)
		}
	}
}
