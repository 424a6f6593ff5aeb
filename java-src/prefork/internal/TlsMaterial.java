package prefork.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import prefork.InvalidOptionException;
import prefork.Option;
import prefork.Options;

/**
 * A TLS listener's key material, loaded from the files of {@link TlsSettings}: the manager loads it once to
 * refuse bad files before anything binds, each worker again to make its {@link SSLContext}. Each method throws
 * {@link InvalidOptionException} naming the option whose file is wrong (unreadable, not PEM or PKCS#12, a wrong
 * password, a key that does not match its certificate).
 */
public final class TlsMaterial {
    private final PrivateKey key;
    private final X509Certificate[] chain;
    private final KeyStore trust;

    private TlsMaterial(PrivateKey key, X509Certificate[] chain, KeyStore trust) {
        this.key = key;
        this.chain = chain;
        this.trust = trust;
    }

    /** Loads and checks the files of {@code settings}; {@code password} is the keystore's (ignored for PEM). */
    public static TlsMaterial load(TlsSettings settings, String password) {
        KeyStore trust = settings.clientCa() == null ? null : trustStore(settings.clientCa());
        if (settings.keystore() != null) {
            char[] secret = password.toCharArray();
            return checkedEntry(pkcs12(settings.keystore(), secret), secret, settings.keystore(), trust);
        }
        List<X509Certificate> chain = refused(Options.TLS_CERT, settings.cert(),
                () -> PemFiles.certificates(settings.cert()));
        PrivateKey key = refused(Options.TLS_KEY, settings.key(), () -> PemFiles.privateKey(settings.key()));
        if (!matches(key, chain.get(0))) {
            throw new InvalidOptionException(Options.TLS_KEY, settings.key().toString(),
                    "does not match the certificate of %s", Options.TLS_CERT, settings.cert().toString());
        }
        return new TlsMaterial(key, chain.toArray(new X509Certificate[0]), trust);
    }

    /** The server's own certificate (the first of its chain). */
    public X509Certificate certificate() {
        return chain[0];
    }

    /**
     * A TLS context with this key and, when a client CA was given, trusting only it for client certificates
     * (without one, no trust store is loaded at all).
     */
    public SSLContext context() throws GeneralSecurityException {
        TrustManager[] trustManagers = new TrustManager[0];
        if (trust != null) {
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trust);
            trustManagers = factory.getTrustManagers();
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(new KeyManager[] {new SingleKeyManager(key, chain)}, trustManagers, null);
        return context;
    }

    private static KeyStore pkcs12(Path file, char[] password) {
        try (InputStream in = Files.newInputStream(file)) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, password);
            return store;
        } catch (IOException e) {
            String why = e.getCause() instanceof java.security.UnrecoverableKeyException
                    ? "cannot be opened with the keystore password given (wrong password?)"
                    : "cannot be read as PKCS#12: " + e.getMessage();
            throw new InvalidOptionException(Options.TLS_KEYSTORE, file.toString(), why);
        } catch (GeneralSecurityException e) {
            throw new InvalidOptionException(Options.TLS_KEYSTORE, file.toString(), "cannot be read as PKCS#12: " + e);
        }
    }

    /** The keystore's one key entry, checked against its certificate. */
    private static TlsMaterial checkedEntry(KeyStore store, char[] password, Path file, KeyStore trust) {
        try {
            for (String alias : Collections.list(store.aliases())) {
                if (store.isKeyEntry(alias)) {
                    Key key = store.getKey(alias, password);
                    Certificate[] chain = store.getCertificateChain(alias);
                    if (key instanceof PrivateKey privateKey && chain != null && chain.length > 0
                            && chain[0] instanceof X509Certificate first && matches(privateKey, first)) {
                        X509Certificate[] x509 = new X509Certificate[chain.length];
                        for (int i = 0; i < chain.length; i++) {
                            x509[i] = (X509Certificate) chain[i];
                        }
                        return new TlsMaterial(privateKey, x509, trust);
                    }
                    throw new InvalidOptionException(Options.TLS_KEYSTORE, file.toString(),
                            "has a key entry (" + alias + ") without a matching certificate");
                }
            }
        } catch (GeneralSecurityException | ClassCastException e) {
            throw new InvalidOptionException(Options.TLS_KEYSTORE, file.toString(), "cannot be read: " + e);
        }
        throw new InvalidOptionException(Options.TLS_KEYSTORE, file.toString(), "holds no private key entry");
    }

    private static KeyStore trustStore(Path file) {
        List<X509Certificate> authorities = refused(Options.TLS_CLIENT_CA, file, () -> PemFiles.certificates(file));
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            for (int i = 0; i < authorities.size(); i++) {
                store.setCertificateEntry("ca-" + i, authorities.get(i));
            }
            return store;
        } catch (GeneralSecurityException | IOException e) {
            throw new InvalidOptionException(Options.TLS_CLIENT_CA, file.toString(), "cannot be used: " + e);
        }
    }

    /** Whether {@code key} signs what {@code certificate}'s public key verifies. */
    static boolean matches(PrivateKey key, X509Certificate certificate) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "DSA" -> "SHA256withDSA";
            default -> key.getAlgorithm(); // Ed25519, Ed448, EdDSA
        };
        try {
            byte[] sample = new byte[32];
            new SecureRandom().nextBytes(sample);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(sample);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(certificate.getPublicKey());
            verifier.update(sample);
            return verifier.verify(signature);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    private static <T> T refused(Option<?> option, Path file, java.util.function.Supplier<T> reading) {
        try {
            return reading.get();
        } catch (IllegalArgumentException e) {
            throw new InvalidOptionException(option, file.toString(), e.getMessage());
        }
    }
}
