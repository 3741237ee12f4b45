package limits

// The queries of Current, for the plan test, and the columns recentChanges reads.
var (
	DepositsSQL      = depositsSQL
	PayoutsSQL       = payoutsSQL
	RecentChangesSQL = recentChangesSQL
)

const ChangeColumns = changeColumns
