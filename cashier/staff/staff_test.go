package staff

import (
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

// TestCan: each role may do what the roles below it may, and nothing else; an
// unknown role or action may do nothing.
func TestCan(t *testing.T) {
	for _, tt := range []struct {
		role   Role
		action Action
		want   bool
	}{
		{RoleViewer, ActionView, true}, {RoleViewer, ActionSelf, true}, {RoleViewer, ActionDecidePayout, false},
		{RoleViewer, ActionRefund, false}, {RoleViewer, ActionManageStaff, false},
		{RoleOperator, ActionDecidePayout, true}, {RoleOperator, ActionRefund, true}, {RoleOperator, ActionBlockPlayer, true},
		{RoleOperator, ActionRefundAny, false}, {RoleOperator, ActionReconcile, false}, {RoleOperator, ActionManageStaff, false},
		{RoleFinance, ActionRefundAny, true}, {RoleFinance, ActionReconcile, true}, {RoleFinance, ActionDecidePayout, true},
		{RoleFinance, ActionManageStaff, false},
		{RoleOwner, ActionManageStaff, true}, {RoleOwner, ActionRefundAny, true}, {RoleOwner, ActionView, true},
		{"admin", ActionView, false}, {"", ActionView, false}, {RoleOwner, "unknown", false},
	} {
		if got := Can(tt.role, tt.action); got != tt.want {
			t.Errorf("Can(%q, %q) = %t; want %t", tt.role, tt.action, got, tt.want)
		}
	}
}

// TestMatchTOTP: a code counts in its own 30-second step and the ones beside it,
// never after a later or equal step was used, and never for another secret.
func TestMatchTOTP(t *testing.T) {
	e, err := NewTOTP("Test", "a@example.com")
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewTOTP("Test", "b@example.com")
	now := time.Unix(1_800_000_015, 0)
	step := now.Unix() / 30
	code := func(at time.Time) string {
		c, err := totp.GenerateCode(e.Secret, at)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, tt := range []struct {
		name  string
		code  string
		after int64
		want  int64
		ok    bool
	}{
		{"current", code(now), 0, step, true},
		{"with a space", code(now)[:3] + " " + code(now)[3:], 0, step, true},
		{"previous step", code(now.Add(-30 * time.Second)), 0, step - 1, true},
		{"next step", code(now.Add(30 * time.Second)), 0, step + 1, true},
		{"two steps old", code(now.Add(-60 * time.Second)), 0, 0, false},
		{"already used", code(now), step, 0, false},
		{"older than the last used", code(now.Add(-30 * time.Second)), step, 0, false},
		{"empty", "", 0, 0, false},
	} {
		got, ok := MatchTOTP(e.Secret, tt.code, now, tt.after)
		if ok != tt.ok || got != tt.want {
			t.Errorf("%s: got %d, %t; want %d, %t", tt.name, got, ok, tt.want, tt.ok)
		}
	}
	if _, ok := MatchTOTP(other.Secret, code(now), now, 0); ok {
		t.Error("a code of one secret matches another")
	}
	if !strings.HasPrefix(e.QRCode, "data:image/png;base64,") || e.URL == "" || TOTPURL("Test", "a@example.com", e.Secret) != e.URL {
		t.Errorf("enrolment %+v; want a PNG data URL and the same otpauth URL from the secret", e.URL)
	}
}
