package io.hexgate.datapath.proxy;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Reads request and response heads where they lie in the connection's buffer, so that the proxy can forward
 * the bytes that arrived instead of encoding the head again. Strict where a lenient reading would let the
 * proxy and the server see different messages (request smuggling): whitespace before a field's colon,
 * folded lines, control characters, two Host fields, a body framed both by Transfer-Encoding and
 * Content-Length, by Content-Length values that disagree or by another coding than chunked are refused
 * (datapath/DESIGN.md, "HTTP in the proxy").
 */
final class HttpHeads {
  private HttpHeads() {}

  /** A message the proxy refuses, with the status it answers. */
  static final class Malformed extends Exception {
    final int status;

    Malformed(int status, String why) {
      super(why, null, false, false);
      this.status = status;
    }
  }

  /** How a message's body ends. */
  enum Framing { NONE, LENGTH, CHUNKED, UNTIL_CLOSE }

  /** A message's body: how it ends, and its length when that is {@link Framing#LENGTH}. */
  record Body(Framing framing, long length) {
    static final Body NONE = new Body(Framing.NONE, 0);
    static final Body CHUNKED = new Body(Framing.CHUNKED, 0);
    static final Body UNTIL_CLOSE = new Body(Framing.UNTIL_CLOSE, 0);

    static Body of(long contentLength) {
      return contentLength > 0 ? new Body(Framing.LENGTH, contentLength) : NONE;
    }
  }

  /**
   * The request head at the start of {@code in} (its reader index unmoved), or null while it is incomplete.
   *
   * @param maxLine the longest request line
   * @param maxHeaders the most bytes of header fields
   */
  static RequestHead request(ByteBuf in, int maxLine, int maxHeaders) throws Malformed {
    // maxLine + 1: the line's CR may have arrived without its LF
    byte[] b = copy(in, maxLine + 1, maxHeaders, 431, "request line");
    if (b == null) {
      return null;
    }
    int lf = indexOf(b, 0, b.length, (byte) '\n');
    int line = lineEnd(b, 0, lf);
    int sp1 = indexOf(b, 0, line, (byte) ' ');
    int sp2 = sp1 < 0 ? -1 : indexOf(b, sp1 + 1, line, (byte) ' ');
    if (sp1 <= 0 || sp2 <= sp1 + 1 || line - sp2 - 1 != 8) {
      throw new Malformed(400, "not a request line");
    }
    checkToken(b, 0, sp1);
    for (int i = sp1 + 1; i < sp2; i++) {
      if (b[i] <= ' ' || b[i] == 0x7f) {
        throw new Malformed(400, "a control character or space in the request target");
      }
    }
    String version = version(b, sp2 + 1);
    HeaderList headers = fields(b, lf + 1);
    if (headers.count("host") > 1) {
      // rules judge one authority: a server that took the other would be asked for a host nobody judged
      throw new Malformed(400, "more than one Host field");
    }
    if (line == lf) {
      headers.rewrite();
    }
    return new RequestHead(string(b, 0, sp1), string(b, sp1 + 1, sp2), version, headers, b.length);
  }

  /** Skips the empty lines before a head, which a recipient ignores (RFC 9112 §2.2). */
  static void skipEmptyLines(ByteBuf in) {
    while (in.isReadable() && (in.getByte(in.readerIndex()) == '\r' || in.getByte(in.readerIndex()) == '\n')) {
      in.skipBytes(1);
    }
  }

  /** The response head at the start of {@code in}, or null while it is incomplete. */
  static ResponseHead response(ByteBuf in, int maxHead) throws Malformed {
    byte[] b = copy(in, maxHead, maxHead, 502, "status line");
    if (b == null) {
      return null;
    }
    int lf = indexOf(b, 0, b.length, (byte) '\n');
    int line = lineEnd(b, 0, lf);
    // HTTP/1.x SP 3DIGIT [SP reason]
    if (line < 12 || b[8] != ' ' || (line > 12 && b[12] != ' ')) {
      throw new Malformed(502, "not a status line");
    }
    String version = version(b, 0);
    int code = 0;
    for (int i = 9; i < 12; i++) {
      if (b[i] < '0' || b[i] > '9') {
        throw new Malformed(502, "not a status code");
      }
      code = code * 10 + (b[i] - '0');
    }
    return new ResponseHead(version, code, fields(b, lf + 1), b.length);
  }

