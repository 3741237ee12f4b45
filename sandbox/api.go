package sandbox

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/trustly-cashier/cashier/trustly"
)

// apiError is a JSON-RPC error the sandbox answers with.
type apiError struct {
	code   int
	detail string // for the log only
}

func fail(code int, detail string) *apiError { return &apiError{code: code, detail: detail} }

// call is one verified request on its way through the checks of API.md §7.
type call struct {
	method string
	uuid   string
	data   map[string]any
	attrs  map[string]any // {} when Attributes is missing or null
	log    *slog.Logger
}

// str returns a Data field as text; absent and null are "".
func (c *call) str(key string) string { return text(c.data[key]) }

// attr returns an Attributes field as text; absent and null are "".
func (c *call) attr(key string) string { return text(c.attrs[key]) }

func text(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return string(v)
	}
	return ""
}

// flag reads a "1"/"0" attribute; PHP sends the integers 1 and 0 (API.md §12.2).
func (c *call) flag(key string) (bool, *apiError) {
	switch c.attr(key) {
	case "", "0":
		return false, nil
	case "1":
		return true, nil
	}
	return false, fail(trustly.CodeInvalidParameters, key+" must be \"1\" or \"0\"")
}

// methodSpec describes one API method: its Data keys (for the casing check), which
// are required, its Attributes keys, and the code that runs it after the common checks.
type methodSpec struct {
	keys      []string // known Data keys besides Username, Password, Attributes
	required  []string // must be present and non-empty
	present   []string // must be present, may be "" (RegisterAccount's BankNumber, Lastname)
	attrs     []string // known Attributes keys
	attrsReq  []string
	messageID bool // counts toward PayoutCalls (AccountPayout only)
	polled    bool // Balance and GetWithdrawals: noted by notePoll (PollEvery)
	formats   func(s *Sandbox, c *call) *apiError
	run       func(s *Sandbox, ctx context.Context, c *call) (any, *apiError)
}

// Sandbox-only attributes, accepted on every method with Attributes.
var sandboxAttrs = []string{"SandboxScenario", "SandboxAutoComplete", "SandboxDuplicate", "SandboxShuffle", "SandboxDelay",
	"SandboxPerson", "SandboxKYCTimeout", "SandboxKYCResend"}

// methods are the API methods the sandbox answers; any other, Withdraw included,
// gets ERROR_INVALID_FUNCTION like an unknown method.
func (s *Sandbox) methods() map[string]*methodSpec {
	return map[string]*methodSpec{
		"Deposit":         depositSpec,
		"SelectAccount":   selectAccountSpec,
		"AccountPayout":   accountPayoutSpec,
		"Refund":          refundSpec,
		"RegisterAccount": registerAccountSpec,
		"GetWithdrawals":  getWithdrawalsSpec,
		"AccountLedger":   accountLedgerSpec,
		"Balance":         balanceSpec,
		// Withdraw is not offered, so no order is one of theirs: ERROR_NOT_FOUND,
		// what Trustly's test environment answers for an unknown order (API.md §11).
		"ApproveWithdrawal": withdrawalDecisionSpec,
		"DenyWithdrawal":    withdrawalDecisionSpec,
	}
}

var withdrawalDecisionSpec = &methodSpec{
	keys:     []string{"OrderID"},
	required: []string{"OrderID"},
	run: func(s *Sandbox, ctx context.Context, c *call) (any, *apiError) {
		return nil, fail(trustly.CodeNotFound, "no Withdraw order "+c.str("OrderID"))
	},
}

func (s *Sandbox) serveAPI(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		s.writeError(w, "", "", fail(trustly.CodeUnknown, "read body: "+err.Error()))
		return
	}
	m, err := trustly.ParseMessage(raw)
	if err != nil || m.Kind != trustly.KindRequest {
		detail := "not a request"
		if err != nil {
			detail = err.Error()
		}
		s.writeError(w, "", "", fail(trustly.CodeUnknown, detail)) // §2.3: uuid and method null
		return
	}
	data, ok := m.Data.(map[string]any)
	if !ok || m.Method == "" || m.UUID == "" {
		s.writeError(w, m.Method, m.UUID, fail(trustly.CodeUnknown, "params.Data, method and UUID are required"))
		return
	}
	log := s.log.With("api_method", m.Method, "api_uuid", m.UUID)
	c := &call{method: m.Method, uuid: m.UUID, data: data, log: log}
	// A call that arrived is carried out to the end, as at Trustly, even when its
	// caller stops waiting for the answer: only the answer is lost.
	result, aerr := s.handle(context.WithoutCancel(r.Context()), m, c)
	if c.attr("SandboxScenario") == string(ScenarioSlowAPI) {
		log.Info("slow-api: holding the response", "delay", s.cfg.SlowAPIDelay)
		select {
		case <-time.After(s.cfg.SlowAPIDelay):
		case <-r.Context().Done():
			return
		}
	}
	if aerr != nil {
		log.Info("api error", "code", aerr.code, "detail", aerr.detail)
		s.writeError(w, m.Method, m.UUID, aerr)
		return
	}
	body, err := trustly.EncodeResult(s.key, m.Method, m.UUID, result)
	if err != nil {
		log.Error("encode result", "err", err)
		s.writeError(w, m.Method, m.UUID, fail(trustly.CodeUnknown, err.Error()))
		return
	}
	writeJSON(w, body)
}

