# The secure part of the real test environment, sourced by scripts/real-env.sh (`up --secure`;
# docs/real-env.md, "Secure listeners"). Not a script of its own: it uses real-env.sh's STATE,
# die, say and pick_ports.
#
# What it adds to the real broker, next to its PLAINTEXT listener (which the other tests and the
# tools keep using):
#   SASL_SSL        PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 (user `loader`), TLS with a test CA
#   SASL_PLAINTEXT  the same mechanisms without TLS
#   SSL             TLS with ssl.client.auth=required (mTLS)
# The CA, the broker's and the client's certificates and keys (openssl) and the password are made
# at the first `up --secure` into $STATE/secure/ (mode 0700), and the SCRAM credentials are
# written into the metadata log when the storage is formatted (StorageTool --add-scram), so the
# broker has its users before it serves a request. No authorizer runs: every authenticated user
# may do everything (as with PLAINTEXT), so the tests check authentication, not ACLs.
#
# And a second, Kerberized HDFS (MiniHdfs, one DataNode), next to the plain one the other tests use:
# hadoop.security.authentication=kerberos with the KDC below (principals hdfs/localhost for the
# NameNode and DataNode, HTTP/localhost for SPNEGO), block access tokens, SASL on the data transfer
# protocol (dfs.data.transfer.protection) and HTTPS only for the web servers (a PKCS#12 key store
# made from the test CA's server certificate: what lets a DataNode on unprivileged ports do SASL).
# Its client configuration (core-site.xml, hdfs-site.xml) is written to $STATE/secure/hadoop-conf,
# printed as K2H_TEST_HDFS_CONF_DIR: the loader reads it as HADOOP_CONF_DIR, as Hadoop's tools do.

SECURE_DIR=$STATE/secure

# secure_ports: ports of the secure listeners, picked once and kept in the state file.
secure_ports() {
  [ -n "${KAFKA_SASL_SSL_PORT:-}" ] || read -r KAFKA_SASL_SSL_PORT KAFKA_SASL_PLAINTEXT_PORT KAFKA_SSL_PORT <<<"$(pick_ports 3)"
  [ -n "${KDC_PORT:-}" ] || KDC_PORT=$(pick_ports 1)
  [ -n "${HDFS_SECURE_NN_PORT:-}" ] || read -r HDFS_SECURE_NN_PORT HDFS_SECURE_CONTROL_PORT <<<"$(pick_ports 2)"
}

secure_state() {
  [ "${SECURE:-}" = 1 ] || return 0
  cat <<EOF
SECURE=1
KAFKA_SASL_SSL_PORT=$KAFKA_SASL_SSL_PORT
KAFKA_SASL_PLAINTEXT_PORT=$KAFKA_SASL_PLAINTEXT_PORT
KAFKA_SSL_PORT=$KAFKA_SSL_PORT
KDC_PORT=$KDC_PORT
HDFS_SECURE_NN_PORT=$HDFS_SECURE_NN_PORT
HDFS_SECURE_CONTROL_PORT=$HDFS_SECURE_CONTROL_PORT
EOF
}

# secure_pki: a CA, the broker's certificate (for 127.0.0.1 and localhost), a client certificate
# (CN=loader) and a second, unrelated CA with a client certificate of its own (for the tests'
# untrusted cases). RSA keys in PKCS#8 PEM: what both Go and Kafka's PEM key store read.
secure_pki() {
  local d=$SECURE_DIR
  [ -f "$d/.pki-ok" ] && return
  command -v openssl >/dev/null || die "openssl not found: --secure makes its certificates with it"
  mkdir -p "$d"
  chmod 700 "$d"
  (
    set -e
    cd "$d"
    umask 077
    ossl() { openssl "$@" 2>>openssl.log; }
    for ca in ca other-ca; do
      ossl req -x509 -newkey rsa:2048 -nodes -keyout "$ca-key.pem" -out "$ca.pem" -days 30 \
        -subj "/CN=kafka2hdfs real-env $ca" -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
    done
    # leaf NAME CA CN EXT...: NAME.pem (certificate) and NAME-key.pem, signed by CA.
    leaf() {
      local name=$1 ca=$2 cn=$3
      shift 3
      printf '%s\n' "$@" >"$name.ext"
      ossl req -newkey rsa:2048 -nodes -keyout "$name-key.pem" -out "$name.csr" -subj "/CN=$cn"
      ossl x509 -req -in "$name.csr" -CA "$ca.pem" -CAkey "$ca-key.pem" -CAcreateserial -days 30 \
        -extfile "$name.ext" -out "$name.pem"
      rm -f "$name.csr" "$name.ext"
    }
    leaf broker ca localhost "subjectAltName=IP:127.0.0.1,DNS:localhost" "extendedKeyUsage=serverAuth,clientAuth"
    leaf client ca loader "extendedKeyUsage=clientAuth"
    leaf other-client other-ca loader "extendedKeyUsage=clientAuth"
    # Kafka's PEM key store: the private key and the certificate chain in one file.
    cat broker-key.pem broker.pem ca.pem >broker-keystore.pem
    # The SASL password of `loader` (PLAIN and SCRAM), in a file as a loader would have it.
    head -c 18 /dev/urandom | base64 | tr '+/' 'xy' | tr -d '=\n' >sasl-password
    chmod 644 ca.pem other-ca.pem # certificates are public
  ) || { tail_log "$d/openssl.log"; die "making the test certificates failed"; }
  touch "$d/.pki-ok"
}

