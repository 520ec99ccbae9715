package io.hexgate.datapath.redirect;

import com.sun.net.httpserver.HttpServer;
import io.hexgate.datapath.netns.PodNetwork;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * An HTTP server in a pod that lands every ship ({@code Ship landed}) and says, in {@code X-Seen-From},
 * which address the request came from (the proxy must connect from the client's own), and in
 * {@code X-Seen-Ship} the {@code X-Ship} header it received.
 */
final class LandingApi implements AutoCloseable {
  private final HttpServer server;

  private LandingApi(HttpServer server) {
    this.server = server;
  }

  static LandingApi start(PodNetwork pod, int port) throws Exception {
    HttpServer s;
    try (var inPod = pod.enter()) {
      s = inPod.call(() -> HttpServer.create(new InetSocketAddress(pod.ip(), port), 64));
    }
    s.createContext("/", exchange -> {
      try (InputStream body = exchange.getRequestBody()) {
        body.readAllBytes();
      }
      byte[] answer = "Ship landed\n".getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("X-Seen-From", exchange.getRemoteAddress().getAddress().getHostAddress());
      exchange.getResponseHeaders().add("X-Seen-Method", exchange.getRequestMethod());
      String ship = exchange.getRequestHeaders().getFirst("X-Ship");
      if (ship != null) {
        exchange.getResponseHeaders().add("X-Seen-Ship", ship);
      }
      exchange.sendResponseHeaders(200, answer.length);
      exchange.getResponseBody().write(answer);
      exchange.close();
    });
    s.start();
    return new LandingApi(s);
  }

  @Override
  public void close() throws IOException {
    server.stop(0);
  }
}
