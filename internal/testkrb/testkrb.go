// Package testkrb writes Kerberos ticket caches for tests: what kinit would leave behind, without
// needing kinit (MIT's tools are not on every test machine, and the real tier's KDC is MiniKdc).
package testkrb

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"time"

	krb "github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// Cred is one ticket of a cache.
type Cred struct {
	Server      types.PrincipalName
	ServerRealm string
	Key         types.EncryptionKey
	AuthTime    time.Time
	StartTime   time.Time
	EndTime     time.Time
	RenewTill   time.Time
	Flags       []byte // 4 bytes, the ticket flags
	Ticket      []byte // the ticket, ASN.1 DER
}

// TGT asks the KDC of cfg for a ticket-granting ticket of user@realm with the keys of kt, for
// lifetime (the KDC may shorten it, never lengthen it; MiniKdc refuses one of a few seconds as
// ending before it starts, but grants 10 s).
func TGT(cfg *config.Config, user, realm string, kt *keytab.Keytab, lifetime time.Duration) (Cred, error) {
	c := *cfg
	c.LibDefaults.TicketLifetime = lifetime
	c.LibDefaults.RenewLifetime = 0
	cl := krb.NewWithKeytab(user, realm, kt, &c, krb.DisablePAFXFAST(true))
	cname := types.NewPrincipalName(nametype.KRB_NT_PRINCIPAL, user)
	req, err := messages.NewASReqForTGT(realm, &c, cname)
	if err != nil {
		return Cred{}, fmt.Errorf("AS-REQ for %s@%s: %w", user, realm, err)
	}
	rep, err := cl.ASExchange(realm, req, 0)
	if err != nil {
		return Cred{}, fmt.Errorf("AS exchange for %s@%s: %w", user, realm, err)
	}
	tkt, err := rep.Ticket.Marshal()
	if err != nil {
		return Cred{}, err
	}
	p := rep.DecryptedEncPart
	if p.StartTime.IsZero() { // optional: then the ticket is valid from its auth time
		p.StartTime = p.AuthTime
	}
	return Cred{Server: rep.Ticket.SName, ServerRealm: rep.Ticket.Realm, Key: p.Key, AuthTime: p.AuthTime,
		StartTime: p.StartTime, EndTime: p.EndTime, RenewTill: p.RenewTill, Flags: p.Flags.Bytes, Ticket: tkt}, nil
}

// WriteCCache writes a FILE: ticket cache (format version 4, as MIT kinit writes it) for
// user@realm holding creds, mode 0600.
func WriteCCache(path, user, realm string, creds ...Cred) error {
	var b bytes.Buffer
	be := func(v any) { _ = binary.Write(&b, binary.BigEndian, v) }
	data := func(d []byte) { be(uint32(len(d))); b.Write(d) }
	princ := func(p types.PrincipalName, realm string) {
		be(p.NameType)
		be(uint32(len(p.NameString)))
		data([]byte(realm))
		for _, s := range p.NameString {
			data([]byte(s))
		}
	}
	ts := func(t time.Time) {
		if t.IsZero() {
			be(uint32(0))
			return
		}
		be(uint32(t.Unix()))
	}
	be(uint16(0x0504))
	be(uint16(0)) // no header fields
	client := types.NewPrincipalName(nametype.KRB_NT_PRINCIPAL, user)
	princ(client, realm)
	for _, c := range creds {
		princ(client, realm)
		princ(c.Server, c.ServerRealm)
		be(uint16(c.Key.KeyType))
		data(c.Key.KeyValue)
		ts(c.AuthTime)
		ts(c.StartTime)
		ts(c.EndTime)
		ts(c.RenewTill)
		b.WriteByte(0) // not a user-to-user ticket
		flags := make([]byte, 4)
		copy(flags, c.Flags)
		b.Write(flags)
		be(uint32(0)) // addresses
		be(uint32(0)) // authorization data
		data(c.Ticket)
		data(nil) // second ticket
	}
	return os.WriteFile(path, b.Bytes(), 0o600)
}