# secure_oauth_keys: the test identity provider's signing keys for OAUTHBEARER: an RSA key whose
# public half the broker trusts as a JWKS file (kid k2h-test), and a second key under the same kid
# that it does not (a token signed by the wrong issuer key). Kept apart from secure_pki so an
# environment made before them gets them at its next up.
secure_oauth_keys() {
  local d=$SECURE_DIR n
  [ -f "$d/.oauth-ok" ] && return
  (
    set -e
    cd "$d"
    umask 077
    for k in oauth-key other-oauth-key; do
      openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$k.pem" 2>>openssl.log
    done
    # The JWK's n is the modulus, big-endian, base64url without padding; e is 65537.
    n=$(openssl rsa -in oauth-key.pem -noout -modulus 2>>openssl.log | sed 's/^Modulus=//' |
      perl -ne 'chomp; print pack("H*", $_)' | base64 -w0 | tr '+/' '-_' | tr -d '=')
    printf '{"keys":[{"kty":"RSA","use":"sig","alg":"RS256","kid":"k2h-test","n":"%s","e":"AQAB"}]}\n' "$n" >oauth-jwks.json
    chmod 644 oauth-jwks.json # public keys
  ) || { tail_log "$d/openssl.log"; die "making the OAUTHBEARER signing keys failed"; }
  touch "$d/.oauth-ok"
}

# ---- KDC ----
# Hadoop's MiniKdc (Apache Kerby) by its standalone main: realm EXAMPLE.COM on 127.0.0.1:KDC_PORT
# (TCP), principals kafka/127.0.0.1 (sarama asks for a ticket to kafka/<host dialed>), loader,
# hdfs/localhost and HTTP/localhost (the secure HDFS), k2h-renew (the ticket renewal test's own,
# so that it can count its logins in the KDC's log), all in one keytab (MiniKdc's main writes
# one), and its krb5.conf. Keys are made anew at every KDC start, so the keytab is rewritten and
# Kafka and the secure HDFS restarted with it.
KDC_REALM=EXAMPLE.COM
KDC_PRINCIPALS="kafka/127.0.0.1 loader hdfs/localhost HTTP/localhost k2h-renew"

