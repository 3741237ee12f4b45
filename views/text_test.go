package views

import (
	"context"
	"strings"
	"testing"

	"github.com/a-h/templ"
	"github.com/trustly-cashier/cashier/lang"
)

// TestTextEscapesAsTemplDoes: @text(…) writes what templ writes for { … }: a
// player's name or an amount full of markup comes out as text, never as markup.
func TestTextEscapesAsTemplDoes(t *testing.T) {
	for _, s := range []string{"", "Anna", `<script>alert("x")</script>`, "Ö'Brien & <b>Söner</b>", "1\u00a0250,00 kr"} {
		var got strings.Builder
		if err := text(s).Render(context.Background(), &got); err != nil {
			t.Fatal(err)
		}
		if want := templ.EscapeString(s); got.String() != want {
			t.Errorf("text(%q) wrote %q; want %q", s, got.String(), want)
		}
	}
	var page strings.Builder
	if err := Problem(`<img src=x onerror="steal()">`).Render(context.Background(), &page); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(page.String(), "<img") || !strings.Contains(page.String(), "&lt;img src=x onerror=&#34;steal()&#34;&gt;") {
		t.Errorf("Problem wrote %q; want the message as escaped text", page.String())
	}
}

// TestLanguageOptionsHTML: the picker's options rendered once per language are
// those of the page's language, with that one, and only that one, selected; a
// code the cashier does not speak gets them all unselected.
func TestLanguageOptionsHTML(t *testing.T) {
	for _, l := range append(lang.Languages, struct{ Code, Name string }{"xx", ""}) {
		got := languageOptionsHTML(l.Code)
		var want strings.Builder
		if err := languageOptions(l.Code).Render(context.Background(), &want); err != nil {
			t.Fatal(err)
		}
		if got != want.String() {
			t.Errorf("%s: got %q; want %q", l.Code, got, want.String())
		}
		selected := strings.Count(got, " selected")
		if l.Code == "xx" && selected != 0 || l.Code != "xx" && (selected != 1 || !strings.Contains(got, `value="`+l.Code+`" lang="`+l.Code+`" selected`)) {
			t.Errorf("%s: %d options selected in %q", l.Code, selected, got)
		}
		if n := strings.Count(got, "<option"); n != len(lang.Languages) {
			t.Errorf("%s: %d options; want %d", l.Code, n, len(lang.Languages))
		}
	}
}
