package trustly

import (
	"errors"
	"fmt"
)

// Error is a JSON-RPC error from Trustly (or from the sandbox playing Trustly). Find
// it with errors.As; Code is one of the Code… constants, or another number Trustly
// sent. Signed is false for errors that came without a signature (they cannot be
// trusted to come from Trustly and mostly mean the request was unreadable).
type Error struct {
	Code    int
	Message string // the symbolic name, such as "ERROR_INVALID_CREDENTIALS"
	Method  string
	UUID    string
	Signed  bool
}

func (e *Error) Error() string {
	s := "unsigned "
	if e.Signed {
		s = ""
	}
	return fmt.Sprintf("trustly %serror %d %s", s, e.Code, e.Message)
}

// Trustly's error codes (API.md §7). The last three are the sandbox's own numbers
// for errors Trustly names without publishing a code.
const (
	CodeFunctionAccessDenied       = 602
	CodeHostAccessDenied           = 607
	CodeInvalidAmount              = 615
	CodeInvalidCredentials         = 616
	CodeUnknown                    = 620
	CodeInvalidCurrencyCode        = 622
	CodeInvalidParameters          = 623
	CodeInvalidBankAccountNumber   = 624
	CodeUnableToVerifyRSASignature = 636
	CodeDuplicateMessageID         = 637
	CodeEndUserIsBlocked           = 638
	CodeNoPublicKey                = 639
	CodeInvalidEmail               = 642
	CodeInvalidLocale              = 645
	CodeInvalidOrderID             = 655
	CodeDuplicateUUID              = 688
	CodeEndUserIDIsNull            = 696
	CodeMessageIDIsNull            = 697
	CodeInvalidIP                  = 698
	CodeMalformedSuccessURL        = 700
	CodeMalformedFailURL           = 701
	CodeMalformedTemplateURL       = 702
	CodeMalformedURLTarget         = 703
	CodeMalformedMessageID         = 704
	CodeMalformedNotificationURL   = 705
	CodeMalformedEndUserID         = 706
	CodeDirectDebitNotAllowed      = 712
	CodeInvalidOrderAttribute      = 717
	CodeDisabledUser               = 718
	CodePayAndPlayNotAllowed       = 732
	CodeNotSecureNotificationURL   = 734
	CodeInvalidCountry             = 737
	CodeNotFound                   = 990 // sandbox's number for ERROR_NOT_FOUND
	CodeInvalidFunction            = 991 // sandbox's number for ERROR_INVALID_FUNCTION
	CodeInsufficientFunds          = 992 // sandbox's number for a payout the merchant balance cannot cover
)

// ErrorNames maps each known code to Trustly's symbolic name.
var ErrorNames = map[int]string{
	CodeFunctionAccessDenied:       "ERROR_FUNCTION_ACCESS_DENIED",
	CodeHostAccessDenied:           "ERROR_HOST_ACCESS_DENIED",
	CodeInvalidAmount:              "ERROR_INVALID_AMOUNT",
	CodeInvalidCredentials:         "ERROR_INVALID_CREDENTIALS",
	CodeUnknown:                    "ERROR_UNKNOWN",
	CodeInvalidCurrencyCode:        "ERROR_INVALID_CURRENCY_CODE",
	CodeInvalidParameters:          "ERROR_INVALID_PARAMETERS",
	CodeInvalidBankAccountNumber:   "ERROR_INVALID_BANK_ACCOUNT_NUMBER",
	CodeUnableToVerifyRSASignature: "ERROR_UNABLE_TO_VERIFY_RSA_SIGNATURE",
	CodeDuplicateMessageID:         "ERROR_DUPLICATE_MESSAGE_ID",
	CodeEndUserIsBlocked:           "ERROR_ENDUSER_IS_BLOCKED",
	CodeNoPublicKey:                "ERROR_NO_PUBLIC_KEY",
	CodeInvalidEmail:               "ERROR_INVALID_EMAIL",
	CodeInvalidLocale:              "ERROR_INVALID_LOCALE",
	CodeInvalidOrderID:             "ERROR_INVALID_ORDER_ID",
	CodeDuplicateUUID:              "ERROR_DUPLICATE_UUID",
	CodeEndUserIDIsNull:            "ERROR_ENDUSERID_IS_NULL",
	CodeMessageIDIsNull:            "ERROR_MESSAGEID_IS_NULL",
	CodeInvalidIP:                  "ERROR_INVALID_IP",
	CodeMalformedSuccessURL:        "ERROR_MALFORMED_SUCCESSURL",
	CodeMalformedFailURL:           "ERROR_MALFORMED_FAILURL",
	CodeMalformedTemplateURL:       "ERROR_MALFORMED_TEMPLATEURL",
	CodeMalformedURLTarget:         "ERROR_MALFORMED_URLTARGET",
	CodeMalformedMessageID:         "ERROR_MALFORMED_MESSAGEID",
	CodeMalformedNotificationURL:   "ERROR_MALFORMED_NOTIFICATIONURL",
	CodeMalformedEndUserID:         "ERROR_MALFORMED_ENDUSERID",
	CodeDirectDebitNotAllowed:      "ERROR_DIRECT_DEBIT_NOT_ALLOWED",
	CodeInvalidOrderAttribute:      "ERROR_INVALID_ORDER_ATTRIBUTE",
	CodeDisabledUser:               "ERROR_DISABLED_USER",
	CodePayAndPlayNotAllowed:       "ERROR_PAY_AND_PLAY_NOT_ALLOWED",
	CodeNotSecureNotificationURL:   "ERROR_NOT_SECURE_NOTIFICATIONURL",
	CodeInvalidCountry:             "ERROR_INVALID_COUNTRY",
	CodeNotFound:                   "ERROR_NOT_FOUND",
	CodeInvalidFunction:            "ERROR_INVALID_FUNCTION",
	CodeInsufficientFunds:          "ERROR_INSUFFICIENT_FUNDS",
}

// ErrorName is the symbolic name for code, or "ERROR_UNKNOWN".
func ErrorName(code int) string {
	if n, ok := ErrorNames[code]; ok {
		return n
	}
	return "ERROR_UNKNOWN"
}

// IsCode reports whether err is a Trustly error with the given code.
func IsCode(err error, code int) bool {
	var te *Error
	return errors.As(err, &te) && te.Code == code
}

// Failures of the client itself, named so callers can act on them.
var (
	// ErrRefused means Trustly answered a well-formed, verified result whose
	// data.result is "0": the request was not accepted.
	ErrRefused = errors.New("trustly refused the request (result 0)")
	// ErrMismatch means the response's uuid or method differs from the request's.
	ErrMismatch = errors.New("response does not match the request")
	// ErrInvalidParams means the client refused to send a request that lacks a
	// required field or has one in the wrong format; nothing was sent.
	ErrInvalidParams = errors.New("invalid request parameters")
	// ErrOutcomeUnknown means the request was sent but no trustworthy answer came
	// back (timeout, network failure, unreadable or unverifiable response): Trustly
	// may have carried it out. Resend a payout or refund only under the same MessageID.
	ErrOutcomeUnknown = errors.New("outcome unknown")
)
