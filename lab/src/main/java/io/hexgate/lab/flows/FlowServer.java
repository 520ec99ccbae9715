package io.hexgate.lab.flows;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Comparator;
import java.util.List;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Serves the lab's last flows on loopback, for {@code hexgate lab flows}: {@code GET /flows?last=N} with the
 * criteria of a {@link FlowFilter} ({@code &pod=[NS/]NAME&protocol=P&type=T}) answers one {@link FlowLine}
 * per line, oldest first.
 */
public final class FlowServer implements AutoCloseable {
  public static final int MAX_LAST = 10_000;

  private final HttpServer server;

  private FlowServer(HttpServer server) {
    this.server = server;
  }

  /** Listens on a free loopback port. */
  public static FlowServer start(FlowLog log, Function<String, String> names) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/flows", exchange -> answer(exchange, log, names));
    server.start();
    return new FlowServer(server);
  }

  public URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/flows");
  }

  private static void answer(HttpExchange exchange, FlowLog log, Function<String, String> names) throws IOException {
    try (exchange) {
      int status = 200;
      String body;
      try {
        String query = exchange.getRequestURI().getRawQuery();
        int last = last(query);
        FlowFilter filter = FlowFilter.parse(query);
        List<FlowLog.Entry> matching = log.last(Integer.MAX_VALUE).stream()
            .filter(e -> filter.test(e.flow(), names))
            // agents report in batches, node by node: order by when the flows happened
            .sorted(Comparator.comparingLong(e -> e.flow().getTimeNanos()))
            .toList();
        body = matching.subList(Math.max(0, matching.size() - last), matching.size()).stream()
            .map(e -> FlowLine.format(e, names) + "\n")
            .collect(Collectors.joining());
      } catch (IllegalArgumentException e) {
        status = 400;
        body = e.getMessage() + "\n";
      }
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
      exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
      if (bytes.length > 0) {
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(bytes);
        }
      }
    }
  }

  static int last(String query) {
    int last = 20;
    if (query != null) {
      for (String kv : query.split("&")) {
        if (kv.startsWith("last=")) {
          try {
            last = Integer.parseInt(kv.substring(5));
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("last: not a number: " + kv.substring(5));
          }
        }
      }
    }
    if (last < 1 || last > MAX_LAST) {
      throw new IllegalArgumentException("last: " + last + " is not within 1.." + MAX_LAST);
    }
    return last;
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
