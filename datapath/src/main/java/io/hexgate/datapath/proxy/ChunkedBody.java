package io.hexgate.datapath.proxy;

import io.netty.buffer.ByteBuf;

/**
 * Finds where a chunked body ends without decoding it: the proxy forwards its bytes as they came, so it only
 * follows the chunk sizes, refusing a size line, chunk end or trailer it cannot read (a server reading it
 * otherwise would see another message boundary than the proxy). Its lines end in CRLF only: a server that
 * reads a bare LF as part of a chunk extension would take the next chunk's size for data.
 */
final class ChunkedBody {
  private enum State { SIZE, DATA, DATA_END, TRAILER, DONE }

  /** The longest chunk-size line (size and extensions) and the most trailer bytes. */
  private final int maxLine;
  private State state = State.SIZE;
  private long remaining;
  private int trailerBytes;

  ChunkedBody(int maxLine) {
    this.maxLine = maxLine;
  }

  /** Whether the last chunk and the trailer have been framed. */
  boolean done() {
    return state == State.DONE;
  }

  /**
   * How many of {@code in}'s readable bytes belong to the body (the reader index unmoved): up to its end, or
   * up to the last whole line read while it goes on.
   */
  int frame(ByteBuf in) throws HttpHeads.Malformed {
    int start = in.readerIndex();
    int limit = in.writerIndex();
    int p = start;
    while (p < limit && state != State.DONE) {
      switch (state) {
        case SIZE -> {
          int lf = lineFeed(in, p, limit);
          if (lf < 0) {
            return p - start;
          }
          crlf(in, p, lf);
          remaining = size(in, p, lf);
          state = remaining == 0 ? State.TRAILER : State.DATA;
          p = lf + 1;
        }
        case DATA -> {
          int n = (int) Math.min(remaining, limit - p);
          p += n;
          remaining -= n;
          if (remaining == 0) {
            state = State.DATA_END;
          }
        }
        case DATA_END -> {
          if (in.getByte(p) != '\r') {
            throw new HttpHeads.Malformed(400, "chunk data longer than its size");
          } else if (p + 1 == limit) {
            return p - start;
          } else if (in.getByte(p + 1) != '\n') {
            throw new HttpHeads.Malformed(400, "chunk data longer than its size");
          }
          p += 2;
          state = State.SIZE;
        }
        case TRAILER -> {
          int lf = lineFeed(in, p, limit);
          if (lf < 0) {
            return p - start;
          }
          crlf(in, p, lf);
          int len = lf - p;
          if (len == 1) {
            state = State.DONE;
          } else if ((trailerBytes += len + 1) > maxLine) {
            throw new HttpHeads.Malformed(400, "a trailer longer than " + maxLine + " bytes");
          }
          p = lf + 1;
        }
        default -> throw new IllegalStateException(state.name());
      }
    }
    return p - start;
  }

  private int lineFeed(ByteBuf in, int p, int limit) throws HttpHeads.Malformed {
    int lf = in.indexOf(p, Math.min(limit, p + maxLine + 1), (byte) '\n');
    if (lf < 0 && limit - p > maxLine) {
      throw new HttpHeads.Malformed(400, "a chunk line longer than " + maxLine + " bytes");
    }
    return lf;
  }

  private static void crlf(ByteBuf in, int p, int lf) throws HttpHeads.Malformed {
    if (lf == p || in.getByte(lf - 1) != '\r') {
      throw new HttpHeads.Malformed(400, "a chunk line that does not end in CRLF");
    }
  }

  /** The hex size at the start of the line, before optional whitespace and extensions. */
  private static long size(ByteBuf in, int p, int lf) throws HttpHeads.Malformed {
    long size = 0;
    int digits = 0;
    int i = p;
    for (; i < lf; i++) {
      int d = Character.digit(in.getByte(i), 16);
      if (d < 0) {
        break;
      }
      if (++digits > 15) {
        throw new HttpHeads.Malformed(400, "a chunk size too large");
      }
      size = size * 16 + d;
    }
    if (digits == 0) {
      throw new HttpHeads.Malformed(400, "a chunk without a size");
    }
    int end = lf > p && in.getByte(lf - 1) == '\r' ? lf - 1 : lf;
    while (i < end && (in.getByte(i) == ' ' || in.getByte(i) == '\t')) {
      i++;
    }
    if (i < end && in.getByte(i) != ';') {
      throw new HttpHeads.Malformed(400, "a chunk size that is not hexadecimal");
    }
    for (; i < end; i++) {
      byte b = in.getByte(i);
      if ((b < ' ' && b != '\t') || b == 0x7f) {
        throw new HttpHeads.Malformed(400, "a control character in a chunk extension");
      }
    }
    return size;
  }
}