secure_kdc() {
  local d=$SECURE_DIR/kdc cpf i
  alive kdc && [ -s "$d/krb5.conf" ] && [ "$(cat "$d/principals" 2>/dev/null)" = "$KDC_PRINCIPALS" ] && return
  stop kdc
  cpf=$(classpath kdc)
  rm -rf "$d"
  mkdir -p "$d/work" "$STATE/logs"
  cat >"$d/kdc.properties" <<EOF
kdc.bind.address=127.0.0.1
kdc.port=$KDC_PORT
max.ticket.lifetime=${REAL_ENV_KDC_TICKET_LIFETIME_MS:-86400000}
EOF
  # shellcheck disable=SC2086 # KDC_PRINCIPALS is a list of words
  setsid java "$MARK" -Xmx128m -XX:+UseSerialGC -cp "$(cat "$cpf")" org.apache.hadoop.minikdc.MiniKdc \
    "$d/work" "$d/kdc.properties" "$d/all.keytab" $KDC_PRINCIPALS \
    >>"$STATE/logs/kdc.out" 2>&1 </dev/null 9>&- &
  echo $! >"$STATE/kdc.pid"
  for i in $(seq 600); do
    [ -s "$d/all.keytab" ] && [ -s "$d/work/krb5.conf" ] && grep -q 'Standalone MiniKdc Running' "$STATE/logs/kdc.out" && break
    kill -0 "$(cat "$STATE/kdc.pid")" 2>/dev/null || { tail_log "$STATE/logs/kdc.out"; die_up "the KDC exited during startup"; }
    [ "$i" = 600 ] && { tail_log "$STATE/logs/kdc.out"; die_up "the KDC did not start within 60 s"; }
    sleep 0.1
  done
  cp "$d/work/krb5.conf" "$d/krb5.conf"
  chmod 600 "$d/all.keytab"
  echo "$KDC_PRINCIPALS" >"$d/principals"
  say "KDC ready (realm $KDC_REALM, 127.0.0.1:$KDC_PORT)"
  # A broker or NameNode running with the keys of an earlier KDC cannot accept tickets of this one.
  alive kafka && stop kafka
  alive hdfs-secure && stop hdfs-secure
  return 0
}

# secure_kafka_jvm: the broker's JVM options (its Kerberos configuration).
secure_kafka_jvm() {
  [ "${SECURE:-}" = 1 ] || return 0
  echo "-Djava.security.krb5.conf=$SECURE_DIR/kdc/krb5.conf"
  # Kafka 4 reads an OAuth JWKS file only where these allow it (its SSRF guard).
  echo "-Dorg.apache.kafka.sasl.oauthbearer.allowed.files=$SECURE_DIR/oauth-jwks.json"
  echo "-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=file://$SECURE_DIR/oauth-jwks.json"
}

# secure_kafka_props: appended to server.properties. java.util.Properties keeps the last value of
# a key, so listeners, advertised.listeners and the protocol map here replace the lines above.
secure_kafka_props() {
  local d=$SECURE_DIR pw l m
  pw=$(cat "$d/sasl-password")
  cat <<EOF

# ---- up --secure (scripts/real-env-secure.sh) ----
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT,SASL_SSL://127.0.0.1:$KAFKA_SASL_SSL_PORT,SASL_PLAINTEXT://127.0.0.1:$KAFKA_SASL_PLAINTEXT_PORT,SSL://127.0.0.1:$KAFKA_SSL_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,SASL_SSL://127.0.0.1:$KAFKA_SASL_SSL_PORT,SASL_PLAINTEXT://127.0.0.1:$KAFKA_SASL_PLAINTEXT_PORT,SSL://127.0.0.1:$KAFKA_SSL_PORT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,GSSAPI,OAUTHBEARER
sasl.kerberos.service.name=kafka
ssl.keystore.type=PEM
ssl.keystore.location=$d/broker-keystore.pem
ssl.truststore.type=PEM
ssl.truststore.location=$d/ca.pem
listener.name.ssl.ssl.client.auth=required
sasl.oauthbearer.jwks.endpoint.url=file://$d/oauth-jwks.json
sasl.oauthbearer.expected.audience=kafka
sasl.oauthbearer.expected.issuer=https://idp.kafka2hdfs.test
EOF
  for l in sasl_ssl sasl_plaintext; do
    echo "listener.name.$l.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_loader=\"$pw\";"
    for m in scram-sha-256 scram-sha-512; do
      echo "listener.name.$l.$m.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;"
    done
    if [ "$l" = sasl_ssl ]; then
      # OAUTHBEARER as production runs it: RS256 tokens checked against the identity provider's
      # keys (a JWKS file), audience and issuer, by Kafka's OAuthBearerValidatorCallbackHandler.
      echo "listener.name.$l.oauthbearer.sasl.server.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler"
      echo "listener.name.$l.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;"
    else
      # Kafka's default (unsecured) validator: unsigned JWTs (alg none) with a sub and an
      # unexpired exp. The tests serve the token endpoint (client credentials) themselves.
      echo "listener.name.$l.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub=\"broker\";"
    fi
    echo "listener.name.$l.gssapi.sasl.jaas.config=com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true storeKey=true keyTab=\"$d/kdc/all.keytab\" principal=\"kafka/127.0.0.1@$KDC_REALM\";"
  done
}