  /**
   * The head at the start of {@code in}, copied once (reading an array is cheaper than reading the socket's
   * direct buffer byte by byte), or null while it is incomplete.
   *
   * @param maxFirstLine the longest first line, its CR included
   * @param maxFields the most bytes of header fields
   */
  private static byte[] copy(ByteBuf in, int maxFirstLine, int maxFields, int status, String firstLine)
      throws Malformed {
    int start = in.readerIndex();
    int lf = in.indexOf(start, in.writerIndex(), (byte) '\n');
    if (lf < 0 ? in.readableBytes() > maxFirstLine : lf - start > maxFirstLine) {
      throw new Malformed(status, firstLine + " longer than " + maxFirstLine + " bytes");
    }
    int end = lf < 0 ? -1 : headEnd(in, lf + 1, maxFields);
    if (end < 0) {
      return null;
    }
    byte[] b = new byte[end - start];
    in.getBytes(start, b);
    return b;
  }

  /**
   * The index after the empty line that ends the header fields starting at {@code from}, or -1 while it
   * has not arrived.
   */
  private static int headEnd(ByteBuf in, int from, int maxBytes) throws Malformed {
    int p = from;
    int limit = in.writerIndex();
    while (true) {
      int lf = in.indexOf(p, limit, (byte) '\n');
      if (lf < 0 ? limit - from > maxBytes : lf + 1 - from > maxBytes) {
        throw new Malformed(431, "header fields longer than " + maxBytes + " bytes");
      }
      if (lf < 0) {
        return -1;
      }
      if (lf == p || (lf == p + 1 && in.getByte(p) == '\r')) {
        return lf + 1;
      }
      p = lf + 1;
    }
  }

  /**
   * How a request's body is framed, with its Content-Length read once. The only transfer coding is
   * {@code chunked} alone, as Envoy has it: a server that reads another list otherwise (a body, or none)
   * would see another boundary than the proxy.
   */
  static Body requestBody(String version, HeaderList h) throws Malformed {
    if (h.contains("transfer-encoding")) {
      if (h.contains("content-length")) {
        throw new Malformed(400, "both Transfer-Encoding and Content-Length");
      }
      if (!"HTTP/1.1".equals(version)) {
        throw new Malformed(400, "Transfer-Encoding in an HTTP/1.0 request");
      }
      List<String> codings = h.getAll("transfer-encoding");
      if (codings.size() != 1 || !"chunked".equalsIgnoreCase(codings.get(0))) {
        throw new Malformed(501, "a transfer coding other than chunked");
      }
      return Body.CHUNKED;
    }
    return Body.of(contentLength(h));
  }

  /** How a response's body is framed (RFC 9112 §6.3). */
  static Body responseBody(int code, boolean answersHead, HeaderList h) throws Malformed {
    if (answersHead || code < 200 || code == 204 || code == 304) {
      return Body.NONE;
    }
    if (h.contains("transfer-encoding")) {
      return chunkedLast(h) ? Body.CHUNKED : Body.UNTIL_CLOSE;
    }
    if (!h.contains("content-length")) {
      return Body.UNTIL_CLOSE;
    }
    return Body.of(contentLength(h));
  }

  /** The Content-Length, 0 when there is none; every value present must be the same number. */
  static long contentLength(HeaderList h) throws Malformed {
    if (!h.contains("content-length")) {
      return 0;
    }
    long length = -1;
    for (int i = 0; i < h.size(); i++) {
      if (h.name(i).equalsIgnoreCase("content-length")) {
        for (String v : h.value(i).split(",", -1)) {
          long n = digits(v.trim());
          if (length >= 0 && n != length) {
            throw new Malformed(400, "Content-Length values that disagree");
          }
          length = n;
        }
      }
    }
    return Math.max(length, 0);
  }

