// Package lang speaks to players in their language: the message files of every
// language (messages/*.json, one per language, every one with the same ids), which
// language a request gets, and amounts and times written as people of that language
// and market expect them. It imports models only; views and handlers use it.
package lang

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // the markets' time zones on a machine without a zoneinfo database

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/trustly-cashier/cashier/models"
	"golang.org/x/text/collate"
	"golang.org/x/text/currency"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"
)

// Languages the cashier speaks, English first: it is the fallback text of every
// message and the language of a request that asks for none. Names are each
// language's own name for itself, for the language picker.
var Languages = []struct{ Code, Name string }{
	{"en", "English"},
	{"sv", "Svenska"},
	{"fi", "Suomi"},
	{"et", "Eesti"},
	{"nl", "Nederlands"},
}

// Default is the language of a request that asks for none of ours.
const Default = "en"

//go:embed messages/*.json
var files embed.FS

var (
	bundle  = i18n.NewBundle(language.English)
	matcher language.Matcher
	cache   = map[string]*Localizer{}
	// zones are the markets' time zones, loaded once (Zone); zoned holds the
	// Localizer of each language in each of them (For).
	zones = map[string]*time.Location{}
	zoned sync.Map // zonedKey → *Localizer
)

type zonedKey struct {
	code string
	zone *time.Location
}

func init() {
	tags := make([]language.Tag, len(Languages))
	for i, l := range Languages {
		tags[i] = language.MustParse(l.Code)
		if _, err := bundle.LoadMessageFileFS(files, "messages/"+l.Code+".json"); err != nil {
			panic(fmt.Sprintf("lang: %v", err))
		}
	}
	matcher = language.NewMatcher(tags)
	for i, l := range Languages {
		loc := newLocalizer(l.Code, tags[i])
		msgs, err := compile(l.Code)
		if err != nil {
			panic(fmt.Sprintf("lang: %v", err))
		}
		loc.msgs = msgs
		cache[l.Code] = loc
	}
	for country, m := range markets {
		if loc, err := time.LoadLocation(m.Zone); err == nil {
			zones[country] = loc
		}
	}
}

// compiled is a message of one language whose only template actions are
// placeholders ({{.Name}}), written by T without go-i18n's template execution:
// the text between them, and their names.
type compiled struct {
	text  []string // len(names)+1 pieces around the placeholders
	names []string
}

// action is one {{…}} of a message; a placeholder is {{.Name}}.
var action = regexp.MustCompile(`{{(.*?)}}`)

// messages is the message file of language code as JSON values by id: a string,
// or a plural message's forms.
func messages(code string) (map[string]any, error) {
	raw, err := fs.ReadFile(files, path.Join("messages", code+".json"))
	if err != nil {
		return nil, err
	}
	var all map[string]any
	if err := json.Unmarshal(raw, &all); err != nil {
		return nil, fmt.Errorf("messages/%s.json: %w", code, err)
	}
	return all, nil
}

// compile reads the messages of language code that T writes itself: every one
// that is a single string with no other template action than placeholders.
// Plural messages, and any other action, are left to go-i18n.
func compile(code string) (map[string]compiled, error) {
	all, err := messages(code)
	if err != nil {
		return nil, err
	}
	out := make(map[string]compiled, len(all))
next:
	for id, v := range all {
		s, ok := v.(string)
		if !ok || s == "" {
			continue
		}
		var m compiled
		rest := s
		for _, loc := range action.FindAllStringSubmatchIndex(s, -1) {
			name := s[loc[2]:loc[3]]
			if !isPlaceholder(name) {
				continue next
			}
			start := len(s) - len(rest)
			m.text = append(m.text, s[start:loc[0]])
			m.names = append(m.names, name[1:])
			rest = s[loc[1]:]
		}
		m.text = append(m.text, rest)
		out[id] = m
	}
	return out, nil
}

