package io.hexgate.datapath.proxy;

import io.hexgate.contract.v1.HttpMatch;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: judges each request, forwards the allowed ones over its own upstream connection and
 * answers every request strictly in order, its own answers (403, 503, errors) queued behind the server's
 * responses to earlier requests. Everything runs on the client channel's event loop, the upstream's too.
 */
final class ClientConnection extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(ClientConnection.class);
  /** Requests read ahead of their answers; beyond this the client's pipeline waits in its socket. */
  private static final int MAX_PIPELINED = 64;

  enum Body { NONE, FORWARD, DISCARD }

  final ProxyContext px;
  final ProxyDirection direction;
  final RequestDecoder decoder;
  final ResponseEncoder encoder;
  final ArrayDeque<Exchange> exchanges = new ArrayDeque<>();
  ConnectionEnds ends;
  L7Flows.Connection flows;
  /** The rules of the last policy answer, kept while the answer is the same (the agent caches it). */
  private List<HttpMatch> rulesOf;
  private HttpRules rules;
  Channel client;
  Channel upstream;
  private List<Object> pendingUpstream;
  private boolean upstreamDirty;
  Body body = Body.NONE;
  /** A final answer that closes the connection is queued: nothing more is read. */
  boolean closing;
  boolean tunnel;
  private ScheduledFuture<?> headerTimer;

  ClientConnection(ProxyContext px, ProxyDirection direction, RequestDecoder decoder, ResponseEncoder encoder) {
    this.px = px;
    this.direction = direction;
    this.decoder = decoder;
    this.encoder = encoder;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    client = ctx.channel();
    InetSocketAddress remote = (InetSocketAddress) client.remoteAddress();
    InetSocketAddress local = (InetSocketAddress) client.localAddress();
    ends = new ConnectionEnds(direction, remote, px.options().destination().apply(remote, local),
        local.getPort());
    flows = px.flows().connection(ends);
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (tunnel) {
      relay(msg);
      return;
    }
    if (closing) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof HttpRequest req) {
      request(req);
      if (req.decoderResult().isFailure()) {
        // the decoder's stand-in for a malformed request is a full one, with an (empty) body to free
        ReferenceCountUtil.release(msg);
      }
    } else if (msg instanceof HttpContent c) {
      content(c);
    } else {
      ReferenceCountUtil.release(msg);
    }
  }

  private void request(HttpRequest req) {
    cancelHeaderTimer();
    if (req.decoderResult().isFailure()) {
      Throwable cause = req.decoderResult().cause();
      fail(cause instanceof TooLongFrameException
          ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
          : HttpResponseStatus.BAD_REQUEST);
      return;
    }
    Optional<ConnectionPolicy> policy = px.policy().lookup(direction, ends.client(), ends.server());
    HttpRules.Decision d = policy.isEmpty()
        ? HttpRules.Decision.DENIED
        : rules(policy.get().http()).decide(req);
    if (d.allowed() && !d.upgradeAllowed()) {
      LocalAnswers.stripUpgrade(req.headers());
    }
    String protocol = req.protocolVersion().text();
    String host = req.headers().get(HttpHeaderNames.HOST);
    String authority = host != null ? host
        : ends.server().getAddress().getHostAddress() + ":" + ends.server().getPort();
    Exchange e = new Exchange(req.method().name(), "http://" + authority + HttpRules.RequestTarget.path(req.uri()),
        protocol, req.headers(), policy.orElse(null));
    e.upgradeAllowed = d.upgradeAllowed();
    e.closeAfter = !HttpUtil.isKeepAlive(req);
    flows.request(e, d.allowed());
    exchanges.add(e);
    if (exchanges.size() >= MAX_PIPELINED) {
      updateReading();
    }
    if (d.allowed()) {
      body = Body.FORWARD;
      toUpstream(req);
      return;
    }
    e.localResponse = LocalAnswers.forbidden(client.alloc());
    boolean hasBody = HttpUtil.getContentLength(req, 0L) > 0 || HttpUtil.isTransferEncodingChunked(req);
    if (hasBody && HttpUtil.is100ContinueExpected(req)) {
      // the client waits for 100 before sending its body: answer without reading it, then close, since
      // whether the body follows anyway is the client's choice
      e.closeAfter = true;
      stopReading();
    } else {
      body = Body.DISCARD;
    }
    drain();
  }

  /** {@link HttpRules#compile} compares the whole list with its cache's; the same list needs no compare. */
  private HttpRules rules(List<HttpMatch> http) {
    if (http != rulesOf) {
      rules = HttpRules.compile(http);
      rulesOf = http;
    }
    return rules;
  }

  private void content(HttpContent c) {
    if (c.decoderResult().isFailure()) {
      // a broken body (a bad chunk size): the request cannot be delimited, nor anything after it
      c.release();
      DefaultFullHttpResponse r = LocalAnswers.error(client.alloc(), HttpResponseStatus.BAD_REQUEST);
      r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      release();
      client.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
      return;
    }
    if (body == Body.FORWARD) {
      toUpstream(c);
    } else {
      c.release();
    }
    if (c instanceof LastHttpContent) {
      body = Body.NONE;
    }
  }

  /** A malformed request: the error answer after the earlier ones, then the connection closes. */
  private void fail(HttpResponseStatus status) {
    Exchange e = new Exchange("", "", "HTTP/1.1", new DefaultHttpHeaders(), null);
    e.observed = false;
    e.localResponse = LocalAnswers.error(client.alloc(), status);
    e.closeAfter = true;
    exchanges.add(e);
    stopReading();
    drain();
  }

  private void stopReading() {
    closing = true;
    body = Body.NONE;
    updateReading();
  }

  /**
   * Reads from the client unless a closing answer is queued, too many requests wait for theirs, or the
   * server's socket is full.
   */
  void updateReading() {
    boolean read = !closing && exchanges.size() < MAX_PIPELINED && (upstream == null || upstream.isWritable());
    if (client.config().isAutoRead() != read) {
      client.config().setAutoRead(read);
    }
  }


  private void toUpstream(HttpObject o) {
    if (upstream == null && pendingUpstream == null) {
      connect();
    }
    if (pendingUpstream != null) {
      pendingUpstream.add(o);
    } else {
      upstream.write(o, upstream.voidPromise());
      upstreamDirty = true;
    }
  }

  private void connect() {
    pendingUpstream = new ArrayList<>();
    Bootstrap b = new Bootstrap()
        .group(client.eventLoop())
        .channel(EpollSocketChannel.class)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
        .handler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline().addLast(new HttpClientCodec(4096, 64 * 1024, 64 * 1024), new UpstreamConnection(ClientConnection.this));
          }
        });
    if (px.options().transparent()) {
      // the upstream connection carries the client's own tuple: bind its non-local address and port
      b.option(EpollChannelOption.IP_TRANSPARENT, true)
          .option(ChannelOption.SO_REUSEADDR, true)
          .option(ProxyContext.SO_MARK, direction.mark())
          .localAddress(ends.client());
    }
    ChannelFuture f = b.connect(ends.server());
    Channel ch = f.channel();
    px.channels().add(ch);
    f.addListener((ChannelFutureListener) done -> connected(ch, done));
  }

  private void connected(Channel ch, ChannelFuture done) {
    List<Object> pending = pendingUpstream;
    pendingUpstream = null;
    if (done.isSuccess() && client.isActive()) {
      upstream = ch;
      ch.config().setAutoRead(client.isWritable());
      for (Object o : pending) {
        ch.write(o, ch.voidPromise());
      }
      ch.flush();
      return;
    }
    pending.forEach(ReferenceCountUtil::release);
    ch.close();
    if (body == Body.FORWARD) {
      body = Body.DISCARD;
    }
    unavailable();
  }

  /** Every request still waiting for the server gets 503; the connection stays for the next ones. */
  void unavailable() {
    for (Exchange e : exchanges) {
      if (e.localResponse == null) {
        e.localResponse = LocalAnswers.error(client.alloc(), HttpResponseStatus.SERVICE_UNAVAILABLE);
      }
    }
    drain();
  }

  /** Writes the answers of the proxy's own at the head of the queue, in order. */
  void drain() {
    boolean wrote = false;
    while (!exchanges.isEmpty() && exchanges.peek().localResponse != null) {
      Exchange e = exchanges.poll();
      HttpResponse r = e.localResponse;
      e.localResponse = null;
      if (e.observed) {
        long latency = System.nanoTime() - e.startNanos;
        flows.response(e, r.status().code(), r.headers(), latency);
      }
      if (e.closeAfter) {
        r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      }
      encoder.answering(e);
      if (e.closeAfter) {
        client.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
        release();
        return;
      }
      client.write(r, client.voidPromise());
      wrote = true;
    }
    if (wrote) {
      client.flush();
    }
    updateReading();
  }

  void release() {
    closing = true;
    for (Exchange e : exchanges) {
      ReferenceCountUtil.release(e.localResponse);
    }
    exchanges.clear();
    if (upstream != null) {
      upstream.close();
    }
  }



  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (upstreamDirty && upstream != null) {
      upstreamDirty = false;
      upstream.flush();
    }
    if (!closing && !tunnel) {
      if (decoder.midHead()) {
        if (headerTimer == null) {
          long nanos = px.options().headerTimeout().toNanos();
          headerTimer = client.eventLoop().schedule(this::headerTimeout, nanos, TimeUnit.NANOSECONDS);
        }
      } else {
        cancelHeaderTimer();
      }
    }
    ctx.fireChannelReadComplete();
  }

  private void headerTimeout() {
    headerTimer = null;
    if (!closing && !tunnel && client.isActive() && decoder.midHead()) {
      fail(HttpResponseStatus.REQUEST_TIMEOUT);
    }
  }

  private void cancelHeaderTimer() {
    if (headerTimer != null) {
      headerTimer.cancel(false);
      headerTimer = null;
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    // the server's data waits while the client cannot take more
    if (upstream != null) {
      upstream.config().setAutoRead(client.isWritable());
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    cancelHeaderTimer();
    body = Body.NONE;
    release();
    if (pendingUpstream != null) {
      pendingUpstream.forEach(ReferenceCountUtil::release);
      pendingUpstream.clear();
    }
    if (upstream != null) {
      upstream.close();
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("client connection {} failed", ends, cause);
    ctx.close();
  }

  private void relay(Object msg) {
    if (upstream == null) {
      ReferenceCountUtil.release(msg);
      return;
    }
    // below the HTTP codecs: the bytes of the upgraded protocol go as they are
    upstream.pipeline().firstContext().write(msg, upstream.voidPromise());
    upstreamDirty = true;
  }
}
