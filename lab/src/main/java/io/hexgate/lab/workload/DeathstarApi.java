package io.hexgate.lab.workload;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.hexgate.contract.thread.DaemonThreads;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The deathstar of Cilium's Star Wars demo ({@code quay.io/cilium/starwars}): its HTTP API with the answers
 * the getting-started guide shows. {@code POST /v1/request-landing} lands a ship, {@code PUT
 * /v1/exhaust-port} blows the station up (it keeps answering: the guide's point is that the request should
 * never have reached it), {@code GET /v1} describes the station.
 */
public final class DeathstarApi implements Workload {
  public static final int PORT = 80;
  static final String LANDED = "Ship landed\n";
  static final String PANIC =
      "Panic: deathstar exploded\n"
          + "\n"
          + "goroutine 1 [running]:\n"
          + "main.HandleGarbage(0x2080c3f50, 0x2, 0x4, 0x425c0, 0x5, 0xa)\n"
          + "        /code/src/github.com/empire/deathstar/\n"
          + "        temp/main.go:9 +0x64\n"
          + "main.main()\n"
          + "        /code/src/github.com/empire/deathstar/\n"
          + "        temp/main.go:5 +0x85\n";

  private final HttpServer server;
  private final ExecutorService executor;
  private final String hostname;

  private DeathstarApi(HttpServer server, String hostname) {
    this.server = server;
    this.hostname = hostname;
    this.executor =
        Executors.newFixedThreadPool(
            4,
            DaemonThreads.factory("deathstar-" + hostname));
    server.setExecutor(executor);
    server.createContext("/", this::handle);
  }

  /**
   * Binds the API on the calling thread's network namespace (call it on a thread inside the pod's), then
   * serves from threads of its own.
   */
  public static DeathstarApi bind(InetSocketAddress address, String hostname) throws IOException {
    HttpServer server = HttpServer.create(address, 64);
    DeathstarApi api = new DeathstarApi(server, hostname);
    return api;
  }

  public void start() {
    server.start();
  }

  public InetSocketAddress address() {
    return server.getAddress();
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex; InputStream body = ex.getRequestBody()) {
      body.readAllBytes();
      String path = ex.getRequestURI().getPath();
      String method = ex.getRequestMethod();
      switch (path) {
        case "/v1/request-landing" -> reply(ex, method, "POST", 200, LANDED);
        case "/v1/exhaust-port" -> reply(ex, method, "PUT", 503, PANIC);
        case "/v1", "/v1/" -> reply(ex, method, "GET", 200, info());
        case "/v1/healthz" -> reply(ex, method, "GET", 200, "OK\n");
        default -> send(ex, 404, "404 page not found\n");
      }
    }
  }

  private static void reply(HttpExchange ex, String method, String allowed, int status, String body) throws IOException {
    if (!method.equals(allowed)) {
      send(ex, 405, "Method Not Allowed\n");
    } else {
      send(ex, status, body);
    }
  }

  private static void send(HttpExchange ex, int status, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", body.startsWith("{") ? "application/json" : "text/plain; charset=utf-8");
    ex.sendResponseHeaders(status, b.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(b);
    }
  }

  private String info() {
    return "{\"name\":\"Death Star\",\"hostname\":\"" + hostname + "\",\"model\":\"DS-1 Orbital Battle Station\","
        + "\"manufacturer\":\"Imperial Department of Military Research, Sienar Fleet Systems\","
        + "\"cost_in_credits\":\"1000000000000\",\"length\":\"120000\",\"crew\":\"342953\",\"passengers\":\"843342\","
        + "\"cargo_capacity\":\"1000000000000\",\"hyperdrive_rating\":\"4.0\",\"starship_class\":\"Deep Space Mobile Battlestation\","
        + "\"api\":[\"GET   /v1\",\"GET   /v1/healthz\",\"POST  /v1/request-landing\",\"PUT   /v1/exhaust-port\"]}\n";
  }

  @Override
  public String describe() {
    return "deathstar HTTP API on port " + server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    try {
      executor.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
