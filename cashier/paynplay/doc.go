// Package paynplay holds Pay N Play's rules (API.md §5.5, §8): which markets take it
// and in which model (Mode), how a bank identity from Trustly's kyc notification is
// read and checked (ParseIdentity, ParsePersonID), and the kyc decision itself
// (Rules.Decide), which answers CONTINUE, CONTINUE with a limit, or FINISH.
//
// The package decides; it stores nothing and moves no money. The cashier holds one
// Rules, built at start-up from CASHIER_PAYNPLAY (ParseModes), the register checker
// (an exclusions.Router in production, exclusions.Sandbox() with the sandbox) and
// the deposit limits (Unlimited until responsible gaming lands), and calls it for
// each kyc notification:
//
//	k := paynplay.FromKYC(data)                  // data: the verified *trustly.KYCData
//	id, _ := paynplay.ParseIdentity(k)           // to look up Known; Decide re-checks it
//	// read, in one snapshot: the order (amount, currency, login-only), the player
//	// who started it (Started) and the one id.PersonID.String() or, in NL,
//	// id.KYCEntityID belongs to (Known)
//	d := rules.Decide(ctx, paynplay.Input{KYC: k, Started: started, Known: known,
//		Amount: order.Amount, Currency: order.Amount.Currency, LoginOnly: loginOnly})
//	log.Info("kyc decided", "summary", d.Summary())
//	// then, in the notification's write transaction: store d.Outcome, d.Reasons and
//	// d.Register with the order, and answer d.Answer(); after Continue, find or
//	// create the player by d.Identity
//
// Decide may wait for a register up to its timeout, so it runs before the write
// lock is taken, as the likely answer is signed before it today.
package paynplay
