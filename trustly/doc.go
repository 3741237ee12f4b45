// Package trustly speaks Trustly's signed JSON-RPC 1.1 (the EU Payments API): the
// serialization and RSA signatures, the envelopes, a Client with one file per method
// the gaming integration uses, and notification decoding and answers. It imports
// nothing else of this project; the sandbox plays Trustly's side with the same code.
package trustly
