package io.hexgate.datapath.redirect;

import io.hexgate.datapath.netns.NetNsThread;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * An HTTP/1.1 client connection made inside a pod's namespace that writes requests byte for byte (so that
 * malformed ones can be sent) and reads answers with a Content-Length body.
 */
final class RawHttp implements AutoCloseable {
  record Response(int status, Map<String, String> headers, String body) {
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  private final Socket socket;
  private final InputStream in;

  private RawHttp(Socket socket) throws IOException {
    this.socket = socket;
    this.in = socket.getInputStream();
  }

  /** Connects from {@code thread}'s namespace: the socket belongs to the namespace it was made in. */
  static RawHttp open(NetNsThread thread, String ip, int port, Duration timeout) throws Exception {
    return open(thread, 0, ip, port, timeout);
  }

  /** From {@code localPort} (0: any). */
  static RawHttp open(NetNsThread thread, int localPort, String ip, int port, Duration timeout) throws Exception {
    Socket s = thread.call(() -> {
      Socket c = new Socket();
      if (localPort != 0) {
        c.setReuseAddress(true);
        c.bind(new InetSocketAddress(localPort));
      }
      c.connect(new InetSocketAddress(ip, port), (int) timeout.toMillis());
      return c;
    });
    s.setSoTimeout((int) Duration.ofSeconds(15).toMillis());
    return new RawHttp(s);
  }

  /** One request with {@code Host} and {@code Content-Length} written for it, and its answer. */
  Response request(String method, String path, String body, String... headers) throws IOException {
    StringBuilder r = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: deathstar\r\n");
    for (String h : headers) {
      r.append(h).append("\r\n");
    }
    r.append("Content-Length: ").append(body.getBytes(StandardCharsets.UTF_8).length).append("\r\n\r\n").append(body);
    write(r.toString());
    return read();
  }

  void write(String raw) throws IOException {
    socket.getOutputStream().write(raw.getBytes(StandardCharsets.ISO_8859_1));
    socket.getOutputStream().flush();
  }

  Response read() throws IOException {
    String statusLine = line();
    if (statusLine == null) {
      throw new IOException("the connection closed before an answer");
    }
    int status = Integer.parseInt(statusLine.split(" ", 3)[1]);
    Map<String, String> headers = new LinkedHashMap<>();
    for (String l = line(); l != null && !l.isEmpty(); l = line()) {
      int colon = l.indexOf(':');
      headers.put(l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim());
    }
    int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
    byte[] body = in.readNBytes(length);
    return new Response(status, headers, new String(body, StandardCharsets.UTF_8));
  }

  /** Whether the peer closed the connection (end of stream) within the socket's timeout. */
  boolean closedByPeer() throws IOException {
    return in.read() < 0;
  }

  private String line() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\n') {
        String s = b.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
      }
      b.write(c);
    }
    return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
