package io.hexgate.datapath;

import io.grpc.Channel;
import io.hexgate.contract.metrics.MetricsServer;
import io.hexgate.contract.thread.DaemonThreads;
import io.hexgate.contract.v1.Flow;
import io.hexgate.datapath.agent.Backoff;
import io.hexgate.datapath.agent.CertificateRotation;
import io.hexgate.datapath.agent.DesiredStateApplier;
import io.hexgate.datapath.agent.OperatorClient;
import io.hexgate.datapath.bpf.BpfObject;
import io.hexgate.datapath.bpf.Native;
import io.hexgate.datapath.enforce.BpfDatapath;
import io.hexgate.datapath.enforce.BpfDatapathOptions;
import io.hexgate.datapath.enforce.ConntrackOptions;
import io.hexgate.datapath.enforce.Datapath;
import io.hexgate.datapath.enforce.TwinDatapath;
import io.hexgate.datapath.flow.FlowBatcher;
import io.hexgate.datapath.flow.hubble.FlowNames;
import io.hexgate.datapath.observe.AgentObserver;
import io.hexgate.datapath.observe.ObserveOptions;
import io.hexgate.datapath.metrics.AgentMetrics;
import io.hexgate.datapath.netns.NetNs;
import io.hexgate.datapath.netns.NetNsThread;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node agent: a datapath (eBPF, or the Java twin where eBPF is unavailable), the operator's desired
 * state applied to it revision by revision, its verdict events sent upstream as flows, and its counters
 * served as Prometheus metrics.
 */
