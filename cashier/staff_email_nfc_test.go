package cashier_test

import (
	"context"
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"gorm.io/gorm"
)

// TestStaffEmailInEitherUnicodeForm: a member's email is read as players' are
// (models.NormalEmail, NFC): an account added with an accent typed decomposed is
// kept composed, signs in typed either way, and cannot be added a second time in
// the other form; one an older version kept decomposed is still found, by
// sign-in, by the owner's start and by the command line's reset of the second
// factor, and still taken.
func TestStaffEmailInEitherUnicodeForm(t *testing.T) {
	const nfc, nfd = "r\u00e9n\u00e9e@example.com", "re\u0301ne\u0301e@example.com"
	const password = "correct horse battery staple"
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		svc, ctx := playersService(t, db), context.Background()
		signsIn := func(email string, want int64) {
			t.Helper()
			m, err := svc.AuthenticateStaff(ctx, email, password, "")
			if err != nil || m.ID != want {
				t.Errorf("AuthenticateStaff(%+q) = member %d, %v; want member %d", email, m.ID, err, want)
			}
		}
		m, err := svc.AddStaff(ctx, nfd, password, staff.RoleFinance)
		if err != nil {
			t.Fatal(err)
		}
		if m.Email != nfc {
			t.Errorf("email kept %+q; want %+q", m.Email, nfc)
		}
		signsIn(nfc, m.ID)
		signsIn(nfd, m.ID)
		if _, err := svc.AddStaff(ctx, nfc, password, staff.RoleViewer); err == nil || !strings.Contains(err.Error(), "A staff member with this email exists.") {
			t.Errorf("adding %+q again in NFC: %v; want the email refused as taken", nfc, err)
		}

		// Kept in NFD by a version before this.
		if err := db.Model(&staff.Member{}).Where("id = ?", m.ID).Update("email", nfd).Error; err != nil {
			t.Fatal(err)
		}
		signsIn(nfc, m.ID)
		signsIn(nfd, m.ID)
		if _, err := svc.AddStaff(ctx, nfc, password, staff.RoleViewer); err == nil || !strings.Contains(err.Error(), "A staff member with this email exists.") {
			t.Errorf("adding %+q while an older version kept it in NFD: %v; want the email refused as taken", nfc, err)
		}
		if got, _, err := svc.ResetStaffTOTPByEmail(ctx, nfc); err != nil || got.ID != m.ID {
			t.Errorf("ResetStaffTOTPByEmail(%+q) = member %d, %v; want member %d", nfc, got.ID, err, m.ID)
		}
		if err := svc.EnsureOwner(ctx, nfc, password); err != nil {
			t.Fatal(err)
		}
		var n int64
		if err := db.Model(&staff.Member{}).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		if got, err := svc.StaffMember(ctx, m.ID); err != nil || got.Role != staff.RoleOwner || n != 1 {
			t.Errorf("after EnsureOwner(%+q): member %d is %s, %d members, %v; want the one member made owner", nfc, m.ID, got.Role, n, err)
		}
	})
}