// handle runs the checks in API.md §7's order and then the method.
func (s *Sandbox) handle(ctx context.Context, m *trustly.Message, c *call) (any, *apiError) {
	spec, known := s.methods()[c.method]
	if !known {
		return nil, fail(trustly.CodeInvalidFunction, "unknown method "+c.method)
	}
	user, pass := c.str("Username"), c.str("Password")
	if subtle.ConstantTimeCompare([]byte(user), []byte(s.cfg.Username)) != 1 ||
		subtle.ConstantTimeCompare([]byte(pass), []byte(s.cfg.Password)) != 1 {
		return nil, fail(trustly.CodeInvalidCredentials, "wrong username or password")
	}
	hasBool, err := s.verifyRequest(m)
	if err != nil {
		return nil, fail(trustly.CodeUnableToVerifyRSASignature, err.Error())
	}
	if aerr := s.useUUID(ctx, c.uuid); aerr != nil {
		return nil, aerr
	}
	if spec.messageID {
		s.countPayoutCall(ctx, c.str("MessageID"))
	}
	if spec.polled {
		s.notePoll(ctx, c)
	}
	if _, err := uuid.Parse(c.uuid); err != nil || !uuidText.MatchString(c.uuid) {
		return nil, fail(trustly.CodeInvalidParameters, "UUID is not a UUID")
	}
	if hasBool {
		return nil, fail(trustly.CodeInvalidParameters, "JSON booleans are not allowed; send \"1\" or \"0\"")
	}
	if aerr := checkFields(spec, c); aerr != nil {
		return nil, aerr
	}
	if spec.formats != nil {
		if aerr := spec.formats(s, c); aerr != nil {
			return nil, aerr
		}
	}
	return spec.run(s, ctx, c)
}

// uuidText is a UUID's RFC 4122 text form, of any version; uuid.Parse also reads it
// without dashes, in braces and as a URN.
var uuidText = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// verifyRequest checks the merchant's signature. A request holding JSON booleans
// cannot be serialized by Trustly's rules; it is checked with the forms the official
// clients use for them, so that a correctly signed one then gets 623, not 636.
func (s *Sandbox) verifyRequest(m *trustly.Message) (hasBool bool, err error) {
	if !containsBool(m.Data) {
		return false, m.Verify(s.cfg.MerchantKey)
	}
	for _, f := range [][2]string{{"1", ""}, {"true", "false"}, {"True", "False"}, {"1", "0"}} {
		if trustly.Verify(s.cfg.MerchantKey, m.Method, m.UUID, replaceBools(m.Data, f), m.Signature) == nil {
			return true, nil
		}
	}
	return true, trustly.ErrBadSignature
}

func containsBool(v any) bool {
	switch v := v.(type) {
	case bool:
		return true
	case map[string]any:
		for _, e := range v {
			if containsBool(e) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if containsBool(e) {
				return true
			}
		}
	}
	return false
}

func replaceBools(v any, forms [2]string) any {
	switch v := v.(type) {
	case bool:
		if v {
			return forms[0]
		}
		return forms[1]
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = replaceBools(e, forms)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = replaceBools(e, forms)
		}
		return out
	}
	return v
}

func (s *Sandbox) useUUID(ctx context.Context, id string) *apiError {
	var stored int64
	err := s.writeTx(ctx, func(tx *gorm.DB) error {
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&UsedUUID{UUID: id, CreatedAt: s.now()})
		stored = res.RowsAffected
		return res.Error
	})
	if err != nil {
		return fail(trustly.CodeUnknown, "store uuid: "+err.Error())
	}
	if stored == 0 {
		return fail(trustly.CodeDuplicateUUID, "uuid "+id+" was used before")
	}
	return nil
}

func (s *Sandbox) countPayoutCall(ctx context.Context, messageID string) {
	if messageID == "" {
		return
	}
	err := s.writeTx(ctx, func(tx *gorm.DB) error {
		return tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "message_id"}},
			DoUpdates: clause.Assignments(map[string]any{"calls": gorm.Expr("calls + 1")}),
		}).Create(&PayoutCall{MessageID: messageID, Calls: 1}).Error
	})
	if err != nil {
		s.log.Error("count payout call", "message_id", messageID, "err", err)
	}
}

