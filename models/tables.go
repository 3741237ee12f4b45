package models

// Tables lists every table the cashier keeps, in an order that migrates cleanly.
// Add a line here when adding a model.
func Tables() []any {
	return []any{
		&Player{},
		&Transfer{}, &Entry{}, &Balance{},
		&Order{}, &Notification{}, &RefusedNotification{}, &BankAccount{}, &AccountRegistration{}, &APICall{}, &TrustlyPoll{},
	}
}
