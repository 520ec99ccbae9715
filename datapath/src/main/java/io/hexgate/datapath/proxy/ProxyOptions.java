package io.hexgate.datapath.proxy;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;
import java.util.function.BiFunction;

/**
 * How the proxy runs.
 *
 * @param transparent the agent's mode: listeners and upstream sockets IP_TRANSPARENT with the direction's
 *     SO_MARK, each upstream bound to its client's own address and port; false: plain sockets (tests
 *     without root)
 * @param listen each direction's listening address (transparent: the sockmap, not the address, brings the
 *     connections, so loopback with an ephemeral port is enough)
 * @param destination where a connection goes, from its client and the accepted socket's local address; in
 *     transparent mode the local address is the original destination (the default)
 * @param threadFactory makes the event-loop threads, on which every socket is created (the agent's threads
 *     sit in the node's network namespace)
 * @param maxConnections open client connections beyond which new ones are refused (with a DROPPED flow)
 */
public record ProxyOptions(
    boolean transparent,
    Map<ProxyDirection, InetSocketAddress> listen,
    BiFunction<InetSocketAddress, InetSocketAddress, InetSocketAddress> destination,
    int workerThreads,
    ThreadFactory threadFactory,
    int maxRequestLine,
    int maxHeaderBytes,
    Duration headerTimeout,
    int maxConnections) {

  public ProxyOptions {
    listen = Map.copyOf(listen);
    Objects.requireNonNull(destination, "destination");
    Objects.requireNonNull(threadFactory, "threadFactory");
    Objects.requireNonNull(headerTimeout, "headerTimeout");
    if (listen.isEmpty() || workerThreads < 1 || maxRequestLine < 16 || maxHeaderBytes < 64
        || maxConnections < 1 || headerTimeout.isNegative() || headerTimeout.isZero()) {
      throw new IllegalArgumentException("invalid proxy options");
    }
  }

  /** The agent's options: both directions on {@code 127.0.0.1:0}, original destinations. */
  public static ProxyOptions transparent(ThreadFactory threads) {
    return new ProxyOptions(true, loopback(), (client, local) -> local, 2, threads, 8192, 60 * 1024,
        Duration.ofSeconds(10), 10_000);
  }

  /** Plain sockets, one listener on {@code 127.0.0.1:0} per direction, every connection to {@code upstream}. */
  public static ProxyOptions plain(InetSocketAddress upstream) {
    return new ProxyOptions(false, loopback(), (client, local) -> upstream, 1,
        new io.netty.util.concurrent.DefaultThreadFactory("hexgate-proxy"), 8192, 60 * 1024,
        Duration.ofSeconds(10), 10_000);
  }

  private static Map<ProxyDirection, InetSocketAddress> loopback() {
    Map<ProxyDirection, InetSocketAddress> listen = new EnumMap<>(ProxyDirection.class);
    for (ProxyDirection d : ProxyDirection.values()) {
      listen.put(d, new InetSocketAddress("127.0.0.1", 0));
    }
    return listen;
  }

  public ProxyOptions withDestination(BiFunction<InetSocketAddress, InetSocketAddress, InetSocketAddress> d) {
    return new ProxyOptions(transparent, listen, d, workerThreads, threadFactory, maxRequestLine,
        maxHeaderBytes, headerTimeout, maxConnections);
  }

  public ProxyOptions withLimits(int maxRequestLine, int maxHeaderBytes, Duration headerTimeout,
      int maxConnections) {
    return new ProxyOptions(transparent, listen, destination, workerThreads, threadFactory, maxRequestLine,
        maxHeaderBytes, headerTimeout, maxConnections);
  }

  public ProxyOptions withThreads(int workerThreads, ThreadFactory threadFactory) {
    return new ProxyOptions(transparent, listen, destination, workerThreads, threadFactory, maxRequestLine,
        maxHeaderBytes, headerTimeout, maxConnections);
  }
}
