package io.hexgate.datapath.observe;

import io.hexgate.contract.hubble.flow.Flow;
import io.hexgate.contract.hubble.flow.LostEventSource;
import io.hexgate.contract.metrics.MetricsServer;
import io.hexgate.datapath.flow.hubble.FlowNames;
import io.hexgate.datapath.flow.hubble.HubbleFlows;
import io.hexgate.datapath.netns.NetNsThread;
import io.hexgate.observer.buffer.FlowRing;
import io.hexgate.observer.export.FlowExporter;
import io.hexgate.observer.metrics.HubbleMetrics;
import io.hexgate.observer.peer.PeerService;
import io.hexgate.observer.server.LocalObserver;
import java.io.IOException;
import java.time.Clock;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * What Hubble is inside a Cilium agent: every flow of this node named (pods, identities, services,
 * policies), kept in the ring buffer the Observer serves on 4244, counted in Hubble's metrics on 9965 and
 * written to the export file when one is configured; and every node of the cluster, served by the Peer
 * service on the same port. Losses are never hidden: events the kernel could not write reach clients as
 * lost events.
 */
public final class AgentObserver implements Consumer<io.hexgate.contract.v1.Flow>, AutoCloseable {
  private final HubbleFlows flows;
  private final LocalObserver observer;
  private final ClusterPeers peers;
  private final HubbleMetrics metrics; // null when no metric is enabled
  private final FlowExporter exporter; // null when not exporting
  private final LongSupplier kernelLost;
  private long kernelLostSeen;
  private ObserverServer server;
  private MetricsServer metricsServer;

  private AgentObserver(HubbleFlows flows, LocalObserver observer, ClusterPeers peers, HubbleMetrics metrics,
      FlowExporter exporter, LongSupplier kernelLost) {
    this.flows = flows;
    this.observer = observer;
    this.peers = peers;
    this.metrics = metrics;
    this.exporter = exporter;
    this.kernelLost = kernelLost;
    this.kernelLostSeen = kernelLost.getAsLong();
  }

  /**
   * Starts observing and serving.
   *
   * @param netns the node's network namespace (a lab node), or null for this process's
   * @param kernelLost how many events the kernel has failed to write to its ring buffer so far
   */
  public static AgentObserver start(String node, String netns, ObserveOptions options, FlowNames names, String version,
      LongSupplier kernelLost) throws IOException {
    HubbleMetrics metrics = options.metrics().isEmpty() ? null : HubbleMetrics.parse(options.metrics());
    FlowExporter exporter = options.export() == null ? null : new FlowExporter(options.export(), node);
    AgentObserver o =
        new AgentObserver(new HubbleFlows(node, names), new LocalObserver(node, new FlowRing(options.capacity()), Clock.systemUTC(), version),
            new ClusterPeers(options.tls() != null), metrics, exporter, kernelLost);
    try {
      if (options.port() != 0) {
        o.server = ObserverServer.start(options, netns, version, o.observer, new PeerService(o.peers.directory()));
      }
      if (metrics != null && options.metricsPort() != 0) {
        o.metricsServer = serveMetrics(options.metricsPort(), netns, metrics);
      }
    } catch (IOException | RuntimeException e) {
      o.close();
      throw e;
    }
    return o;
  }

  private static MetricsServer serveMetrics(int port, String netns, HubbleMetrics metrics) throws IOException {
    if (netns == null) {
      return MetricsServer.start(port, "hexgate-hubble-metrics", metrics::scrape);
    }
    try (NetNsThread t = NetNsThread.enter(netns)) {
      return t.call(() -> MetricsServer.start(port, "hexgate-hubble-metrics", metrics::scrape));
    } catch (IOException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException("cannot serve Hubble metrics in network namespace " + netns, e);
    }
  }

  /** One flow of this node, from the datapath or the L7 proxy. */
  @Override
  public void accept(io.hexgate.contract.v1.Flow f) {
    Flow flow = flows.toHubble(f);
    observer.onFlow(flow);
    if (metrics != null) {
      metrics.onFlow(flow);
    }
    if (exporter != null) {
      exporter.onFlow(flow);
    }
  }

  /**
   * Counts the kernel's losses from now on. The agent calls this once its datapath is open: a restarted
   * agent adopts the pinned loss counter, and what it holds is what earlier agents lost and reported.
   */
  public synchronized void countKernelLossFromNow() {
    kernelLostSeen = kernelLost.getAsLong();
  }

  /** Reports what the kernel lost since the last call; the agent calls this about once a second. */
  public synchronized void pollKernelLoss() {
    long now = kernelLost.getAsLong();
    long lost = now - kernelLostSeen;
    kernelLostSeen = now;
    if (lost > 0) {
      observer.onLost(LostEventSource.PERF_EVENT_RING_BUFFER, lost, -1);
      if (metrics != null) {
        metrics.onLost(LostEventSource.PERF_EVENT_RING_BUFFER, lost);
      }
      if (exporter != null) {
        exporter.onLost(LostEventSource.PERF_EVENT_RING_BUFFER, lost);
      }
    }
  }

  public LocalObserver observer() {
    return observer;
  }

  /** The nodes the Peer service announces; the agent updates them from each applied state. */
  public ClusterPeers peers() {
    return peers;
  }

  /** The port the Observer listens on; 0 when it serves none. */
  public int port() {
    return server == null ? 0 : server.port();
  }

  @Override
  public void close() {
    if (server != null) {
      server.close();
    }
    if (metricsServer != null) {
      metricsServer.close();
    }
    if (exporter != null) {
      exporter.close();
    }
  }
}
