package io.hexgate.datapath.enforce;

import io.hexgate.contract.thread.DaemonThreads;
import io.hexgate.contract.v1.EndpointKey;
import io.hexgate.contract.v1.Flow;
import io.hexgate.contract.v1.StateUpdate;
import io.hexgate.datapath.agent.AgentState;
import io.hexgate.datapath.agent.KernelEnforcement;
import io.hexgate.datapath.bpf.BpfObject;
import io.hexgate.datapath.maps.ConntrackGc;
import io.hexgate.datapath.maps.ConntrackRevalidator;
import io.hexgate.datapath.maps.KernelConntrack;
import io.hexgate.datapath.maps.MapContents;
import io.hexgate.datapath.maps.MapWriter;
import io.hexgate.datapath.metrics.AgentMetrics;
import io.hexgate.contract.PodInterfaces;
import io.hexgate.datapath.netns.FileTrees;
import io.hexgate.datapath.netns.NetNs;
import io.hexgate.datapath.netns.NetNsThread;
import io.hexgate.datapath.pin.MapMigration;
import io.hexgate.datapath.proxy.L7Proxy;
import io.hexgate.datapath.proxy.ProxyDirection;
import io.hexgate.datapath.redirect.ProxyRouting;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The eBPF datapath of one node. Maps are pinned under {@code /sys/fs/bpf/hexgate/<node>/} and programs
 * beside them; a restarted agent's load reuses the pinned maps (their contents and connections stay), and
 * until its first revision is applied the previous agent's programs keep running on them. A pinned map
 * whose definition changed (an upgrade) is replaced by a new one, filled, and the old one unpinned once
 * the new programs are attached ({@link MapMigration}). Applying a
 * revision writes the maps by difference ({@link MapWriter}: upserts before deletes) and then attaches over
 * the existing filters, which swaps programs atomically. So enforcement never pauses, and is never
 * allow-all or deny-all, across a restart.
 *
 * <p>Everything that touches interfaces runs on one thread inside the node's network namespace; map
 * writes run there too, so that revisions and attach retries never interleave.
 */
public final class BpfDatapath implements Datapath {
  private static final Logger log = LoggerFactory.getLogger(BpfDatapath.class);
  public static final Path PIN_ROOT = Path.of("/sys/fs/bpf/hexgate");
  /** How long a dead L7 proxy stays down before it is started again: redirected connections drop meanwhile. */
  static final java.time.Duration PROXY_RESTART_DELAY = java.time.Duration.ofSeconds(2);
  private static final List<String> PROGRAMS =
      List.of("from_pod", "to_pod", "from_netdev", NotReadyFilter.FROM_POD, NotReadyFilter.TO_POD, "to_proxy");
  /** Maps the programs write themselves: after a migration, what the old programs added meanwhile is copied too. */
  private static final Set<String> KERNEL_WRITTEN = Set.of("hg_ct");

  private final BpfDatapathOptions options;
  private final NetNsThread net;
  private final BpfObject obj;
  private final MapWriter writer;
  private final KernelConntrack conntrack;
  private final TcAttachments tc;
  private final boolean adopted;
  private final ScheduledExecutorService timer;
  private final ConntrackCollector gc;
  private final DatapathEvents events;
  private final KernelMetrics kernelMetrics;
  private final AgentMetrics metrics;
  private final MapMigration migration;
  private final NodeProxy proxy;
  private final ProxyReopen reopen;

  // net thread only
  private MapContents current;
  private boolean firstApplied;
  private java.util.Set<EndpointKey> desired = java.util.Set.of();
  // read by the event thread and scrapes
  private volatile MapContents inForce;
  private volatile boolean closed;

