package models

// Problem is an error meant for the player or staff member: its Message is a full
// English sentence that can be shown as it is. ID, when set, names the same
// sentence in the message files (package lang) and Args fill its placeholders,
// given as name, value pairs ("Amount", a Money), so the player reads it in their
// language; Message stays the fallback. Any other error shows a generic page and
// its details go only to the log.
type Problem struct {
	Message string
	Field   string // the form field it concerns, if any
	ID      string // the message id: "deposit.limits"; "" for English only
	Args    []any  // name, value pairs for the message's placeholders
}

func (p *Problem) Error() string { return p.Message }

// Problemf returns a Problem with the given sentence.
func Problemf(field, message string) *Problem { return &Problem{Field: field, Message: message} }

// ProblemT returns a Problem with the English sentence message, and the message id
// and arguments that translate it.
func ProblemT(field, id, message string, args ...any) *Problem {
	return &Problem{Field: field, Message: message, ID: id, Args: args}
}

// Text is a sentence for people that is translated where it is shown: a message id
// and its arguments, as name, value pairs. As an argument of another message it is
// translated first.
type Text struct {
	ID   string
	Args []any
}

// CountryName is a country code (ISO 3166-1 alpha-2) standing in a message for the
// country's name, which is translated where it is shown.
type CountryName string
