package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import prefork.examples.EchoChild;

/**
 * TLS and address-policy options are checked before anything binds, and a refusal names the option and the
 * file or value: missing or unreadable files, a key that does not match its certificate, keys the PEM reader
 * does not take (SEC1 EC, encrypted), a wrong PKCS#12 password, client auth without a CA, a bad CIDR. PKCS#8
 * EC and RSA keys, RSA PKCS#1 keys and PKCS#12 files made by openssl are accepted.
 */
class TlsOptionsTest {
    private static TestCertificates certs;
    private static Path rsaPkcs1Key, rsaPkcs1Cert, sec1Key, keystore;

    @BeforeAll
    static void files() throws Exception {
        certs = TestCertificates.make("options-test");
        rsaPkcs1Key = certs.dir.resolve("rsa-pkcs1.key");
        rsaPkcs1Cert = certs.dir.resolve("rsa-pkcs1.pem");
        TestCertificates.openssl("genrsa", "-traditional", "-out", rsaPkcs1Key.toString(), "2048");
        TestCertificates.openssl("req", "-x509", "-key", rsaPkcs1Key.toString(), "-out", rsaPkcs1Cert.toString(),
                "-subj", "/CN=rsa", "-days", "1");
        sec1Key = certs.dir.resolve("sec1.key");
        TestCertificates.openssl("ecparam", "-genkey", "-name", "prime256v1", "-noout", "-out", sec1Key.toString());
        keystore = certs.dir.resolve("server.p12");
        TestCertificates.openssl("pkcs12", "-export", "-in", certs.serverCert.toString(), "-inkey",
                certs.serverKey.toString(), "-out", keystore.toString(), "-passout", "pass:secret");
    }

    private static ServerBuilder tls() {
        return PreforkServer.builder(EchoChild.class).port(0).protocol(Protocol.TLS);
    }

    private static String refusal(ServerBuilder builder) {
        return assertThrows(InvalidOptionException.class, builder::validate).getMessage();
    }

    @Test
    void goodKeyMaterialIsAccepted() {
        tls().tlsCert(certs.serverCert).tlsKey(certs.serverKey).validate();
        tls().tlsCert(rsaPkcs1Cert).tlsKey(rsaPkcs1Key).validate();
        tls().tlsKeystore(keystore).tlsKeystorePassword("secret").validate();
        tls().tlsCert(certs.serverCert).tlsKey(certs.serverKey).tlsClientAuth("need").tlsClientCa(certs.caCert).validate();
        PreforkServer.builder(EchoChild.class).tlsCert(Path.of("/nonexistent")).validate(); // no tls listener: unused
    }

    @Test
    void badKeyMaterialIsRefusedNamingTheOptionAndFile() {
        assertTrue(refusal(tls()).startsWith("tlsCert=null is needed for a tls listener"));
        assertTrue(refusal(tls().tlsCert(certs.serverCert)).startsWith("tlsKey=null is needed"));
        String missing = refusal(tls().tlsCert(Path.of("/nonexistent/cert.pem")).tlsKey(certs.serverKey));
        assertTrue(missing.startsWith("tlsCert=\"/nonexistent/cert.pem\" cannot be read"), missing);
        String mismatch = refusal(tls().tlsCert(certs.serverCert).tlsKey(certs.clientKey));
        assertEquals("tlsKey=\"" + certs.clientKey + "\" does not match the certificate of tlsCert=\""
                + certs.serverCert + "\"", mismatch);
        String sec1 = refusal(tls().tlsCert(certs.serverCert).tlsKey(sec1Key));
        assertTrue(sec1.contains("is a SEC1 EC key: convert it with `openssl pkcs8 -topk8 -nocrypt"), sec1);
        assertTrue(refusal(tls().tlsCert(certs.serverCert).tlsKey(certs.serverCert)).contains("holds no PEM private key"));
        String password = refusal(tls().tlsKeystore(keystore).tlsKeystorePassword("wrong"));
        assertTrue(password.startsWith("tlsKeystore=\"" + keystore + "\" cannot be opened with the keystore password given"),
                password);
        assertTrue(refusal(tls().tlsKeystore(keystore).tlsCert(certs.serverCert)).contains("cannot be used with tlsCert"));
        assertEquals("tlsClientCa=null is needed for tlsClientAuth=\"need\"",
                refusal(tls().tlsCert(certs.serverCert).tlsKey(certs.serverKey).tlsClientAuth("need")));
        assertTrue(refusal(tls().tlsCert(certs.serverCert).tlsKey(certs.serverKey).tlsClientCa(certs.caCert))
                .contains("needs tlsClientAuth"));
    }

    @Test
    void aRefusedStartBindsNothing() {
        AtomicBoolean bound = new AtomicBoolean();
        ManagerHooks watch = new ManagerHooks() {
            @Override
            public void preBind() {
                bound.set(true);
            }
        };
        assertThrows(InvalidOptionException.class,
                () -> tls().tlsCert(certs.serverCert).tlsKey(certs.clientKey).hooks(watch).start());
        assertFalse(bound.get(), "refused before the bind");
    }

    @Test
    void aBadCidrIsRefusedInTheWordsOfEachSurface() {
        InvalidOptionException flag = assertThrows(InvalidOptionException.class,
                () -> Launcher.parse(new String[] {"--handler", EchoChild.class.getName(), "--allow", "10.0.0.1/8"}));
        assertEquals("--allow=\"10.0.0.1/8\" has bits set after the prefix: the block is 10.0.0.0/8",
                flag.messageFor(Option.Surface.LAUNCHER));
        InvalidOptionException java = assertThrows(InvalidOptionException.class,
                () -> PreforkServer.builder(EchoChild.class).deny("::1/129"));
        assertTrue(java.getMessage().startsWith("deny=\"::1/129\" has a prefix length out of range"), java.getMessage());
        assertThrows(InvalidOptionException.class, () -> PreforkServer.builder(EchoChild.class).allow("localhost"));
    }
}
