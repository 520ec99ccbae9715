package io.hexgate.datapath.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.contract.v1.HttpMatch;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Requests framed so that a lenient reader could see another message boundary than the server: the proxy
 * refuses them or forwards exactly what it judged, so that no request reaches the server unjudged.
 */
class RequestSmugglingTest {
  private static final List<HttpMatch> RULES = List.of(
      HttpMatch.newBuilder().setMethod("GET").setPath("/ok(/.*)?").build(),
      HttpMatch.newBuilder().setMethod("HEAD").setPath("/ok(/.*)?").build(),
      HttpMatch.newBuilder().setMethod("POST").setPath("/v1/request").build());
  /** The request the rules deny, smuggled in the bytes after an allowed one. */
  private static final String DENIED = "GET /denied HTTP/1.1\r\nHost: deathstar\r\n\r\n";

  private EchoBackend backend;
  private L7Proxy proxy;

  @BeforeEach
  void setUp() throws Exception {
    backend = new EchoBackend();
    proxy = start(backend.address());
  }

  @AfterEach
  void tearDown() {
    proxy.close();
    backend.close();
  }

  private static L7Proxy start(InetSocketAddress server) {
    return L7Proxy.start(ProxyOptions.plain(server),
        (d, client, srv) -> Optional.of(new ConnectionPolicy(100, 200, RULES, List.of())), f -> { });
  }

  private RawHttp connect() throws Exception {
    return new RawHttp(proxy.address(ProxyDirection.INGRESS));
  }

  private static String get(String target) {
    return "GET " + target + " HTTP/1.1\r\nHost: deathstar\r\n\r\n";
  }

  private static String hex(String chunk) {
    return Integer.toHexString(chunk.length()) + "\r\n" + chunk + "\r\n";
  }

  /** What the server received, after a last request on a fresh connection has been answered. */
  private List<String> seenByTheServer() throws Exception {
    try (RawHttp c = connect()) {
      assertThat(c.send(get("/ok/last")).read().body()).isEqualTo("GET /ok/last\n");
    }
    return backend.seen.stream().map(EchoBackend.Seen::target).toList();
  }

  private void refusedWith400(String request) throws Exception {
    refusedWith(400, request);
  }

  private void refusedWith(int status, String request) throws Exception {
    RawHttp.Response r;
    try (RawHttp c = connect()) {
      r = c.send(request).read();
      if (r.code() == status) {
        assertThat(c.closedByPeer()).isTrue();
      }
    }
    assertThat(seenByTheServer()).containsExactly("/ok/last");
    assertThat(r.code()).isEqualTo(status);
    assertThat(r.headers()).containsEntry("connection", "close");
  }

  @Test
  void refusesContentLengthZeroWithAChunkedBodyCarryingARequest() throws Exception {
    refusedWith400("POST /v1/request HTTP/1.1\r\nHost: deathstar\r\nContent-Length: 0\r\n"
        + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + DENIED);
  }

