package trustly

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
)

// jsonText is s as a JSON string.
func jsonText(t *testing.T, s string) string {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// accountIDs are accountids that name no account Trustly would give (API.md §5.1:
// numeric strings, typically 10 digits): text a payout sends back as its
// AccountID, which an account notification or a RegisterAccount answer must not
// bring in, and the ones that may (free text, as some integrations send).
var accountIDs = []struct {
	name, id string
	ok       bool
}{
	{"ten digits", "2853579240", true},
	{"letters, a dash and a space inside", "SE-4988 592329", true},
	{"letters beyond ASCII", "ÅÄÖ2853579240", true},
	{"64 characters", "1234567890123456789012345678901234567890123456789012345678901234", true},
	{"a space only", " ", false},
	{"spaces only", "   ", false},
	{"a leading space", " 2853579240", false},
	{"a trailing space", "2853579240 ", false},
	{"a trailing newline", "2853579240\n", false},
	{"a tab inside", "2853\t579240", false},
	{"a NUL inside", "2853\x00579240", false},
	{"an escape sequence", "\x1b[31m2853579240", false},
	{"a DEL", "2853579240\x7f", false},
	{"a C1 control", "2853579240\u0085", false},
	{"a no-break space at the end", "2853579240\u00a0", false},
	{"a right-to-left override", "2853\u202e579240", false},
	{"a zero-width space", "2853\u200b579240", false},
	{"a line separator", "2853\u2028579240", false},
}

// TestAccountNotificationAccountIDText: an account notification whose accountid
// has whitespace at an end, control or format characters (which PostgreSQL, for
// NUL, cannot even keep, so the notification was never answered) or is blank is
// refused as not fitting its method (ErrBadData), and nothing is read from it:
// its accountid would be kept and sent back as a payout's AccountID, and shown
// to staff. One of free text otherwise is read as sent.
func TestAccountNotificationAccountIDText(t *testing.T) {
	for _, tt := range accountIDs {
		t.Run(tt.name, func(t *testing.T) {
			raw := notification(t, MethodAccount, `{"messageid":"sel-1","orderid":"87654567","notificationid":"9876543456",
				"accountid":`+jsonText(t, tt.id)+`,"verified":"1","attributes":{}}`)
			n, err := ParseNotification(raw, &trustlyKey(t).PublicKey)
			switch {
			case tt.ok && err != nil:
				t.Fatalf("accountid %q: %v; want it read", tt.id, err)
			case tt.ok && n.Data.(*AccountData).AccountID != tt.id:
				t.Errorf("accountid read as %q; want %q", n.Data.(*AccountData).AccountID, tt.id)
			case !tt.ok && !errors.Is(err, ErrBadData):
				t.Errorf("accountid %q: %v; want ErrBadData", tt.id, err)
			}
		})
	}
}

// TestRegisterAccountAccountIDText: a RegisterAccount answer whose accountid is
// not one we may keep and send back (accountIDs) is an answer the client cannot
// use, as one without an accountid is: nothing is returned to save.
func TestRegisterAccountAccountIDText(t *testing.T) {
	for _, tt := range accountIDs {
		t.Run(tt.name, func(t *testing.T) {
			p := newPeer(t, result(t, `{"accountid":`+jsonText(t, tt.id)+`,"clearinghouse":"SWEDEN","bank":"Handelsbanken","descriptor":"**706212"}`))
			c := newClient(t, p.URL)
			res, err := c.RegisterAccount(context.Background(), RegisterAccountParams{EndUserID: "player-1", ClearingHouse: "SWEDEN",
				BankNumber: "6112", AccountNumber: "69706212", Firstname: "Åsa", Lastname: "Öberg"})
			switch {
			case tt.ok && (err != nil || res.AccountID != tt.id):
				t.Errorf("accountid %q: %+v, %v; want it read", tt.id, res, err)
			case !tt.ok && err == nil:
				t.Errorf("accountid %q: %+v; want an error", tt.id, res)
			}
		})
	}
}
