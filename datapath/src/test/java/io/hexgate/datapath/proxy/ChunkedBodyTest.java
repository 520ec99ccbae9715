package io.hexgate.datapath.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Following chunk sizes to the end of a body, wherever the connection splits it. */
class ChunkedBodyTest {
  private static final int MAX_LINE = 64;
  /** What follows the body on the connection: the next request, which the body must not take. */
  private static final String NEXT = "GET /next HTTP/1.1\r\n\r\n";

  private static final String[] BODIES = {
      "0\r\n\r\n",
      "5\r\nhello\r\n0\r\n\r\n",
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
      "A\r\n0123456789\r\na\r\nabcdefghij\r\n1f\r\n" + "x".repeat(31) + "\r\n0\r\n\r\n",
      "00000005\r\nhello\r\n000\r\n\r\n",
      "5;name=value;other=\"quoted ; value\"\r\nhello\r\n0;last\r\n\r\n",
      "5 ;ext\r\nhello\r\n0\r\n\r\n",
      "5\r\nhello\r\n0\r\nX-Trailer: one\r\nX-Other: two\r\n\r\n",
      // data that looks like chunk framing and like a request is only data
      "1d\r\n0\r\n\r\nGET /denied HTTP/1.1\r\n\r\n\r\n0\r\n\r\n",
  };

  /** Feeds {@code text} in the given pieces as the framer does: unframed bytes stay for the next call. */
  private static Fed feed(String text, int[] pieces) throws HttpHeads.Malformed {
    ChunkedBody body = new ChunkedBody(MAX_LINE);
    ByteBuf cumulated = Unpooled.buffer();
    byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
    int fed = 0;
    int framed = 0;
    int doneAt = -1;
    try {
      for (int piece : pieces) {
        cumulated.writeBytes(bytes, fed, piece);
        fed += piece;
        if (body.done()) {
          continue;
        }
        int n = body.frame(cumulated);
        assertThat(n).isBetween(0, cumulated.readableBytes());
        cumulated.skipBytes(n);
        framed += n;
        if (body.done()) {
          doneAt = fed;
        }
      }
      return new Fed(framed, doneAt, cumulated.toString(StandardCharsets.ISO_8859_1));
    } finally {
      cumulated.release();
    }
  }

  record Fed(int framed, int doneAt, String left) {}

  private static int[] bytewise(int length) {
    int[] pieces = new int[length];
    java.util.Arrays.fill(pieces, 1);
    return pieces;
  }

  private static int[] randomly(int length, Random random) {
    int[] pieces = new int[length];
    int n = 0;
    for (int left = length; left > 0; ) {
      int piece = 1 + random.nextInt(Math.min(left, 9));
      pieces[n++] = piece;
      left -= piece;
    }
    return java.util.Arrays.copyOf(pieces, n);
  }

  @Test
  void framesEachBodyWholeInOnePiece() throws Exception {
    for (String body : BODIES) {
      Fed fed = feed(body + NEXT, new int[] {body.length() + NEXT.length()});
      assertThat(fed.framed()).as(body).isEqualTo(body.length());
      assertThat(fed.left()).as(body).isEqualTo(NEXT);
    }
  }

  @Test
  void endsAtTheSameByteWhenFedOneByteAtATime() throws Exception {
    for (String body : BODIES) {
      Fed fed = feed(body + NEXT, bytewise(body.length() + NEXT.length()));
      assertThat(fed.framed()).as(body).isEqualTo(body.length());
      assertThat(fed.doneAt()).as(body).isEqualTo(body.length());
      assertThat(fed.left()).as(body).isEqualTo(NEXT);
    }
  }

