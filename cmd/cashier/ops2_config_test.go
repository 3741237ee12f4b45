package main

import (
	"strings"
	"testing"
)

// TestTrustlyURLErrorsHideSecrets: a TRUSTLY_API_URL the start refuses is shown
// without a secret its query may carry (a token pasted with the URL). The "https
// only" error for Trustly's test and live environments printed the URL as it was
// given, its query included, unlike its neighbours; redactURL showed a query too.
func TestTrustlyURLErrorsHideSecrets(t *testing.T) {
	const secret = "query-Secret-0123456789"
	for _, url := range []string{
		"http://test.trustly.com/api/1?token=" + secret,  // https only
		"http://api.trustly.com/1?password=" + secret,    // https only
		"ftp://test.trustly.com/api/1?token=" + secret,   // not an http(s) URL
		"http://[test.trustly.com/api/1?token=" + secret, // no URL at all
	} {
		_, err := loadConfig(env(reviewTrustlyEnv(t, map[string]string{"TRUSTLY_API_URL": url})), quiet)
		if err == nil {
			t.Errorf("TRUSTLY_API_URL=%q: the start went on; want it stopped", url)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, secret) || !strings.Contains(msg, "TRUSTLY_API_URL") {
			t.Errorf("TRUSTLY_API_URL=%q: got %q; want TRUSTLY_API_URL named and the query's secret not shown", url, msg)
		}
	}
}
