package models

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestOrderRefresh(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	at := &now
	for _, tt := range []struct {
		name  string
		order Order
		want  OrderStatus
		flag  string
	}{
		{"new", Order{}, OrderCreated, ""},
		{"started", Order{StartedAt: at}, OrderStarted, ""},
		{"pending", Order{StartedAt: at, PendingAt: at}, OrderPending, ""},
		{"refused", Order{FailedAt: at}, OrderFailed, ""},
		{"cancelled", Order{StartedAt: at, PendingAt: at, CancelledAt: at}, OrderFailed, ""},
		{"credited", Order{PendingAt: at, CreditedAt: at}, OrderCredited, ""},
		{"credit after timeout", Order{FailedAt: at, CreditedAt: at}, OrderCredited, ""},
		{"cancel and credit", Order{CancelledAt: at, CreditedAt: at}, OrderCredited, FlagCancelAfterCredit},
		{"debited", Order{CreditedAt: at, DebitedAt: at}, OrderDebited, ""},
		{"debit alone", Order{DebitedAt: at}, OrderDebited, FlagDebitNoCredit},
		// An account selection is done once its account came, whatever else did.
		{"selection started", Order{Kind: OrderSelectAccount, StartedAt: at}, OrderStarted, ""},
		{"selection account", Order{Kind: OrderSelectAccount, StartedAt: at, AccountAddedAt: at}, OrderAccountAdded, ""},
		{"selection abandoned, account late", Order{Kind: OrderSelectAccount, StartedAt: at, AbandonedAt: at, AccountAddedAt: at}, OrderAccountAdded, ""},
		{"selection cancel and account", Order{Kind: OrderSelectAccount, StartedAt: at, CancelledAt: at, AccountAddedAt: at}, OrderAccountAdded, ""},
		{"selection refused, account anyway", Order{Kind: OrderSelectAccount, FailedAt: at, AccountAddedAt: at}, OrderAccountAdded, ""},
		{"selection abandoned", Order{Kind: OrderSelectAccount, StartedAt: at, AbandonedAt: at}, OrderAbandoned, ""},
		{"deposit with account mark", Order{Kind: OrderDeposit, StartedAt: at, AccountAddedAt: at}, OrderStarted, ""},
		// A Pay N Play login is done once its kyc said CONTINUE and its browser signed in.
		{"login continue", Order{Kind: OrderDeposit, PayNPlay: true, LoginOnly: true, StartedAt: at, KYCOutcome: KYCContinue, KYCAt: at}, OrderStarted, ""},
		{"login signed in", Order{Kind: OrderDeposit, PayNPlay: true, LoginOnly: true, StartedAt: at, KYCOutcome: KYCContinue, KYCAt: at, SignedInAt: at}, OrderSignedIn, ""},
		{"login signed in, cancel", Order{Kind: OrderDeposit, PayNPlay: true, LoginOnly: true, StartedAt: at, KYCOutcome: KYCContinue, SignedInAt: at, CancelledAt: at}, OrderSignedIn, ""},
		{"login abandoned, signed in late", Order{Kind: OrderDeposit, PayNPlay: true, LoginOnly: true, StartedAt: at, KYCOutcome: KYCContinue, AbandonedAt: at, SignedInAt: at}, OrderSignedIn, ""},
		{"login continue, cancel", Order{Kind: OrderDeposit, PayNPlay: true, LoginOnly: true, StartedAt: at, KYCOutcome: KYCContinue, CancelledAt: at}, OrderFailed, ""},
		{"login finish, cancel", Order{Kind: OrderDeposit, PayNPlay: true, LoginOnly: true, StartedAt: at, KYCOutcome: KYCFinish, CancelledAt: at}, OrderFailed, ""},
		// A login the kyc refused is failed from the FINISH on, cancel or not, abandoned before or not.
		{"login finish", Order{Kind: OrderDeposit, PayNPlay: true, LoginOnly: true, StartedAt: at, KYCOutcome: KYCFinish, KYCAt: at}, OrderFailed, ""},
		{"login abandoned, finish", Order{Kind: OrderDeposit, PayNPlay: true, LoginOnly: true, StartedAt: at, AbandonedAt: at, KYCOutcome: KYCFinish, KYCAt: at}, OrderFailed, ""},
		{"login pending, finish", Order{Kind: OrderDeposit, PayNPlay: true, LoginOnly: true, StartedAt: at, PendingAt: at, KYCOutcome: KYCFinish, KYCAt: at}, OrderFailed, ""},
		{"deposit finish, credit held", Order{Kind: OrderDeposit, PayNPlay: true, StartedAt: at, KYCOutcome: KYCFinish, KYCAt: at, CreditHeldAt: at}, OrderRefusedHeld, FlagHeldCreditRefused},
		{"deposit signed in", Order{Kind: OrderDeposit, PayNPlay: true, StartedAt: at, KYCOutcome: KYCContinue, SignedInAt: at}, OrderStarted, ""},
		// A deposit the kyc refused with no money on it is failed from the FINISH on too;
		// one whose credit came anyway is refused-held (its money held to return), a
		// cancel, a redelivery or an abandonment before or after it notwithstanding, and
		// failed once a debit took the credit back or came alone: nothing to return.
		{"deposit finish", Order{Kind: OrderDeposit, PayNPlay: true, StartedAt: at, KYCOutcome: KYCFinish, KYCAt: at}, OrderFailed, ""},
		{"deposit abandoned, finish", Order{Kind: OrderDeposit, PayNPlay: true, StartedAt: at, AbandonedAt: at, KYCOutcome: KYCFinish, KYCAt: at}, OrderFailed, ""},
		{"deposit pending, finish", Order{Kind: OrderDeposit, PayNPlay: true, StartedAt: at, PendingAt: at, KYCOutcome: KYCFinish, KYCAt: at}, OrderFailed, ""},
		{"deposit finish, cancel", Order{Kind: OrderDeposit, PayNPlay: true, StartedAt: at, KYCOutcome: KYCFinish, KYCAt: at, CancelledAt: at}, OrderFailed, ""},
		{"deposit finish, credit held, abandoned", Order{Kind: OrderDeposit, PayNPlay: true, StartedAt: at, AbandonedAt: at, KYCOutcome: KYCFinish, KYCAt: at, CreditHeldAt: at}, OrderRefusedHeld, FlagHeldCreditRefused},
		{"deposit finish, credit held, cancel", Order{Kind: OrderDeposit, PayNPlay: true, StartedAt: at, PendingAt: at, CancelledAt: at, KYCOutcome: KYCFinish, KYCAt: at, CreditHeldAt: at}, OrderRefusedHeld, FlagHeldCreditRefused},
		// Its held credit returned to the payer (a return sent, not back): refused-returned,
		// the flag no longer asking for a return; a debit still leaves nothing to return.
		{"deposit finish, credit held, returned", Order{Kind: OrderDeposit, PayNPlay: true, StartedAt: at, KYCOutcome: KYCFinish, KYCAt: at, CreditHeldAt: at, HeldReturned: true}, OrderRefusedReturned, FlagHeldCreditReturned},
		{"deposit finish, credit held, returned, cancel", Order{Kind: OrderDeposit, PayNPlay: true, StartedAt: at, CancelledAt: at, KYCOutcome: KYCFinish, KYCAt: at, CreditHeldAt: at, HeldReturned: true}, OrderRefusedReturned, FlagHeldCreditReturned},
		{"deposit finish, credit and debit held, returned", Order{Kind: OrderDeposit, PayNPlay: true, StartedAt: at, KYCOutcome: KYCFinish, KYCAt: at, CreditHeldAt: at, DebitHeldAt: at, HeldReturned: true}, OrderFailed, FlagHeldCreditDebited},
		{"deposit credit held, no kyc", Order{Kind: OrderDeposit, PayNPlay: true, StartedAt: at, CreditHeldAt: at}, OrderPending, ""},
		{"deposit finish, debit held", Order{Kind: OrderDeposit, PayNPlay: true, StartedAt: at, KYCOutcome: KYCFinish, KYCAt: at, DebitHeldAt: at}, OrderFailed, FlagHeldDebitNoCredit},
		{"deposit finish, credit and debit held", Order{Kind: OrderDeposit, PayNPlay: true, StartedAt: at, KYCOutcome: KYCFinish, KYCAt: at, CreditHeldAt: at, DebitHeldAt: at}, OrderFailed, FlagHeldCreditDebited},
		{"deposit finish, credited", Order{Kind: OrderDeposit, PayNPlay: true, StartedAt: at, KYCOutcome: KYCFinish, KYCAt: at, CreditedAt: at}, OrderCredited, ""},
		{"deposit no kyc, abandoned", Order{Kind: OrderDeposit, PayNPlay: true, StartedAt: at, AbandonedAt: at}, OrderAbandoned, ""},
		{"deposit continue, abandoned", Order{Kind: OrderDeposit, PayNPlay: true, StartedAt: at, AbandonedAt: at, KYCOutcome: KYCContinue, KYCAt: at}, OrderAbandoned, ""},
	} {
		o := tt.order
		o.Refresh()
		if o.Status != tt.want || o.Flag != tt.flag {
			t.Errorf("%s: got %s %q, want %s %q", tt.name, o.Status, o.Flag, tt.want, tt.flag)
		}
	}
}

