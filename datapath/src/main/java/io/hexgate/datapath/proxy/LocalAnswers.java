package io.hexgate.datapath.proxy;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** What the proxy answers and changes itself: Cilium's 403, its error answers, an upgrade it refuses. */
final class LocalAnswers {
  /** Envoy's local reply in Cilium's L7 policy filter, CRLF included. */
  static final byte[] ACCESS_DENIED = "Access denied\r\n".getBytes(StandardCharsets.US_ASCII);

  private LocalAnswers() {}

  static DefaultFullHttpResponse forbidden(ByteBufAllocator alloc) {
    DefaultFullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.FORBIDDEN,
        alloc.buffer(ACCESS_DENIED.length).writeBytes(ACCESS_DENIED));
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN)
        .setInt(HttpHeaderNames.CONTENT_LENGTH, ACCESS_DENIED.length);
    return r;
  }

  /** The status with its reason phrase as the body. */
  static DefaultFullHttpResponse error(ByteBufAllocator alloc, HttpResponseStatus status) {
    byte[] text = (status.reasonPhrase() + "\r\n").getBytes(StandardCharsets.US_ASCII);
    DefaultFullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
        alloc.buffer(text.length).writeBytes(text));
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN)
        .setInt(HttpHeaderNames.CONTENT_LENGTH, text.length);
    return r;
  }

  /** Removes the request's wish to upgrade (Upgrade, HTTP2-Settings and their Connection tokens). */
  static void stripUpgrade(HttpHeaders h) {
    if (!h.contains(HttpHeaderNames.UPGRADE)) {
      return;
    }
    h.remove(HttpHeaderNames.UPGRADE);
    h.remove("HTTP2-Settings");
    List<String> kept = new ArrayList<>();
    for (String v : h.getAll(HttpHeaderNames.CONNECTION)) {
      for (String token : v.split(",")) {
        String t = token.trim();
        if (!t.isEmpty() && !t.equalsIgnoreCase("upgrade") && !t.equalsIgnoreCase("http2-settings")) {
          kept.add(t);
        }
      }
    }
    h.remove(HttpHeaderNames.CONNECTION);
    if (!kept.isEmpty()) {
      h.set(HttpHeaderNames.CONNECTION, String.join(", ", kept));
    }
  }
}
