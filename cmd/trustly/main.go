// Command trustly works with Trustly's signed JSON-RPC at the command line:
//
//	trustly keygen --out DIR                     write DIR/private.pem (0600) and DIR/public.pem
//	trustly serialize < triple.json              print method + uuid + serialize(data), without a newline
//	trustly sign --key FILE < triple.json        print the base64 signature of that text
//	trustly verify --pubkey FILE < message.json  print OK, or FAILED and the reason
//
// triple.json is {"method": …, "uuid": …, "data": …}; data keeps its number literals,
// and a null method or uuid counts as "". message.json is any whole JSON-RPC message:
// a request, result, signed error, notification or notification response.
//
// Exit status: 0 on success, 1 when verify finds a message that does not verify, 2
// for bad input, an unreadable key or an unknown subcommand (one line on stderr).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/trustly-cashier/cashier/trustly"
)

const (
	exitOK         = 0
	exitUnverified = 1
	exitBadInput   = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "trustly: a subcommand is required: keygen, serialize, sign or verify")
		return exitBadInput
	}
	cmd, rest := args[0], args[1:]
	prefix := "trustly " + cmd
	var err error
	switch cmd {
	case "keygen":
		err = keygen(rest, stdout)
	case "serialize":
		err = serialize(rest, stdin, stdout)
	case "sign":
		err = sign(rest, stdin, stdout)
	case "verify":
		var verified bool
		if verified, err = verify(rest, stdin, stdout); err == nil && !verified {
			return exitUnverified
		}
	default:
		prefix = "trustly"
		err = fmt.Errorf("unknown subcommand %q (want keygen, serialize, sign or verify)", cmd)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %s\n", prefix, oneLine(err))
		return exitBadInput
	}
	return exitOK
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// flags parses a subcommand's flags and refuses positional arguments.
func flags(name string, args []string, define func(*flag.FlagSet)) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	define(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// keygen writes a new 2048-bit key pair. It never replaces an existing file.
func keygen(args []string, stdout io.Writer) error {
	var dir string
	if err := flags("keygen", args, func(fs *flag.FlagSet) { fs.StringVar(&dir, "out", "", "directory") }); err != nil {
		return err
	}
	if dir == "" {
		return errors.New("--out DIR is required")
	}
	privPath, pubPath := filepath.Join(dir, "private.pem"), filepath.Join(dir, "public.pem")
	for _, p := range []string{privPath, pubPath} {
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("%s already exists", p)
		}
	}
	key, err := trustly.GenerateKey()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := writeNew(privPath, trustly.PrivateKeyPEM(key), 0o600); err != nil {
		return err
	}
	if err := writeNew(pubPath, trustly.PublicKeyPEM(&key.PublicKey), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s and %s\n", privPath, pubPath)
	return nil
}

// writeNew creates path with exactly perm, whatever the umask, and fails if it exists.
func writeNew(path string, b []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// plaintext reads {"method","uuid","data"} and returns the text Trustly signs.
func plaintext(stdin io.Reader) (string, error) {
	raw, err := io.ReadAll(stdin)
	if err != nil {
		return "", fmt.Errorf("read stdin: %w", err)
	}
	tree, err := trustly.Decode(raw)
	if err != nil {
		return "", fmt.Errorf("stdin: %w", err)
	}
	obj, ok := tree.(map[string]any)
	if !ok {
		return "", errors.New(`stdin: want a JSON object {"method", "uuid", "data"}`)
	}
	var parts [2]string
	for i, k := range []string{"method", "uuid"} {
		switch v := obj[k].(type) {
		case string:
			parts[i] = v
		case nil:
			if _, present := obj[k]; !present {
				return "", fmt.Errorf("stdin: %q is missing", k)
			}
		default:
			return "", fmt.Errorf("stdin: %q is not a string", k)
		}
	}
	data, present := obj["data"]
	if !present {
		return "", errors.New(`stdin: "data" is missing`)
	}
	return trustly.Plaintext(parts[0], parts[1], data)
}

func serialize(args []string, stdin io.Reader, stdout io.Writer) error {
	if err := flags("serialize", args, func(*flag.FlagSet) {}); err != nil {
		return err
	}
	p, err := plaintext(stdin)
	if err != nil {
		return err
	}
	_, err = io.WriteString(stdout, p) // no newline: the output is exactly what is signed
	return err
}

func sign(args []string, stdin io.Reader, stdout io.Writer) error {
	var keyPath string
	if err := flags("sign", args, func(fs *flag.FlagSet) { fs.StringVar(&keyPath, "key", "", "private key PEM") }); err != nil {
		return err
	}
	if keyPath == "" {
		return errors.New("--key FILE is required")
	}
	key, err := trustly.LoadPrivateKey(keyPath)
	if err != nil {
		return err
	}
	p, err := plaintext(stdin)
	if err != nil {
		return err
	}
	sig, err := trustly.SignPlaintext(key, p)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, sig)
	return err
}

// verify reports whether the message on stdin verifies with the public key. An
// error means the input or key could not be used at all.
func verify(args []string, stdin io.Reader, stdout io.Writer) (bool, error) {
	var keyPath string
	if err := flags("verify", args, func(fs *flag.FlagSet) { fs.StringVar(&keyPath, "pubkey", "", "public key PEM") }); err != nil {
		return false, err
	}
	if keyPath == "" {
		return false, errors.New("--pubkey FILE is required")
	}
	pub, err := trustly.LoadPublicKey(keyPath)
	if err != nil {
		return false, err
	}
	raw, err := io.ReadAll(stdin)
	if err != nil {
		return false, fmt.Errorf("read stdin: %w", err)
	}
	m, err := trustly.ParseMessage(raw)
	if err != nil {
		return false, fmt.Errorf("stdin: %w", err)
	}
	if err := m.Verify(pub); err != nil {
		what := string(m.Kind)
		if m.Method != "" {
			what += " " + m.Method
		}
		fmt.Fprintf(stdout, "FAILED: %s: %s\n", what, oneLine(err))
		return false, nil
	}
	fmt.Fprintln(stdout, "OK")
	return true, nil
}
