package io.hexgate.datapath.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Splits the client's bytes into requests without decoding them: a {@link RequestHead} (with its bytes), the
 * body as the buffers it arrived in, then {@link MessageEnd}; a request it cannot read becomes a
 * {@link HttpHeads.Malformed} and nothing after it is read. After an upgrade every byte passes as it is.
 */
final class RequestFramer extends ByteToMessageDecoder {
  private enum State { HEAD, LENGTH, CHUNKED, TUNNEL, BROKEN }

  private final int maxLine;
  private final int maxHeaders;
  private State state = State.HEAD;
  private long remaining;
  private ChunkedBody chunked;
  private boolean midHead;

  RequestFramer(int maxLine, int maxHeaders) {
    this.maxLine = maxLine;
    this.maxHeaders = maxHeaders;
  }

  /** Bytes of a request head arrived and the head is not complete yet (for the header read timeout). */
  boolean midHead() {
    return midHead;
  }

  /** The connection switched protocols: what follows is relayed as it is. */
  void tunnel() {
    state = State.TUNNEL;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    switch (state) {
      case HEAD -> head(in, out);
      case LENGTH -> {
        int n = (int) Math.min(remaining, in.readableBytes());
        out.add(in.readRetainedSlice(n));
        remaining -= n;
        if (remaining == 0) {
          out.add(MessageEnd.INSTANCE);
          state = State.HEAD;
        }
      }
      case CHUNKED -> {
        int n;
        try {
          n = chunked.frame(in);
        } catch (HttpHeads.Malformed m) {
          broken(in, out, m);
          return;
        }
        if (n > 0) {
          out.add(in.readRetainedSlice(n));
        }
        if (chunked.done()) {
          out.add(MessageEnd.INSTANCE);
          state = State.HEAD;
        }
      }
      case TUNNEL -> out.add(in.readRetainedSlice(in.readableBytes()));
      case BROKEN -> in.skipBytes(in.readableBytes());
      default -> throw new IllegalStateException(state.name());
    }
  }

  private void head(ByteBuf in, List<Object> out) {
    // empty lines before a request line are ignored (RFC 9112 §2.2)
    while (in.isReadable() && (in.getByte(in.readerIndex()) == '\r' || in.getByte(in.readerIndex()) == '\n')) {
      in.skipBytes(1);
    }
    midHead = in.isReadable();
    if (!midHead) {
      return;
    }
    RequestHead h;
    try {
      h = HttpHeads.request(in, maxLine, maxHeaders);
      if (h == null) {
        return;
      }
      h.framing = HttpHeads.requestFraming(h.headers);
      remaining = h.framing == HttpHeads.Framing.LENGTH ? HttpHeads.contentLength(h.headers) : 0;
    } catch (HttpHeads.Malformed m) {
      broken(in, out, m);
      return;
    }
    midHead = false;
    h.raw = in.readRetainedSlice(h.length);
    out.add(h);
    if (h.framing == HttpHeads.Framing.CHUNKED) {
      chunked = new ChunkedBody(maxHeaders);
      state = State.CHUNKED;
    } else if (h.framing == HttpHeads.Framing.LENGTH) {
      state = State.LENGTH;
    }
  }

  private void broken(ByteBuf in, List<Object> out, HttpHeads.Malformed m) {
    state = State.BROKEN;
    midHead = false;
    in.skipBytes(in.readableBytes());
    out.add(m);
  }
}
