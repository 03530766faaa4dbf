// Package krbcache checks a Kerberos ticket cache before a client uses it. gokrb5 loads a cache
// whose ticket-granting ticket has expired, or that has none, without complaint, and fails only at
// the first connection with "no user credentials available", which names neither the cache nor
// the cure; the Kafka (kafkasec) and HDFS (storage) sides check the cache at start instead.
package krbcache

import (
	"fmt"
	"time"

	"github.com/jcmturner/gokrb5/v8/credentials"
)

// Principal is the cache's client principal, name@REALM.
func Principal(cc *credentials.CCache) string {
	return cc.GetClientPrincipalName().PrincipalNameString() + "@" + cc.GetClientRealm()
}

// Check fails when the cache at path holds no ticket-granting ticket for its client's realm, or
// one that has ended by now. keys is the configuration block whose keytab and principal would let
// the loader log in by itself (such as "kafka.sasl.kerberos"), for the message's cure.
func Check(cc *credentials.CCache, path, keys string, now time.Time) error {
	who := Principal(cc)
	for _, c := range cc.GetEntries() {
		if n := c.Server.PrincipalName.NameString; len(n) == 2 && n[0] == "krbtgt" && c.Server.Realm == cc.GetClientRealm() {
			if !now.Before(c.EndTime) {
				return fmt.Errorf("ticket cache %s: the ticket-granting ticket of %s expired at %s (%s ago); run kinit again, or set %s.keytab and principal so that the loader logs in, and again before its tickets expire, by itself",
					path, who, c.EndTime.UTC().Format(time.RFC3339), now.Sub(c.EndTime).Round(time.Second), keys)
			}
			return nil
		}
	}
	return fmt.Errorf("ticket cache %s holds no ticket-granting ticket for %s; run kinit, or set %s.keytab and principal", path, who, keys)
}
