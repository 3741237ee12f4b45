package exclusions

import (
	"context"
	"fmt"
	"time"
)

// The three register adapters below speak a stand-in wire shape (see the package
// comment): a POST of one JSON object to a path under Config.BaseURL, answered 200
// with one JSON object holding the exclusion flag and a reference. Adapting one to
// an operator's contract means changing its path, request and answer types here;
// the shared client keeps timeouts, credentials and failing closed.

// Spelpaus asks Sweden's self-exclusion register (spelpaus.se, run by
// Spelinspektionen) by personnummer.
//
// Stand-in wire shape:
//
//	POST {base}/v1/blocking-status  {"personalIdentityNumber":"197901311234"}
//	200 {"blocked":true,"reference":"sp-4f1c…"}
type Spelpaus struct{ c *client }

// NewSpelpaus checks cfg and returns the adapter; it loads the client certificate
// now, so a bad path fails at start-up rather than at a player's first deposit.
func NewSpelpaus(cfg Config) (*Spelpaus, error) {
	c, err := newClient(NameSpelpaus, cfg)
	if err != nil {
		return nil, err
	}
	return &Spelpaus{c: c}, nil
}

// Check asks Spelpaus about p, who needs a 12-digit personnummer.
func (s *Spelpaus) Check(ctx context.Context, p Person) (Result, error) {
	if !digits(p.PersonID, 12) {
		return Result{}, fmt.Errorf("%w: Spelpaus needs a 12-digit personnummer", ErrIncomplete)
	}
	var out struct {
		Blocked   *bool  `json:"blocked"`
		Reference string `json:"reference"`
	}
	if err := s.c.post(ctx, "v1/blocking-status", map[string]string{"personalIdentityNumber": p.PersonID}, &out); err != nil {
		return Result{}, err
	}
	return s.c.answer(out.Blocked, out.Reference)
}

// CRUKS asks the Dutch Central Register Exclusion Games of Chance (Kansspelautoriteit).
// The real register is keyed on the BSN, or for a person without one on name and
// date of birth; Trustly's kyc gives no BSN, so the cashier sends name and date of
// birth unless the operator holds a BSN.
//
// Stand-in wire shape:
//
//	POST {base}/v1/registrations/check
//	     {"bsn":"123456782"}  or  {"firstName":"Jan","lastName":"de Vries","dateOfBirth":"1975-07-14"}
//	200 {"registered":false,"reference":"cruks-88a1…"}
type CRUKS struct{ c *client }

// NewCRUKS checks cfg and returns the adapter.
func NewCRUKS(cfg Config) (*CRUKS, error) {
	c, err := newClient(NameCRUKS, cfg)
	if err != nil {
		return nil, err
	}
	return &CRUKS{c: c}, nil
}

// Check asks CRUKS about p, by BSN (9 digits in PersonID) or else by name and date of
// birth, all three required.
func (k *CRUKS) Check(ctx context.Context, p Person) (Result, error) {
	req := map[string]string{}
	switch {
	case p.PersonID != "":
		if !digits(p.PersonID, 9) {
			return Result{}, fmt.Errorf("%w: a BSN has 9 digits", ErrIncomplete)
		}
		req["bsn"] = p.PersonID
	case p.FirstName == "" || p.LastName == "" || !date(p.DOB):
		return Result{}, fmt.Errorf("%w: CRUKS needs a BSN or a name and date of birth", ErrIncomplete)
	default:
		req["firstName"], req["lastName"], req["dateOfBirth"] = p.FirstName, p.LastName, p.DOB
	}
	var out struct {
		Registered *bool  `json:"registered"`
		Reference  string `json:"reference"`
	}
	if err := k.c.post(ctx, "v1/registrations/check", req, &out); err != nil {
		return Result{}, err
	}
	return k.c.answer(out.Registered, out.Reference)
}

// Estonia asks the Estonian Tax and Customs Board's register of persons restricted
// from gambling, by isikukood.
//
// Stand-in wire shape:
//
//	POST {base}/v1/restrictions/check  {"personalCode":"38001085718"}
//	200 {"restricted":true,"reference":"ee-7d2e…"}
type Estonia struct{ c *client }

// NewEstonia checks cfg and returns the adapter.
func NewEstonia(cfg Config) (*Estonia, error) {
	c, err := newClient(NameEstonia, cfg)
	if err != nil {
		return nil, err
	}
	return &Estonia{c: c}, nil
}

// Check asks the Estonian register about p, who needs an 11-digit isikukood.
func (e *Estonia) Check(ctx context.Context, p Person) (Result, error) {
	if !digits(p.PersonID, 11) {
		return Result{}, fmt.Errorf("%w: the Estonian register needs an 11-digit isikukood", ErrIncomplete)
	}
	var out struct {
		Restricted *bool  `json:"restricted"`
		Reference  string `json:"reference"`
	}
	if err := e.c.post(ctx, "v1/restrictions/check", map[string]string{"personalCode": p.PersonID}, &out); err != nil {
		return Result{}, err
	}
	return e.c.answer(out.Restricted, out.Reference)
}

func digits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func date(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}
