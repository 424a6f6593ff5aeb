package prefork.manager;

import java.nio.file.Path;
import java.util.List;
import prefork.InvalidOptionException;
import prefork.ListenerSpec;
import prefork.Option;
import prefork.Options;
import prefork.Protocol;
import prefork.internal.TlsMaterial;
import prefork.internal.TlsSettings;

/**
 * The TLS options checked against each other and the listeners before anything binds: a tls listener needs
 * tls-cert with tls-key, or tls-keystore; client authentication needs tls-client-ca, and a CA file needs client
 * authentication. Without a tls listener the TLS options are not used and not checked. The files are loaded once here ({@link TlsMaterial}), so an
 * unreadable file or a key that does not match its certificate refuses the start.
 */
final class TlsCheck {
    private TlsCheck() {}

    /** The settings for the tls listeners, or null when there is none; throws InvalidOptionException. */
    static TlsSettings of(ServerConfig config, List<ListenerSpec> listeners) {
        Path cert = config.get(Options.TLS_CERT), key = config.get(Options.TLS_KEY);
        Path keystore = config.get(Options.TLS_KEYSTORE), ca = config.get(Options.TLS_CLIENT_CA);
        String clientAuth = config.get(Options.TLS_CLIENT_AUTH);
        if (listeners.stream().noneMatch(listener -> listener.protocol() == Protocol.TLS)) {
            return null; // like unix-path without a unix listener: nothing to check, nothing used
        }
        if (keystore != null && (cert != null || key != null)) {
            throw new InvalidOptionException(Options.TLS_KEYSTORE, keystore.toString(), "cannot be used with %s",
                    cert != null ? Options.TLS_CERT : Options.TLS_KEY, String.valueOf(cert != null ? cert : key));
        }
        if (keystore == null && (cert == null || key == null)) {
            Option<Path> missing = cert == null ? Options.TLS_CERT : Options.TLS_KEY;
            throw new InvalidOptionException(missing, null,
                    "is needed for a tls listener (a certificate and its key, or a PKCS#12 keystore instead)");
        }
        if (!clientAuth.equals("none") && ca == null) {
            throw new InvalidOptionException(Options.TLS_CLIENT_CA, null, "is needed for %s",
                    Options.TLS_CLIENT_AUTH, clientAuth);
        }
        if (clientAuth.equals("none") && ca != null) {
            throw new InvalidOptionException(Options.TLS_CLIENT_CA, ca.toString(), "needs %s (want or need)",
                    Options.TLS_CLIENT_AUTH, clientAuth);
        }
        long handshakeMillis = config.get(Options.TLS_HANDSHAKE_TIMEOUT).toMillis();
        if (handshakeMillis <= 0) {
            throw new InvalidOptionException(Options.TLS_HANDSHAKE_TIMEOUT, handshakeMillis / 1000.0,
                    "must be at least 0.001 seconds");
        }
        TlsSettings settings = new TlsSettings(absolute(cert), absolute(key), absolute(keystore), clientAuth,
                absolute(ca), handshakeMillis);
        TlsMaterial.load(settings, config.get(Options.TLS_KEYSTORE_PASSWORD));
        return settings;
    }

    private static Path absolute(Path path) {
        return path == null ? null : path.toAbsolutePath();
    }
}
