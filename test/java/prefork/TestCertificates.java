package prefork;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import prefork.internal.TlsMaterial;
import prefork.internal.TlsSettings;

/**
 * Test-only certificates, made at test time with Debian's openssl into a directory under target/ (no private
 * key is ever committed): a CA, a server certificate for 127.0.0.1, ::1 and localhost signed by it, a client
 * certificate signed by it; EC P-256 keys in PKCS#8 unless asked otherwise. Also the JDK clients the TLS tests
 * use (also from test/clj).
 */
public final class TestCertificates {
    public final Path dir;
    public final Path caCert, caKey, serverCert, serverKey, clientCert, clientKey;

    private TestCertificates(Path dir) {
        this.dir = dir;
        caCert = dir.resolve("ca.pem");
        caKey = dir.resolve("ca.key");
        serverCert = dir.resolve("server.pem");
        serverKey = dir.resolve("server.key");
        clientCert = dir.resolve("client.pem");
        clientKey = dir.resolve("client.key");
    }

    /** A fresh CA, server and client certificate in target/tls-NAME. */
    public static TestCertificates make(String name) throws IOException {
        Path dir = Path.of("target", "tls-" + name).toAbsolutePath();
        Files.createDirectories(dir);
        TestCertificates certs = new TestCertificates(dir);
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                certs.caKey.toString(), "-out", certs.caCert.toString(), "-days", "2", "-subj", "/CN=prefork-test-ca",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        certs.issue(certs.serverCert, certs.serverKey, "/CN=prefork-test-server", "ec",
                "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
        certs.issue(certs.clientCert, certs.clientKey, "/CN=prefork-test-client", "ec",
                "extendedKeyUsage=clientAuth\n");
        return certs;
    }

    /** Issues a certificate for {@code subject} with a new key ("ec", or "rsa": PKCS#8 either way), signed by the CA. */
    void issue(Path cert, Path key, String subject, String keyType, String extensions) throws IOException {
        Path csr = dir.resolve(cert.getFileName() + ".csr"), ext = dir.resolve(cert.getFileName() + ".ext");
        Files.writeString(ext, extensions);
        List<String> newKey = keyType.equals("rsa") ? List.of("-newkey", "rsa:2048")
                : List.of("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1");
        List<String> request = new ArrayList<>(List.of("req"));
        request.addAll(newKey);
        request.addAll(List.of("-nodes", "-keyout", key.toString(), "-out", csr.toString(), "-subj", subject));
        openssl(request.toArray(String[]::new));
        openssl("x509", "-req", "-in", csr.toString(), "-CA", caCert.toString(), "-CAkey", caKey.toString(),
                "-set_serial", Long.toString(System.nanoTime() & Long.MAX_VALUE), "-out", cert.toString(), "-days", "2",
                "-extfile", ext.toString());
    }

    /** Runs openssl with {@code args}; throws with its output when it fails. */
    static String openssl(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IOException("openssl " + String.join(" ", args) + " failed:\n" + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        return output;
    }

    static X509Certificate certificate(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    /** A JDK client context that trusts only the test CA and, with {@code withClientCertificate}, presents the client's. */
    public SSLContext client(boolean withClientCertificate) throws Exception {
        if (withClientCertificate) {
            return TlsMaterial.load(new TlsSettings(clientCert, clientKey, null, "need", caCert, 1000), "").context();
        }
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", certificate(caCert));
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }

    /** Connects to 127.0.0.1:port with {@code context}, checking the server's name (its IP), handshake done. */
    public static SSLSocket connect(SSLContext context, int port) throws IOException {
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket();
        socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), Clients.TIMEOUT_MILLIS);
        socket.setSoTimeout(Clients.TIMEOUT_MILLIS);
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        socket.setSSLParameters(parameters);
        socket.startHandshake();
        return socket;
    }
}