// TestOrderFlags: flags are a sorted set, and state-derived flags leave when the
// state that raised them changes, so arrival order does not matter.
func TestOrderFlags(t *testing.T) {
	now := time.Now()
	var o Order
	o.AddFlag(FlagKindRepeated, "second credit")
	o.AddFlag(FlagKindAmountDiffers, "amount differs; see log")
	o.AddFlag(FlagKindRepeated, "second credit")
	o.DebitedAt = &now
	o.Refresh()
	want := "amount differs, see log; " + FlagDebitNoCredit + "; second credit"
	if o.Flag != want {
		t.Fatalf("got %q, want %q", o.Flag, want)
	}
	if got := fmt.Sprint(o.FlagsAdded()); got != "[amount-differs debit-without-credit repeated-event]" {
		t.Errorf("flags added %s; want [amount-differs debit-without-credit repeated-event]", got)
	}
	o.CreditedAt = &now
	o.Refresh()
	if want := "amount differs, see log; second credit"; o.Flag != want {
		t.Fatalf("after credit: got %q, want %q", o.Flag, want)
	}
	if got := fmt.Sprint(o.FlagsAdded()); got != "[amount-differs repeated-event]" {
		t.Errorf("after credit: flags added %s; want [amount-differs repeated-event] (the derived flag left)", got)
	}
	// Read again (a new transaction): the flags it has were added before.
	again := Order{Flag: o.Flag}
	again.AddFlag(FlagKindRepeated, "second credit")
	again.Refresh()
	if got := again.FlagsAdded(); len(got) != 0 {
		t.Errorf("flags added to an order that had them: %v; want none", got)
	}
}

