package limits

// The queries of Current and Status, for the plan test, and the columns of the
// changes Current reads.
var (
	DepositsSQL   = depositsSQL
	PayoutsSQL    = payoutsSQL
	CurrentSQL    = currentSQL
	CurrentNetSQL = currentNetSQL
)

const ChangeColumns = changeColumns

// Margin is how far before the earliest period deposits are read.
const Margin = margin
