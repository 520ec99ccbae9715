package io.hexgate.datapath.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Splits the server's bytes into responses as {@link RequestFramer} does requests. A response it cannot read
 * fails the upstream connection. After 101 every byte passes as it is; a body delimited by the connection's
 * end ends when the server closes.
 */
final class ResponseFramer extends ByteToMessageDecoder {
  /** The most bytes of a response head (Netty's client codec allowed as many). */
  private static final int MAX_HEAD = 64 * 1024;

  private enum State { HEAD, BODY, UNTIL_CLOSE, TUNNEL, BROKEN }

  /** Whether the response about to be read answers a HEAD request: it has no body whatever it says. */
  private final BooleanSupplier answersHead;
  private State state = State.HEAD;
  private final BodyFrames body = new BodyFrames();

  ResponseFramer(BooleanSupplier answersHead) {
    this.answersHead = answersHead;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    try {
      frame(in, out);
    } catch (HttpHeads.Malformed m) {
      // a response the proxy cannot read: nothing more from this server is trusted
      state = State.BROKEN;
      in.skipBytes(in.readableBytes());
      throw new DecoderException("unreadable response: " + m.getMessage());
    }
  }

  private void frame(ByteBuf in, List<Object> out) throws HttpHeads.Malformed {
    switch (state) {
      case HEAD -> head(in, out);
      case BODY -> {
        if (body.frame(in, out)) {
          state = State.HEAD;
        }
      }
      case UNTIL_CLOSE, TUNNEL -> out.add(in.readRetainedSlice(in.readableBytes()));
      case BROKEN -> in.skipBytes(in.readableBytes());
      default -> throw new IllegalStateException(state.name());
    }
  }

  private void head(ByteBuf in, List<Object> out) throws HttpHeads.Malformed {
    HttpHeads.skipEmptyLines(in);
    if (!in.isReadable()) {
      return;
    }
    ResponseHead h = HttpHeads.response(in, MAX_HEAD);
    if (h == null) {
      return;
    }
    HttpHeads.Body b = HttpHeads.responseBody(h.code, answersHead.getAsBoolean(), h.headers);
    h.framing = b.framing();
    h.raw = in.readRetainedSlice(h.length);
    out.add(h);
    if (body.expect(b, MAX_HEAD)) {
      state = State.BODY;
    } else if (h.framing == HttpHeads.Framing.UNTIL_CLOSE) {
      state = State.UNTIL_CLOSE;
    } else if (h.code == 101) {
      state = State.TUNNEL;
    }
  }

  @Override
  protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
    if (in.isReadable()) {
      decode(ctx, in, out);
    }
    if (state == State.UNTIL_CLOSE) {
      // the server's close is the end of this body
      out.add(MessageEnd.INSTANCE);
      state = State.HEAD;
    }
  }
}
