// Package owneronly keeps a data directory and the SQLite database in it readable
// by their owner only: the cashier's database holds every player's identity, bank
// accounts and money, and the embedded sandbox's the persons, accounts and orders
// it made up. The cashier's store and the sandbox both open theirs through it, so
// the two cannot drift apart.
//
// What others may read or write is tightened rather than only warned about: the
// directory and files are the program's, nothing else should read them, and a
// warning alone would leave them open until someone acts. Each warning names the
// path and the mode it had. A path whose mode cannot be changed (another owner's)
// is left as it is, with a warning.
package owneronly

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
)

// Dir creates the directory path (and its parents) with mode 0700, or makes an
// existing one that others may enter, list or write the owner's only.
func Dir(path string, log *slog.Logger) error {
	if err := os.MkdirAll(path, 0o700); err != nil {
		return err
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	tighten(path, st, "data directory", log)
	return nil
}

// SQLite makes the SQLite database at path readable by its owner only. A new
// file is created empty with mode 0600 before SQLite opens it (SQLite would make
// it 0644, less the umask), and SQLite creates its -wal, -shm and -journal files
// with the main file's mode. An existing file, or one of those, that others may
// read or write (a database from before, or put in place by hand) is made 0600.
func SQLite(path string, log *slog.Logger) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		return f.Close()
	case !errors.Is(err, fs.ErrExist):
		return err
	}
	for _, name := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		st, err := os.Stat(name)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			return err
		case !st.Mode().IsRegular():
			continue
		}
		tighten(name, st, "database file", log)
	}
	return nil
}

// tighten takes from name, whose mode st gives, every permission of its group and
// of others, with a warning calling it what.
func tighten(name string, st fs.FileInfo, what string, log *slog.Logger) {
	if st.Mode().Perm()&0o077 == 0 {
		return
	}
	if log == nil {
		log = slog.Default()
	}
	was, now := st.Mode(), st.Mode()&^0o077
	if err := os.Chmod(name, now.Perm()); err != nil {
		log.Warn(what+" readable by others, and its mode could not be changed: take the others' permissions away (chmod go-rwx)",
			"file", name, "mode", was.String(), "err", err)
		return
	}
	log.Warn(what+" was readable by others: made it its owner's only", "file", name, "mode_was", was.String(), "mode", now.String())
}
