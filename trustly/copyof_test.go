package trustly

import (
	"strings"
	"testing"
)

// TestCopyOf: a notification is a copy of a stored one when everything but its
// notificationid (and uuid) is the same, as received; the same notificationid is
// a redelivery (SameEvent), not a copy, and any other difference, a timestamp's
// microsecond or a number for the same text, is another event.
func TestCopyOf(t *testing.T) {
	const credit = `{"amount":"100.00","currency":"SEK","messageid":"dep-1","orderid":"87654567","enduserid":"p-1",
		"notificationid":"9876543456","timestamp":"2026-12-07 12:00:00.000001+00","attributes":{}}`
	n, err := ParseNotification(notification(t, MethodCredit, credit), &trustlyKey(t).PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, method, data string
		copyOf, same       bool
	}{
		{"another notificationid", MethodCredit, strings.Replace(credit, "9876543456", "9876543457", 1), true, false},
		{"the same notificationid", MethodCredit, credit, false, true},
		{"another notificationid and timestamp", MethodCredit, strings.Replace(strings.Replace(credit, "9876543456", "9876543457", 1),
			".000001+00", ".000002+00", 1), false, false},
		{"another notificationid and method", MethodPending, strings.Replace(credit, "9876543456", "9876543457", 1), false, false},
		{"another notificationid, amount a number", MethodCredit, strings.Replace(strings.Replace(credit, "9876543456", "9876543457", 1),
			`"100.00"`, `100.00`, 1), false, false},
		{"another notificationid, a key less", MethodCredit, strings.Replace(strings.Replace(credit, "9876543456", "9876543457", 1),
			`,"attributes":{}`, ``, 1), false, false},
	} {
		stored := notification(t, tt.method, tt.data)
		if got := n.CopyOf(stored); got != tt.copyOf {
			t.Errorf("%s: CopyOf %v; want %v", tt.name, got, tt.copyOf)
		}
		if got := n.SameEvent(stored); got != tt.same {
			t.Errorf("%s: SameEvent %v; want %v", tt.name, got, tt.same)
		}
	}
}
