package domain

import (
	"strings"
	"testing"
)

func TestParseMoney(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string // "" = error
	}{
		{"70000", "70000"}, {"1234.5", "1234.5"}, {"0.5", "0.5"}, {"-5", ""}, {"+5", ""}, {"1000.", ""}, {".5", ""}, {"1..0", ""},
		{"abc", ""}, {"1e5", ""}, {"", ""}, {"0x10", ""}, {"1,000", ""}, {" 5", ""},
		{strings.Repeat("9", 40), ""}, {"1.2.3", ""},
	} {
		got, err := ParseMoney("amount", c.in)
		if c.want == "" {
			if err == nil {
				t.Errorf("ParseMoney(%q) = %s, want error", c.in, got)
			}
			continue
		}
		if err != nil || !got.Equal(d(c.want)) {
			t.Errorf("ParseMoney(%q) = %s, %v", c.in, got, err)
		}
	}
}

func TestValidateCashAmount(t *testing.T) {
	for in, ok := range map[string]bool{"1": true, "1000000000000": true, "1000000000001": false, "0": false, "-1": false, "0.5": false} {
		if err := ValidateCashAmount("amount", d(in)); (err == nil) != ok {
			t.Errorf("ValidateCashAmount(%s) = %v", in, err)
		}
	}
}