  @Test
  void refusesTransferEncodingBeforeAContentLengthCoveringARequest() throws Exception {
    String body = "0\r\n\r\n" + DENIED;
    refusedWith400("POST /v1/request HTTP/1.1\r\nHost: deathstar\r\nTransfer-Encoding: chunked\r\n"
        + "Content-Length: " + body.length() + "\r\n\r\n" + body);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "Content-Length: 5, 6",
      "Content-Length: 5\r\nContent-Length: 6",
      "Content-Length: 05x",
      "Transfer-Encoding : chunked",
      "Transfer-Encoding\t: chunked",
      "X-Folded: a\r\n Transfer-Encoding: chunked",
      "X-Folded: a\r\n\tContent-Length: 5",
      "X-Cr: a\rTransfer-Encoding: chunked",
  })
  void refusesFramingTheServerCouldReadOtherwise(String fields) throws Exception {
    refusedWith400("POST /v1/request HTTP/1.1\r\nHost: deathstar\r\n" + fields + "\r\n\r\nhello"
        + hex(DENIED) + "0\r\n\r\n" + DENIED);
  }

  @ParameterizedTest
  @ValueSource(strings = {"gzip, chunked", "chunked, chunked", "identity, chunked", "xchunked", "chunked, identity",
      "chunked\r\nTransfer-Encoding: identity"})
  void refusesEveryTransferCodingButChunkedAloneAsNotImplemented(String codings) throws Exception {
    // a server could read these as chunked, as no body or as one that ends with the connection: the
    // chunk size line would then be the next request ("5;x /denied"); Envoy answers 501 too
    refusedWith(501, "POST /v1/request HTTP/1.1\r\nHost: deathstar\r\nTransfer-Encoding: " + codings
        + "\r\n\r\n5;x /denied HTTP/1.1\r\nA: bc\r\n0\r\n\r\n");
  }

  @Test
  void aRequestInsideAChunkedBodyIsOnlyBody() throws Exception {
    String body = DENIED + "0\r\n\r\n" + DENIED;
    try (RawHttp c = connect()) {
      RawHttp.Response r = c.send("POST /v1/request HTTP/1.1\r\nHost: deathstar\r\nTransfer-Encoding: chunked\r\n\r\n"
          + hex(DENIED) + hex("0\r\n\r\n" + DENIED) + "0\r\n\r\n").read();
      assertThat(r.code()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("POST /v1/request\n" + body);
      assertThat(c.send(get("/ok/next")).read().body()).isEqualTo("GET /ok/next\n");
    }
    assertThat(seenByTheServer()).containsExactly("/v1/request", "/ok/next", "/ok/last");
  }

  @Test
  void aRequestInsideAContentLengthBodyIsOnlyBody() throws Exception {
    try (RawHttp c = connect()) {
      RawHttp.Response r = c.send("POST /v1/request HTTP/1.1\r\nHost: deathstar\r\nContent-Length: "
          + DENIED.length() + "\r\n\r\n" + DENIED).read();
      assertThat(r.body()).isEqualTo("POST /v1/request\n" + DENIED);
      assertThat(c.send(get("/ok/next")).read().body()).isEqualTo("GET /ok/next\n");
    }
    assertThat(seenByTheServer()).containsExactly("/v1/request", "/ok/next", "/ok/last");
  }

  @Test
  void refusesAChunkSizeLineEndedByABareLf() throws Exception {
    // the proxy would read size 2 then a chunk of 0x2f carrying the request; a server that ends chunk lines
    // only at CRLF (the JDK's) reads "\nxx" as an extension, the "2f" as the data, and the request as a request
    String smuggled = "0\r\n\r\n" + DENIED;
    assertThat(Integer.toHexString(smuggled.length())).hasSize(2);
    refusedWith400("POST /v1/request HTTP/1.1\r\nHost: deathstar\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "2;\nxx\r\n" + hex(smuggled) + "0\r\n\r\n");
  }

  @Test
  void aHeadWithBareLfReachesTheServerAsTheProxyReadIt() throws Exception {
    // a server that ends the request line only at CRLF would not see the Content-Length, and would read
    // the body as the next request
    try (RawHttp c = connect()) {
      RawHttp.Response r = c.send("GET /ok HTTP/1.1\nContent-Length: " + DENIED.length() + "\r\nHost: deathstar\n\n"
          + DENIED).read();
      RawHttp.Response next = c.send(get("/ok/next")).read();
      assertThat(seenByTheServer()).containsExactly("/ok", "/ok/next", "/ok/last");
      assertThat(r.body()).isEqualTo("GET /ok\n" + DENIED);
      assertThat(next.body()).isEqualTo("GET /ok/next\n");
    }
  }

  @Test
  void theAnswerToHeadHasNoBodyAndTheConnectionGoesOn() throws Exception {
    try (ScriptedServer server = new ScriptedServer(head -> head.startsWith("HEAD ")
        ? "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"
        : "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")) {
      proxy.close();
      proxy = start(server.address());
      try (RawHttp c = connect()) {
        RawHttp.Response head = c.send("HEAD /ok HTTP/1.1\r\nHost: deathstar\r\n\r\n").readAnswerToHead();
        assertThat(head.code()).isEqualTo(200);
        assertThat(head.headers()).containsEntry("content-length", "10");
        RawHttp.Response next = c.send(get("/ok/2")).read();
        assertThat(next.raw()).as("the next response follows the head at once")
            .isEqualTo("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
        RawHttp.Response denied = c.send("HEAD /denied HTTP/1.1\r\nHost: deathstar\r\n\r\n").readAnswerToHead();
        assertThat(denied.code()).isEqualTo(403);
        assertThat(denied.headers()).containsEntry("content-length", "15");
        assertThat(c.send(get("/ok/3")).read().body()).isEqualTo("hello");
      }
      assertThat(server.heads()).extracting(h -> h.substring(0, h.indexOf(" HTTP/")))
          .containsExactly("HEAD /ok", "GET /ok/2", "GET /ok/3");
    }
  }

  @Test
  void aResponseEndedByTheServersCloseReachesTheClientWholeThenTheConnectionCloses() throws Exception {
    String body = "first part\nsecond part, which has no length\n";
    try (ScriptedServer server = new ScriptedServer(head -> null, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n"
        + body)) {
      proxy.close();
      proxy = start(server.address());
      try (RawHttp c = connect()) {
        RawHttp.Response r = c.send(get("/ok")).read();
        assertThat(r.code()).isEqualTo(200);
        assertThat(r.headers()).doesNotContainKeys("content-length", "transfer-encoding");
        assertThat(c.readToEnd()).isEqualTo(body);
      }
    }
  }

  /**
   * A server on a plain socket, for answers the JDK's server does not give: reads each request head (they
   * have no bodies) and writes {@code answer}'s text for it; a null answer writes {@code last} and closes.
   */
  private static final class ScriptedServer implements AutoCloseable {
    private final ServerSocket socket;
    private final List<String> heads = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Thread thread;

    ScriptedServer(Function<String, String> answer) throws IOException {
      this(answer, null);
    }

    ScriptedServer(Function<String, String> answer, String last) throws IOException {
      socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
      thread = new Thread(() -> serve(answer, last));
      thread.setDaemon(true);
      thread.start();
    }

    InetSocketAddress address() {
      return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    List<String> heads() {
      return heads;
    }

    private void serve(Function<String, String> answer, String last) {
      try (Socket c = socket.accept()) {
        InputStream in = c.getInputStream();
        OutputStream out = c.getOutputStream();
        for (String head = head(in); head != null; head = head(in)) {
          heads.add(head);
          String text = answer.apply(head);
          out.write((text != null ? text : last).getBytes(StandardCharsets.ISO_8859_1));
          out.flush();
          if (text == null) {
            return;
          }
        }
      } catch (IOException e) {
        if (!socket.isClosed()) {
          throw new UncheckedIOException(e);
        }
      }
    }

    private static String head(InputStream in) throws IOException {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      while (!b.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
        int c = in.read();
        if (c < 0) {
          return null;
        }
        b.write(c);
      }
      return b.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws Exception {
      socket.close();
      thread.join(5_000);
    }
  }
}
