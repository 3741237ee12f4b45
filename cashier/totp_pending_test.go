package cashier_test

import (
	"context"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
	"gorm.io/gorm"
)

// TestTOTPEnrolmentPending: TOTPEnrolment writes nothing and shows again the
// pending secret it is given back; a pending secret sealed for one member
// enrols no other, and one stored by StartTOTP outranks any pending one, on both
// databases.
func TestTOTPEnrolmentPending(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *gorm.DB) {
		svc, ctx := playersService(t, db), context.Background()
		a, err := svc.AddStaff(ctx, "a@example.com", "a password 12345", staff.RoleOperator)
		if err != nil {
			t.Fatal(err)
		}
		b, err := svc.AddStaff(ctx, "b@example.com", "b password 12345", staff.RoleOperator)
		if err != nil {
			t.Fatal(err)
		}
		stored := func(id int64) staff.Member {
			t.Helper()
			var m staff.Member
			if err := db.Where("id = ?", id).Take(&m).Error; err != nil {
				t.Fatal(err)
			}
			return m
		}
		code := func(secret string) string {
			t.Helper()
			c, err := totp.GenerateCode(secret, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		e, pending, err := svc.TOTPEnrolment(ctx, a, "")
		if err != nil || pending == "" || e.Secret == "" {
			t.Fatalf("TOTPEnrolment(a) = %q, %q, %v; want a secret and its sealed copy", e.Secret, pending, err)
		}
		if m := stored(a.ID); m.TOTPSecret != "" {
			t.Errorf("TOTPEnrolment stored %q; want nothing", m.TOTPSecret)
		}
		if again, p, err := svc.TOTPEnrolment(ctx, a, pending); err != nil || again.Secret != e.Secret || p != pending {
			t.Errorf("TOTPEnrolment(a, pending) = %q, %v; want %q again", again.Secret, err, e.Secret)
		}

		// a's pending secret, given for b: b is shown one of its own and not enrolled with a's.
		if other, _, err := svc.TOTPEnrolment(ctx, b, pending); err != nil || other.Secret == e.Secret {
			t.Errorf("TOTPEnrolment(b, a's pending) = %q, %v; want another secret", other.Secret, err)
		}
		if _, err := svc.ConfirmPendingTOTP(ctx, b, pending, code(e.Secret)); err == nil || stored(b.ID).TOTPEnabled {
			t.Errorf("ConfirmPendingTOTP(b, a's pending, its code) = %v; want refused, b not enrolled", err)
		}

		// An enrolment StartTOTP stored outranks the pending one.
		started, err := svc.StartTOTP(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if shown, p, err := svc.TOTPEnrolment(ctx, a, pending); err != nil || shown.Secret != started.Secret || p != "" {
			t.Errorf("TOTPEnrolment(a, pending) after StartTOTP = %q, %q, %v; want the stored %q", shown.Secret, p, err, started.Secret)
		}
		if _, err := svc.ConfirmPendingTOTP(ctx, a, pending, code(e.Secret)); err == nil || stored(a.ID).TOTPEnabled {
			t.Errorf("ConfirmPendingTOTP(a, pending, pending's code) with one stored = %v; want refused", err)
		}
		if _, err := svc.ConfirmPendingTOTP(ctx, a, pending, code(started.Secret)); err != nil || !stored(a.ID).TOTPEnabled {
			t.Errorf("ConfirmPendingTOTP(a, pending, stored's code) = %v; want the second factor on", err)
		}

		// b enrols with its own pending secret, which is then stored.
		eb, pb, err := svc.TOTPEnrolment(ctx, b, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ConfirmPendingTOTP(ctx, b, pb, code(eb.Secret)); err != nil || !stored(b.ID).TOTPEnabled {
			t.Fatalf("ConfirmPendingTOTP(b, own pending) = %v; want the second factor on", err)
		}
		if _, err := svc.AuthenticateStaff(ctx, "b@example.com", "b password 12345", code(eb.Secret)); err == nil {
			t.Error("the code just used signed in again; want it refused once used")
		}
	})
}
