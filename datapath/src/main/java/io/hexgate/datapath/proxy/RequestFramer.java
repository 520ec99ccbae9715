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
  private enum State { HEAD, BODY, TUNNEL, BROKEN }

  private final int maxLine;
  private final int maxHeaders;
  private State state = State.HEAD;
  private final BodyFrames body = new BodyFrames();
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
      case BODY -> {
        try {
          if (body.frame(in, out)) {
            state = State.HEAD;
          }
        } catch (HttpHeads.Malformed m) {
          broken(in, out, m);
        }
      }
      case TUNNEL -> out.add(in.readRetainedSlice(in.readableBytes()));
      case BROKEN -> in.skipBytes(in.readableBytes());
      default -> throw new IllegalStateException(state.name());
    }
  }

  private void head(ByteBuf in, List<Object> out) {
    HttpHeads.skipEmptyLines(in);
    midHead = in.isReadable();
    if (!midHead) {
      return;
    }
    RequestHead h;
    HttpHeads.Body b;
    try {
      h = HttpHeads.request(in, maxLine, maxHeaders);
      if (h == null) {
        return;
      }
      b = HttpHeads.requestBody(h.version, h.headers);
    } catch (HttpHeads.Malformed m) {
      broken(in, out, m);
      return;
    }
    midHead = false;
    h.framing = b.framing();
    h.raw = in.readRetainedSlice(h.length);
    out.add(h);
    if (body.expect(b, maxHeaders)) {
      state = State.BODY;
    }
  }

  private void broken(ByteBuf in, List<Object> out, HttpHeads.Malformed m) {
    state = State.BROKEN;
    midHead = false;
    in.skipBytes(in.readableBytes());
    out.add(m);
  }
}
