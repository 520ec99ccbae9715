package io.hexgate.datapath.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Serves {@code GET /metrics} on the agent's port (Cilium's agent uses 9962). Created on a thread inside
 * a node's network namespace, the listening socket belongs to that namespace.
 */
public final class MetricsServer implements AutoCloseable {
  public static final int DEFAULT_PORT = 9962;

  private final HttpServer server;
  private final ExecutorService executor;

  private MetricsServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /** Listens on every address of the calling thread's network namespace at {@code port} (0: any free). */
  public static MetricsServer start(int port, AgentMetrics metrics) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
    ExecutorService executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "hexgate-agent-metrics");
              t.setDaemon(true);
              return t;
            });
    server.createContext("/metrics", exchange -> handle(exchange, metrics));
    server.setExecutor(executor);
    server.start();
    return new MetricsServer(server, executor);
  }

  private static void handle(HttpExchange exchange, AgentMetrics metrics) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      if (!method.equals("GET") && !method.equals("HEAD")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      byte[] body;
      try {
        body = metrics.scrape().getBytes(StandardCharsets.UTF_8);
      } catch (RuntimeException e) {
        byte[] msg = ("cannot read the datapath's counters: " + e.getMessage() + "\n").getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(500, msg.length);
        exchange.getResponseBody().write(msg);
        return;
      }
      exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
      if (method.equals("HEAD")) {
        exchange.sendResponseHeaders(200, -1);
        return;
      }
      exchange.sendResponseHeaders(200, body.length);
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
    executor.shutdownNow();
  }
}
