package cashier

import (
	"context"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/models"
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

// RenewPlayerPasswordHash is rehashPassword for player id, whose hash a sign-in
// read as hash, so a test can give it a hash the row no longer has.
func (s *Service) RenewPlayerPasswordHash(ctx context.Context, id int64, hash, password string) string {
	return s.rehashPassword(ctx, &models.Player{}, "player_id", id, hash, password)
}
