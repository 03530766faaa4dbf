package interceptor

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
	"sync"

	"github.com/kafka2hdfs/kafka2hdfs/field"
	"github.com/kafka2hdfs/kafka2hdfs/record"
)

// mask hides the value of one field from everything after it:
//
//	interceptors:
//	  - type: mask
//	    field: user.email
//	    method: sha256        # default
//	    salt: "per-deployment secret"
//
// Methods:
//   - sha256: lowercase hex SHA-256 of salt followed by the value. Equal values still hash equal, so
//     the column stays joinable and countable. Without a salt, low-entropy values (emails, phone
//     numbers) can be recovered by hashing guesses; set one.
//   - hmac-sha256: lowercase hex HMAC-SHA256 of the value keyed by key (required). The keyed
//     construction is the standard answer to guessing; prefer it when the key can be kept secret.
//   - redact: the value becomes replacement (default "REDACTED").
//   - null: the value becomes null.
//
// The value hashed is the field's text (see filter): a number's literal, an object's raw JSON. A
// missing or null field is left as it is, since there is nothing to hide and a hash of "" would
// make absent values look like a real, shared one.
//
// The result is a string (or null): a masked field feeding a numeric column is rejected by the
// schema, so give such a column type string.
//
// The masked field is a new value in the layout, like one written by add_field: later readers of
// paths under it (user.email.domain after masking user.email, or user.email after masking user)
// read missing instead of the cleartext JSON underneath. Masking does not rewrite the parent
// object, though: a column reading user as a whole still sees the email inside it. Likewise,
// masking @key or @header.NAME hides it from every field that reads that name, but not from the
// kafka_key column or the raw format's columns, which copy the Kafka record. Dead-letter rows
// copy it only under dead_letter.value: original; a topic with a mask defaults to masked (see
// consumer/deadletter.go).
type mask struct {
	src, dst record.Slot
	hide     func(m *mask, b []byte) field.Value

	salt        string
	replacement []byte
	// pool holds hashing state for reuse: the Interceptor is shared by every partition of the
	// topic, so the state cannot live in mask itself, and allocating an HMAC (two SHA-256 states
	// plus the padded key) per record would dominate its cost.
	pool sync.Pool
}

// hashState is what one masking call needs besides its output, reused through mask.pool.
type hashState struct {
	buf []byte    // salt+value for sha256
	mac hash.Hash // for hmac-sha256
	sum []byte    // mac.Sum output, so that Sum does not allocate
}

const maskMethods = "sha256, hmac-sha256, redact or null"

func buildMask(c Config, env Env) (Interceptor, error) {
	m := &mask{}
	var used []string
	switch c.Method {
	case "", "sha256":
		m.hide = (*mask).sha256
		m.salt = c.Salt
		m.pool.New = func() any { return &hashState{} }
		used = []string{"salt"}
	case "hmac-sha256":
		key := []byte(c.Key)
		m.hide = (*mask).hmacSHA256
		m.pool.New = func() any {
			return &hashState{mac: hmac.New(sha256.New, key), sum: make([]byte, 0, sha256.Size)}
		}
		used = []string{"key"}
	case "redact":
		r := c.Replacement
		if r == "" {
			r = "REDACTED"
		}
		m.replacement = shared([]byte(r))
		m.hide = (*mask).redact
		used = []string{"replacement"}
	case "null":
		m.hide = func(*mask, []byte) field.Value { return field.Value{Kind: field.Null} }
	default:
		return nil, fmt.Errorf("method: %q is not %s", c.Method, maskMethods)
	}
	what := "mask method " + c.Method
	if c.Method == "" {
		what = "mask method sha256"
	}
	if err := rejectUnused(&c, what, append(used, "field", "method")...); err != nil {
		return nil, err
	}
	if c.Method == "hmac-sha256" && c.Key == "" {
		return nil, fmt.Errorf("key: mask method hmac-sha256 needs the secret key; set key, or use method sha256 with a salt")
	}
	var err error
	if m.src, err = readField(env.Layout, "field", c.Field, "mask"); err != nil {
		return nil, err
	}
	m.dst = m.src
	// @key and @header.NAME have no paths under them, and Define refuses them: they are masked in
	// place. Plain names get a fresh slot so that paths under them stop reading the JSON.
	if !strings.HasPrefix(c.Field, "@") {
		if m.dst, err = env.Layout.Define(c.Field); err != nil {
			return nil, fmt.Errorf("field: %w", err)
		}
	}
	return m, nil
}

func (m *mask) Intercept(r *record.Record) (bool, error) {
	v := r.Fields[m.src]
	if v.IsAbsent() {
		r.Fields[m.dst] = v
		return true, nil
	}
	r.Fields[m.dst] = m.hide(m, v.Bytes)
	return true, nil
}

// hexValue returns a fresh String value with the hex of sum. Fresh, because the record outlives this
// call (it is batched into a row group) while the hashing state goes back to the pool.
func hexValue(sum []byte) field.Value {
	out := make([]byte, hex.EncodedLen(len(sum)))
	hex.Encode(out, sum)
	return field.Value{Kind: field.String, Bytes: out}
}

func (m *mask) sha256(b []byte) field.Value {
	st := m.pool.Get().(*hashState)
	st.buf = append(append(st.buf[:0], m.salt...), b...)
	sum := sha256.Sum256(st.buf)
	if cap(st.buf) > 64<<10 {
		st.buf = nil // one huge value should not pin its buffer forever
	}
	m.pool.Put(st)
	return hexValue(sum[:])
}

func (m *mask) hmacSHA256(b []byte) field.Value {
	st := m.pool.Get().(*hashState)
	st.mac.Reset()
	st.mac.Write(b)
	st.sum = st.mac.Sum(st.sum[:0])
	v := hexValue(st.sum)
	m.pool.Put(st)
	return v
}

func (m *mask) redact([]byte) field.Value {
	return field.Value{Kind: field.String, Bytes: m.replacement}
}
