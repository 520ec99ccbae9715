package io.hexgate.datapath.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Reading heads where they lie, strictly where a lenient reading would differ from the server's. */
class HttpHeadsTest {
  private static final int MAX_LINE = 64;
  private static final int MAX_HEADERS = 256;

  private static ByteBuf bytes(String s) {
    return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
  }

  private static RequestHead request(String s) throws HttpHeads.Malformed {
    ByteBuf in = bytes(s);
    try {
      return HttpHeads.request(in, MAX_LINE, MAX_HEADERS);
    } finally {
      in.release();
    }
  }

  private static int refused(String s) {
    HttpHeads.Malformed m = catchThrowableOfType(() -> request(s), HttpHeads.Malformed.class);
    assertThat(m).as("refused: %s", s).isNotNull();
    return m.status;
  }

  private static int refusedFraming(String s) throws HttpHeads.Malformed {
    RequestHead h = request(s);
    HttpHeads.Malformed m = catchThrowableOfType(() -> HttpHeads.requestBody(h.version, h.headers),
        HttpHeads.Malformed.class);
    assertThat(m).as("framing refused: %s", s).isNotNull();
    return m.status;
  }

  @Test
  void readsTheRequestLineAndFieldsAsSentWithValuesTrimmed() throws Exception {
    String head = "POST /v1/request?x=1 HTTP/1.1\r\nHost: deathstar\r\nX-Custom:\t  a b \t\r\n"
        + "content-LENGTH: 5\r\nX-Custom: second\r\n\r\n";
    ByteBuf in = bytes(head + "hello");
    RequestHead h = HttpHeads.request(in, MAX_LINE, MAX_HEADERS);
    assertThat(in.readerIndex()).isZero();
    in.release();

    assertThat(h.method).isEqualTo("POST");
    assertThat(h.target).isEqualTo("/v1/request?x=1");
    assertThat(h.version).isEqualTo("HTTP/1.1");
    assertThat(h.length).isEqualTo(head.length());
    assertThat(h.headers.size()).isEqualTo(4);
    assertThat(h.headers.name(0)).isEqualTo("Host");
    assertThat(h.headers.name(1)).isEqualTo("X-Custom");
    assertThat(h.headers.value(1)).isEqualTo("a b");
    assertThat(h.headers.name(2)).isEqualTo("content-LENGTH");
    assertThat(h.headers.getAll("x-custom")).containsExactly("a b", "second");
    assertThat(HttpHeads.requestBody(h.version, h.headers).framing()).isEqualTo(HttpHeads.Framing.LENGTH);
    assertThat(HttpHeads.contentLength(h.headers)).isEqualTo(5);
    assertThat(h.headers.modified()).isFalse();
  }

  @Test
  void anIncompleteHeadIsNull() throws Exception {
    String head = "GET /ok HTTP/1.1\r\nHost: deathstar\r\n\r\n";
    for (int n = 0; n < head.length(); n++) {
      assertThat(request(head.substring(0, n))).as("first %d bytes", n).isNull();
    }
    assertThat(request(head)).isNotNull();
  }

  @Test
  void acceptsBareLfLineEndings() throws Exception {
    RequestHead h = request("GET /ok HTTP/1.0\nHost: deathstar\nAccept: */*\n\n");
    assertThat(h.version).isEqualTo("HTTP/1.0");
    assertThat(h.headers.get("accept")).isEqualTo("*/*");
    assertThat(h.length).isEqualTo("GET /ok HTTP/1.0\nHost: deathstar\nAccept: */*\n\n".length());
  }

