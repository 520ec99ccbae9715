package io.hexgate.datapath.proxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** A client socket speaking HTTP/1.1 by hand, to see exactly what the proxy sends back. */
final class RawHttp implements AutoCloseable {
  record Response(int code, String statusLine, Map<String, String> headers, String body, String raw) {}

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  RawHttp(InetSocketAddress proxy) throws IOException {
    socket = new Socket();
    socket.connect(proxy, 5_000);
    socket.setSoTimeout(10_000);
    in = socket.getInputStream();
    out = socket.getOutputStream();
  }

  RawHttp send(String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    return this;
  }

  /** Reads one response (an interim 1xx included) in full. */
  Response read() throws IOException {
    return read(false);
  }

  /** Reads the answer to a HEAD request: its head only, whatever body length it announces. */
  Response readAnswerToHead() throws IOException {
    return read(true);
  }

  /** Reads what comes until the peer closes the connection. */
  String readToEnd() throws IOException {
    return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
  }

  private Response read(boolean answersHead) throws IOException {
    ByteArrayOutputStream raw = new ByteArrayOutputStream();
    String status = line(raw);
    Map<String, String> headers = new LinkedHashMap<>();
    for (String h = line(raw); !h.isEmpty(); h = line(raw)) {
      int colon = h.indexOf(':');
      headers.merge(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim(),
          (a, b) -> a + "," + b);
    }
    int code = Integer.parseInt(status.split(" ")[1]);
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    if (!answersHead && code >= 200 && code != 204 && code != 304) {
      if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
        for (int size = Integer.parseInt(line(raw).trim(), 16); size > 0;
            size = Integer.parseInt(line(raw).trim(), 16)) {
          byte[] chunk = in.readNBytes(size);
          raw.write(chunk);
          body.write(chunk);
          line(raw);
        }
        line(raw);
      } else if (headers.containsKey("content-length")) {
        byte[] b = in.readNBytes(Integer.parseInt(headers.get("content-length")));
        raw.write(b);
        body.write(b);
      }
    }
    return new Response(code, status, headers, body.toString(StandardCharsets.ISO_8859_1),
        raw.toString(StandardCharsets.ISO_8859_1));
  }

  /** Reads exactly {@code n} raw bytes (an upgraded protocol's). */
  String read(int n) throws IOException {
    return new String(in.readNBytes(n), StandardCharsets.ISO_8859_1);
  }

  /** Whether the proxy closed the connection (reads end of stream). */
  boolean closedByPeer() throws IOException {
    try {
      return in.read() < 0;
    } catch (java.net.SocketException e) {
      return true;
    }
  }

  int localPort() {
    return socket.getLocalPort();
  }

  private String line(ByteArrayOutputStream raw) throws IOException {
    StringBuilder b = new StringBuilder();
    for (int c = in.read(); ; c = in.read()) {
      if (c < 0) {
        throw new java.io.EOFException("connection closed after: " + raw.toString(StandardCharsets.ISO_8859_1) + b);
      }
      raw.write(c);
      if (c == '\n') {
        break;
      }
      b.append((char) c);
    }
    int n = b.length();
    return n > 0 && b.charAt(n - 1) == '\r' ? b.substring(0, n - 1) : b.toString();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