# secure_format_args: StorageTool format arguments that write the SCRAM users into the metadata.
secure_format_args() {
  [ "${SECURE:-}" = 1 ] || return 0
  local pw
  pw=$(cat "$SECURE_DIR/sasl-password")
  printf '%s\n' --add-scram "SCRAM-SHA-256=[name=loader,password=$pw]" --add-scram "SCRAM-SHA-512=[name=loader,password=$pw]"
}

# secure_env_text: the K2H_TEST_* lines of the env file (kafkasec.TestRealBroker, e2e's
# secure_real_test.go read them).
secure_env_text() {
  [ "${SECURE:-}" = 1 ] || return 0
  local d=$SECURE_DIR
  cat <<EOF
K2H_TEST_CA_FILE=$d/ca.pem
K2H_TEST_OTHER_CA_FILE=$d/other-ca.pem
K2H_TEST_SASL_SSL_BROKERS=127.0.0.1:$KAFKA_SASL_SSL_PORT
K2H_TEST_SASL_PLAINTEXT_BROKERS=127.0.0.1:$KAFKA_SASL_PLAINTEXT_PORT
K2H_TEST_SASL_USER=loader
K2H_TEST_SASL_PASSWORD_FILE=$d/sasl-password
K2H_TEST_SASL_PASSWORD=$(cat "$d/sasl-password")
K2H_TEST_MTLS_BROKERS=127.0.0.1:$KAFKA_SSL_PORT
K2H_TEST_CLIENT_CERT=$d/client.pem
K2H_TEST_CLIENT_KEY=$d/client-key.pem
K2H_TEST_OTHER_CLIENT_CERT=$d/other-client.pem
K2H_TEST_OTHER_CLIENT_KEY=$d/other-client-key.pem
K2H_TEST_GSSAPI_BROKERS=127.0.0.1:$KAFKA_SASL_PLAINTEXT_PORT
K2H_TEST_GSSAPI_SSL_BROKERS=127.0.0.1:$KAFKA_SASL_SSL_PORT
K2H_TEST_KRB5_CONF=$d/kdc/krb5.conf
K2H_TEST_KEYTAB=$d/kdc/all.keytab
K2H_TEST_PRINCIPAL=loader@$KDC_REALM
K2H_TEST_KAFKA_SERVICE=kafka
K2H_TEST_OAUTH_UNSECURED_BROKERS=127.0.0.1:$KAFKA_SASL_PLAINTEXT_PORT
K2H_TEST_OAUTH_SIGNED_BROKERS=127.0.0.1:$KAFKA_SASL_SSL_PORT
K2H_TEST_OAUTH_SIGNING_KEY=$d/oauth-key.pem
K2H_TEST_OTHER_OAUTH_SIGNING_KEY=$d/other-oauth-key.pem
K2H_TEST_OAUTH_ISSUER=https://idp.kafka2hdfs.test
K2H_TEST_OAUTH_AUDIENCE=kafka
K2H_TEST_HDFS_NAMENODE=127.0.0.1:$HDFS_SECURE_NN_PORT
K2H_TEST_HDFS_CONTROL=127.0.0.1:$HDFS_SECURE_CONTROL_PORT
K2H_TEST_HDFS_CONF_DIR=$d/hadoop-conf
K2H_TEST_HDFS_PRINCIPAL=hdfs/localhost@$KDC_REALM
K2H_TEST_HDFS_RENEW_PRINCIPAL=k2h-renew@$KDC_REALM
K2H_TEST_HDFS_PROTECTION=$(cat "$STATE/hdfs-secure/protection" 2>/dev/null || secure_hdfs_protection)
EOF
}

# ---- secure HDFS ----

# secure_hdfs_protection: hadoop.rpc.protection and dfs.data.transfer.protection of the secure HDFS
# (REAL_ENV_HDFS_PROTECTION: authentication, integrity or privacy; default privacy, the strongest).
secure_hdfs_protection() {
  local p=${REAL_ENV_HDFS_PROTECTION:-privacy}
  case "$p" in authentication | integrity | privacy) echo "$p" ;; *) die "REAL_ENV_HDFS_PROTECTION must be authentication, integrity or privacy, not '$p'" ;; esac
}