// notePoll records a Balance or GetWithdrawals request (PolledCall), and marks and
// logs it when it came within PollEvery of the previous one with the same key.
// It is still answered: what Trustly answers a merchant who asks too often is not
// known (API.md §4.6, §4.8 give the limit only).
func (s *Sandbox) notePoll(ctx context.Context, c *call) {
	key, _ := c.data["OrderID"].(string)
	now := s.cfg.LimitNow().UTC()
	call := PolledCall{Method: c.method, Key: key, At: now}
	err := s.writeTx(ctx, func(tx *gorm.DB) error {
		var prev PolledCall
		switch err := tx.Where("method = ? AND call_key = ?", c.method, key).Order("at DESC, id DESC").Take(&prev).Error; {
		case err == nil:
			call.Previous, call.TooOften = &prev.At, now.Sub(prev.At) < PollEvery
		case !isNotFound(err):
			return err
		}
		return tx.Create(&call).Error
	})
	switch {
	case err != nil:
		c.log.Error("record polled call", "err", err)
	case call.TooOften:
		c.log.Warn("called more often than Trustly allows", "order_id", key, "since_previous", now.Sub(*call.Previous).String(),
			"allowed_every", PollEvery.String())
	}
}

// checkFields enforces casing, presence and value types (623, 696, 697).
func checkFields(spec *methodSpec, c *call) *apiError {
	known := append([]string{"Username", "Password", "Attributes"}, spec.keys...)
	if aerr := checkCasing(c.data, known, ""); aerr != nil {
		return aerr
	}
	switch a := c.data["Attributes"].(type) {
	case nil:
		c.attrs = map[string]any{} // PHP and Python leave an empty Attributes out (§12.2)
	case map[string]any:
		c.attrs = a
	default:
		return fail(trustly.CodeInvalidParameters, "Attributes is not an object")
	}
	if spec.attrs != nil {
		known := append(slices.Clone(spec.attrs), sandboxAttrs...)
		if aerr := checkCasing(c.attrs, known, "Attributes."); aerr != nil {
			return aerr
		}
		if aerr := checkAttrTypes(c.attrs, known); aerr != nil {
			return aerr
		}
	}
	for k, v := range c.data {
		if k == "Attributes" {
			continue
		}
		if !scalar(v) {
			return fail(trustly.CodeInvalidParameters, k+" must be a string")
		}
	}
	for _, k := range spec.required {
		if c.str(k) == "" {
			switch k {
			case "EndUserID":
				return fail(trustly.CodeEndUserIDIsNull, "EndUserID is missing")
			case "MessageID":
				return fail(trustly.CodeMessageIDIsNull, "MessageID is missing")
			}
			return fail(trustly.CodeInvalidParameters, k+" is missing")
		}
	}
	for _, k := range spec.present {
		switch c.data[k].(type) {
		case string, json.Number: // an integer is accepted as its text (API.md §0 rule 5)
		default:
			return fail(trustly.CodeInvalidParameters, k+" is missing")
		}
	}
	for _, k := range spec.attrsReq {
		if c.attr(k) == "" {
			return fail(trustly.CodeInvalidParameters, "Attributes."+k+" is missing")
		}
	}
	return nil
}

// objectAttrs are the attributes Trustly defines as objects (API.md §4.1, §4.2).
var objectAttrs = []string{"SenderInformation", "RecipientInformation"}

// checkAttrTypes refuses a known attribute of the wrong JSON type (623): text where
// Trustly defines text, so that an Amount sent as an object is not taken for an
// Amount left out, and an object where it defines an object. Attributes the sandbox
// does not know may hold anything; null is an attribute left out.
func checkAttrTypes(attrs map[string]any, known []string) *apiError {
	for k, v := range attrs {
		if v == nil || !slices.Contains(known, k) {
			continue
		}
		if slices.Contains(objectAttrs, k) {
			if _, ok := v.(map[string]any); !ok {
				return fail(trustly.CodeInvalidParameters, "Attributes."+k+" must be an object")
			}
			continue
		}
		if !scalar(v) {
			return fail(trustly.CodeInvalidParameters, "Attributes."+k+" must be a string")
		}
	}
	return nil
}

// checkCasing refuses a key that differs from a known key only in case: EndUserId,
// AccountId (623). Keys the sandbox does not know at all are accepted.
func checkCasing(obj map[string]any, known []string, prefix string) *apiError {
	for k := range obj {
		if slices.Contains(known, k) {
			continue // AddressPostalcode and AddressPostalCode are both known
		}
		for _, want := range known {
			if k != want && strings.EqualFold(k, want) {
				return fail(trustly.CodeInvalidParameters, prefix+k+" must be spelled "+want)
			}
		}
	}
	return nil
}

func scalar(v any) bool {
	switch v.(type) {
	case nil, string, json.Number:
		return true
	}
	return false
}

func (s *Sandbox) writeError(w http.ResponseWriter, method, id string, e *apiError) {
	body, err := trustly.EncodeError(s.key, method, id, e.code, "")
	if err != nil {
		body = trustly.EncodeUnsignedError(e.code, "")
	}
	writeJSON(w, body)
}

func writeJSON(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// isNotFound reports a missing row.
func isNotFound(err error) bool { return errors.Is(err, gorm.ErrRecordNotFound) }