  @Test
  void endsAtTheSameByteWhateverTheSplits() throws Exception {
    Random random = new Random(42);
    for (String body : BODIES) {
      for (int round = 0; round < 200; round++) {
        int[] pieces = randomly(body.length() + NEXT.length(), random);
        Fed fed = feed(body + NEXT, pieces);
        assertThat(fed.framed()).as("%s split %s", body, java.util.Arrays.toString(pieces))
            .isEqualTo(body.length());
        assertThat(fed.left()).isEqualTo(NEXT);
        int end = 0;
        for (int i = 0; end < body.length(); i++) {
          end += pieces[i];
        }
        assertThat(fed.doneAt()).as("done with the piece holding the last byte").isEqualTo(end);
      }
    }
  }

  @Test
  void isNotDoneBeforeTheLastByte() throws Exception {
    String body = "5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n";
    for (int n = 0; n < body.length(); n++) {
      Fed fed = feed(body.substring(0, n), new int[] {n});
      assertThat(fed.doneAt()).as("first %d bytes", n).isEqualTo(-1);
      assertThat(fed.framed() + fed.left().length()).isEqualTo(n);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "zz\r\nhello\r\n0\r\n\r\n",
      "\r\nhello\r\n0\r\n\r\n",
      " 5\r\nhello\r\n0\r\n\r\n",
      "-5\r\nhello\r\n0\r\n\r\n",
      "+5\r\nhello\r\n0\r\n\r\n",
      "0x5\r\nhello\r\n0\r\n\r\n",
      "5 x\r\nhello\r\n0\r\n\r\n",
      "5\rx\r\nhello\r\n0\r\n\r\n",
      "5;a\u0000b\r\nhello\r\n0\r\n\r\n",
      "5;a\rb\r\nhello\r\n0\r\n\r\n",
      "1000000000000000\r\n",
      "5\r\nhelloX\r\n0\r\n\r\n",
      "5\r\nhello\rX0\r\n\r\n",
      "5\r\nhello world\r\n0\r\n\r\n",
  })
  void refusesWhatItCannotFrameWith400(String body) {
    assertThat(refused(body)).isEqualTo(400);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      // a server reading only CRLF as the end of a chunk line takes "\nxx" into the extension and
      // then reads the next chunk's size as data: the two would end the body at different bytes
      "2;\nxx\r\n0\r\n\r\n",
      "5\nhello\r\n0\r\n\r\n",
      "5\r\nhello\n0\r\n\r\n",
      "5\r\nhello\r\n0\n\r\n",
      "5\r\nhello\r\n0\r\n\n",
      "5\r\nhello\r\n0\r\nX-T: 1\n\r\n",
  })
  void refusesAChunkLineEndedByABareLf(String body) {
    assertThat(refused(body)).isEqualTo(400);
  }

  @Test
  void refusesTooLongASizeLineOrTrailerEvenIncomplete() {
    assertThat(refused("5;" + "e".repeat(MAX_LINE) + "\r\nhello\r\n0\r\n\r\n")).isEqualTo(400);
    assertThat(refused("5;" + "e".repeat(MAX_LINE))).isEqualTo(400);
    assertThat(refused("0\r\nX-A: " + "a".repeat(40) + "\r\nX-B: " + "b".repeat(40) + "\r\n\r\n")).isEqualTo(400);
  }

  @Test
  void acceptsASizeLineUpToTheLimit() throws Exception {
    String line = "5;" + "e".repeat(MAX_LINE - 3) + "\r\n";
    String body = line + "hello\r\n0\r\n\r\n";
    assertThat(feed(body, bytewise(body.length())).framed()).isEqualTo(body.length());
  }

  /** The status refusing {@code body}, fed whole and one byte at a time alike. */
  private static int refused(String body) {
    HttpHeads.Malformed whole = catchThrowableOfType(() -> feed(body, new int[] {body.length()}),
        HttpHeads.Malformed.class);
    HttpHeads.Malformed bytewise = catchThrowableOfType(() -> feed(body, bytewise(body.length())),
        HttpHeads.Malformed.class);
    assertThat(whole).as("refused whole: %s", body).isNotNull();
    assertThat(bytewise).as("refused byte by byte: %s", body).isNotNull();
    assertThat(bytewise.status).isEqualTo(whole.status);
    return whole.status;
  }
}
