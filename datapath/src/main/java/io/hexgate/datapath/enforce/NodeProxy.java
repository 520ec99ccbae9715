package io.hexgate.datapath.enforce;

import io.hexgate.contract.v1.Flow;
import io.hexgate.datapath.agent.AgentState;
import io.hexgate.datapath.maps.IpcacheTable;
import io.hexgate.datapath.maps.MapContents;
import io.hexgate.datapath.netns.NetNsThread;
import io.hexgate.datapath.proxy.AppliedL7Policy;
import io.hexgate.datapath.proxy.L7Proxy;
import io.hexgate.datapath.proxy.ProxyDirection;
import io.hexgate.datapath.proxy.ProxyOptions;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's L7 proxy as the eBPF datapath runs it: started in the node's network namespace, its two
 * listeners handed to the kernel ({@code hg_proxy_sockets}), the HTTP rules of the revision in force, and
 * started again when it died. While it is down the kernel finds no listener and drops redirected
 * connections (178): nothing passes around it.
 */
final class NodeProxy implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeProxy.class);

  private final String node;
  private final Path nsFile;
  private final Consumer<Flow> flows;
  private final BiConsumer<ProxyDirection, Integer> listen;
  private final Duration restartDelay;
  private volatile AppliedL7Policy policy = AppliedL7Policy.EMPTY;
  // guarded by this
  private L7Proxy proxy;
  private long downSince;
  private boolean closed;

  /**
   * @param nsFile the node's network namespace, or null for this process's own
   * @param listen writes a listener's socket into the kernel's map (called on the caller's thread)
   * @param restartDelay how long a dead proxy stays down before it is started again
   */
  NodeProxy(String node, Path nsFile, Consumer<Flow> flows,
      BiConsumer<ProxyDirection, Integer> listen, Duration restartDelay) {
    this.node = node;
    this.nsFile = nsFile;
    this.flows = flows;
    this.listen = listen;
    this.restartDelay = restartDelay;
  }

  /** The rules of a revision just put in force: every later request is judged by them. */
  void policy(AgentState state, MapContents contents) {
    policy = new AppliedL7Policy(state, new IpcacheTable(contents.ipcacheHosts(), contents.ipcache()));
  }

  /** Starts the proxy when it is not running and its restart delay has passed; idempotent. */
  synchronized void ensureRunning() {
    if (closed) {
      return;
    }
    if (proxy != null && proxy.serving()) {
      return;
    }
    long now = System.nanoTime();
    if (proxy != null) {
      log.warn("node {}: the L7 proxy is down; redirected connections are dropped (178) until it is back", node);
      proxy.close();
      proxy = null;
      downSince = now;
    }
    if (downSince != 0 && now - downSince < restartDelay.toNanos()) {
      return;
    }
    try {
      L7Proxy p = L7Proxy.start(options(), (d, c, s) -> policy.lookup(d, c, s), flows);
      for (ProxyDirection d : ProxyDirection.values()) {
        listen.accept(d, p.listenerFd(d));
      }
      proxy = p;
      downSince = 0;
      log.info("node {}: L7 proxy listening ({} ingress, {} egress)", node, p.address(ProxyDirection.INGRESS),
          p.address(ProxyDirection.EGRESS));
    } catch (RuntimeException e) {
      downSince = now;
      log.error("node {}: the L7 proxy did not start; redirected connections are dropped (178): {}", node,
          e.toString());
    }
  }

  private ProxyOptions options() {
    return ProxyOptions.transparent(
        nsFile == null ? new DefaultThreadFactory("hexgate-proxy", true) : NetNsThread.factory("hexgate-proxy", nsFile));
  }

  /** The running proxy, or null. */
  synchronized L7Proxy proxy() {
    return proxy;
  }

  @Override
  public synchronized void close() {
    closed = true;
    if (proxy != null) {
      proxy.close();
      proxy = null;
    }
  }
}
