package prefork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import prefork.testchildren.TlsInfoChild;

/**
 * TLS listeners with real worker JVMs: the JDK's client and openssl s_client get plaintext through the worker's
 * handshake; a client that keeps its connection open after the answer does not hold the worker; a client that stalls in the handshake is cut at the handshake timeout and the one worker serves
 * the next; client authentication need and want (the latter in reuse-port mode); a HUP makes the new generation read new certificate files.
 */
@Timeout(120)
class TlsIT {
    private static TestCertificates certs;
    private final CapturingLog log = new CapturingLog();

    @BeforeAll
    static void certificates() throws IOException {
        certs = TestCertificates.make("tls-it");
    }

    @AfterEach
    void nothingLeft() {
        Processes.assertNoChildren();
    }

    @Test
    void jdkAndOpensslClientsGetPlaintextAndNeitherAClientLeftOpenNorAStalledHandshakeHoldsTheWorker()
            throws Exception {
        // an idle timeout above the clients' 10 s: a worker held until it would fail the test
        try (PreforkServer server = tls(1).tlsHandshakeTimeout(Duration.ofSeconds(1)).idleTimeout(Duration.ofSeconds(30))
                .start()) {
            int port = server.port();
            String pid;
            try (SSLSocket kept = TestCertificates.connect(certs.client(false), port)) {
                String jdk = Clients.send(kept, "hello");
                assertTrue(jdk.matches("pid=\\d+ peer=none line=hello"), jdk);
                pid = jdk.substring(0, jdk.indexOf(' '));
                // kept open: the worker must not wait for this client's close_notify
                String openssl = sClient(port, "from-openssl", List.of());
                assertTrue(openssl.contains(pid + " peer=none line=from-openssl"), "the same worker: " + openssl);
            }

            Await.until(Duration.ofSeconds(10), "the worker is idle", () -> server.stats().busy() == 0);
            try (Socket stalled = Clients.connect(port)) {
                stalled.getOutputStream().write(new byte[] {0x16, 0x03, 0x01}); // a record header, then nothing
                long since = System.nanoTime();
                int read;
                try {
                    read = stalled.getInputStream().read();
                } catch (IOException reset) {
                    read = -1;
                }
                long after = (System.nanoTime() - since) / 1_000_000;
                assertEquals(-1, read, "the worker hung up");
                assertTrue(after >= 800 && after < 5_000, "at the handshake timeout: " + after + " ms");
            }
            assertEquals(pid, exchange(certs.client(false), port, "next").split(" ")[0], "the one worker is free");
            Await.until(Duration.ofSeconds(5), "one log line says why",
                    () -> log.contains("failed: not complete within 1000 ms (tlsHandshakeTimeout)"));
            assertTrue(log.lines.stream().noneMatch(line -> line.contains("\tat ")), "no stack trace");
            assertEquals(1, server.stats().spawned(), "no worker was replaced");
        }
    }

    @Test
    void clientAuthNeedRefusesAClientWithoutACertificateAndTellsTheHandlerWhoSentOne() throws Exception {
        try (PreforkServer server = tls(1).tlsClientAuth("need").tlsClientCa(certs.caCert).start()) {
            int port = server.port();
            assertThrows(IOException.class, () -> exchange(certs.client(false), port, "anonymous"));
            String jdk = exchange(certs.client(true), port, "signed");
            assertTrue(jdk.endsWith(" peer=CN=prefork-test-client line=signed"), jdk);
            String openssl = sClient(port, "signed-openssl", List.of("-cert", certs.clientCert.toString(), "-key",
                    certs.clientKey.toString()));
            assertTrue(openssl.contains(" peer=CN=prefork-test-client line=signed-openssl"), openssl);
            String anonymous = sClient(port, "anonymous-openssl", List.of());
            assertTrue(!anonymous.contains("line=anonymous-openssl"), "not served: " + anonymous);
            Await.until(Duration.ofSeconds(5), "the refusals are logged", () -> log.contains("TLS handshake with"));
        }
    }

    @Test
    void clientAuthWantServesClientsWithAndWithoutACertificateInReusePortMode() throws Exception {
        try (PreforkServer server = tls(1).reusePort(true).tlsClientAuth("want").tlsClientCa(certs.caCert).start()) {
            assertTrue(exchange(certs.client(false), server.port(), "a").endsWith(" peer=none line=a"));
            assertTrue(exchange(certs.client(true), server.port(), "b").endsWith(" peer=CN=prefork-test-client line=b"));
        }
    }

    @Test
    void aHupMakesTheNewGenerationReadTheNewCertificate() throws Exception {
        TestCertificates rotating = TestCertificates.make("tls-it-hup");
        try (LaunchedManager manager = new LaunchedManager("tls-it-hup", TlsInfoChild.class, "--min-servers", "1",
                "--max-servers", "1", "--min-spare-servers", "0", "--add-listener", "tls://127.0.0.1:0",
                "--tls-cert", rotating.serverCert.toString(), "--tls-key", rotating.serverKey.toString())) {
            String line = manager.nextLine();
            assertTrue(line.startsWith("prefork: listening on tls 127.0.0.1:"), line);
            int port = Integer.parseInt(line.substring(line.lastIndexOf(':') + 1));
            SSLContext client = rotating.client(false);
            BigInteger before = servedSerial(client, port);
            assertEquals(TestCertificates.certificate(rotating.serverCert).getSerialNumber(), before);

            Path newCert = rotating.dir.resolve("new.pem"), newKey = rotating.dir.resolve("new.key");
            rotating.issue(newCert, newKey, "/CN=prefork-test-server-2", "rsa",
                    "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
            Files.move(newKey, rotating.serverKey, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Files.move(newCert, rotating.serverCert, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            BigInteger expected = TestCertificates.certificate(rotating.serverCert).getSerialNumber();
            assertEquals(before, servedSerial(client, port), "a running worker keeps the certificate it read");

            manager.signal("HUP");
            Await.until(Duration.ofSeconds(30), "the new generation serves the new certificate", () -> {
                try {
                    return expected.equals(servedSerial(client, port));
                } catch (Exception e) {
                    return false;
                }
            });
        }
    }

    private ServerBuilder tls(int workers) {
        return TestServers.pool(TlsInfoChild.class, log, workers, workers, workers).protocol(Protocol.TLS)
                .tlsCert(certs.serverCert).tlsKey(certs.serverKey);
    }

    /** Sends a line over TLS and returns the answer's line. */
    private static String exchange(SSLContext context, int port, String line) throws IOException {
        try (SSLSocket socket = TestCertificates.connect(context, port)) {
            String answer = Clients.send(socket, line);
            if (answer == null) {
                throw new IOException("closed without an answer");
            }
            return answer;
        }
    }

    /** The serial number of the certificate a server presents, after a full exchange. */
    private static BigInteger servedSerial(SSLContext context, int port) throws IOException {
        try (SSLSocket socket = TestCertificates.connect(context, port)) {
            Clients.send(socket, "serial");
            return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
        }
    }

    /** Runs openssl s_client against 127.0.0.1:port, verifying the server against the test CA; returns its output. */
    private static String sClient(int port, String line, List<String> extra) throws Exception {
        List<String> command = new ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port,
                "-CAfile", certs.caCert.toString(), "-verify_return_error", "-verify_ip", "127.0.0.1", "-quiet"));
        command.addAll(extra);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try (OutputStream in = process.getOutputStream()) {
            in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(20, TimeUnit.SECONDS), "s_client exits once the server closes");
        return output;
    }
}
