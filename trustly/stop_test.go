package trustly

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestClientStopAbandonsCall: a call waiting on a Trustly that never answers
// returns as soon as Config.Stop ends, though its own context is detached
// (context.WithoutCancel, as the cashier's calls for money are), with an error of
// unknown outcome that says it was abandoned; without Stop ending it would wait
// for the client's 30 s.
func TestClientStopAbandonsCall(t *testing.T) {
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	stop, abandon := context.WithCancel(context.Background())
	defer abandon()
	c, err := NewClient(Config{URL: srv.URL, Username: "u", Password: "p", PrivateKey: merchantKey(t),
		TrustlyKey: &trustlyKey(t).PublicKey, Stop: stop})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.AccountPayout(context.WithoutCancel(context.Background()), AccountPayoutParams{NotificationURL: "https://example.com/n",
			EndUserID: "player-1", MessageID: "pay-1", AccountID: "1234567890", Amount: "10.00", Currency: "SEK"})
		done <- err
	}()
	<-arrived
	abandon()
	select {
	case err := <-done:
		if !errors.Is(err, ErrOutcomeUnknown) || !strings.Contains(err.Error(), "abandoned") {
			t.Errorf("abandoned call: %v; want an unknown outcome saying it was abandoned", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the call still waits 5 s after Stop ended")
	}
	if _, err := c.AccountPayout(context.Background(), AccountPayoutParams{NotificationURL: "https://example.com/n",
		EndUserID: "player-1", MessageID: "pay-2", AccountID: "1234567890", Amount: "10.00", Currency: "SEK"}); !errors.Is(err, ErrOutcomeUnknown) {
		t.Errorf("a call after Stop ended: %v; want an unknown outcome", err)
	}
}
