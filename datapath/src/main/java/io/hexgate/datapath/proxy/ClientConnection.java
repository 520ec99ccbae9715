package io.hexgate.datapath.proxy;

import io.hexgate.contract.v1.HttpMatch;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollSocketChannel;
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
  final RequestFramer framer;
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

  ClientConnection(ProxyContext px, ProxyDirection direction, RequestFramer framer) {
    this.px = px;
    this.direction = direction;
    this.framer = framer;
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
    } else if (closing) {
      discard(msg);
    } else if (msg instanceof RequestHead h) {
      request(h);
    } else if (msg instanceof ByteBuf b) {
      if (body == Body.FORWARD) {
        toUpstream(b);
      } else {
        b.release();
      }
    } else if (msg == MessageEnd.INSTANCE) {
      body = Body.NONE;
    } else if (msg instanceof HttpHeads.Malformed m) {
      malformed(m);
    }
  }

  private static void discard(Object msg) {
    if (msg instanceof RequestHead h) {
      h.release();
    } else {
      ReferenceCountUtil.release(msg);
    }
  }

  private void request(RequestHead req) {
    cancelHeaderTimer();
    Optional<ConnectionPolicy> policy = px.policy().lookup(direction, ends.client(), ends.server());
    HttpRules.Decision d = policy.isEmpty()
        ? HttpRules.Decision.DENIED
        : rules(policy.get().http()).decide(req);
    if (d.allowed() && !d.upgradeAllowed()) {
      LocalAnswers.stripUpgrade(req.headers);
    }
    String host = req.headers.get("host");
    String authority = host != null ? host
        : ends.server().getAddress().getHostAddress() + ":" + ends.server().getPort();
    Exchange e = new Exchange(req.method, "http://" + authority + HttpRules.RequestTarget.path(req.target),
        req.version, req.headers, policy.orElse(null));
    e.upgradeAllowed = d.upgradeAllowed();
    e.closeAfter = !HttpHeads.keepAlive(req.version, req.headers);
    flows.request(e, d.allowed());
    exchanges.add(e);
    if (exchanges.size() >= MAX_PIPELINED) {
      updateReading();
    }
    boolean hasBody = req.framing != HttpHeads.Framing.NONE;
    if (d.allowed()) {
      body = hasBody ? Body.FORWARD : Body.NONE;
      toUpstream(req.encode(client.alloc()));
      return;
    }
    req.release();
    e.localStatus = 403;
    if (hasBody && "HTTP/1.1".equals(req.version) && "100-continue".equalsIgnoreCase(req.headers.get("expect"))) {
      // the client waits for 100 before sending its body: answer without reading it, then close, since
      // whether the body follows anyway is the client's choice
      e.closeAfter = true;
      stopReading();
    } else {
      body = hasBody ? Body.DISCARD : Body.NONE;
    }
    drain();
  }

  /**
   * A request the proxy cannot read: in a head, its error answer after the earlier ones; in a body (a bad
   * chunk), at once, since nothing after it can be delimited. Then the connection closes.
   */
  private void malformed(HttpHeads.Malformed m) {
    if (body == Body.NONE) {
      fail(m.status);
      return;
    }
    release();
    client.writeAndFlush(LocalAnswers.bytes(m.status, true, false)).addListener(ChannelFutureListener.CLOSE);
  }

  /** {@link HttpRules#compile} compares the whole list with its cache's; the same list needs no compare. */
  private HttpRules rules(List<HttpMatch> http) {
    if (http != rulesOf) {
      rules = HttpRules.compile(http);
      rulesOf = http;
    }
    return rules;
  }

  /** A malformed request: the error answer after the earlier ones, then the connection closes. */
  private void fail(int status) {
    Exchange e = new Exchange("", "", "HTTP/1.1", new HeaderList(), null);
    e.observed = false;
    e.localStatus = status;
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


  private void toUpstream(ByteBuf o) {
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
            ch.pipeline().addLast(new ResponseFramer(ClientConnection.this::answersHead),
                new UpstreamConnection(ClientConnection.this));
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
      if (e.localStatus == 0) {
        e.localStatus = 503;
      }
    }
    drain();
  }

  /** Whether the response the server sends next answers a HEAD request. */
  private boolean answersHead() {
    Exchange e = exchanges.peek();
    return e != null && e.head;
  }

  /** Writes the answers of the proxy's own at the head of the queue, in order. */
  void drain() {
    boolean wrote = false;
    while (!exchanges.isEmpty() && exchanges.peek().localStatus != 0) {
      Exchange e = exchanges.poll();
      if (e.observed) {
        long latency = System.nanoTime() - e.startNanos;
        flows.response(e, e.localStatus, LocalAnswers.headers(e.localStatus, e.closeAfter), latency);
      }
      ByteBuf answer = LocalAnswers.bytes(e.localStatus, e.closeAfter, e.head);
      if (e.closeAfter) {
        client.writeAndFlush(answer).addListener(ChannelFutureListener.CLOSE);
        release();
        return;
      }
      client.write(answer, client.voidPromise());
      wrote = true;
    }
    if (wrote) {
      client.flush();
    }
    updateReading();
  }

  /**
   * The proxy ends the connection. Its upstream is reset rather than closed: it borrowed the client's port,
   * which the client, closing second and so keeping nothing of it, may take again at once, and an upstream
   * still closing (FIN_WAIT, TIME_WAIT) would refuse the next upstream from that port (503).
   */
  void release() {
    closing = true;
    exchanges.clear();
    if (upstream != null) {
      upstream.config().setOption(ChannelOption.SO_LINGER, 0);
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
      if (framer.midHead()) {
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
    if (!closing && !tunnel && client.isActive() && framer.midHead()) {
      fail(408);
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
    // the client's end (it keeps the port in TIME_WAIT), or the proxy's own (release() came first): a close
    closing = true;
    exchanges.clear();
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
    release(); // a client that reset its end keeps nothing of the port either
    ctx.close();
  }

  private void relay(Object msg) {
    if (upstream == null || !(msg instanceof ByteBuf)) {
      discard(msg);
      return;
    }
    upstream.write(msg, upstream.voidPromise());
    upstreamDirty = true;
  }
}
