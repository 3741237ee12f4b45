// Package crash holds the crash harness (crash_test.go): it builds and runs the real
// cmd/cashier and cmd/sandbox, kills the cashier with SIGKILL at every failpoint
// (internal/failpoint) and at random moments while players deposit, withdraw and
// staff refund, restarts it, and checks that no money was lost or doubled. `make
// crash` runs at least 100 kill cycles (CRASH=1); `make test` a few. TestTwoInstances
// (instances_test.go) runs two cashiers on one PostgreSQL schema behind a round-robin
// proxy and checks the same books.
package crash