public final class NodeAgent implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeAgent.class);
  /** What the agent tells Hubble clients it is (ServerStatus, the hubble-server-version header). */
  public static final String VERSION = "hexgate-" + java.util.Objects.requireNonNullElse(NodeAgent.class.getPackage().getImplementationVersion(), "dev");

  /** Which datapath to run. */
  public enum Mode {
    /** eBPF when this host allows it, else the Java twin with a banner */
    AUTO,
    /** eBPF or fail */
    BPF,
    /** the Java twin (enforces nothing on real traffic) */
    JAVA
  }

  /**
   * @param netns the node's network namespace (a lab node), or null for this process's
   * @param pinDir null for {@code /sys/fs/bpf/hexgate/<node>}
   * @param metricsPort 0 to serve no metrics
   * @param conntrack the eBPF datapath's connection tracking settings
   */
  public record Config(String node, String netns, Path pinDir, List<String> uplinks, int metricsPort, Mode mode,
      ConntrackOptions conntrack, ObserveOptions observe) {
    public Config {
      uplinks = List.copyOf(uplinks);
      conntrack = conntrack != null ? conntrack : ConntrackOptions.DEFAULT;
      observe = observe != null ? observe : ObserveOptions.NONE;
    }

    public Config(String node, String netns, Path pinDir, List<String> uplinks, int metricsPort, Mode mode,
        ConntrackOptions conntrack) {
      this(node, netns, pinDir, uplinks, metricsPort, mode, conntrack, ObserveOptions.NONE);
    }

    public Config(String node, String netns, Path pinDir, List<String> uplinks, int metricsPort, Mode mode) {
      this(node, netns, pinDir, uplinks, metricsPort, mode, ConntrackOptions.DEFAULT);
    }

    public Config withObserve(ObserveOptions options) {
      return new Config(node, netns, pinDir, uplinks, metricsPort, mode, conntrack, options);
    }
  }

  private final Config config;
  private final Datapath datapath;
  private final AgentMetrics metrics;
  private final MetricsServer metricsServer;
  private final OperatorClient client;
  private final FlowBatcher batcher;
  private final AgentObserver observer;
  private final ScheduledExecutorService scheduler;

  private NodeAgent(Config config, Datapath datapath, AgentMetrics metrics, MetricsServer metricsServer,
      OperatorClient client, FlowBatcher batcher, AgentObserver observer, ScheduledExecutorService scheduler) {
    this.config = config;
    this.datapath = datapath;
    this.metrics = metrics;
    this.metricsServer = metricsServer;
    this.client = client;
    this.batcher = batcher;
    this.observer = observer;
    this.scheduler = scheduler;
  }

  /**
   * Why the eBPF datapath cannot run in this process with namespaces made for it (tests, the lab), or empty
   * when it can be tried.
   */
  public static Optional<String> bpfUnavailable() {
    Optional<String> ns = NetNs.unavailable();
    return ns.isPresent() ? ns : datapathUnavailable();
  }

  /** Why the eBPF datapath cannot be loaded into this process's or an existing namespace, as an agent does. */
  private static Optional<String> datapathUnavailable() {
    Optional<String> ns = NetNs.unavailableToEnter();
    if (ns.isPresent()) {
      return ns;
    }
    Optional<String> lib = Native.unavailableReason();
    if (lib.isPresent()) {
      return lib;
    }
    if (!BpfObject.packaged()) {
      return Optional.of("this build has no BPF object (built without clang: -Dhexgate.bpf.skip=true)");
    }
    return Optional.empty();
  }

  /** Starts the agent: picks and opens the datapath, serves metrics, connects to the operator over {@code channel}. */
  public static NodeAgent start(Config config, Channel channel) throws IOException {
    return start(config, channel, null);
  }

  /**
   * As {@link #start(Config, Channel)}, renewing the client certificate {@code rotation} holds (the one
   * {@code channel} presents) before it expires; null to never renew.
   */
  public static NodeAgent start(Config config, Channel channel, CertificateRotation rotation) throws IOException {
    AgentMetrics metrics = new AgentMetrics();
    ScheduledExecutorService scheduler =
        Executors.newScheduledThreadPool(
            1,
            DaemonThreads.factory("hexgate-agent"));
    FlowNames names = new FlowNames();
    // the kernel's lost events are read through the datapath, which is opened after the observer; the
    // observer before the applier, which tells it the nodes each revision names
    AtomicReference<AgentMetrics.Source> kernel = new AtomicReference<>();
    AgentObserver observer;
    try {
      observer = AgentObserver.start(config.node(), config.netns(), config.observe(), names, VERSION,
          () -> kernel.get() == null ? 0 : kernel.get().lostEvents());
    } catch (IOException | RuntimeException e) {
      scheduler.shutdownNow();
      throw e;
    }
    // The client first (not started): the datapath's event thread may deliver flows from the moment it is
    // opened (a previous agent's programs keep filling the pinned ring buffer), and the client queues them.
    AtomicReference<Datapath> datapathRef = new AtomicReference<>();
    DesiredStateApplier applier =
        new DesiredStateApplier() {
          @Override
          public java.util.Map<io.hexgate.contract.v1.EndpointKey, String> apply(
              io.hexgate.contract.v1.StateUpdate u, io.hexgate.datapath.agent.AgentState next) throws Exception {
            Datapath d = datapathRef.get();
            java.util.Map<io.hexgate.contract.v1.EndpointKey, String> failed = d.apply(u, next);
            names.update(next, d.endpointIds());
            observer.peers().update(next);
            return failed;
          }

          @Override
          public void guardInterfaces() {
            Datapath d = datapathRef.get();
            if (d != null) {
              d.guardInterfaces();
            }
          }
        };
    OperatorClient client =
        new OperatorClient(channel, config.node(), applier, () -> datapathRef.get().enforcement(), scheduler,
            Backoff.DEFAULT, 64);
    if (rotation != null) {
      client.renewing(rotation);
    }
    FlowBatcher batcher = new FlowBatcher(200, 500, scheduler, client::sendFlows);
    Datapath datapath;
    try {
      datapath = openDatapath(config, f -> {
        batcher.add(f);
        observer.accept(f);
      }, metrics);
    } catch (RuntimeException e) {
      observer.close();
      batcher.close();
      scheduler.shutdownNow();
      throw e;
    }
    datapathRef.set(datapath);
    metrics.source(datapath.metricsSource());
    kernel.set(datapath.metricsSource());
    observer.countKernelLossFromNow();
    scheduler.scheduleWithFixedDelay(observer::pollKernelLoss, 1, 1, TimeUnit.SECONDS);
    MetricsServer server = null;
    try {
      server = config.metricsPort() == 0 ? null : serveMetrics(config, metrics);
    } catch (IOException | RuntimeException e) {
      observer.close();
      batcher.close();
      datapath.close();
      scheduler.shutdownNow();
      throw e;
    }
    observer.observer().describeWith(status -> {
      io.hexgate.datapath.agent.AgentState applied = client.state();
      io.hexgate.datapath.agent.KernelEnforcement kernelState = datapath.enforcement();
      status.setAppliedRevision(applied.revision() == 0 ? "" : applied.epoch() + "/" + applied.revision())
          .setEnforcing(kernelState.enforcing())
          .setNotEnforcingReason(kernelState.enforcing() ? "" : kernelState.reason());
    });
    client.start();
    log.info("node agent of {} started: {}{}{}", config.node(), datapath.describe(),
        server != null ? ", metrics on :" + server.port() + "/metrics" : "",
        observer.port() != 0 ? ", flows (Hubble) on :" + observer.port() : "");
    return new NodeAgent(config, datapath, metrics, server, client, batcher, observer, scheduler);
  }

  private static Datapath openDatapath(Config config, java.util.function.Consumer<Flow> flows, AgentMetrics metrics) {
    BpfDatapathOptions options =
        new BpfDatapathOptions(config.node(), config.pinDir(), config.netns(), config.uplinks(), Duration.ofSeconds(1),
            config.conntrack());
    String why;
    switch (config.mode()) {
      case JAVA -> why = "--datapath java";
      case BPF -> {
        datapathUnavailable().ifPresent(w -> {
          throw new IllegalStateException("the eBPF datapath is unavailable: " + w);
        });
        return BpfDatapath.open(options, flows, metrics);
      }
      default -> {
        Optional<String> unavailable = datapathUnavailable();
        if (unavailable.isEmpty()) {
          try {
            return BpfDatapath.open(options, flows, metrics);
          } catch (RuntimeException e) {
            why = "loading the eBPF datapath failed: " + e.getMessage();
            if (Files.exists(options.pinDir().resolve("prog_from_pod"))) {
              why += "; a previous agent's programs may still judge traffic, by the state it left, which no"
                  + " revision updates now";
            }
          }
        } else {
          why = unavailable.get();
        }
      }
    }
    banner(config.node(), why);
    return new TwinDatapath(config.node(), why, metrics);
  }

  private static void banner(String node, String why) {
    String line = "*".repeat(100);
    String text =
        String.join(
            "\n",
            line,
            "*  HEXGATE NODE AGENT " + node + ": TRAFFIC IS NOT ENFORCED IN THE KERNEL",
            "*  " + why,
            "*  Running the Java datapath: desired state is applied and acknowledged, but no packet on this",
            "*  node is judged. Run as root on Linux with bpffs, libbpf1 and a build that has the BPF object.",
            line);
    System.err.println(text);
    log.warn("\n{}", text);
  }

  // Inside a lab node's namespace, the metrics port is that node's, as a real agent's is on its host.
  private static MetricsServer serveMetrics(Config config, AgentMetrics metrics) throws IOException {
    if (config.netns() == null) {
      return MetricsServer.start(config.metricsPort(), "hexgate-agent-metrics", metrics::scrape);
    }
    try (NetNsThread t = NetNsThread.enter(config.netns())) {
      return t.call(() -> MetricsServer.start(config.metricsPort(), "hexgate-agent-metrics", metrics::scrape));
    } catch (IOException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException("cannot serve metrics in network namespace " + config.netns(), e);
    }
  }

  public Datapath datapath() {
    return datapath;
  }

  public OperatorClient client() {
    return client;
  }

  public AgentMetrics metrics() {
    return metrics;
  }

  /** This node's flows as Hubble serves them. */
  public AgentObserver observer() {
    return observer;
  }

  public Config config() {
    return config;
  }

  /** Stops talking to the operator and releases handles; the kernel keeps enforcing the last revision. */
  @Override
  public void close() {
    client.close();
    batcher.close();
    observer.close();
    if (metricsServer != null) {
      metricsServer.close();
    }
    datapath.close();
    scheduler.shutdownNow();
  }
}
