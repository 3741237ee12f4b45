// Package failpoint kills the process at named places in the money paths, so that a
// crash test can stop the cashier exactly where a crash would hurt most. Failpoints
// are compiled in and off: CASHIER_FAILPOINT, read once at start, names the ones to
// turn on ("payout.after_call", or a comma-separated list). A failpoint that is on
// kills the process with SIGKILL when reached, as kill -9 would: no deferred call
// runs, no buffer is flushed, no transaction is rolled back politely.
package failpoint

import (
	"fmt"
	"os"
	"slices"
	"strings"
)

// Names lists every failpoint, in the order a money movement reaches them. Each
// is one failpoint.Hit call in the code.
var Names = []string{
	"deposit.before_call",         // deposit order row committed; Deposit not called yet
	"deposit.after_call",          // Deposit answered; its orderid and checkout URL not stored yet
	"selectaccount.before_call",   // account selection's order row committed; SelectAccount not called yet
	"selectaccount.after_call",    // SelectAccount answered; its orderid and checkout URL not stored yet
	"registeraccount.before_call", // bank details form's sending recorded; RegisterAccount not called yet
	"registeraccount.after_call",  // RegisterAccount answered; the account not saved yet
	"payout.after_reserve",        // payout order and its reservation committed; AccountPayout not called yet
	"payout.after_call",           // AccountPayout answered; the outcome not booked yet
	"refund.before_call",          // refund (or return of held money) committed; Refund not called yet
	"refund.after_call",           // Refund answered; the outcome not booked yet
	"notify.before_commit",        // a new notification applied in its transaction; not committed
	"notify.after_commit",         // a new notification committed; the answer not returned yet
	"notify.redelivered",          // a redelivery's count committed; the stored answer not returned yet
	"notify.before_reply",         // the handler has the signed answer; not written to Trustly yet
}

// EnvVar is the environment variable that turns failpoints on.
const EnvVar = "CASHIER_FAILPOINT"

var on = parse(os.Getenv(EnvVar))

func parse(v string) map[string]bool {
	m := map[string]bool{}
	for _, name := range strings.Split(v, ",") {
		if name = strings.TrimSpace(name); name != "" {
			m[name] = true
		}
	}
	return m
}

// Check reports a name in CASHIER_FAILPOINT that is not a failpoint, so that a
// misspelt one fails the start instead of never firing.
func Check() error {
	for name := range on {
		if !slices.Contains(Names, name) {
			return fmt.Errorf("%s: %q is not a failpoint; known: %s", EnvVar, name, strings.Join(Names, ", "))
		}
	}
	return nil
}

// Enabled reports whether CASHIER_FAILPOINT turned name on.
func Enabled(name string) bool { return on[name] }

// Hit kills the process at once with SIGKILL when CASHIER_FAILPOINT turned name on,
// and does nothing otherwise.
func Hit(name string) {
	if !on[name] {
		return
	}
	fmt.Fprintf(os.Stderr, "failpoint %s: killing the process\n", name)
	if p, err := os.FindProcess(os.Getpid()); err == nil {
		p.Kill() // SIGKILL where there are signals
	}
	os.Exit(137) // not reached where Kill works
}