  @Test
  void aHeadWithBareLfGoesToTheServerWithCrlf() throws Exception {
    // a server reading only CRLF as the end of a line (the JDK's) would see one line where the proxy sees two
    RequestHead h = request("GET /ok HTTP/1.1\nContent-Length: 0\r\nHost: deathstar\n\r\n");
    ByteBuf in = bytes("GET /ok HTTP/1.1\nContent-Length: 0\r\nHost: deathstar\n\r\n");
    h.raw = in;
    ByteBuf out = h.encode(UnpooledByteBufAllocator.DEFAULT);
    assertThat(out.toString(StandardCharsets.ISO_8859_1))
        .isEqualTo("GET /ok HTTP/1.1\r\nContent-Length: 0\r\nHost: deathstar\r\n\r\n");
    out.release();
    assertThat(in.refCnt()).isZero();
  }

  @Test
  void aCrlfHeadIsForwardedAsItArrived() throws Exception {
    String head = "GET /ok HTTP/1.1\r\nhOsT:   deathstar  \r\n\r\n";
    RequestHead h = request(head);
    ByteBuf in = bytes(head);
    h.raw = in;
    ByteBuf out = h.encode(UnpooledByteBufAllocator.DEFAULT);
    assertThat(out).isSameAs(in);
    assertThat(out.toString(StandardCharsets.ISO_8859_1)).isEqualTo(head);
    out.release();
  }

  @Test
  void headsFramedAfterLeadingEmptyLinesAreReadByTheFramer() throws Exception {
    // HttpHeads reads at the reader index; the framer skips the empty lines before it (RFC 9112 §2.2)
    ByteBuf in = bytes("\r\n\r\nGET /ok HTTP/1.1\r\n\r\n");
    in.skipBytes(4);
    RequestHead h = HttpHeads.request(in, MAX_LINE, MAX_HEADERS);
    in.release();
    assertThat(h.target).isEqualTo("/ok");
    assertThat(h.length).isEqualTo(20);
  }

  @Test
  void aRequestLineUpToTheLimitIsReadWhereverItsEndArrives() throws Exception {
    String line = "GET /" + "a".repeat(MAX_LINE - "GET / HTTP/1.1".length()) + " HTTP/1.1";
    assertThat(line).hasSize(MAX_LINE);
    assertThat(request(line + "\r\n\r\n")).isNotNull();
    // the same line, its LF not arrived yet
    assertThat(request(line + "\r")).isNull();
    assertThat(request(line)).isNull();
  }

  @Test
  void tooLongARequestLineIs431EvenIncomplete() {
    String line = "GET /" + "a".repeat(MAX_LINE) + " HTTP/1.1";
    assertThat(refused(line + "\r\n\r\n")).isEqualTo(431);
    assertThat(refused(line.substring(0, MAX_LINE + 2))).isEqualTo(431);
  }

