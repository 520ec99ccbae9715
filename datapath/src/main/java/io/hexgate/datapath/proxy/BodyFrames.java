package io.hexgate.datapath.proxy;

import io.netty.buffer.ByteBuf;
import java.util.List;

/** The body of the message being read, passed on as slices of what arrived, then {@link MessageEnd}. */
final class BodyFrames {
  private long remaining;
  private ChunkedBody chunked;

  /**
   * Body {@code b} follows, a chunked one's size lines and trailer at most {@code maxLine} bytes: whether it
   * is framed here (one of a length, or chunked).
   */
  boolean expect(HttpHeads.Body b, int maxLine) {
    switch (b.framing()) {
      case LENGTH -> {
        remaining = b.length();
        chunked = null;
        return true;
      }
      case CHUNKED -> {
        chunked = new ChunkedBody(maxLine);
        return true;
      }
      default -> {
        return false;
      }
    }
  }

  /** Moves the body's bytes in {@code in} to {@code out}: true when it ended ({@link MessageEnd} added). */
  boolean frame(ByteBuf in, List<Object> out) throws HttpHeads.Malformed {
    int n = chunked != null ? chunked.frame(in) : (int) Math.min(remaining, in.readableBytes());
    if (n > 0) {
      out.add(in.readRetainedSlice(n));
    }
    boolean ended;
    if (chunked != null) {
      ended = chunked.done();
    } else {
      remaining -= n;
      ended = remaining == 0;
    }
    if (ended) {
      out.add(MessageEnd.INSTANCE);
    }
    return ended;
  }
}