# secure_hdfs_settings: KEY=VALUE lines, the secure HDFS's settings beyond MiniHdfs's own (those of
# Hadoop's SaslDataTransferTestCase), for the servers; secure_hdfs_client_conf takes the client's
# share of them.
secure_hdfs_settings() {
  local d=$SECURE_DIR p
  p=$(secure_hdfs_protection)
  cat <<EOF
hadoop.security.authentication=kerberos
hadoop.security.authorization=true
hadoop.rpc.protection=$p
dfs.namenode.kerberos.principal=hdfs/localhost@$KDC_REALM
dfs.namenode.keytab.file=$d/kdc/all.keytab
dfs.datanode.kerberos.principal=hdfs/localhost@$KDC_REALM
dfs.datanode.keytab.file=$d/kdc/all.keytab
dfs.web.authentication.kerberos.principal=HTTP/localhost@$KDC_REALM
dfs.web.authentication.kerberos.keytab=$d/kdc/all.keytab
dfs.block.access.token.enable=true
dfs.data.transfer.protection=$p
dfs.http.policy=HTTPS_ONLY
dfs.namenode.https-address=127.0.0.1:0
dfs.datanode.https.address=127.0.0.1:0
dfs.https.server.keystore.resource=ssl-server.xml
dfs.client.https.keystore.resource=ssl-client.xml
ipc.client.connect.max.retries.on.sasl=10
EOF
}

