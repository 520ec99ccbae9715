package io.hexgate.contract.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.hexgate.contract.thread.DaemonThreads;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Serves {@code GET /metrics} (the Prometheus text format a micrometer Prometheus registry scrapes to) and,
 * where asked, {@code GET /readyz} with the JDK's HTTP server on one daemon thread. The operator's
 * {@code /readyz} answers 200 only while that replica leads: as the readiness probe of the operator's pods
 * it keeps only the leader behind the agents' Service. Created on a thread inside a node's network
 * namespace (the agent's), the listening socket belongs to that namespace.
 */
public final class MetricsServer implements AutoCloseable {
  /** Cilium's agent serves its metrics on 9962. */
  public static final int AGENT_PORT = 9962;
  /** Cilium's operator serves its metrics on 9963. */
  public static final int OPERATOR_PORT = 9963;

  private final HttpServer server;
  private final ExecutorService executor;

  private MetricsServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /**
   * Listens on every address (of the calling thread's network namespace) at {@code port} (0 picks a free
   * one) and serves {@code scrape}'s text at {@code /metrics}.
   */
  public static MetricsServer start(int port, String threadName, Supplier<String> scrape) throws IOException {
    return start(port, threadName, scrape, null);
  }

  /** As {@link #start(int, String, Supplier)}, with {@code /readyz} answering 200 while {@code ready} says so. */
  public static MetricsServer start(int port, String threadName, Supplier<String> scrape, BooleanSupplier ready)
      throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
    ExecutorService executor = Executors.newSingleThreadExecutor(DaemonThreads.factory(threadName));
    server.createContext("/metrics", exchange -> metrics(exchange, scrape));
    if (ready != null) {
      server.createContext("/readyz", exchange -> ready(exchange, ready));
    }
    server.setExecutor(executor);
    server.start();
    return new MetricsServer(server, executor);
  }

  private static void metrics(HttpExchange exchange, Supplier<String> scrape) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      if (!method.equals("GET") && !method.equals("HEAD")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      byte[] body;
      try {
        body = scrape.get().getBytes(StandardCharsets.UTF_8);
      } catch (RuntimeException e) {
        // the agent's scrape reads the datapath's counters first, which can fail
        write(exchange, 500, "text/plain; charset=utf-8", "cannot collect the metrics: " + e.getMessage() + "\n");
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

  private static void ready(HttpExchange exchange, BooleanSupplier ready) throws IOException {
    try (exchange) {
      boolean ok = ready.getAsBoolean();
      write(exchange, ok ? 200 : 503, "text/plain; charset=utf-8", ok ? "ok\n" : "not leading\n");
    }
  }

  private static void write(HttpExchange exchange, int code, String contentType, String text) throws IOException {
    byte[] body = text.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", contentType);
    exchange.sendResponseHeaders(code, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
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
