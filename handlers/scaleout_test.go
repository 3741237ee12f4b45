package handlers

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/trustly-cashier/cashier/cashier/staff"
	"github.com/trustly-cashier/cashier/cashier/store/storetest"
)

// TestScaleOutLoginLimitAcrossInstances: CASHIER_LOGIN_LIMIT is "sign-in and
// registration attempts per IP address per minute", and for a staff member
// without a second factor (CASHIER_ADMIN_2FA is optional by default) it is the
// only brake on guessing their password. Each instance counts in its own memory
// (the limiter middleware's store), so behind a balancer that spreads requests
// over n instances one address gets n times the guesses: here, with a limit of 3
// and two instances, six wrong passwords in a row are all checked and none is
// refused. Player sign-ins and registrations are counted the same way. (The
// README says the order limits are kept per instance; it does not say so of this
// one, and players have no lockout kept in the database either.)
func TestScaleOutLoginLimitAcrossInstances(t *testing.T) {
	db := storetest.Postgres(t)
	shared := func(s *testSetup) { s.Cashier.DB = db; s.Web.LoginLimit = 3 }
	a, b := newTestApp(t, shared), newTestApp(t, shared)
	a.staff("ops@example.com", staff.RoleOperator)

	cl := a.client()
	var statuses []int
	for i := range 6 {
		cl.app = []*fiber.App{a.App, b.App}[i%2] // the balancer alternates
		r := cl.submit("/admin/login", url.Values{"email": {"ops@example.com"}, "password": {fmt.Sprintf("guess %d", i)}})
		statuses = append(statuses, r.Status)
	}
	refused := 0
	for _, s := range statuses {
		if s == fiber.StatusTooManyRequests {
			refused++
		}
	}
	if refused < 3 {
		t.Errorf("six wrong passwords from one address within a minute over two instances: statuses %v; want the last three refused with 429", statuses)
	}
}
