package io.hexgate.operator.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * Serves {@code GET /metrics} (Prometheus text format) and {@code GET /readyz} with the JDK's HTTP server
 * on one daemon thread. {@code /readyz} answers 200 only while this replica serves agents (it leads): as
 * the readiness probe of the operator's pods it keeps only the leader behind the agents' Service, so
 * agents given the Service's one address reach the leader, and reach the next one after a failover.
 */
public final class MetricsServer implements AutoCloseable {
  public static final int DEFAULT_PORT = 9963;

  private final HttpServer server;

  private MetricsServer(HttpServer server) {
    this.server = server;
  }

  /** Listens on every address at {@code port} (0 picks a free one); always ready. */
  public static MetricsServer start(int port, OperatorMetrics metrics) throws IOException {
    return start(port, metrics, () -> true);
  }

  /** As {@link #start(int, OperatorMetrics)}, ready while {@code ready} says so. */
  public static MetricsServer start(int port, OperatorMetrics metrics, BooleanSupplier ready) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
    server.createContext("/metrics", exchange -> handle(exchange, metrics));
    server.createContext("/readyz", exchange -> ready(exchange, ready));
    server.setExecutor(
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "hexgate-metrics");
              t.setDaemon(true);
              return t;
            }));
    server.start();
    return new MetricsServer(server);
  }

  private static void handle(HttpExchange exchange, OperatorMetrics metrics) throws IOException {
    try (exchange) {
      if (!exchange.getRequestMethod().equals("GET") && !exchange.getRequestMethod().equals("HEAD")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      byte[] body = metrics.scrape().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
      if (exchange.getRequestMethod().equals("HEAD")) {
        exchange.sendResponseHeaders(200, -1);
        return;
      }
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  private static void ready(HttpExchange exchange, BooleanSupplier ready) throws IOException {
    try (exchange) {
      boolean ok = ready.getAsBoolean();
      byte[] body = (ok ? "ok\n" : "not leading\n").getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
      exchange.sendResponseHeaders(ok ? 200 : 503, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
  }
}
