package staff

import "testing"

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
