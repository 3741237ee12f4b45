package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/trustly-cashier/cashier/cashier/exclusions"
	"github.com/trustly-cashier/cashier/cashier/paynplay"
	"github.com/trustly-cashier/cashier/models"
)

// registers are the national self-exclusion registers the cashier can ask, each
// configured by CASHIER_<NAME>_URL, _API_KEY (or _API_KEY_FILE), _CERT, _KEY, _CA
// and _TIMEOUT.
var registers = []struct {
	name, country string
	open          func(exclusions.Config) (exclusions.Exclusions, error)
}{
	{"SPELPAUS", "SE", func(c exclusions.Config) (exclusions.Exclusions, error) { return exclusions.NewSpelpaus(c) }},
	{"CRUKS", "NL", func(c exclusions.Config) (exclusions.Exclusions, error) { return exclusions.NewCRUKS(c) }},
	{"EE_EXCLUSIONS", "EE", func(c exclusions.Config) (exclusions.Exclusions, error) { return exclusions.NewEstonia(c) }},
}

// loadPayNPlay reads CASHIER_PAYNPLAY and builds the self-exclusion checker the kyc
// decision asks. With the embedded sandbox it is the sandbox's fake register (its
// self-excluded test persons), though the registers' settings are read and checked
// all the same. Otherwise each market with Pay N Play on needs its
// register configured, or must be named in CASHIER_EXCLUSIONS_NONE (a market
// without a national register, such as FI today), so that leaving a register out
// is never an accident.
func (c *config) loadPayNPlay(getenv func(string) string) error {
	modes, err := paynplay.ParseModes(getenv("CASHIER_PAYNPLAY"))
	if err != nil {
		return err
	}
	c.PayNPlay = modes
	byCountry := map[string]exclusions.Exclusions{}
	for _, r := range registers {
		prefix := "CASHIER_" + r.name + "_"
		cfg := exclusions.Config{BaseURL: getenv(prefix + "URL"), CertFile: getenv(prefix + "CERT"),
			KeyFile: getenv(prefix + "KEY"), CAFile: getenv(prefix + "CA")}
		if cfg.APIKey, err = secret(getenv, prefix+"API_KEY"); err != nil {
			return err
		}
		if t := getenv(prefix + "TIMEOUT"); t != "" {
			d, err := time.ParseDuration(t)
			if err != nil || d < 100*time.Millisecond || d > 30*time.Second {
				return fmt.Errorf("%sTIMEOUT %q: want a duration from 100ms to 30s, such as 3s", prefix, t)
			}
			cfg.Timeout = d
		}
		if cfg.BaseURL == "" {
			// A setting of a register without its URL configures nothing: a
			// mistake (the URL's name misspelt, or left out), not to be ignored.
			for _, name := range []string{"API_KEY", "CERT", "KEY", "CA", "TIMEOUT"} {
				if getenv(prefix+name) != "" || (name == "API_KEY" && cfg.APIKey != "") {
					return fmt.Errorf("%s%s is set without %sURL: set the register's URL, or leave its other settings unset", prefix, name, prefix)
				}
			}
			continue
		}
		x, err := r.open(cfg)
		if err != nil {
			return fmt.Errorf("%s: %w", prefix+"URL", err)
		}
		byCountry[r.country] = x
	}
	for _, country := range strings.Split(getenv("CASHIER_EXCLUSIONS_NONE"), ",") {
		if country = strings.ToUpper(strings.TrimSpace(country)); country == "" {
			continue
		}
		if _, ok := models.Markets[country]; !ok {
			return fmt.Errorf("CASHIER_EXCLUSIONS_NONE: %q is not a market we serve (%s)", country, strings.Join(slices.Sorted(maps.Keys(models.Markets)), ", "))
		}
		x, dup := byCountry[country]
		switch _, none := x.(exclusions.None); {
		case none:
			return fmt.Errorf("CASHIER_EXCLUSIONS_NONE: %s is named twice", country)
		case dup:
			return fmt.Errorf("CASHIER_EXCLUSIONS_NONE: %s has a register configured", country)
		}
		byCountry[country] = exclusions.None{}
	}
	if c.Sandbox() {
		// The registers read above are not used, but a mistake in their settings
		// has stopped the start as it would with Trustly.
		c.Exclusions = exclusions.Sandbox()
		return nil
	}
	var missing []string
	for _, country := range paynplay.Markets {
		if _, ok := byCountry[country]; modes.Enabled(country) && !ok {
			missing = append(missing, country)
		}
	}
	if missing != nil {
		return fmt.Errorf("CASHIER_PAYNPLAY is on in %s without a self-exclusion register: configure one "+
			"(CASHIER_SPELPAUS_URL, CASHIER_CRUKS_URL, CASHIER_EE_EXCLUSIONS_URL) or name the market in CASHIER_EXCLUSIONS_NONE",
			strings.Join(missing, ", "))
	}
	router, err := exclusions.NewRouter(byCountry)
	if err != nil {
		return err
	}
	c.Exclusions = router
	return nil
}
