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
// registration attempts per IP address per minute", one of two brakes on guessing
// a password (the other is the account's budget of failed sign-ins,
// CASHIER_LOGIN_LIMIT_PER_ACCOUNT, TestScaleOutSignInLimitAcrossInstances, which
// re-authentication and password changes count in too). On PostgreSQL the limiter
// keeps its counts in the database (SharedCounters), so one address gets the
// limit over all the instances behind a balancer, not the limit on each: here,
// with a limit of 3 and two instances, of six wrong passwords in a row the last
// three are refused. Player sign-ins and registrations are counted the same way.
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