  @Test
  void tooLongAHeaderSectionIs431EvenIncomplete() {
    String big = "GET /ok HTTP/1.1\r\nX-Big: " + "a".repeat(MAX_HEADERS + 40) + "\r\n\r\n";
    assertThat(refused(big)).isEqualTo(431);
    assertThat(refused(big.substring(0, big.length() - 30))).isEqualTo(431);
    StringBuilder many = new StringBuilder("GET /ok HTTP/1.1\r\n");
    for (int i = 0; many.length() < MAX_HEADERS + 40; i++) {
      many.append("X-").append(i).append(": v\r\n");
    }
    assertThat(refused(many.toString())).isEqualTo(431);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "GET /ok\r\n\r\n",
      "GET /ok HTTP/2.0\r\n\r\n",
      "GET /ok HTTP/1.2\r\n\r\n",
      "GET /ok HTTPS/1.1\r\n\r\n",
      "GET /ok http/1.1\r\n\r\n",
      "GET /ok HTTP/1.1 \r\n\r\n",
      "GET  /ok HTTP/1.1\r\n\r\n",
      "G(T /ok HTTP/1.1\r\n\r\n",
      "GE\u0000T /ok HTTP/1.1\r\n\r\n",
      "G\u00e9T /ok HTTP/1.1\r\n\r\n",
      "GET /o\u0001k HTTP/1.1\r\n\r\n",
      "GET /ok\rX HTTP/1.1\r\n\r\n",
      "GET /ok HTTP/1.1\rHost: x\r\n\r\n",
      " GET /ok HTTP/1.1\r\n\r\n",
  })
  void refusesARequestLineItCannotReadWith400(String head) {
    assertThat(refused(head)).isEqualTo(400);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "Transfer-Encoding : chunked",
      "Transfer-Encoding\t: chunked",
      "Host: deathstar\r\n folded",
      "Host: deathstar\r\n\tfolded: too",
      "X-A: b\rTransfer-Encoding: chunked",
      "X-A: b\u0000c",
      "X-A: b\u007fc",
      "X-A: b\u0001",
      ": no name",
      "no colon",
      "X(A): b",
      "X-\u00e9: b",
  })
  void refusesAFieldLineItCannotReadWith400(String field) {
    assertThat(refused("POST /v1/request HTTP/1.1\r\n" + field + "\r\n\r\n")).isEqualTo(400);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "Transfer-Encoding: chunked\r\nContent-Length: 5",
      "Content-Length: 0\r\nTransfer-Encoding: chunked",
      "Content-Length: 5, 6",
      "Content-Length: 5\r\nContent-Length: 6",
      "Content-Length: 5,",
      "Content-Length: ",
      "Content-Length: -1",
      "Content-Length: +5",
      "Content-Length: 0x5",
      "Content-Length: 5 5",
      "Content-Length: 1234567890123456789",
  })
  void refusesAFramingTheServerCouldReadOtherwiseWith400(String fields) throws Exception {
    assertThat(refusedFraming("POST /v1/request HTTP/1.1\r\nHost: x\r\n" + fields + "\r\n\r\n")).isEqualTo(400);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "Transfer-Encoding: xchunked",
      "Transfer-Encoding: chunked, identity",
      "Transfer-Encoding: gzip",
      "Transfer-Encoding: gzip, chunked",
      "Transfer-Encoding: chunked, chunked",
      "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked",
      "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity",
      "Transfer-Encoding: ",
  })
  void refusesEveryTransferCodingButChunkedAloneWith501(String fields) throws Exception {
    assertThat(refusedFraming("POST /v1/request HTTP/1.1\r\nHost: x\r\n" + fields + "\r\n\r\n")).isEqualTo(501);
  }

  @Test
  void refusesARequestWithTwoHostFields() {
    // a Host rule judges one of them; the server may take the other
    assertThat(refused("GET / HTTP/1.1\r\nHost: allowed\r\nhost: other\r\n\r\n")).isEqualTo(400);
  }

  @Test
  void refusesTransferEncodingInAnHttp10Request() throws Exception {
    assertThat(refusedFraming("POST /v1/request HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n")).isEqualTo(400);
  }

  @Test
  void framesARequestByItsHeaders() throws Exception {
    assertThat(framing("")).isEqualTo(HttpHeads.Framing.NONE);
    assertThat(framing("Content-Length: 0\r\n")).isEqualTo(HttpHeads.Framing.NONE);
    assertThat(framing("Content-Length: 7\r\n")).isEqualTo(HttpHeads.Framing.LENGTH);
    assertThat(framing("Content-Length: 7, 7\r\nContent-Length: 7\r\n")).isEqualTo(HttpHeads.Framing.LENGTH);
    assertThat(framing("Transfer-Encoding: chunked\r\n")).isEqualTo(HttpHeads.Framing.CHUNKED);
    assertThat(framing("Transfer-Encoding: Chunked\r\n")).isEqualTo(HttpHeads.Framing.CHUNKED);
    assertThat(HttpHeads.contentLength(request("POST / HTTP/1.1\r\nContent-Length: 7 , 7\r\n\r\n").headers))
        .isEqualTo(7);
  }

  private static HttpHeads.Framing framing(String fields) throws Exception {
    RequestHead h = request("POST /v1/request HTTP/1.1\r\nHost: x\r\n" + fields + "\r\n");
    return HttpHeads.requestBody(h.version, h.headers).framing();
  }

  @Test
  void readsAResponseHead() throws Exception {
    String head = "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\nSet-Cookie: a=b\r\n\r\n";
    ByteBuf in = bytes(head + "abc");
    ResponseHead r = HttpHeads.response(in, 1024);
    in.release();
    assertThat(r.version).isEqualTo("HTTP/1.1");
    assertThat(r.code).isEqualTo(404);
    assertThat(r.length).isEqualTo(head.length());
    assertThat(r.headers.get("set-cookie")).isEqualTo("a=b");

    ByteBuf bare = bytes("HTTP/1.0 200\r\n\r\n");
    assertThat(HttpHeads.response(bare, 1024).code).isEqualTo(200);
    bare.release();
  }

  @ParameterizedTest
  @ValueSource(strings = {"HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 2x0 OK\r\n\r\n",
      "HTTP/2.0 200 OK\r\n\r\n", "ICY 200 OK\r\n\r\n"})
  void anUnreadableStatusLineIsMalformed(String head) {
    ByteBuf in = bytes(head);
    assertThat(catchThrowableOfType(() -> HttpHeads.response(in, 1024), HttpHeads.Malformed.class)).isNotNull();
    in.release();
  }

  @Test
  void framesAResponseByItsStatusItsRequestAndItsHeaders() throws Exception {
    HeaderList length = HeaderList.of("Content-Length", "10");
    HeaderList chunked = HeaderList.of("Transfer-Encoding", "chunked");
    HeaderList neither = HeaderList.of("Content-Type", "text/plain");
    assertThat(HttpHeads.responseBody(200, true, length).framing()).isEqualTo(HttpHeads.Framing.NONE);
    assertThat(HttpHeads.responseBody(200, true, chunked).framing()).isEqualTo(HttpHeads.Framing.NONE);
    for (int code : new int[] {100, 101, 103, 204, 304}) {
      assertThat(HttpHeads.responseBody(code, false, length).framing()).as("%d", code).isEqualTo(HttpHeads.Framing.NONE);
      assertThat(HttpHeads.responseBody(code, false, chunked).framing()).as("%d", code).isEqualTo(HttpHeads.Framing.NONE);
    }
    assertThat(HttpHeads.responseBody(200, false, length).framing()).isEqualTo(HttpHeads.Framing.LENGTH);
    assertThat(HttpHeads.responseBody(200, false, HeaderList.of("Content-Length", "0")).framing())
        .isEqualTo(HttpHeads.Framing.NONE);
    assertThat(HttpHeads.responseBody(500, false, chunked).framing()).isEqualTo(HttpHeads.Framing.CHUNKED);
    assertThat(HttpHeads.responseBody(200, false, neither).framing()).isEqualTo(HttpHeads.Framing.UNTIL_CLOSE);
    assertThat(HttpHeads.responseBody(200, false, HeaderList.of("Transfer-Encoding", "gzip")).framing())
        .isEqualTo(HttpHeads.Framing.UNTIL_CLOSE);
    assertThat(catchThrowableOfType(
        () -> HttpHeads.responseBody(200, false, HeaderList.of("Content-Length", "1, 2")),
        HttpHeads.Malformed.class)).isNotNull();
  }

  @Test
  void keepsAliveByVersionAndConnection() {
    assertThat(HttpHeads.keepAlive("HTTP/1.1", HeaderList.of())).isTrue();
    assertThat(HttpHeads.keepAlive("HTTP/1.1", HeaderList.of("Connection", "keep-alive, Close"))).isFalse();
    assertThat(HttpHeads.keepAlive("HTTP/1.1", HeaderList.of("Connection", "upgrade"))).isTrue();
    assertThat(HttpHeads.keepAlive("HTTP/1.0", HeaderList.of())).isFalse();
    assertThat(HttpHeads.keepAlive("HTTP/1.0", HeaderList.of("connection", "Keep-Alive"))).isTrue();
  }
}
