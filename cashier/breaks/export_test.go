package breaks

// Columns is what Current reads, for the test that it is the whole table.
const Columns = columns
