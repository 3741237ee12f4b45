package sandbox_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/trustly-cashier/cashier/sandbox/sandboxtest"
	"github.com/trustly-cashier/cashier/trustly"
)

// TestHoldNotifications: a Deposit with HoldNotifications "1" (Trustly's test
// environment only, API.md §4.1, §11) has its notifications parked: nothing is
// sent, WaitIdle does not wait for them, and its page lists them as held with a
// form to fire them. The form, refused from another origin, sends them in their
// planned order; a Deposit without the flag is not held.
func TestHoldNotifications(t *testing.T) {
	env := sandboxtest.Start(t)
	ctx := context.Background()
	client := env.Client(t)
	m := sandboxtest.NewMerchant(t, env)
	deposit := func(hold bool) string {
		t.Helper()
		res, err := client.Deposit(ctx, trustly.DepositParams{NotificationURL: m.URL, EndUserID: "player-1",
			MessageID: "dep-" + time.Now().Format("150405.000000000"), Currency: "SEK", Amount: "100.00", Country: "SE",
			HoldNotifications: hold, Extra: map[string]string{"SandboxAutoComplete": "1"}})
		if err != nil {
			t.Fatal(err)
		}
		return res.OrderID
	}
	held, free := deposit(true), deposit(false)
	env.WaitIdle(t)
	if got := m.ForOrder(held); len(got) != 0 {
		t.Fatalf("held order: %d notifications sent before firing; want none", len(got))
	}
	if got := m.ForOrder(free); len(got) != 3 {
		t.Errorf("order without HoldNotifications: %d notifications; want pending, credit, account", len(got))
	}
	_, _, page := get(t, env, "/sandbox/orders/"+held, "")
	if !strings.Contains(page, `data-testid="fire-held"`) || strings.Count(page, "<strong>held</strong>") != 3 {
		t.Fatalf("order page: want three held notifications and the fire form:\n%s", page)
	}
	if _, _, other := get(t, env, "/sandbox/orders/"+free, ""); strings.Contains(other, `data-testid="fire-held"`) {
		t.Error("order page without held notifications offers to fire them")
	}

	fire := func(h http.Header) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, env.URL+"/sandbox/orders/"+held+"/fire", nil)
		req.Header = h
		res, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if code := fire(http.Header{"Sec-Fetch-Site": {"cross-site"}}); code != http.StatusForbidden {
		t.Errorf("fire from another origin: %d; want 403", code)
	}
	env.WaitIdle(t)
	if got := m.ForOrder(held); len(got) != 0 {
		t.Fatalf("after a refused fire: %d notifications sent; want none", len(got))
	}
	if code := fire(http.Header{"Sec-Fetch-Site": {"same-origin"}}); code != http.StatusSeeOther {
		t.Errorf("fire: %d; want 303 back to the order", code)
	}
	got := m.WaitFor(t, held, 3, 5*time.Second)
	env.WaitIdle(t)
	var methods []string
	for _, n := range m.ForOrder(held) {
		methods = append(methods, n.Method)
	}
	if strings.Join(methods, ",") != "pending,credit,account" || len(got) != 3 {
		t.Errorf("fired: %v; want pending,credit,account", methods)
	}
}
