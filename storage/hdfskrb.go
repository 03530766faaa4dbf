package storage

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jcmturner/gokrb5/v8/credentials"

	"github.com/kafka2hdfs/kafka2hdfs/internal/krbcache"
)

// checkTGT fails for a ticket cache without a ticket-granting ticket, or whose TGT has expired
// (see package krbcache for why), with ErrRefused: a cache expires under a right configuration.
func checkTGT(cc *credentials.CCache, path string, now time.Time) error {
	if err := krbcache.Check(cc, path, "output.hdfs.kerberos", now); err != nil {
		return refused{fmt.Errorf("kerberos: %w", err)}
	}
	return nil
}

// kerberosHint adds the likely cause, and the setting to check, to a Kerberos or SASL error of a
// namenode or datanode connection (error codes of RFC 4120 as gokrb5 prints them; the wordings
// were checked against MiniKdc and a Kerberized Hadoop 3.5 in e2e.TestRealSecureHDFS*).
func kerberosHint(err error, spn string) error {
	msg := err.Error()
	hint := ""
	switch {
	case strings.Contains(msg, "KDC_ERR_C_PRINCIPAL_UNKNOWN"):
		hint = "the KDC does not know the loader's principal: check output.hdfs.kerberos.principal"
	case strings.Contains(msg, "KDC_ERR_S_PRINCIPAL_UNKNOWN"):
		hint = fmt.Sprintf("the KDC has no principal %s for the namenode: set dfs.namenode.kerberos.principal in hdfs-site.xml (or output.hdfs.kerberos.service_principal) to the namenodes' principal", spn)
	case strings.Contains(msg, "PREAUTH_FAILED") || strings.Contains(msg, "KRB_AP_ERR_BAD_INTEGRITY") || strings.Contains(msg, "Decrypting_Error"):
		hint = "the KDC refused the keytab's key (a stale keytab, or one of another principal): check output.hdfs.kerberos.keytab"
	case strings.Contains(msg, "KRB_AP_ERR_TKT_EXPIRED") || strings.Contains(msg, "KDC_ERR_TGT_REVOKED") || strings.Contains(msg, "no valid existing session"):
		hint = "the Kerberos ticket has expired: renew the ticket cache (kinit), or set output.hdfs.kerberos.keytab so that the loader logs in again by itself"
	case strings.Contains(msg, "matching key not found in keytab") || strings.Contains(msg, "could not get key from keytab"):
		hint = "the keytab has no key for the principal: check output.hdfs.kerberos.keytab and principal (klist -kt lists a keytab's principals)"
	case strings.Contains(msg, "Networking_Error") || strings.Contains(msg, "KDC_Error: error sending"):
		hint = "the KDC did not answer: check the realm's kdc entries in output.hdfs.kerberos.krb5_conf"
	case strings.Contains(msg, "kerberos authentication not supported by namenode"):
		hint = "the namenode does not use Kerberos: drop output.hdfs.kerberos, or hadoop.security.authentication=kerberos from core-site.xml"
	}
	if hint == "" {
		return err
	}
	return refused{fmt.Errorf("%w; %s", err, hint)}
}

// protectionHint explains colinmarc/hdfs's refusal of a datanode that offers less protection
// than the client's dfs.data.transfer.protection: the error names neither the setting nor the
// cure, and shows first as "output directory ... is not writable".
func protectionHint(err error) error {
	if strings.Contains(err.Error(), "negotiating data protection: invalid qop") {
		return fmt.Errorf("%w; the datanodes offer less protection than dfs.data.transfer.protection in the client's hdfs-site.xml asks for: set it to the cluster's value", err)
	}
	return err
}

// checkProtection checks hadoop.rpc.protection and dfs.data.transfer.protection. The client takes
// what the namenode and datanodes offer (authentication, integrity or privacy), and refuses
// datanodes offering less than dfs.data.transfer.protection, so all three levels work; but it
// skips a value it does not know (" privacy" with its space, too), so a typo would silently mean
// "whatever the cluster offers".
func checkProtection(conf hadoopConf) error {
	for _, key := range []string{"hadoop.rpc.protection", "dfs.data.transfer.protection"} {
		v := conf.conf[key]
		if strings.TrimSpace(v) == "" {
			continue
		}
		for _, p := range strings.Split(v, ",") {
			switch strings.ToLower(p) {
			case "authentication", "integrity", "privacy":
			default:
				return fmt.Errorf("%s=%q in %s: %q is not authentication, integrity or privacy (comma-separated, no spaces)", key, v, conf.describe(), p)
			}
		}
	}
	return nil
}

// requiresKerberos asks the namenodes whether they refuse a client without Kerberos, by starting a
// connection as such a client does (Hadoop's RPC header with auth protocol NONE): a Kerberized
// namenode answers at once with "SIMPLE authentication is not enabled" and closes. colinmarc/hdfs
// reports that as "unexpected sequence number" or a broken pipe, whichever it meets first, neither
// of which suggests Kerberos. It returns the namenode's words.
func requiresKerberos(dial func(ctx context.Context, network, addr string) (net.Conn, error), addrs []string, timeout time.Duration) (string, bool) {
	const refusal = "SIMPLE authentication is not enabled"
	for _, addr := range addrs {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		conn, err := dial(ctx, "tcp", addr)
		cancel()
		if err != nil {
			continue
		}
		// A namenode that takes the header waits for more; a second is plenty for a refusal.
		_ = conn.SetDeadline(time.Now().Add(time.Second))
		_, err = conn.Write([]byte{'h', 'r', 'p', 'c', 9, 0, 0}) // magic, version 9, service class 0, auth NONE
		var got []byte
		if err == nil {
			got, _ = io.ReadAll(io.LimitReader(conn, 4096))
		}
		_ = conn.Close()
		if i := bytes.Index(got, []byte(refusal)); i >= 0 {
			msg := got[i:]
			if j := bytes.IndexFunc(msg, func(r rune) bool { return r < ' ' || r > '~' }); j >= 0 {
				msg = msg[:j]
			}
			// "... Available:[TOKEN, KERBEROS]", then the next protobuf field, whose tag byte may
			// be printable.
			if j := bytes.LastIndexByte(msg, ']'); j >= 0 {
				msg = msg[:j+1]
			}
			return strings.TrimSpace(string(msg)), true
		}
	}
	return "", false
}
