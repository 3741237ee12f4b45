package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
)

// Mutation is one deliberate bug: From, which must occur exactly once in File, is
// replaced by To. Pkgs are the packages whose tests must catch it, run with Run as
// -run filter when it is set.
type Mutation struct {
	Name string
	File string   // relative to the repository root, slash-separated
	From string   // exact source text
	To   string   // its replacement
	Pkgs []string // "./cashier"; default: the package of File
	Run  string   // -run filter; empty runs every test of Pkgs
	Line int      // where the entry starts in the list, for messages
}

// ErrNotApplied means a mutation's snippet is not in its file exactly once: the
// code changed under the list, which must be mended, never counted as caught.
var ErrNotApplied = errors.New("not applied")

// Apply returns src with m.From replaced by m.To. It fails with ErrNotApplied when
// m.From does not occur in src, or occurs more than once.
func (m Mutation) Apply(src string) (string, error) {
	switch n := strings.Count(src, m.From); {
	case n == 0:
		return "", fmt.Errorf("%w: snippet not found in %s", ErrNotApplied, m.File)
	case n > 1:
		return "", fmt.Errorf("%w: snippet is ambiguous, %d occurrences in %s", ErrNotApplied, n, m.File)
	}
	return strings.Replace(src, m.From, m.To, 1), nil
}

// ParseList reads a mutation list. Entries are separated by blank lines; each line
// is "key: value", and lines starting with # are comments:
//
//	name: ledger/overdraft-guard
//	file: cashier/ledger/ledger.go
//	from: if account.Guarded() && !overdraft && minor < 0 {
//	to:   if false && account.Guarded() && !overdraft && minor < 0 {
//	pkgs: ./cashier/ledger
//	run:  TestPost|TestConcurrentReservations
//
// A value is the text after the colon with the surrounding blanks trimmed; a value
// written as a Go string literal ("…" or `…`) is unquoted, for tabs, newlines or
// blanks at its ends. name, file and from are required; to may be empty (the
// snippet is deleted); pkgs (space-separated) defaults to the package of file.
func ParseList(r io.Reader) ([]Mutation, error) {
	var (
		out  []Mutation
		cur  *Mutation
		seen = map[string]bool{}
		errs []error
		sc   = bufio.NewScanner(r)
		line int
		has  map[string]bool
	)
	finish := func() {
		if cur == nil {
			return
		}
		m := *cur
		cur = nil
		for _, k := range []string{"name", "file", "from", "to"} {
			if !has[k] {
				errs = append(errs, fmt.Errorf("line %d: entry %q has no %s", m.Line, m.Name, k))
				return
			}
		}
		if seen[m.Name] {
			errs = append(errs, fmt.Errorf("line %d: name %q is used twice", m.Line, m.Name))
			return
		}
		if m.From == m.To {
			errs = append(errs, fmt.Errorf("line %d: %s: from and to are the same", m.Line, m.Name))
			return
		}
		seen[m.Name] = true
		if len(m.Pkgs) == 0 {
			m.Pkgs = []string{"./" + path.Dir(m.File)}
		}
		out = append(out, m)
	}
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), " \t\r")
		switch {
		case strings.HasPrefix(strings.TrimSpace(text), "#"):
			continue
		case text == "":
			finish()
			continue
		}
		key, value, ok := strings.Cut(text, ":")
		if !ok {
			errs = append(errs, fmt.Errorf("line %d: want \"key: value\", got %q", line, text))
			continue
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		if strings.HasPrefix(value, `"`) || strings.HasPrefix(value, "`") {
			u, err := strconv.Unquote(value)
			if err != nil {
				errs = append(errs, fmt.Errorf("line %d: %s: bad quoted value: %v", line, key, err))
				continue
			}
			value = u
		}
		if cur == nil {
			cur, has = &Mutation{Line: line}, map[string]bool{}
		}
		if has[key] {
			errs = append(errs, fmt.Errorf("line %d: %s given twice", line, key))
			continue
		}
		has[key] = true
		switch key {
		case "name":
			cur.Name = value
		case "file":
			cur.File = value
		case "from":
			cur.From = value
		case "to":
			cur.To = value
		case "pkgs":
			cur.Pkgs = strings.Fields(value)
		case "run":
			cur.Run = value
		default:
			errs = append(errs, fmt.Errorf("line %d: unknown key %q", line, key))
		}
	}
	finish()
	if err := sc.Err(); err != nil {
		errs = append(errs, err)
	}
	for _, m := range out {
		if m.From == "" {
			errs = append(errs, fmt.Errorf("line %d: %s: from is empty", m.Line, m.Name))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("mutation list: %w", err)
	}
	return out, nil
}
