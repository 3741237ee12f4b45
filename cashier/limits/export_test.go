package limits

// The queries of Current, for the plan test.
var (
	DepositsSince    = depositsSince
	PayoutsSince     = payoutsSince
	RecentChangesSQL = recentChangesSQL
)