// isPlaceholder reports whether a template action is ".Name", a field of the
// data and nothing else.
func isPlaceholder(a string) bool {
	if len(a) < 2 || a[0] != '.' {
		return false
	}
	for _, r := range a[1:] {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// Supported reports whether code is one of Languages.
func Supported(code string) bool {
	_, ok := cache[code]
	return ok
}

// Match picks one of Languages for an Accept-Language header: ok is false when
// the header is empty or names none of them (not even a regional variant such as
// sv-FI), so the caller can fall back to the market's language.
func Match(acceptLanguage string) (code string, ok bool) {
	if strings.TrimSpace(acceptLanguage) == "" {
		return "", false
	}
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return "", false
	}
	_, i, conf := matcher.Match(tags...)
	if conf == language.No {
		return "", false
	}
	return Languages[i].Code, true
}

// Markets' languages and time zones. A market whose language we do not speak is
// shown in English.
var markets = map[string]struct{ Lang, Zone string }{
	"SE": {"sv", "Europe/Stockholm"},
	"FI": {"fi", "Europe/Helsinki"},
	"EE": {"et", "Europe/Tallinn"},
	"NL": {"nl", "Europe/Amsterdam"},
	"LV": {"en", "Europe/Riga"},
	"LT": {"en", "Europe/Vilnius"},
	"DE": {"en", "Europe/Berlin"},
	"ES": {"en", "Europe/Madrid"},
	"NO": {"en", "Europe/Oslo"},
	"DK": {"en", "Europe/Copenhagen"},
}

// MarketLanguage is the language of a market (ISO 3166-1 alpha-2), English for
// one whose language we do not speak.
func MarketLanguage(country string) string {
	if m, ok := markets[country]; ok {
		return m.Lang
	}
	return Default
}

// Zone is the time zone the players of a market see times in; UTC for a market
// we do not know.
func Zone(country string) *time.Location {
	if loc, ok := zones[country]; ok {
		return loc
	}
	return time.UTC
}

// Localizer writes messages, amounts and times in one language and time zone. The
// zero value is not usable; get one from For. It is safe for concurrent use.
type Localizer struct {
	Code    string // "sv"
	tag     language.Tag
	loc     *i18n.Localizer
	printer *message.Printer
	zone    *time.Location
	decimal string // the decimal separator: "," or "."
	// group separates the thousands of an amount's whole units, from groupFrom
	// digits on ("1 000" in Swedish, but "1000" and "10 000" in Estonian).
	group     string
	groupFrom int
	symbols   *sync.Map           // currency code → symbol in this language
	collators *sync.Pool          // *collate.Collator of this language (Compare)
	msgs      map[string]compiled // the messages T writes itself (compile)
}

func newLocalizer(code string, tag language.Tag) *Localizer {
	l := &Localizer{Code: code, tag: tag, loc: i18n.NewLocalizer(bundle, code), printer: message.NewPrinter(tag), zone: time.UTC,
		symbols: &sync.Map{}}
	l.collators = &sync.Pool{New: func() any { return collate.New(tag) }}
	zero := l.printer.Sprint(number.Decimal(0, number.Scale(2)))
	l.decimal = string([]rune(zero)[1])
	// The grouping as golang.org/x/text writes whole numbers in this language
	// (TestMoneyIsXText compares the two).
	if ten := l.printer.Sprint(number.Decimal(10000)); strings.HasPrefix(ten, "10") && strings.HasSuffix(ten, "000") {
		l.group, l.groupFrom = strings.TrimSuffix(strings.TrimPrefix(ten, "10"), "000"), 5
		if l.printer.Sprint(number.Decimal(1000)) != "1000" {
			l.groupFrom = 4
		}
	}
	return l
}

// For is the Localizer of language code (English when code is not one of
// Languages) showing times in zone (UTC when nil).
func For(code string, zone *time.Location) *Localizer {
	l, ok := cache[code]
	if !ok {
		l = cache[Default]
	}
	if zone == nil || zone == time.UTC {
		return l
	}
	key := zonedKey{l.Code, zone}
	if z, ok := zoned.Load(key); ok {
		return z.(*Localizer)
	}
	c := *l
	c.zone = zone
	for _, z := range zones {
		if z == zone { // a market's zone (Zone): kept, as there are few
			zoned.Store(key, &c)
			break
		}
	}
	return &c
}

// T is the message id in this language, its {{.Name}} placeholders filled from
// args, given as name, value pairs: T("deposit.heading", "Amount", "100,00 kr").
// A models.Money value is written with Money, a time.Time with Time, and a
// models.CountryName or models.Text value is translated first. An id no message
// file has comes back as the id itself: the page tests look for those.
func (l *Localizer) T(id string, args ...any) string {
	if m, ok := l.msgs[id]; ok {
		if s, ok := l.fill(m, args); ok {
			return s
		}
	}
	var data map[string]any
	if len(args) > 0 {
		data = make(map[string]any, len(args)/2)
		for i := 0; i+1 < len(args); i += 2 {
			name, _ := args[i].(string)
			data[name] = l.value(args[i+1])
		}
	}
	s, err := l.loc.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
	if err != nil || s == "" {
		return id
	}
	return s
}

// fill writes m with args (name, value pairs) as go-i18n's template execution
// would; ok is false when a placeholder has no value in args, which is left to
// go-i18n.
func (l *Localizer) fill(m compiled, args []any) (s string, ok bool) {
	if len(m.names) == 0 {
		return m.text[0], true
	}
	var b strings.Builder
	for i, name := range m.names {
		b.WriteString(m.text[i])
		found := false
		for j := len(args) - 2; j >= 0; j -= 2 { // the last value of a name wins, as in a map
			if n, _ := args[j].(string); n == name {
				switch v := l.value(args[j+1]).(type) {
				case string:
					b.WriteString(v)
				default:
					fmt.Fprint(&b, v)
				}
				found = true
				break
			}
		}
		if !found {
			return "", false
		}
	}
	b.WriteString(m.text[len(m.names)])
	return b.String(), true
}

// value is an argument of a message written for people of this language.
func (l *Localizer) value(v any) any {
	switch v := v.(type) {
	case models.Money:
		return l.Money(v)
	case time.Time:
		return l.Time(v)
	case models.CountryName:
		return l.Country(string(v))
	case models.Text:
		return l.T(v.ID, v.Args...)
	}
	return v
}

// N is the message id with a plural form chosen for n, which fills {{.Count}}:
// N("duration.minutes", 5) is "5 minutes", "5 minuuttia".
func (l *Localizer) N(id string, n int) string {
	s, err := l.loc.Localize(&i18n.LocalizeConfig{MessageID: id, PluralCount: n, TemplateData: map[string]any{"Count": n}})
	if err != nil || s == "" {
		return id
	}
	return s
}

// Problem is p's sentence in this language: its message id with its args, or its
// English Message when it has no id.
func (l *Localizer) Problem(p *models.Problem) string {
	if p == nil {
		return ""
	}
	if p.ID == "" {
		return p.Message
	}
	if s := l.T(p.ID, p.Args...); s != p.ID {
		return s
	}
	return p.Message
}

// Country is a country's name in this language: "Ruotsi" for SE in Finnish.
func (l *Localizer) Country(code string) string {
	return l.T("country." + code)
}

// Compare orders a and b as a dictionary of this language does: "Åland" before
// "Albania" in English, after "Zambia" and before "Ärla" in Swedish, "Šveits"
// between "Saksamaa" and "Taani" in Estonian. A collate.Collator is not safe for
// concurrent use, so each call borrows one of the language's.
func (l *Localizer) Compare(a, b string) int {
	c := l.collators.Get().(*collate.Collator)
	defer l.collators.Put(c)
	return c.CompareString(a, b)
}

// Money is an amount as people of this language write it in the player's
// currency: "1 250,00 kr" (sv), "1 250,00 €" (fi, et), "€ 1.250,00" (nl),
// "SEK 1,250.00" and "€1,250.00" (en), with no-break spaces. Only integers reach
// the number formatting: the minor units are never a float.
func (l *Localizer) Money(m models.Money) string { return l.money(m, "") }

// Signed is a change of an amount, m with its sign: a minus as Money writes it, and
// a plus in the same place for an amount above zero ("+10,50 €" and "−10,50 €",
// "€ +10,50" and "€ -10,50" in nl, "+€10.50" and "-€10.50" in en); zero has none.
func (l *Localizer) Signed(m models.Money) string {
	if m.Minor > 0 {
		return l.money(m, "+")
	}
	return l.money(m, "")
}

// money is Money with sign written where a minus goes, for an amount not below zero.
func (l *Localizer) money(m models.Money, sign string) string {
	v := m.Minor
	if v < 0 {
		v, sign = -v, "−"
		if l.Code == "en" || l.Code == "nl" {
			sign = "-"
		}
	}
	n := l.whole(v/100) + l.decimal + string([]byte{byte('0' + v%100/10), byte('0' + v%10)})
	sym := l.symbol(m.Currency)
	const nbsp = "\u00a0"
	switch l.Code {
	case "en":
		if isLetters(sym) {
			return sign + sym + nbsp + n
		}
		return sign + sym + n
	case "nl":
		return sym + nbsp + sign + n
	}
	return sign + n + nbsp + sym
}

// Input is an amount as this language types it into an amount field: the
// decimal separator of the language, no grouping and no currency ("500,00" in
// sv, fi, et and nl; "500.00" in en), which models.ParseMoney reads back.
func (l *Localizer) Input(m models.Money) string {
	return strings.Replace(m.String(), ".", l.decimal, 1)
}

// whole is v ≥ 0 with this language's grouping of thousands.
func (l *Localizer) whole(v int64) string {
	digits := strconv.FormatInt(v, 10)
	if l.group == "" || len(digits) < l.groupFrom {
		return digits
	}
	var b strings.Builder
	first := len(digits) % 3
	if first == 0 {
		first = 3
	}
	b.WriteString(digits[:first])
	for i := first; i < len(digits); i += 3 {
		b.WriteString(l.group)
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}

// symbol is currency's symbol in this language ("kr", "€"), the code itself for
// a currency golang.org/x/text does not know.
func (l *Localizer) symbol(code string) string {
	if s, ok := l.symbols.Load(code); ok {
		return s.(string)
	}
	sym := code
	if u, err := currency.ParseISO(code); err == nil {
		sym = l.printer.Sprint(currency.Symbol(u))
		l.symbols.Store(code, sym) // only known currencies: a bounded set
	}
	return sym
}

// Whole is an amount without its decimals when they are zero, for quick picks:
// "100 kr", "€ 25".
func (l *Localizer) Whole(m models.Money) string {
	s := l.Money(m)
	if m.Minor%100 == 0 {
		s = strings.Replace(s, l.decimal+"00", "", 1)
	}
	return s
}

func isLetters(s string) bool {
	for _, r := range s {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return s != ""
}

// timeLayouts are how each language writes a date with a time; the zone's
// abbreviation follows.
var timeLayouts = map[string]string{
	"en": "2 Jan 2006, 15:04",
	"sv": "2006-01-02 15:04",
	"fi": "2.1.2006 klo 15.04",
	"et": "02.01.2006 15:04",
	"nl": "02-01-2006 15:04",
}

// Time is t in this localizer's zone as people of this language write it, with
// the zone's abbreviation: "2026-01-20 15:42 CET" (sv), "20.1.2026 klo 16.42 EET"
// (fi). English month names are the only words, and only in English.
func (l *Localizer) Time(t time.Time) string {
	t = t.In(l.zone)
	return t.Format(timeLayouts[l.Code]) + " " + zoneName(t)
}

// Clock is the time of day of t in this localizer's zone: "15:42 CET".
func (l *Localizer) Clock(t time.Time) string {
	t = t.In(l.zone)
	if l.Code == "fi" {
		return t.Format("15.04") + " " + zoneName(t)
	}
	return t.Format("15:04") + " " + zoneName(t)
}

// zoneName is t's zone abbreviation, or its offset where the zone database has
// only numbers ("+02").
func zoneName(t time.Time) string {
	name, off := t.Zone()
	if name == "" || strings.ContainsAny(name, "+-0123456789") {
		return fmt.Sprintf("UTC%+d", off/3600)
	}
	return name
}

// IDs is every message id of language code, sorted: the test compares the
// languages' sets.
func IDs(code string) ([]string, error) {
	m, err := messages(code)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(m))
	for k := range m {
		ids = append(ids, k)
	}
	sort.Strings(ids)
	return ids, nil
}

// Values is every message of language code by id, a plural message's forms
// joined in the order of their names ("one: …; other: …"): the test compares
// each language's with English's.
func Values(code string) (map[string]string, error) {
	m, err := messages(code)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(m))
	for id, v := range m {
		switch v := v.(type) {
		case string:
			out[id] = v
		case map[string]any:
			forms := make([]string, 0, len(v))
			for form, s := range v {
				forms = append(forms, fmt.Sprintf("%s: %v", form, s))
			}
			sort.Strings(forms)
			out[id] = strings.Join(forms, "; ")
		}
	}
	return out, nil
}
