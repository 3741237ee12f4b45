package limits

// The queries of Current, for the plan test, and the columns recentChanges reads.
var (
	DepositsSQL      = depositsSQL
	PayoutsSQL       = payoutsSQL
	RecentChangesSQL = recentChangesSQL
)

const ChangeColumns = changeColumns

// Margin is how far before the earliest period deposits are read.
const Margin = margin
