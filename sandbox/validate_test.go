package sandbox_test

import (
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/sandbox"
)

// TestCheckAttributes: the sandbox's own attributes are checked by the rules its
// API applies (checkSandboxAttrs), so that a merchant can check them before its
// first call. An error names the attribute and what it takes; a name the sandbox
// does not know, which its API would ignore or refuse for its case, is refused.
func TestCheckAttributes(t *testing.T) {
	for _, ok := range []map[string]string{
		nil,
		{"SandboxAutoComplete": "1", "SandboxScenario": "deposit-cancel"},
		{"SandboxScenario": "", "SandboxDuplicate": "0", "SandboxShuffle": "1", "SandboxDelay": "500ms"},
		{"SandboxPerson": "fi-adult2", "SandboxKYCTimeout": "5s", "SandboxKYCResend": "300ms"},
		{"SandboxKYCResend": "1", "SandboxScenario": "payout-failed"},
	} {
		if err := sandbox.CheckAttributes(ok); err != nil {
			t.Errorf("CheckAttributes(%v) = %v; want nil", ok, err)
		}
	}
	for _, tt := range []struct {
		name, value string
		want        []string // in the error, besides the name
	}{
		{"SandboxScenario", "deposit-okay", []string{"deposit-okay", "deposit-ok, deposit-delayed", "slow-api"}},
		{"SandboxAutoComplete", "yes", []string{`"1" or "0"`}},
		{"SandboxDuplicate", "true", []string{`"1" or "0"`}},
		{"SandboxShuffle", "2", []string{`"1" or "0"`}},
		{"SandboxDelay", "500", []string{"500ms"}},
		{"SandboxDelay", "-1s", []string{"500ms"}},
		{"SandboxPerson", "se-adult3", []string{"se-adult3", "se-adult, se-adult2", "nl-excluded"}},
		{"SandboxKYCTimeout", "0s", []string{"above zero"}},
		{"SandboxKYCResend", "twice", []string{`"1", "0" or a Go duration`}},
		{"SandboxAutocomplete", "1", []string{"not a sandbox attribute", "SandboxAutoComplete, SandboxDuplicate"}},
		{"SandboxAutoCompete", "1", []string{"not a sandbox attribute", "SandboxScenario"}},
	} {
		attrs := map[string]string{"SandboxAutoComplete": "1"} // beside a good one
		attrs[tt.name] = tt.value
		err := sandbox.CheckAttributes(attrs)
		if err == nil {
			t.Errorf("%s=%q: no error", tt.name, tt.value)
			continue
		}
		for _, want := range append(tt.want, tt.name) {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s=%q: %v; want an error containing %q", tt.name, tt.value, err, want)
			}
		}
	}
}
