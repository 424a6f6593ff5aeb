package prefork;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/** A plain HTTP GET on 127.0.0.1 with bounded timeouts, for the metrics port and Prometheus' API. */
public final class Http {
    /** A response: status and body. */
    public record Response(int status, String body) {}

    private Http() {}

    static Response get(int port, String pathAndQuery) throws IOException {
        HttpURLConnection connection = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + pathAndQuery)
                .toURL().openConnection();
        connection.setConnectTimeout(10_000);
        connection.setReadTimeout(10_000);
        try {
            int status = connection.getResponseCode();
            InputStream body = status < 400 ? connection.getInputStream() : connection.getErrorStream();
            return new Response(status, body == null ? "" : new String(body.readAllBytes(), StandardCharsets.UTF_8));
        } finally {
            connection.disconnect();
        }
    }

    /** The value of the one sample named {@code series} (with its labels, as exposed) in a /metrics body. */
    static double sample(String metrics, String series) {
        return metrics.lines().filter(line -> line.startsWith(series + " ")).findFirst()
                .map(line -> Double.parseDouble(line.substring(series.length() + 1).trim()))
                .orElseThrow(() -> new AssertionError("no sample " + series + " in:\n" + metrics));
    }
}
