package models

// Problem is an error meant for the player or staff member: its Message is a full
// sentence that can be shown as it is. Any other error shows a generic page and its
// details go only to the log.
type Problem struct {
	Message string
	Field   string // the form field it concerns, if any
}

func (p *Problem) Error() string { return p.Message }

// Problemf returns a Problem with the given sentence.
func Problemf(field, message string) *Problem { return &Problem{Field: field, Message: message} }
