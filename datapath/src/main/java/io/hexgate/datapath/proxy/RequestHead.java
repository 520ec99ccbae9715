package io.hexgate.datapath.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;

/** A request head as read from the client: its parts, and the bytes it arrived as until it is changed. */
final class RequestHead {
  final String method;
  /** The request target as sent: origin form ({@code /path?query}) or absolute form. */
  final String target;
  final String version;
  final HeaderList headers;
  /** Its length in the buffer, the empty line included. */
  final int length;
  HttpHeads.Framing framing = HttpHeads.Framing.NONE;
  /** The head's bytes as they arrived, owned by this head until {@link #encode} hands them on. */
  ByteBuf raw;

  RequestHead(String method, String target, String version, HeaderList headers, int length) {
    this.method = method;
    this.target = target;
    this.version = version;
    this.headers = headers;
    this.length = length;
  }

  /** What goes to the server: the bytes that arrived, or the head written anew if the proxy changed it. */
  ByteBuf encode(ByteBufAllocator alloc) {
    ByteBuf bytes = raw;
    raw = null;
    if (!headers.modified()) {
      return bytes;
    }
    bytes.release();
    StringBuilder s = new StringBuilder(length + 64).append(method).append(' ').append(target).append(' ')
        .append(version).append("\r\n");
    for (int i = 0; i < headers.size(); i++) {
      s.append(headers.name(i)).append(": ").append(headers.value(i)).append("\r\n");
    }
    s.append("\r\n");
    byte[] b = s.toString().getBytes(StandardCharsets.ISO_8859_1);
    return alloc.buffer(b.length).writeBytes(b);
  }

  void release() {
    if (raw != null) {
      raw.release();
      raw = null;
    }
  }
}