  private BpfDatapath(BpfDatapathOptions options, NetNsThread net, BpfObject obj, boolean adopted, Consumer<Flow> flows,
      AgentMetrics metrics, MapMigration migration) {
    this.options = options;
    this.migration = migration;
    this.net = net;
    this.obj = obj;
    this.adopted = adopted;
    this.metrics = metrics;
    this.writer = new MapWriter(obj);
    this.conntrack = new KernelConntrack(obj);
    this.tc = new TcAttachments(options.node(), adopted, obj.program("from_pod"), obj.program("to_pod"), obj.program("from_netdev"),
        obj.program(NotReadyFilter.FROM_POD), obj.program(NotReadyFilter.TO_POD), obj.program("to_proxy"));
    this.current = adopted ? writer.readKernel() : MapContents.EMPTY;
    this.inForce = current;
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            DaemonThreads.factory("hexgate-attach-retry-" + options.node()));
    this.gc = new ConntrackCollector(options.node(), net, timer, conntrack, obj.map("hg_ct"), () -> current, () -> closed, metrics);
    this.events = new DatapathEvents(options.node(), obj.map("hg_events"), obj.map("hg_lost"), flows, () -> inForce,
        gc::collectSoon, metrics);
    this.kernelMetrics = new KernelMetrics(obj, () -> inForce, gc::entries, events::lost);
    this.proxy = new NodeProxy(options.node(), options.netns() != null ? NetNs.path(options.netns()) : null, flows,
        this::registerProxyListener, PROXY_RESTART_DELAY);
    this.reopen = ProxyReopen.attach(options.node(), obj.program("proxy_reopen"),
        options.netns() != null ? NetNs.path(options.netns()) : Path.of("/proc/self/ns/net"));
  }

  /**
   * Loads the datapath for a node: mounts bpffs if needed, loads the packaged programs reusing the maps
   * pinned in {@code options.pinDir()} (creating and pinning them on a first start), pins the programs, and
   * starts reading events into {@code flows}. Nothing is attached until the first {@link #apply}.
   */
  public static BpfDatapath open(BpfDatapathOptions options, Consumer<Flow> flows, AgentMetrics metrics) {
    NetNsThread net =
        options.netns() != null ? NetNsThread.enter(options.netns()) : NetNsThread.enter(Path.of("/proc/self/ns/net"));
    LoadedObject loaded = null;
    try {
      loaded = LoadedObject.load(options, PROGRAMS);
      BpfObject obj = loaded.obj();
      boolean adopted = loaded.adopted();
      MapMigration migration = loaded.migration();
      BpfDatapath dp = new BpfDatapath(options, net, obj, adopted, flows, metrics, migration);
      // before any connection can be redirected: without the route, a proxied connection's marked packets
      // would be forwarded to their destination past the proxy
      net.call(() -> {
        ProxyRouting.install(options.node());
        dp.tc.attachLoopback();
        return null;
      });
      dp.events.start();
      // before the first revision: a previous agent's redirect entries may already send connections here,
      // and until the revision arrives the proxy knows no rules and answers every request 403
      if (options.l7Proxy()) {
        dp.proxy.ensureRunning();
      }
      dp.guardInterfaces();
      long retryMs = options.retryInterval().toMillis();
      dp.timer.scheduleWithFixedDelay(dp::retryAttach, retryMs, retryMs, TimeUnit.MILLISECONDS);
      if (options.l7Proxy()) {
        dp.timer.scheduleWithFixedDelay(dp.proxy::ensureRunning, retryMs, retryMs, TimeUnit.MILLISECONDS);
      }
      dp.gc.schedule(options.conntrack().gcInterval());
      log.info("node {}: eBPF datapath loaded, maps pinned under {} ({}){}", options.node(), options.pinDir(),
          loaded.describe(), options.netns() != null ? ", network namespace " + options.netns() : "");
      return dp;
    } catch (Exception e) {
      if (loaded != null) {
        loaded.obj().close();
      }
      net.close();
      throw e instanceof RuntimeException r ? r : new IllegalStateException("node " + options.node()
          + ": cannot prepare delivery to the L7 proxy: " + e.getMessage(), e);
    }
  }

  /**
   * Registers the L7 proxy's listening socket of direction {@code d} (an fd of this process, a TCP socket
   * listening in the node's network namespace, IP_TRANSPARENT) in {@code hg_proxy_sockets}: new connections
   * that direction's policy redirects go to it from now on. A closed socket leaves the map by itself; a
   * restarted proxy registers its new listeners again.
   */
  public void proxyListener(ProxyDirection d, int fd) throws Exception {
    registerProxyListener(d, fd);
  }

  private void registerProxyListener(ProxyDirection d, int fd) {
    new ProxySockets(options.node(), net, obj.map("hg_proxy_sockets")).register(d, fd);
  }

  /** The node's L7 proxy while it runs, else null (tests kill it to see the datapath fail closed). */
  public L7Proxy l7Proxy() {
    return proxy.proxy();
  }

  /** The maps whose pinned definition differed from this build's, and how they were replaced. */
  public MapMigration migration() {
    return migration;
  }

  /** Whether this instance found maps pinned by a previous agent. */
  public boolean adopted() {
    return adopted;
  }

  public BpfDatapathOptions options() {
    return options;
  }

  @Override
  public KernelEnforcement enforcement() {
    return KernelEnforcement.ENFORCING;
  }

  @Override
  public java.util.Map<Integer, io.hexgate.contract.v1.EndpointKey> endpointIds() {
    MapContents c = inForce;
    return c == null ? java.util.Map.of() : c.endpointNames();
  }

  @Override
  public String describe() {
    return "eBPF datapath of node " + options.node() + " (pinned under " + options.pinDir() + ")";
  }

  @Override
  public Map<EndpointKey, String> apply(StateUpdate update, AgentState next) throws Exception {
    return net.call(() -> applyHere(next));
  }

  private Map<EndpointKey, String> applyHere(AgentState next) {
    // bad input: IllegalArgumentException, a NACK
    MapContents to = MapContents.build(next, current).withInterfaces(BpfDatapath::hostSideIfindex);
    MapWriter.Stats stats;
    try {
      stats = writer.write(current, to);
    } catch (RuntimeException e) {
      // the kernel holds a mix now: diff against what it really holds next time
      current = writer.readKernel();
      throw e;
    }
    MapContents from = current;
    current = to;
    inForce = to;
    proxy.policy(next, to);
    // established packets skip the policy lookup: connections are judged again when next used (or by the
    // GC while idle), not by walking the CT map here
    boolean rejudge = ConntrackRevalidator.needed(from, to);
    if (rejudge) {
      conntrack.bumpGeneration();
    }
    Map<EndpointKey, String> errors = new LinkedHashMap<>(to.endpointErrors());
    // every endpoint gets its filters, even one whose state failed: with no map entries they drop its
    // traffic (unknown endpoint), which fails closed; without filters it would pass unjudged
    desired = Set.copyOf(next.endpoints().keySet());
    if (!firstApplied) {
      tc.attachUplinks(options.uplinks());
    }
    tc.reconcile(desired).forEach(errors::putIfAbsent);
    // the new programs judge every attached interface now: the old maps can go; connections the old
    // programs let in meanwhile are carried over and held to this revision's policy
    if (migration.finish(obj, KERNEL_WRITTEN) > 0) {
      conntrack.bumpGeneration();
    }
    firstApplied = true;
    // interfaces of no endpoint in force (new pods, pods gone while no agent ran) drop until they have one
    tc.guardUnfiltered(true);
    updateEnforcement(next);
    log.debug("node {}: revision {} in force: {} upserts, {} deletes, {}, {} endpoint errors",
        options.node(), next.revision(), stats.upserts(), stats.deletes(),
        rejudge ? "connections to be judged again" : "connections stand", errors.size());
    return errors;
  }

  /** The endpoint's host-side interface in the node's namespace (net thread only); 0 when it is missing. */
  private static int hostSideIfindex(EndpointKey k) {
    return NetNs.ifIndex(PodInterfaces.hostSide(k.getNamespace(), k.getName()));
  }

  /**
   * Writes the endpoints' interface indexes anew when an interface appeared or was recreated since the last
   * revision: from_pod passes a pod's packets only from its own interface (net thread only).
   */
  private void refreshInterfaces() {
    MapContents to = current.withInterfaces(BpfDatapath::hostSideIfindex);
    if (to.endpoints().equals(current.endpoints())) {
      return;
    }
    try {
      writer.write(current, to);
    } catch (RuntimeException e) {
      current = writer.readKernel();
      throw e;
    }
    current = to;
    inForce = to;
    log.info("node {}: endpoint interfaces changed; their indexes are written", options.node());
  }

  private void updateEnforcement(AgentState state) {
    if (metrics != null) {
      metrics.endpointEnforcement(state.endpoints().values(), true);
    }
  }

  private void retryAttach() {
    if (closed) {
      return;
    }
    try {
      net.call(
          () -> {
            if (firstApplied) {
              tc.retry();
              refreshInterfaces();
            }
            tc.guardUnfiltered(firstApplied);
            return null;
          });
    } catch (Exception e) {
      log.warn("node {}: retrying attachments failed: {}", options.node(), e.toString());
    }
  }

  /** One conntrack GC pass now (tests; the timer runs it every {@code gcInterval}). */
  public ConntrackGc.Pass collectConntrackGarbageNow() throws Exception {
    return gc.collectNow();
  }

  /** The kernel's connection tracking (tests and inspection). */
  public KernelConntrack conntrack() {
    return conntrack;
  }

  /**
   * Puts not_ready on every pod interface that has no endpoint in force (see
   * {@link TcAttachments#guardUnfiltered}); also runs after every revision and on the retry timer.
   */
  @Override
  public void guardInterfaces() {
    if (closed) {
      return;
    }
    try {
      net.call(() -> tc.guardUnfiltered(firstApplied));
    } catch (Exception e) {
      log.warn("node {}: guarding new pod interfaces failed: {}", options.node(), e.toString());
    }
  }

  /**
   * Attaches every endpoint's filters again over whatever filter is in their place now (one someone else
   * attached with Hexgate's handle and priority, e.g. a benchmark's reference program).
   */
  public Map<EndpointKey, String> reattach() throws Exception {
    return net.call(() -> {
      tc.forgetAttached();
      return tc.reconcile(desired);
    });
  }

  /** Endpoints whose filters are not attached now, with the reason. */
  public Map<EndpointKey, String> unattached() throws Exception {
    return net.call(tc::failed);
  }

  /** Events the programs could not write because the ring buffer was full, summed over CPUs. */
  public long lostEvents() {
    return events.lost();
  }

  @Override
  public AgentMetrics.Source metricsSource() {
    return kernelMetrics;
  }

  /** The per-CPU counters summed, by slot {@code reason * 4 + direction}. */
  public AgentMetrics.Counters readCounters() {
    return kernelMetrics.counters();
  }

  /** Releases this process's handles; pinned maps, programs and filters keep enforcing. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    timer.shutdownNow();
    proxy.close();
    reopen.close();
    events.close();
    obj.close();
    net.close();
  }

  /**
   * Removes what this node's datapath put in the kernel: detaches every filter it knows and removes the
   * pins (maps then go away with the last reference). For tests and decommissioning; not on restart.
   */
  public void uninstall() throws Exception {
    if (!closed) {
      net.call(
          () -> {
            tc.detachAll();
            ProxyRouting.remove();
            return null;
          });
    }
    close();
    Path dir = options.pinDir();
    FileTrees.delete(dir);
  }
}
