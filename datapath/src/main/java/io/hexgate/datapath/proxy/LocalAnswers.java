package io.hexgate.datapath.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** What the proxy answers and changes itself: Cilium's 403, its error answers, an upgrade it refuses. */
final class LocalAnswers {
  /** Envoy's local reply in Cilium's L7 policy filter, CRLF included. */
  static final String ACCESS_DENIED = "Access denied\r\n";
  private static final byte[] FORBIDDEN = answer(403, false, false);

  private LocalAnswers() {}

  /**
   * The answer with {@code status}: 403 with {@value #ACCESS_DENIED}, any other with its reason phrase as the
   * body; none for a HEAD request, whose answer only says how long the body would be.
   */
  static ByteBuf bytes(int status, boolean close, boolean head) {
    return Unpooled.wrappedBuffer(status == 403 && !close && !head ? FORBIDDEN : answer(status, close, head));
  }

  /** The answer's header fields, as its flow reports them. */
  static HeaderList headers(int status, boolean close) {
    HeaderList h = HeaderList.of("content-type", "text/plain", "content-length",
        String.valueOf(body(status).length()));
    if (close) {
      h.append("connection", "close");
    }
    return h;
  }

  private static String body(int status) {
    return status == 403 ? ACCESS_DENIED : HttpResponseStatus.valueOf(status).reasonPhrase() + "\r\n";
  }

  private static byte[] answer(int status, boolean close, boolean head) {
    StringBuilder s = new StringBuilder("HTTP/1.1 ").append(HttpResponseStatus.valueOf(status)).append("\r\n");
    HeaderList h = headers(status, close);
    for (int i = 0; i < h.size(); i++) {
      s.append(h.name(i)).append(": ").append(h.value(i)).append("\r\n");
    }
    s.append("\r\n");
    if (!head) {
      s.append(body(status));
    }
    return s.toString().getBytes(StandardCharsets.US_ASCII);
  }

  /** Removes the request's wish to upgrade (Upgrade, HTTP2-Settings and their Connection tokens). */
  static void stripUpgrade(HeaderList h) {
    if (!h.contains("upgrade")) {
      return;
    }
    h.remove("upgrade");
    h.remove("http2-settings");
    List<String> kept = new ArrayList<>();
    for (String v : h.getAll("connection")) {
      for (String token : v.split(",")) {
        String t = token.trim();
        if (!t.isEmpty() && !t.equalsIgnoreCase("upgrade") && !t.equalsIgnoreCase("http2-settings")) {
          kept.add(t);
        }
      }
    }
    h.remove("connection");
    if (!kept.isEmpty()) {
      h.add("Connection", String.join(", ", kept));
    }
  }
}
