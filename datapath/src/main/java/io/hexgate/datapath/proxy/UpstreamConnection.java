package io.hexgate.datapath.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's side of a {@link ClientConnection}, on the same event loop: relays the responses to the
 * client in order, as the bytes that arrived, with their flows, and takes a 101 into a raw tunnel when the
 * rule allowed it.
 */
final class UpstreamConnection extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(UpstreamConnection.class);

  private final ClientConnection c;
  /** A final response head went to the client and its end has not. */
  private boolean started;

  UpstreamConnection(ClientConnection c) {
    this.c = c;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (c.tunnel || (started && msg instanceof ByteBuf)) {
      c.client.write(msg, c.client.voidPromise());
    } else if (msg instanceof ResponseHead r) {
      Exchange e = c.exchanges.peek();
      if (e == null || e.localStatus != 0) {
        // a response nobody asked for: the server does not speak HTTP as expected
        r.raw.release();
        ctx.close();
        return;
      }
      response(ctx, e, r);
    } else if (msg == MessageEnd.INSTANCE && started) {
      ended(c.exchanges.peek());
    } else {
      ReferenceCountUtil.release(msg);
    }
  }

  private void response(ChannelHandlerContext ctx, Exchange e, ResponseHead r) {
    if (r.code == 101 && !e.upgradeAllowed) {
      r.raw.release();
      c.release();
      c.client.close();
      return;
    }
    if (r.code >= 100 && r.code < 200 && r.code != 101) {
      // 100 Continue and the like: the final response follows for the same request
      c.client.write(r.raw, c.client.voidPromise());
      return;
    }
    long latency = System.nanoTime() - e.startNanos;
    c.flows.response(e, r.code, r.headers, latency);
    if (!HttpHeads.keepAlive(r.version, r.headers) || r.framing == HttpHeads.Framing.UNTIL_CLOSE) {
      e.closeAfter = true;
    }
    c.client.write(r.raw, c.client.voidPromise());
    if (r.code == 101) {
      c.exchanges.poll();
      c.tunnel = true;
      c.framer.tunnel();
    } else if (r.framing == HttpHeads.Framing.NONE) {
      ended(e);
    } else {
      started = true;
    }
  }

  private void ended(Exchange e) {
    started = false;
    c.exchanges.poll();
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
    if (c.tunnel || started) {
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