// TestOrderExpected: a deposit's credit is asked to be its amount, or the kyc's
// limit when that is lower; a limit at or above the amount, or none, changes nothing.
func TestOrderExpected(t *testing.T) {
	for _, tt := range []struct {
		amount, limit, want int64
	}{{200000, 100000, 100000}, {200000, 0, 200000}, {200000, 200000, 200000}, {50000, 100000, 50000}, {0, 100000, 0}} {
		o := Order{Amount: Money{Minor: tt.amount, Currency: "SEK"}, KYCLimitMinor: tt.limit}
		if got := o.Expected(); got != (Money{Minor: tt.want, Currency: "SEK"}) {
			t.Errorf("amount %d, limit %d: Expected() = %+v; want %d SEK", tt.amount, tt.limit, got, tt.want)
		}
	}
}

func TestNewMessageID(t *testing.T) {
	for _, tt := range []struct {
		kind OrderKind
		want string
	}{{OrderDeposit, "dep-"}, {OrderPayout, "pay-"}, {OrderSelectAccount, "sel-"}} {
		a, b := NewMessageID(tt.kind), NewMessageID(tt.kind)
		if !strings.HasPrefix(a, tt.want) || len(a) != len(tt.want)+24 || a == b {
			t.Errorf("NewMessageID(%s) = %q, %q; want distinct %s + 24 hex digits", tt.kind, a, b, tt.want)
		}
	}
	o := Order{ID: 4711, Kind: OrderDeposit}
	if got := o.Reference("credit"); got != "deposit:4711:credit" {
		t.Errorf("Reference = %q, want deposit:4711:credit", got)
	}
}

func TestBankAccountLabel(t *testing.T) {
	for _, tt := range []struct {
		a    BankAccount
		want string
	}{
		{BankAccount{Bank: "Handelsbanken", Descriptor: "**706212"}, "Handelsbanken **706212"},
		{BankAccount{Descriptor: "**706212"}, "**706212"},
		{BankAccount{}, "Bank account"},
		{BankAccount{Bank: "SEB", LastDigits: "865391"}, "SEB **865391"},
	} {
		if got := tt.a.Label(); got != tt.want {
			t.Errorf("Label(%+v) = %q, want %q", tt.a, got, tt.want)
		}
	}
}

// TestOrderBrings: a deposit's pages show what its credit booked once credited,
// and before that the amount chosen, or the kyc's limit when that is lower.
func TestOrderBrings(t *testing.T) {
	now := time.Now()
	sek := func(minor int64) Money { return Money{Minor: minor, Currency: "SEK"} }
	for _, tt := range []struct {
		name  string
		order Order
		want  int64
	}{
		{"pending", Order{Amount: sek(200000)}, 200000},
		{"pending, capped", Order{Amount: sek(200000), KYCLimitMinor: 100000}, 100000},
		{"failed, capped", Order{Amount: sek(200000), KYCLimitMinor: 100000, CancelledAt: &now}, 100000},
		{"credited the limit", Order{Amount: sek(200000), KYCLimitMinor: 100000, CreditedAt: &now, CreditedMinor: 100000}, 100000},
		{"credited less than the limit", Order{Amount: sek(200000), KYCLimitMinor: 100000, CreditedAt: &now, CreditedMinor: 80000}, 80000},
		{"credited more than the limit", Order{Amount: sek(200000), KYCLimitMinor: 100000, CreditedAt: &now, CreditedMinor: 150000}, 150000},
		{"credited less than chosen", Order{Amount: sek(200000), CreditedAt: &now, CreditedMinor: 150000}, 150000},
		{"credited, then returned", Order{Amount: sek(200000), KYCLimitMinor: 100000, CreditedAt: &now, CreditedMinor: 100000, DebitedAt: &now}, 100000},
		{"credited before the credit was kept", Order{Amount: sek(200000), CreditedAt: &now}, 200000},
	} {
		tt.order.Kind = OrderDeposit
		tt.order.Refresh()
		if got := tt.order.Brings(); got != sek(tt.want) {
			t.Errorf("%s: Brings = %d; want %d", tt.name, got.Minor, tt.want)
		}
	}
}