# secure_hdfs_keystores: the web servers' key store (the broker's certificate, for 127.0.0.1 and
# localhost) and a trust store of the test CA, PKCS#12, with Hadoop's ssl-server.xml and
# ssl-client.xml naming them (Hadoop finds those two on the classpath).
secure_hdfs_keystores() {
  local d=$SECURE_DIR h=$SECURE_DIR/hdfs-ssl pw side kind
  [ -f "$h/.ok" ] && return
  rm -rf "$h"
  mkdir -p "$h"
  pw=$(head -c 12 /dev/urandom | base64 | tr '+/' 'xy' | tr -d '=\n')
  openssl pkcs12 -export -in "$d/broker.pem" -inkey "$d/broker-key.pem" -certfile "$d/ca.pem" -name hdfs \
    -out "$h/keystore.p12" -passout "pass:$pw" 2>>"$d/openssl.log" || { tail_log "$d/openssl.log"; die "making the HDFS key store failed"; }
  keytool -importcert -noprompt -alias ca -file "$d/ca.pem" -keystore "$h/truststore.p12" -storetype pkcs12 \
    -storepass "$pw" >>"$d/openssl.log" 2>&1 || { tail_log "$d/openssl.log"; die "making the HDFS trust store failed"; }
  for side in server client; do
    {
      echo '<?xml version="1.0"?>'
      echo '<configuration>'
      if [ "$side" = server ]; then
        for kind in "location:$h/keystore.p12" "password:$pw" "keypassword:$pw" type:pkcs12; do
          echo "  <property><name>ssl.server.keystore.${kind%%:*}</name><value>${kind#*:}</value></property>"
        done
      fi
      for kind in "location:$h/truststore.p12" "password:$pw" type:pkcs12; do
        echo "  <property><name>ssl.$side.truststore.${kind%%:*}</name><value>${kind#*:}</value></property>"
      done
      echo '</configuration>'
    } >"$h/ssl-$side.xml"
  done
  chmod 600 "$h"/*
  touch "$h/.ok"
}

# secure_hdfs_client_conf: the client's core-site.xml and hdfs-site.xml: the settings a client
# needs (authentication, the NameNode's principal, the protection levels), none of the servers'
# keytabs: a loader has an identity of its own.
secure_hdfs_client_conf() {
  local c=$SECURE_DIR/hadoop-conf kv
  mkdir -p "$c"
  {
    echo '<?xml version="1.0"?>'
    echo '<configuration>'
    echo "  <property><name>fs.defaultFS</name><value>hdfs://127.0.0.1:$HDFS_SECURE_NN_PORT</value></property>"
    secure_hdfs_settings | grep -E '^(hadoop\.security\.authentication|hadoop\.rpc\.protection)=' |
      while IFS= read -r kv; do echo "  <property><name>${kv%%=*}</name><value>${kv#*=}</value></property>"; done
    echo '</configuration>'
  } >"$c/core-site.xml"
  {
    echo '<?xml version="1.0"?>'
    echo '<configuration>'
    secure_hdfs_settings | grep -E '^(dfs\.namenode\.kerberos\.principal|dfs\.data\.transfer\.protection|dfs\.block\.access\.token\.enable|dfs\.http\.policy)=' |
      while IFS= read -r kv; do echo "  <property><name>${kv%%=*}</name><value>${kv#*=}</value></property>"; done
    echo '</configuration>'
  } >"$c/hdfs-site.xml"
}

# secure_hdfs_start: the Kerberized MiniHdfs, formatted afresh at every start (its namespace holds
# test data only), with /k2h-e2e world-writable (sticky, like /tmp) for the loader's principal.
secure_hdfs_start() {
  local d=$STATE/hdfs-secure args=() kv webapps
  secure_hdfs_keystores
  secure_hdfs_client_conf
  rm -rf "$d"
  mkdir -p "$d" "$STATE/logs"
  secure_hdfs_protection >"$d/protection" # what runs, for the env file, whatever a later up's environment says
  while IFS= read -r kv; do args+=(--conf "$kv"); done < <(secure_hdfs_settings)
  webapps=$(hdfs_webapps)
  cat >"$d/log4j.properties" <<EOF
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$STATE/logs/hdfs-secure.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=%d{ISO8601} %p %c{2}: %m%n
log4j.logger.org.apache.hadoop.util.NativeCodeLoader=ERROR
EOF
  # The JDK's Kerberos reads the KDC's krb5.conf; ssl-server.xml and ssl-client.xml are found on
  # the classpath.
  setsid java "$MARK" -Xms128m -Xmx512m -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Djava.security.krb5.conf="$SECURE_DIR/kdc/krb5.conf" \
    -Dlog4j.configuration="file:$d/log4j.properties" \
    -cp "$SECURE_DIR/hdfs-ssl:$webapps$STATE/classes/hdfs:$(cat "$STATE/classes/hdfs.cp")" \
    MiniHdfs --base "$d/data" --nn-port "$HDFS_SECURE_NN_PORT" --control-port "$HDFS_SECURE_CONTROL_PORT" \
    --datanodes 1 --conf dfs.replication=1 "${args[@]}" --mkdir /k2h-e2e=1777 \
    >>"$STATE/logs/hdfs-secure.out" 2>&1 </dev/null 9>&- &
  echo $! >"$STATE/hdfs-secure.pid"
}

# secure_hdfs_wait: until the secure HDFS answers on its control port, bounded by $TIMEOUT.
secure_hdfs_wait() {
  local deadline=$((SECONDS + TIMEOUT)) start=$SECONDS
  until curl -sf -m 5 "http://127.0.0.1:$HDFS_SECURE_CONTROL_PORT/status" >/dev/null 2>&1; do
    if ! alive hdfs-secure; then
      tail_log "$STATE/logs/hdfs-secure.out"
      tail_log "$STATE/logs/hdfs-secure.log"
      die_up "the secure HDFS exited during startup (logs in $STATE/logs)"
    fi
    [ "$SECONDS" -ge "$deadline" ] && { tail_log "$STATE/logs/hdfs-secure.log"; die_up "the secure HDFS was not ready after $TIMEOUT s"; }
    sleep 0.5
  done
  say "secure hdfs ready after $((SECONDS - start)) s"
}

# secure_complete: the KDC and the secure HDFS run and the env file is of this version of the
# secure setup.
secure_complete() {
  alive kdc && alive hdfs-secure && [ "$(cat "$SECURE_DIR/kdc/principals" 2>/dev/null)" = "$KDC_PRINCIPALS" ] &&
    grep -q '^K2H_TEST_HDFS_RENEW_PRINCIPAL=' "$STATE/env" 2>/dev/null &&
    grep -q '^K2H_TEST_OAUTH_SIGNED_BROKERS=' "$STATE/env" 2>/dev/null
}

# cmd_restart_secure_hdfs: the secure HDFS again, formatted afresh, with the protection level of
# this call's REAL_ENV_HDFS_PROTECTION; rewrites and prints the env.
cmd_restart_secure_hdfs() {
  require_up
  [ "${SECURE:-}" = 1 ] || die "restart-secure-hdfs: the environment is not secure (up --secure)"
  lock
  stop hdfs-secure
  secure_hdfs_start
  secure_hdfs_wait
  write_env
}
