package kafkasec

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

// TestRealBrokerHandshake connects through a sarama MockBroker, which answers SASL as a real
// broker does (kfake has no OAUTHBEARER, and closes the connection on a wrong password where a
// broker answers SASL_AUTHENTICATION_FAILED): the token from the OIDC endpoint reaches the
// broker; a refused token or password fails at once, naming the cause; an identity provider
// refusing the client secret fails naming the endpoint. Validating the token itself needs a real
// broker.
func TestRealBrokerHandshake(t *testing.T) {
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, secret, _ := r.BasicAuth(); secret != "client-secret-1" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"invalid_client"}`)
			return
		}
		fmt.Fprint(w, `{"access_token":"tok-from-idp","expires_in":3600}`)
	}))
	defer idp.Close()

	oauth := func(secret string) SASL {
		return SASL{Mechanism: OAuthBearer, OAuth: OAuth{TokenURL: idp.URL, ClientID: "loader", ClientSecret: secret}}
	}
	for _, tc := range []struct {
		name, secret string
		sasl         SASL
		refuse       bool
		errHas       string
		wantSent     string // in the SaslAuthenticate bytes
	}{
		{name: "token accepted", sasl: oauth("client-secret-1"), secret: "client-secret-1", wantSent: "auth=Bearer tok-from-idp"},
		{name: "token refused", sasl: oauth("client-secret-1"), secret: "client-secret-1", refuse: true, errHas: "SASL OAUTHBEARER was refused: check kafka.sasl.oauth", wantSent: "auth=Bearer tok-from-idp"},
		{name: "client secret refused", sasl: oauth("wrong-secret-2"), secret: "wrong-secret-2", errHas: "oauth token_url " + idp.URL + ": 401 Unauthorized: invalid_client"},
		{name: "plain accepted", sasl: SASL{Mechanism: Plain, Username: "loader", Password: "pw-3"}, secret: "pw-3", wantSent: `loader\x00pw-3`},
		{name: "plain refused", sasl: SASL{Mechanism: Plain, Username: "loader", Password: "pw-3"}, secret: "pw-3", refuse: true,
			errHas: "SASL PLAIN as loader was refused: check kafka.sasl.username and password", wantSent: `loader\x00pw-3`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := sarama.NewMockBroker(t, 1)
			defer b.Close()
			auth := sarama.NewMockSaslAuthenticateResponse(t)
			if tc.refuse {
				auth.SetError(sarama.ErrSASLAuthenticationFailed)
			}
			b.SetHandlerByMap(map[string]sarama.MockResponse{
				"SaslHandshakeRequest":    sarama.NewMockSaslHandshakeResponse(t).SetEnabledMechanisms([]string{OAuthBearer, Plain}),
				"SaslAuthenticateRequest": auth,
				"ApiVersionsRequest": sarama.NewMockApiVersionsResponse(t).SetApiKeys([]sarama.ApiVersionsResponseKey{
					{ApiKey: 3, MaxVersion: 9},  // Metadata
					{ApiKey: 17, MaxVersion: 1}, // SaslHandshake
					{ApiKey: 18, MaxVersion: 3}, // ApiVersions
					{ApiKey: 36, MaxVersion: 2}, // SaslAuthenticate
				}),
				"MetadataRequest": sarama.NewMockMetadataResponse(t).SetBroker(b.Addr(), b.BrokerID()),
			})
			sc := sarama.NewConfig()
			sc.Version = sarama.V2_8_0_0
			sc.Metadata.Retry.Backoff = 10 * time.Millisecond
			if err := Apply(sc, TLS{}, tc.sasl); err != nil {
				t.Fatal(err)
			}
			cl, err := NewClient([]string{b.Addr()}, sc)
			if err == nil {
				defer cl.Close()
			}
			switch {
			case tc.errHas == "" && err != nil:
				t.Fatalf("connect: %v", err)
			case tc.errHas != "" && (err == nil || !strings.Contains(err.Error(), tc.errHas)):
				t.Fatalf("connect: %v, want an error with %q", err, tc.errHas)
			}
			if err != nil {
				t.Logf("connect: %v", err)
			}
			if err != nil && strings.Contains(err.Error(), tc.secret) {
				t.Errorf("error shows the client secret: %v", err)
			}
			var sent string
			for _, rr := range b.History() {
				if req, ok := rr.Request.(*sarama.SaslAuthenticateRequest); ok {
					sent = fmt.Sprintf("%q", req.SaslAuthBytes)
				}
			}
			if !strings.Contains(sent, tc.wantSent) || (tc.wantSent == "" && sent != "") {
				t.Errorf("sent to the broker: %s, want %q", sent, tc.wantSent)
			}
		})
	}
}
