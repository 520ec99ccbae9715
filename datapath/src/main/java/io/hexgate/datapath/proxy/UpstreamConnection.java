package io.hexgate.datapath.proxy;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's side of a {@link ClientConnection}, on the same event loop: relays the responses to the
 * client in order, with their flows and metrics, and takes a 101 into a raw tunnel when the rule allowed it.
 */
final class UpstreamConnection extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(UpstreamConnection.class);

  private final ClientConnection c;
  private boolean informational;
  private boolean switching;
  /** A final response head went to the client and its end has not. */
  private boolean started;

  UpstreamConnection(ClientConnection c) {
    this.c = c;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (c.tunnel) {
      c.client.write(msg, c.client.voidPromise());
      return;
    }
    Exchange e = c.exchanges.peek();
    if (e == null || e.localResponse != null) {
      // a response nobody asked for: the server does not speak HTTP as expected
      ReferenceCountUtil.release(msg);
      ctx.close();
      return;
    }
    if (msg instanceof HttpResponse r) {
      response(ctx, e, r);
    }
    if (msg instanceof HttpContent content) {
      c.client.write(content, c.client.voidPromise());
      if (content instanceof LastHttpContent) {
        ended(e);
      }
    } else if (!(msg instanceof HttpResponse)) {
      ReferenceCountUtil.release(msg);
    }
  }

  private void response(ChannelHandlerContext ctx, Exchange e, HttpResponse r) {
    int code = r.status().code();
    if (code == HttpResponseStatus.SWITCHING_PROTOCOLS.code()) {
      if (!e.upgradeAllowed) {
        ReferenceCountUtil.release(r);
        c.client.close();
        ctx.close();
        return;
      }
      switching = true;
    } else if (r.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
      informational = true;
    }
    if (!informational) {
      started = true;
      long latency = System.nanoTime() - e.startNanos;
      c.flows.response(e, code, r.headers(), latency);
      if (!HttpUtil.isKeepAlive(r)) {
        e.closeAfter = true;
      }
    }
    c.encoder.answering(e);
    c.client.write(r, c.client.voidPromise());
  }

  private void ended(Exchange e) {
    if (informational) {
      informational = false;
      return;
    }
    started = false;
    c.exchanges.poll();
    if (switching) {
      switching = false;
      c.tunnel = true;
      c.client.pipeline().remove(c.encoder);
      c.client.pipeline().remove(c.decoder);
      return;
    }
    if (e.closeAfter) {
      c.client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
      c.release();
      return;
    }
    c.drain();
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    c.client.flush();
    ctx.fireChannelReadComplete();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    c.updateReading();
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (c.upstream == ctx.channel()) {
      c.upstream = null;
    }
    if (c.tunnel || informational || switching || started) {
      // the server went away in the middle of a response (or of an upgraded stream): nothing to mend
      c.client.close();
    } else if (c.client.isActive() && !c.closing) {
      if (c.body == ClientConnection.Body.FORWARD) {
        c.body = ClientConnection.Body.DISCARD;
      }
      c.unavailable();
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("upstream connection of {} failed", c.ends, cause);
    ctx.close();
  }
}
