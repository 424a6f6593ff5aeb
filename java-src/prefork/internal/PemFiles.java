package prefork.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads PEM files with the JDK alone (its own PEM API comes with JDK 25 only): certificate chains, and private
 * keys in PKCS#8 ({@code BEGIN PRIVATE KEY}: RSA, EC, Ed25519, Ed448, RSASSA-PSS, DSA) or RSA PKCS#1
 * ({@code BEGIN RSA PRIVATE KEY}, wrapped into PKCS#8 here). Encrypted keys and SEC1 EC keys
 * ({@code BEGIN EC PRIVATE KEY}) are refused with the openssl command that converts them. Every method throws
 * IllegalArgumentException with a reason fit to follow the option and file name.
 */
public final class PemFiles {
    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s:,-]*?)-----END \\1-----");
    private static final String CONVERT = ": convert it with `openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8`";
    /** The DER of AlgorithmIdentifier { rsaEncryption, NULL }. */
    private static final byte[] RSA_ALGORITHM = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86,
            (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};

    private PemFiles() {}

    /** The certificates of {@code file}, in order (the server's first, then its issuers); at least one. */
    public static List<X509Certificate> certificates(Path file) {
        byte[] bytes = read(file);
        try {
            List<X509Certificate> chain = new ArrayList<>();
            for (Certificate certificate : CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(bytes))) {
                chain.add((X509Certificate) certificate);
            }
            if (chain.isEmpty()) {
                throw new IllegalArgumentException("holds no certificate");
            }
            return chain;
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("is not a PEM certificate file: " + e.getMessage());
        }
    }

    /** The private key of {@code file}. */
    public static PrivateKey privateKey(Path file) {
        String text = new String(read(file), StandardCharsets.US_ASCII);
        Matcher block = BLOCK.matcher(text);
        while (block.find()) {
            String type = block.group(1);
            String body = block.group(2);
            switch (type) {
                case "PRIVATE KEY" -> {
                    return pkcs8(decode(body));
                }
                case "RSA PRIVATE KEY" -> {
                    if (body.contains("ENCRYPTED")) {
                        throw new IllegalArgumentException("is an encrypted key" + CONVERT);
                    }
                    return pkcs8(wrapRsa(decode(body)));
                }
                case "ENCRYPTED PRIVATE KEY" -> throw new IllegalArgumentException("is an encrypted key" + CONVERT);
                case "EC PRIVATE KEY" -> throw new IllegalArgumentException("is a SEC1 EC key" + CONVERT);
                default -> {
                    // EC PARAMETERS and the like come before the key: go on
                }
            }
        }
        throw new IllegalArgumentException("holds no PEM private key (BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY)");
    }

    private static PrivateKey pkcs8(byte[] der) {
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        for (String algorithm : List.of("RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS", "DSA")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException | RuntimeException e) {
                // not this algorithm: try the next
            }
        }
        throw new IllegalArgumentException("holds a private key of an algorithm the JDK cannot read");
    }

    /** PrivateKeyInfo { version 0, rsaEncryption, OCTET STRING { the PKCS#1 key } }. */
    private static byte[] wrapRsa(byte[] pkcs1) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(new byte[] {0x02, 0x01, 0x00});
        body.writeBytes(RSA_ALGORITHM);
        body.writeBytes(tagged(0x04, pkcs1));
        return tagged(0x30, body.toByteArray());
    }

    private static byte[] tagged(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        int length = content.length;
        if (length < 0x80) {
            out.write(length);
        } else {
            int bytes = length > 0xffffff ? 4 : length > 0xffff ? 3 : length > 0xff ? 2 : 1;
            out.write(0x80 | bytes);
            for (int i = bytes - 1; i >= 0; i--) {
                out.write(length >>> (8 * i));
            }
        }
        out.writeBytes(content);
        return out.toByteArray();
    }

    private static byte[] decode(String body) {
        StringBuilder base64 = new StringBuilder();
        for (String line : body.split("\\R")) {
            if (!line.contains(":")) { // skip RFC 1421 headers such as Proc-Type
                base64.append(line.strip());
            }
        }
        try {
            return Base64.getDecoder().decode(base64.toString());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("is not valid PEM (bad base64)");
        }
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot be read: " + e);
        }
    }
}
