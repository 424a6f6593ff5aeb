package prefork.internal;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * The server's one key and certificate chain, handed to the JDK's TLS as they are: no keystore in between (an
 * in-memory PKCS#12 store would encrypt the key and the key manager decrypt it again, 10,000 PBKDF2 rounds
 * each, on every worker's boot). Offers the key for the signature schemes of its own algorithm only, as a
 * server's and as a client's.
 */
final class SingleKeyManager extends X509ExtendedKeyManager {
    private static final String ALIAS = "server";
    private final PrivateKey key;
    private final X509Certificate[] chain;

    SingleKeyManager(PrivateKey key, X509Certificate[] chain) {
        this.key = key;
        this.chain = chain.clone();
    }

    private String aliasFor(String keyType) {
        String algorithm = key.getAlgorithm();
        return keyType != null && (keyType.equals(algorithm) || keyType.startsWith(algorithm + "_")) ? ALIAS : null;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        String alias = aliasFor(keyType);
        return alias == null ? null : new String[] {alias};
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return aliasFor(keyType);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return aliasFor(keyType);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        return ALIAS.equals(alias) ? chain.clone() : null;
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        return ALIAS.equals(alias) ? key : null;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return getServerAliases(keyType, issuers);
    }

    @Override
    public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
        return chooseClient(keyTypes);
    }

    @Override
    public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
        return chooseClient(keyTypes);
    }

    /** The alias when one of {@code keyTypes} fits the key (a client presenting this key: tests do). */
    private String chooseClient(String[] keyTypes) {
        for (String keyType : keyTypes == null ? new String[0] : keyTypes) {
            if (aliasFor(keyType) != null) {
                return ALIAS;
            }
        }
        return null;
    }
}
