package trustly

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestClientRefusesWhatTrustlyRefuses: the client sends no Deposit or
// SelectAccount that Trustly (and the sandbox) would refuse for its attributes:
// suggested bounds the wrong way round (717), or RequestKYC with a Country where
// Trustly offers no Pay N Play (API.md §8; 732). Bounds that meet, and Pay N Play
// in its countries or with the country left to the player, are sent.
func TestClientRefusesWhatTrustlyRefuses(t *testing.T) {
	ctx := context.Background()
	p := newPeer(t, result(t, `{"orderid":"1","url":"https://x.example/"}`))
	c := newClient(t, p.URL)
	dep := DepositParams{NotificationURL: notifyURL, EndUserID: "p", MessageID: "m", Currency: "SEK"}
	sel := SelectAccountParams{NotificationURL: notifyURL, EndUserID: "p", MessageID: "m"}
	for _, tt := range []struct {
		name  string
		call  func() error
		field string // the error must name it; "" for a request sent
	}{
		{"deposit min above max", func() error {
			d := dep
			d.SuggestedMinAmount, d.SuggestedMaxAmount = "500.01", "500.00"
			_, err := c.Deposit(ctx, d)
			return err
		}, "SuggestedMinAmount"},
		{"deposit min at max", func() error {
			d := dep
			d.SuggestedMinAmount, d.SuggestedMaxAmount = "500.00", "500.00"
			_, err := c.Deposit(ctx, d)
			return err
		}, ""},
		{"deposit Pay N Play in DE", func() error {
			d := dep
			d.RequestKYC, d.Country = true, "DE"
			_, err := c.Deposit(ctx, d)
			return err
		}, "RequestKYC"},
		{"deposit Pay N Play in EE", func() error {
			d := dep
			d.RequestKYC, d.Country = true, "EE"
			_, err := c.Deposit(ctx, d)
			return err
		}, ""},
		{"deposit Pay N Play, country left to the player", func() error {
			d := dep
			d.RequestKYC = true
			_, err := c.Deposit(ctx, d)
			return err
		}, ""},
		{"select Pay N Play in DK", func() error {
			s := sel
			s.RequestKYC, s.Country = true, "DK"
			_, err := c.SelectAccount(ctx, s)
			return err
		}, "RequestKYC"},
		{"select Pay N Play in FI", func() error {
			s := sel
			s.RequestKYC, s.Country = true, "FI"
			_, err := c.SelectAccount(ctx, s)
			return err
		}, ""},
	} {
		before := len(p.received())
		err := tt.call()
		sent := len(p.received()) - before
		switch {
		case tt.field == "" && (err != nil || sent != 1):
			t.Errorf("%s: %v, %d requests sent; want it sent", tt.name, err, sent)
		case tt.field != "" && (!errors.Is(err, ErrInvalidParams) || !strings.Contains(err.Error(), tt.field) || sent != 0):
			t.Errorf("%s: %v, %d requests sent; want ErrInvalidParams naming %s and nothing sent", tt.name, err, sent, tt.field)
		}
	}
}
