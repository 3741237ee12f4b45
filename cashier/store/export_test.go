package store

// SetHoldersBatch makes readAccountHolders read n bank accounts a batch until the
// function it returns is called.
func SetHoldersBatch(n int) (restore func()) {
	old := holdersBatch
	holdersBatch = n
	return func() { holdersBatch = old }
}
