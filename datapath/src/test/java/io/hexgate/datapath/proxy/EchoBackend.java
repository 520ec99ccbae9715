package io.hexgate.datapath.proxy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * The server behind the proxy: answers {@code <method> <target>\n<body>}; {@code /slow} after 300 ms,
 * {@code /chunked} with a chunked body; remembers each request's headers and client port.
 */
final class EchoBackend implements AutoCloseable {
  record Seen(String method, String target, Map<String, List<String>> headers, int clientPort) {}

  final List<Seen> seen = new CopyOnWriteArrayList<>();
  final List<String> remoteAddresses = new CopyOnWriteArrayList<>();
  private final HttpServer server;

  EchoBackend() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext("/", this::handle);
    server.start();
  }

  InetSocketAddress address() {
    return server.getAddress();
  }

  private void handle(HttpExchange x) throws IOException {
    byte[] in = x.getRequestBody().readAllBytes();
    String target = x.getRequestURI().toString();
    remoteAddresses.add(x.getRemoteAddress().getAddress().getHostAddress());
    seen.add(new Seen(x.getRequestMethod(), target, Map.copyOf(x.getRequestHeaders()),
        x.getRemoteAddress().getPort()));
    if (target.startsWith("/slow")) {
      try {
        Thread.sleep(300);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    byte[] out = (x.getRequestMethod() + " " + target + "\n" + new String(in, StandardCharsets.ISO_8859_1))
        .getBytes(StandardCharsets.ISO_8859_1);
    x.getResponseHeaders().add("Set-Cookie", "session=secret");
    x.sendResponseHeaders(200, target.startsWith("/chunked") ? 0 : out.length);
    try (OutputStream o = x.getResponseBody()) {
      o.write(out);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
