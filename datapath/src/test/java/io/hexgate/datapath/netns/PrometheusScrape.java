package io.hexgate.datapath.netns;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a Prometheus text endpoint served inside a namespace (an agent's metrics on its node's loopback),
 * with a socket made there: the test's own namespace has no route to it.
 */
public final class PrometheusScrape {
  private static final Pattern SAMPLE = Pattern.compile("(?m)^([a-z_]+(?:\\{[^}]*\\})?) ([-+0-9.eE]+|NaN)$");

  private PrometheusScrape() {}

  /** Every sample of {@code 127.0.0.1:port/metrics} in {@code in}'s namespace, keyed {@code name{labels}} as printed. */
  public static Map<String, Double> samples(NetNsThread in, int port) throws Exception {
    String response = in.call(() -> get(port));
    if (!response.startsWith("HTTP/1.1 200")) {
      throw new IOException("GET /metrics on port " + port + " in " + in.name() + " answered: "
          + response.lines().findFirst().orElse("nothing"));
    }
    Map<String, Double> samples = new HashMap<>();
    Matcher m = SAMPLE.matcher(response);
    while (m.find()) {
      samples.put(m.group(1), Double.parseDouble(m.group(2)));
    }
    return samples;
  }

  private static String get(int port) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      out.write("GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
