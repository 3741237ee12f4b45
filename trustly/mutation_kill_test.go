package trustly

import (
	"strings"
	"testing"
)

// Tests written for mutations of internal/mutate/mutations.txt that no other test
// caught: each names the mutations it kills.

// TestSameEventStoredHasMore: a stored body with a key the new delivery does not
// have is not the same event, also when every key of the new one matches
// (trustly/same-event-ignores-extra-keys). TestSameEvent covers the other way
// round.
func TestSameEventStoredHasMore(t *testing.T) {
	withAttributes := `{"amount":"902.50","currency":"EUR","messageid":"dep-1","orderid":"87654567","enduserid":"player-1",
		"notificationid":"9876543456","timestamp":"2010-01-20 14:42:04.675645+01","attributes":{}}`
	without := strings.Replace(withAttributes, `,"attributes":{}`, ``, 1)
	n, err := ParseNotification(notification(t, MethodCredit, without), &trustlyKey(t).PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		data string
		same bool
	}{{"the same keys", without, true}, {"an attributes key more", withAttributes, false}} {
		if got := n.SameEvent(notification(t, MethodCredit, tt.data)); got != tt.same {
			t.Errorf("stored with %s: SameEvent = %t, want %t", tt.name, got, tt.same)
		}
	}
}
