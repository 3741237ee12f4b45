package models

import (
	"testing"
	"time"
)

// TestPayoutStatus: a payout's status follows from where its money is, whatever
// order the events were applied in.
func TestPayoutStatus(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	at := &now
	for _, tt := range []struct {
		name  string
		order Order
		want  OrderStatus
	}{
		{"reserved", Order{}, OrderRequested},
		{"waiting for approval", Order{NeedsApproval: true}, OrderAwaitingApproval},
		{"approved, not sent yet", Order{NeedsApproval: true, ApprovedAt: at}, OrderRequested},
		{"answer lost", Order{OutcomeUnknownAt: at}, OrderSending},
		{"sent", Order{SentAt: at}, OrderSent},
		{"sent after an unknown outcome", Order{OutcomeUnknownAt: at, SentAt: at}, OrderSent},
		{"resend answered 637", Order{OutcomeUnknownAt: at, CheckingAt: at}, OrderChecking},
		{"637, then AccountLedger or a notification showed it", Order{OutcomeUnknownAt: at, CheckingAt: at, SentAt: at}, OrderSent},
		{"637, then refused", Order{CheckingAt: at, FailedAt: at, ReleasedAt: at}, OrderFailed},
		{"confirmed", Order{SentAt: at, ConfirmedAt: at}, OrderConfirmed},
		{"payoutfailed, credit to come", Order{SentAt: at, PayoutFailedAt: at}, OrderFailed},
		{"bounced after confirmation", Order{SentAt: at, ConfirmedAt: at, CreditedAt: at, ReturnedAt: at}, OrderFailed},
		{"refused", Order{FailedAt: at, ReleasedAt: at}, OrderFailed},
		{"denied", Order{NeedsApproval: true, DeniedAt: at, ReleasedAt: at}, OrderCancelled},
		{"cancelled by the player", Order{NeedsApproval: true, CancelledAt: at, ReleasedAt: at}, OrderCancelled},
		{"cancelled by Trustly", Order{SentAt: at, CancelledAt: at, ReturnedAt: at}, OrderCancelled},
		{"cancel and credit", Order{SentAt: at, CancelledAt: at, CreditedAt: at, ReturnedAt: at}, OrderFailed},
	} {
		o := tt.order
		o.Kind = OrderPayout
		o.Flag = "kept"
		o.Refresh()
		if o.Status != tt.want || o.Flag != "kept" {
			t.Errorf("%s: got %s %q, want %s", tt.name, o.Status, o.Flag, tt.want)
		}
	}
	if got := (&Order{ID: 4712, Kind: OrderPayout}).Reference("reserve"); got != "payout:4712:reserve" {
		t.Errorf("Reference = %q", got)
	}
}
