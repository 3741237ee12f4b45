// Package views renders the cashier's pages with templ. A page component takes one
// struct holding exactly what it shows, already formatted for people; views never
// fetch data. Elements that tests look for carry a data-testid.
package views

// Chrome is what the frame around every page shows. Handlers fill it from the
// request (see handlers.chrome) and embed it in each page struct.
type Chrome struct {
	CSRF     string // the CSRF token, for the sign-out form in the header
	SignedIn bool   // someone is signed in: the navigation shows the cashier's pages
	Admin    bool   // the signed-in person may use the back office
	Flash    string // a one-time message from the previous request: "You are signed out."
	Current  string // the path whose navigation link is marked as the current page
}

// Country is one choice in the country select.
type Country struct {
	Code     string // ISO 3166-1 alpha-2: "SE"
	Name     string // "Sweden"
	Currency string // the wallet currency that goes with it: "SEK"
}

// RegisterPage is the registration form, empty or as the person typed it.
type RegisterPage struct {
	Chrome
	Email, FirstName, LastName string
	Country                    string // the selected code
	Currency                   string // the currency of the selected country
	Countries                  []Country
	Problem                    string // one sentence on what to fix; empty on first view
	Field                      string // the field the problem concerns: "email", "password", "name", "country"
}

// LoginPage is the sign-in form.
type LoginPage struct {
	Chrome
	Email   string
	Next    string // where to go after signing in; a local path
	Problem string
}

// CashierPage is the signed-in player's home: who they are and what they have.
type CashierPage struct {
	Chrome
	Name    string // "Anna Andersson"
	Balance string // "1 250,00 SEK"
}

// AdminPage is the back office's home.
type AdminPage struct {
	Chrome
}

// ErrorPage explains a failed request in one sentence. RequestID lets support find
// the details in the log.
type ErrorPage struct {
	Chrome
	Status    int
	Title     string // "Page not found"
	Message   string // a full sentence for people
	RequestID string
}
