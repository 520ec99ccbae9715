package io.hexgate.datapath.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The client's bytes split into heads, body parts and message ends, as the proxy's pipeline reads them. */
class RequestFramerTest {
  private final RequestFramer framer = new RequestFramer(256, 1024);
  private final EmbeddedChannel channel = new EmbeddedChannel(framer);
  /** Everything read, released as it is read: heads as their raw bytes, parts as their text. */
  private final List<Object> read = new ArrayList<>();
  /** Every buffer given to a framer: all released once their parts are read and the channel is done. */
  private final List<ByteBuf> written = new ArrayList<>();

  @AfterEach
  void noBufferLeft() {
    assertThat(channel.finishAndReleaseAll()).as("nothing left unread").isFalse();
    assertThat(written).allSatisfy(b -> assertThat(b.refCnt()).isZero());
  }

  private void write(String text) {
    write(channel, text);
  }

  private void write(EmbeddedChannel ch, String text) {
    ByteBuf b = Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1);
    written.add(b);
    ch.writeInbound(b);
    for (Object o = ch.readInbound(); o != null; o = ch.readInbound()) {
      read.add(taken(o));
    }
  }

  /** What a message read is, its buffers released and checked released. */
  private static Object taken(Object o) {
    if (o instanceof RequestHead h) {
      String raw = h.raw.toString(StandardCharsets.ISO_8859_1);
      h.release();
      return new Head(h.method, h.target, h.framing, raw);
    }
    if (o instanceof ByteBuf b) {
      String text = b.toString(StandardCharsets.ISO_8859_1);
      b.release();
      return new Part(text);
    }
    return o;
  }

  record Head(String method, String target, HttpHeads.Framing framing, String raw) {}

  record Part(String text) {}

  /** The body parts between the head at {@code from} and its end, concatenated. */
  private String body(int from) {
    StringBuilder b = new StringBuilder();
    for (int i = from + 1; read.get(i) != MessageEnd.INSTANCE; i++) {
      b.append(((Part) read.get(i)).text());
    }
    return b.toString();
  }

  private List<Head> heads() {
    return read.stream().filter(Head.class::isInstance).map(Head.class::cast).toList();
  }

  private static final String GET = "GET /ok HTTP/1.1\r\nHost: deathstar\r\n\r\n";
  private static final String POST_LENGTH = "POST /v1/request HTTP/1.1\r\nHost: deathstar\r\nContent-Length: 11\r\n\r\n";
  private static final String CHUNKED_BODY = "5\r\nhello\r\n6;x=y\r\n world\r\n0\r\nX-T: 1\r\n\r\n";
  private static final String POST_CHUNKED =
      "POST /v1/request HTTP/1.1\r\nHost: deathstar\r\nTransfer-Encoding: chunked\r\n\r\n";
  private static final String PIPELINE = GET + POST_LENGTH + "hello world" + POST_CHUNKED + CHUNKED_BODY
      + "\r\n" + GET.replace("/ok", "/ok/2");

  @Test
  void framesPipelinedRequestsInOrder() {
    write(PIPELINE);
    assertPipeline(framer);
  }

  private void assertPipeline(RequestFramer framer) {
    assertThat(heads()).extracting(Head::target).containsExactly("/ok", "/v1/request", "/v1/request", "/ok/2");
    assertThat(heads()).extracting(Head::framing).containsExactly(HttpHeads.Framing.NONE,
        HttpHeads.Framing.LENGTH, HttpHeads.Framing.CHUNKED, HttpHeads.Framing.NONE);
    assertThat(heads()).extracting(Head::raw).containsExactly(GET, POST_LENGTH, POST_CHUNKED,
        GET.replace("/ok", "/ok/2"));
    int post = read.indexOf(heads().get(1));
    int chunked = read.indexOf(heads().get(2));
    assertThat(read.get(0)).isEqualTo(heads().get(0));
    assertThat(post).isEqualTo(1);
    assertThat(body(post)).isEqualTo("hello world");
    assertThat(body(chunked)).as("the chunked body as it was sent").isEqualTo(CHUNKED_BODY);
    assertThat(read.stream().filter(o -> o == MessageEnd.INSTANCE)).hasSize(2);
    assertThat(read.get(read.size() - 1)).isEqualTo(heads().get(3));
    assertThat(read.get(read.size() - 2)).isSameAs(MessageEnd.INSTANCE);
    assertThat(framer.midHead()).isFalse();
  }

  @Test
  void framesTheSameRequestsWrittenOneByteAtATime() {
    for (char c : PIPELINE.toCharArray()) {
      write(String.valueOf(c));
    }
    assertPipeline(framer);
  }

  @Test
  void framesTheSameRequestsWhateverTheSplits() {
    Random random = new Random(7);
    for (int round = 0; round < 50; round++) {
      read.clear();
      RequestFramer f = new RequestFramer(256, 1024);
      EmbeddedChannel ch = new EmbeddedChannel(f);
      for (int at = 0; at < PIPELINE.length(); ) {
        int to = Math.min(PIPELINE.length(), at + 1 + random.nextInt(40));
        write(ch, PIPELINE.substring(at, to));
        at = to;
      }
      assertPipeline(f);
      assertThat(ch.finishAndReleaseAll()).isFalse();
    }
    read.clear();
  }

  @Test
  void aBodyPartNeverReachesIntoTheNextRequest() {
    write(POST_LENGTH + "hello");
    write(" worldGET /ok HTTP/1.1\r\n\r\n");
    assertThat(read).hasSize(5);
    assertThat(read.get(1)).isEqualTo(new Part("hello"));
    assertThat(read.get(2)).isEqualTo(new Part(" world"));
    assertThat(read.get(3)).isSameAs(MessageEnd.INSTANCE);
    assertThat(((Head) read.get(4)).target()).isEqualTo("/ok");
  }

  @Test
  void tellsWhenAHeadIsHalfRead() {
    write("\r\n");
    assertThat(framer.midHead()).as("empty lines before a request are no head").isFalse();
    write("GET /ok HTTP/1.1\r\nHo");
    assertThat(framer.midHead()).isTrue();
    assertThat(read).isEmpty();
    write("st: deathstar\r\n\r\n");
    assertThat(framer.midHead()).isFalse();
    assertThat(heads()).extracting(Head::target).containsExactly("/ok");
    write(POST_LENGTH + "hel");
    assertThat(framer.midHead()).as("in a body").isFalse();
  }

  @Test
  void emitsNothingAfterAMalformedRequest() {
    write(GET + "POST /v1/request HTTP/1.1\r\nContent-Length: 1, 2\r\n\r\n" + GET);
    assertThat(read).hasSize(2);
    assertThat(read.get(0)).isInstanceOf(Head.class);
    assertThat(((HttpHeads.Malformed) read.get(1)).status).isEqualTo(400);
    write(GET + POST_LENGTH + "hello world");
    assertThat(read).hasSize(2);
    assertThat(framer.midHead()).isFalse();
  }

  @Test
  void emitsNothingAfterABrokenChunk() {
    write(POST_CHUNKED + "5\r\nhello\r\n");
    write("5\r\nworld!\r\n0\r\n\r\n" + GET);
    assertThat(read).hasSize(3);
    assertThat(read.get(1)).isEqualTo(new Part("5\r\nhello\r\n"));
    assertThat(read.get(2)).isInstanceOf(HttpHeads.Malformed.class);
    write(GET);
    assertThat(read).hasSize(3);
  }

  @Test
  void aTooLongHeadIsMalformedBeforeItEnds() {
    write("GET /ok HTTP/1.1\r\nX-Big: " + "a".repeat(1100));
    assertThat(read).hasSize(1);
    assertThat(((HttpHeads.Malformed) read.get(0)).status).isEqualTo(431);
    assertThat(framer.midHead()).isFalse();
  }

  @Test
  void passesEveryByteAsItIsOnceTunnelled() {
    write("GET /ws HTTP/1.1\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n");
    framer.tunnel();
    write("GARBAGE\r\n\r\n");
    write("Content-Length: 1, 2\r\n\r\n");
    assertThat(read).hasSize(3);
    assertThat(read.subList(1, 3)).containsExactly(new Part("GARBAGE\r\n\r\n"), new Part("Content-Length: 1, 2\r\n\r\n"));
    assertThat(framer.midHead()).isFalse();
  }

  @Test
  void aBodyLeftUnfinishedAtTheCloseIsReleased() {
    write(POST_CHUNKED + "5\r\nhel");
    write("lo\r\n0\r");
    assertThat(read).hasSize(3);
    channel.close();
    assertThat(written).allSatisfy(b -> assertThat(b.refCnt()).isZero());
  }
}
