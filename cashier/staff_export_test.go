package cashier

import (
	"context"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"gorm.io/gorm"
)

// SetStaffRoleAsSystem changes the role of the account id with the system as its
// author, as a command-line command would, without SetStaffRole's own checks, so a
// test can see what keepAnOwner alone guards.
func (s *Service) SetStaffRoleAsSystem(ctx context.Context, id int64, role staff.Role) (staff.Member, error) {
	system := func(*gorm.DB) (staff.Member, error) { return staff.Member{}, nil }
	return s.changeStaffAs(ctx, 0, system, id, func(m *staff.Member) (staff.Event, error) {
		m.Role = role
		return staff.EventRoleChanged, nil
	})
}