  /** Whether the message leaves its connection open afterwards (HTTP/1.1 unless closed; 1.0 if asked). */
  static boolean keepAlive(String version, HeaderList h) {
    return "HTTP/1.1".equals(version) ? !h.containsToken("connection", "close")
        : h.containsToken("connection", "keep-alive");
  }

  private static long digits(String v) throws Malformed {
    if (v.isEmpty() || v.length() > 18) {
      throw new Malformed(400, "a Content-Length that is not a number");
    }
    long n = 0;
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c < '0' || c > '9') {
        throw new Malformed(400, "a Content-Length that is not a number");
      }
      n = n * 10 + (c - '0');
    }
    return n;
  }

  private static boolean chunkedLast(HeaderList h) {
    String last = null;
    for (int i = 0; i < h.size(); i++) {
      if (h.name(i).equalsIgnoreCase("transfer-encoding")) {
        String v = h.value(i);
        last = v.substring(v.lastIndexOf(',') + 1).trim();
      }
    }
    return "chunked".equalsIgnoreCase(last);
  }

  /** The header fields from {@code from} up to the empty line that ends {@code b}. */
  private static HeaderList fields(byte[] b, int from) throws Malformed {
    HeaderList headers = new HeaderList();
    int p = from;
    while (true) {
      int lf = indexOf(b, p, b.length, (byte) '\n');
      int end = lineEnd(b, p, lf);
      if (end == lf) {
        // a bare LF: a server that ends lines only at CRLF would read other lines than the proxy judged, so
        // a forwarded head goes out written anew
        headers.rewrite();
      }
      if (end == p) {
        return headers;
      }
      field(b, p, end, headers);
      p = lf + 1;
    }
  }

  private static void field(byte[] b, int start, int end, HeaderList headers) throws Malformed {
    int colon = indexOf(b, start, end, (byte) ':');
    if (colon <= start) {
      // also a line that starts with whitespace: obsolete line folding
      throw new Malformed(400, "a header line without a field name");
    }
    checkToken(b, start, colon);
    int v = colon + 1;
    int e = end;
    while (v < e && isBlank(b[v])) {
      v++;
    }
    while (e > v && isBlank(b[e - 1])) {
      e--;
    }
    for (int i = v; i < e; i++) {
      if ((b[i] < ' ' && b[i] != '\t') || b[i] == 0x7f) {
        throw new Malformed(400, "a control character in a header value");
      }
    }
    headers.append(string(b, start, colon), string(b, v, e));
  }

  private static boolean isBlank(byte b) {
    return b == ' ' || b == '\t';
  }

  /** RFC 9110's token characters: a method or a field name. */
  private static void checkToken(byte[] b, int start, int end) throws Malformed {
    for (int i = start; i < end; i++) {
      if (b[i] <= ' ' || b[i] >= 0x7f || "\"(),/:;<=>?@[\\]{}".indexOf(b[i]) >= 0) {
        throw new Malformed(400, "a character that is not allowed in a method or field name");
      }
    }
  }

  private static String version(byte[] b, int at) throws Malformed {
    if (b[at] != 'H' || b[at + 1] != 'T' || b[at + 2] != 'T' || b[at + 3] != 'P' || b[at + 4] != '/'
        || b[at + 5] != '1' || b[at + 6] != '.') {
      throw new Malformed(400, "not HTTP/1.x");
    }
    if (b[at + 7] == '1') {
      return "HTTP/1.1";
    }
    if (b[at + 7] == '0') {
      return "HTTP/1.0";
    }
    throw new Malformed(400, "not HTTP/1.0 or HTTP/1.1");
  }

  private static int indexOf(byte[] b, int from, int to, byte value) {
    for (int i = from; i < to; i++) {
      if (b[i] == value) {
        return i;
      }
    }
    return -1;
  }

  /** The end of the line ending at {@code lf}, without its CR (a CR elsewhere fails the checks of its parts). */
  private static int lineEnd(byte[] b, int start, int lf) {
    return lf > start && b[lf - 1] == '\r' ? lf - 1 : lf;
  }

  private static String string(byte[] b, int from, int to) {
    return new String(b, from, to - from, StandardCharsets.ISO_8859_1);
  }
}
