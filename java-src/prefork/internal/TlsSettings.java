package prefork.internal;

import java.nio.file.Path;

/**
 * Where a TLS listener's key material is and how its handshakes go, as checked by the manager and read again by
 * every worker of the listener when it boots (so a new generation, after HUP, reads the files again). The
 * keystore password is not part of it: it reaches workers in the environment variable {@link #PASSWORD_VARIABLE}
 * (readable only by their user), never on a command line.
 *
 * @param cert the PEM certificate chain (with {@code key}), or null when {@code keystore} is given
 * @param key the PEM private key, or null
 * @param keystore the PKCS#12 file, or null
 * @param clientAuth "none", "want" or "need"
 * @param clientCa the PEM CA certificates client certificates must chain to, or null (clientAuth none)
 * @param handshakeTimeoutMillis how long a client may take over the handshake, more than 0
 */
public record TlsSettings(Path cert, Path key, Path keystore, String clientAuth, Path clientCa,
        long handshakeTimeoutMillis) {
    /** The worker's environment variable holding the keystore password. */
    public static final String PASSWORD_VARIABLE = "PREFORK_TLS_KEYSTORE_PASSWORD";

    public TlsSettings {
        if ((keystore == null) == (cert == null || key == null)) {
            throw new IllegalArgumentException("TLS needs either a certificate and key or a keystore");
        }
        if (!clientAuth.equals("none") && !clientAuth.equals("want") && !clientAuth.equals("need")) {
            throw new IllegalArgumentException("tls client auth must be none, want or need, not " + clientAuth);
        }
        if (handshakeTimeoutMillis <= 0) {
            throw new IllegalArgumentException("the handshake timeout must be positive");
        }
    }
}
