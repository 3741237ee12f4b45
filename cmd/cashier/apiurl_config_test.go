package main

import (
	"strings"
	"testing"

	"github.com/trustly-cashier/cashier/trustly"
)

// TestConfigTrustlyURLShape: the Trustly client posts every call to
// TRUSTLY_API_URL exactly as given, so a URL with a query or a fragment, in any
// environment, and one of Trustly's test or live hosts with no path (its root,
// where no API answers) stop the start naming the variable, without the query's
// text; the documented URLs, with a trailing slash too, and a custom sandbox's
// are taken. Before, all were taken, and the first deposit failed.
func TestConfigTrustlyURLShape(t *testing.T) {
	for _, tt := range []struct {
		url     string
		refused bool
	}{
		{trustly.TestURL + "?token=Secret-0123", true},
		{trustly.TestURL + "#api", true},
		{trustly.TestURL + "?", true},
		{"http://127.0.0.1:8081/api/1?x=1", true},
		{"https://test.trustly.com", true},
		{"https://test.trustly.com/", true},
		{"https://api.trustly.com", true},
		{trustly.TestURL, false},
		{trustly.TestURL + "/", false},
		{trustly.LiveURL, false},
		{"http://127.0.0.1:8081", false}, // a custom sandbox: its own business
	} {
		_, err := loadConfig(env(reviewTrustlyEnv(t, map[string]string{"TRUSTLY_API_URL": tt.url})), quiet)
		switch {
		case tt.refused && (err == nil || !strings.HasPrefix(err.Error(), "TRUSTLY_API_URL ") || strings.Contains(err.Error(), "Secret-0123")):
			t.Errorf("%s: %v; want an error naming TRUSTLY_API_URL, without the query", tt.url, err)
		case !tt.refused && err != nil:
			t.Errorf("%s: %v; want it taken", tt.url, err)
		}
	}
}
