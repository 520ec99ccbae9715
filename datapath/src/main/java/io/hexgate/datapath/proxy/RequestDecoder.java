package io.hexgate.datapath.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.List;

/**
 * Netty's request decoder, telling whether a request head has begun and not yet ended, for the header read
 * timeout: a client that sent part of a head and stalls gets 408, an idle keep-alive connection does not.
 */
final class RequestDecoder extends HttpRequestDecoder {
  private boolean inBody;
  private boolean midHead;

  RequestDecoder(HttpDecoderConfig config) {
    super(config);
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
    if (!inBody && buffer.isReadable()) {
      midHead = true;
    }
    int before = out.size();
    super.decode(ctx, buffer, out);
    for (int i = before; i < out.size(); i++) {
      Object o = out.get(i);
      if (o instanceof HttpRequest) {
        midHead = false;
        inBody = true;
      }
      if (o instanceof LastHttpContent) {
        inBody = false;
        midHead = buffer.isReadable();
      }
    }
  }

  /** Bytes of a request head arrived and the head is not complete yet. */
  boolean midHead() {
    return midHead;
  }
}
