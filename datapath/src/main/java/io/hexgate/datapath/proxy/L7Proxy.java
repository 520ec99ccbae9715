package io.hexgate.datapath.proxy;

import io.hexgate.contract.v1.Flow;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's transparent HTTP/1.1 proxy: one listener per {@link ProxyDirection}, each request judged by the
 * connection's current HTTP rules, allowed ones forwarded to the original destination, denied ones answered
 * {@code 403 Access denied}; an L7 flow per request and per response, Hubble's {@code http} metrics.
 */
public final class L7Proxy implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(L7Proxy.class);
  /** Netty's own switch, read here only to leave a level chosen for a run alone. */
  private static final String LEAK_DETECTION_LEVEL = "io.netty.leakDetection.level";

  private final EpollEventLoopGroup group;
  private final ChannelGroup channels;
  private final Map<ProxyDirection, EpollServerSocketChannel> listeners;

  private L7Proxy(EpollEventLoopGroup group, ChannelGroup channels,
      Map<ProxyDirection, EpollServerSocketChannel> listeners) {
    this.group = group;
    this.channels = channels;
    this.listeners = listeners;
  }

  /**
   * Opens the listeners, on event-loop threads made by {@code options.threadFactory()} (so that the sockets
   * belong to those threads' network namespace).
   */
  public static L7Proxy start(ProxyOptions options, L7Policy policy, Consumer<Flow> flows) {
    Epoll.ensureAvailability();
    leakDetectionOffUnlessChosen();
    EpollEventLoopGroup group = new EpollEventLoopGroup(options.workerThreads(), options.threadFactory());
    ChannelGroup channels = new DefaultChannelGroup("l7-proxy", GlobalEventExecutor.INSTANCE);
    ProxyContext px = new ProxyContext(options, policy, new L7Flows(flows), channels);
    AtomicInteger open = new AtomicInteger();
    Map<ProxyDirection, EpollServerSocketChannel> listeners = new EnumMap<>(ProxyDirection.class);
    try {
      for (Map.Entry<ProxyDirection, InetSocketAddress> l : options.listen().entrySet()) {
        ServerBootstrap b = listener(group, px, l.getKey(), open);
        // the socket is created where bind() is called: on an event-loop thread, not the caller's
        ChannelFuture bound = group.next().submit(() -> b.bind(l.getValue())).get();
        bound.sync();
        channels.add(bound.channel());
        listeners.put(l.getKey(), (EpollServerSocketChannel) bound.channel());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      throw new IllegalStateException("interrupted while starting the L7 proxy", e);
    } catch (ExecutionException | RuntimeException e) {
      channels.close();
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      throw new IllegalStateException("cannot start the L7 proxy: " + e.getMessage(), e);
    }
    L7Proxy proxy = new L7Proxy(group, channels, Map.copyOf(listeners));
    log.info("L7 proxy listening: {}", proxy.addresses());
    return proxy;
  }

  /**
   * Netty's default leak detection samples one buffer in 128 and takes a stack trace for it and for every
   * slice made of it, and the proxy slices every message it forwards (datapath/DESIGN.md, "HTTP in the
   * proxy"). So the proxy turns it off unless a level was chosen with {@value #LEAK_DETECTION_LEVEL}, as the
   * tests do.
   */
  private static void leakDetectionOffUnlessChosen() {
    if (System.getProperty(LEAK_DETECTION_LEVEL) == null) {
      ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
    }
  }

  private static ServerBootstrap listener(EpollEventLoopGroup group, ProxyContext px, ProxyDirection d,
      AtomicInteger open) {
    ProxyOptions o = px.options();
    ServerBootstrap b = new ServerBootstrap()
        .group(group)
        .channel(EpollServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, 1024)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new ChannelInitializer<EpollSocketChannel>() {
          @Override
          protected void initChannel(EpollSocketChannel ch) {
            if (open.incrementAndGet() > o.maxConnections()) {
              open.decrementAndGet();
              InetSocketAddress local = ch.localAddress();
              px.flows().refused(new ConnectionEnds(d, ch.remoteAddress(),
                  o.destination().apply(ch.remoteAddress(), local), local.getPort()));
              ch.close();
              return;
            }
            ch.closeFuture().addListener(f -> open.decrementAndGet());
            px.channels().add(ch);
            RequestFramer framer = new RequestFramer(o.maxRequestLine(), o.maxHeaderBytes());
            ch.pipeline().addLast(framer, new ClientConnection(px, d, framer));
          }
        });
    if (o.transparent()) {
      // no SO_REUSEPORT: bpf_sk_assign refuses reuseport listeners
      b.option(EpollChannelOption.IP_TRANSPARENT, true).option(ProxyContext.SO_MARK, d.mark());
    }
    return b;
  }

  public int listenerFd(ProxyDirection d) {
    return listener(d).fd().intValue();
  }

  public InetSocketAddress address(ProxyDirection d) {
    return listener(d).localAddress();
  }

  private EpollServerSocketChannel listener(ProxyDirection d) {
    EpollServerSocketChannel l = listeners.get(d);
    if (l == null) {
      throw new IllegalArgumentException("no " + d + " listener");
    }
    return l;
  }

  private Map<ProxyDirection, InetSocketAddress> addresses() {
    Map<ProxyDirection, InetSocketAddress> a = new EnumMap<>(ProxyDirection.class);
    listeners.forEach((d, l) -> a.put(d, l.localAddress()));
    return a;
  }

  /** Whether both listeners are open and the event loops run: a proxy that is not must be started anew. */
  public boolean serving() {
    return !group.isShuttingDown() && listeners.values().stream().allMatch(Channel::isActive);
  }

  /** Abrupt: every socket closed at once, as a crash would. */
  public void kill() {
    channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    group.shutdownGracefully(0, 0, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
  }

  /** Graceful: no new connections, what was written flushed, then every connection closed. */
  @Override
  public void close() {
    for (Channel l : listeners.values()) {
      l.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
    channels.flush();
    channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    group.shutdownGracefully(100, 5_000, TimeUnit.MILLISECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
  }
}
