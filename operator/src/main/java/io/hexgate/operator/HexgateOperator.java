package io.hexgate.operator;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.hexgate.contract.thread.DaemonThreads;
import io.hexgate.operator.endpoint.PodReconciler;
import io.hexgate.operator.feed.CiliumNetworkPolicyReconciler;
import io.hexgate.operator.feed.ClusterwideNetworkPolicyReconciler;
import io.hexgate.operator.feed.EngineWriter;
import io.hexgate.operator.feed.FeedReadiness;
import io.hexgate.operator.feed.NamespaceReconciler;
import io.hexgate.operator.feed.NetworkPolicyReconciler;
import io.hexgate.operator.feed.PolicyFeed;
import io.hexgate.operator.identity.CrdIdentityAllocator;
import io.hexgate.operator.identity.IdentityAllocator;
import io.hexgate.operator.identity.SecurityLabels;
import io.hexgate.operator.install.CiliumPresence;
import io.hexgate.operator.install.HexgateConfigReconciler;
import io.hexgate.operator.install.OperatorDeployment;
import io.hexgate.operator.metrics.OperatorMetrics;
import io.hexgate.operator.node.AgentListeners;
import io.hexgate.operator.node.AgentReportListener;
import io.hexgate.operator.node.DesiredStateListener;
import io.hexgate.operator.node.FlowBatchListener;
import io.hexgate.operator.node.NodeAddresses;
import io.hexgate.operator.node.NodeAgentService;
import io.hexgate.operator.node.NodeEnforcement;
import io.hexgate.operator.node.NodeReconciler;
import io.hexgate.operator.node.NodeStateHub;
import io.hexgate.operator.policy.PolicyEngine;
import io.hexgate.operator.policy.PolicyValidity;
import io.hexgate.operator.relay.AgentPeers;
import io.hexgate.operator.service.EndpointSliceReconciler;
import io.hexgate.operator.service.ServiceReconciler;
import io.hexgate.operator.service.ServiceTable;
import io.hexgate.operator.status.PolicyStatusTracker;
import io.hexgate.operator.status.PolicyStatusWriter;
import io.hexgate.operator.tls.AgentServer;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import java.io.UncheckedIOException;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wiring only, and the one place the operator is put together: {@link #create} builds the policy engine
 * behind its single writer, the identity allocator, the reconcilers that feed them, the node state hub and
 * policy status tracker, the agents' gRPC service and its endpoint, the status writer, metrics, leader
 * election and the identity garbage collector, all from one {@link OperatorConfig}. See DESIGN.md beside
 * this file for how events flow. The caller owns the client and closes it after {@link #stop()}.
 */
public final class HexgateOperator implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HexgateOperator.class);
  private static final int SENDER_THREADS = 2;

  private final OperatorConfig config;
  private final KubernetesClient client;
  private final CrdIdentityAllocator allocator; // null when the caller feeds the engine
  private final EngineWriter writer;
  private final PolicyValidity validity;
  private final ServiceTable services;
  private final NodeAddresses nodeAddresses;
  private final AgentPeers peers; // the agents the Hubble relay reaches
  private final OperatorMetrics metrics;
  private final FeedReadiness feed;
  private final NodeEnforcement kernels;
  private final NodeStateHub hub;
  private final PolicyStatusTracker tracker;
  private final PolicyStatusWriter statusWriter;
  private final AgentListeners agentListeners;
  private final ExecutorService sender;
  private final NodeAgentService agentService;
  private final Operator operator; // null when the caller feeds the engine
  private final ScheduledExecutorService gc;
  private final AtomicBoolean leader = new AtomicBoolean();
  /** Set by {@link #stop()}: leading ends then because this replica stops, not because it lost the Lease. */
  private volatile boolean stopping;
  private final OperatorPorts ports = new OperatorPorts();

  /** The operator {@code config} describes, not started yet; {@code config.client()} is required. */
  public static HexgateOperator create(OperatorConfig config) {
    KubernetesClient client = Objects.requireNonNull(config.client(), "the operator needs a Kubernetes client");
    CrdIdentityAllocator allocator =
        config.watchApi() ? new CrdIdentityAllocator(client, config.clock(), config.identityGcGrace()) : null;
    IdentityAllocator identities = allocator != null ? allocator : IdentityAllocator.inMemory();
    EngineWriter writer = new EngineWriter(new PolicyEngine(new SecurityLabels(config.clusterName()), identities));
    OperatorMetrics metrics = new OperatorMetrics();
    NodeStateHub hub = new NodeStateHub();
    PolicyValidity validity = new PolicyValidity();
    NodeEnforcement kernels = new NodeEnforcement();
    PolicyStatusTracker tracker =
        new PolicyStatusTracker(hub, validity, config.clock(), config.statusNodeLimit(), kernels);
    return new HexgateOperator(config, allocator, writer, validity, metrics, new FeedReadiness(metrics.reconciles()),
        kernels, hub, tracker, new AgentListeners(tracker));
  }

  private HexgateOperator(
      OperatorConfig config,
      CrdIdentityAllocator allocator,
      EngineWriter writer,
      PolicyValidity validity,
      OperatorMetrics metrics,
      FeedReadiness feed,
      NodeEnforcement kernels,
      NodeStateHub hub,
      PolicyStatusTracker tracker,
      AgentListeners agentListeners) {
    this.config = config;
    this.client = config.client();
    this.allocator = allocator;
    this.writer = writer;
    this.validity = validity;
    this.services = new ServiceTable();
    this.nodeAddresses = new NodeAddresses();
    this.metrics = metrics;
    this.feed = feed;
    this.kernels = kernels;
    this.hub = hub;
    this.tracker = tracker;
    this.agentListeners = agentListeners;
    this.statusWriter = new PolicyStatusWriter(client, tracker, config.clock(), config.statusInterval(), leader::get);
    this.sender = Executors.newFixedThreadPool(SENDER_THREADS, DaemonThreads.factory("hexgate-agent-sender"));
    // Only the leader has engine state; other replicas refuse agents, which retry until they reach it.
    this.agentService =
        new NodeAgentService(
            hub, agentListeners, agentListeners, sender, config.agents().authentication(), this::servesAgents);
    this.operator = config.watchApi() ? reconcilers(new PolicyFeed(writer, validity)) : null;
    this.gc = Executors.newSingleThreadScheduledExecutor(DaemonThreads.factory("hexgate-identity-gc"));
    writer.addListener(metrics);
    metrics.watch(validity);
    metrics.connectedAgents(agentService::connectedNodes);
    // a node state rendered before the engine holds every object would leave out what exists
    hub.holdUntilFed();
    feed.onFed(hub::fed);
    feed.onUnfed(hub::holdUntilFed);
    writer.addListener(hub);
    hub.addListener(tracker); // told after the hub published each change's revisions
    services.addListener(hub::services);
    // told under the address table's lock, so the peer addresses read are those of the table told
    nodeAddresses.addListener(t -> hub.nodeAddresses(t, nodeAddresses.peerAddresses()));
    hub.nodeAddresses(nodeAddresses.all(), nodeAddresses.peerAddresses());
    this.peers = AgentPeers.listening(config.clusterName(), config.relay(), nodeAddresses, agentListeners);
  }

  private Operator reconcilers(PolicyFeed policies) {
    Operator o =
        new Operator(
            c -> {
              c.withKubernetesClient(client)
                  .withCloseClientOnStop(false)
                  // plain updates and merge patches: what the agents' objects and HexgateConfig status need
                  .withUseSSAToPatchPrimaryResource(false)
                  .withSSABasedCreateUpdateMatchForDependentResources(false)
                  .checkingCRDAndValidateLocalModel(false)
                  .withMetrics(feed);
              if (config.leaderElection()) {
                c.withLeaderElectionConfiguration(leaderElection());
              }
            });
    o.register(new NamespaceReconciler(writer));
    o.register(new PodReconciler(writer, client, kernels));
    o.register(new CiliumNetworkPolicyReconciler(policies));
    o.register(new ClusterwideNetworkPolicyReconciler(policies));
    o.register(new NetworkPolicyReconciler(policies));
    o.register(new ServiceReconciler(services));
    o.register(new EndpointSliceReconciler(services));
    o.register(new NodeReconciler(nodeAddresses));
    if (config.agentInstall() != null) {
      HexgateConfigReconciler installer =
          new HexgateConfigReconciler(
              config.agentInstall(), namespace(), ports::caCertificate, kernels, agentService::connectedNodes, config.clock());
      agentListeners.add(installer); // agents connecting and leaving change its status
      // deploying agents feeds nothing to the engine: agents must not wait for it
      feed.ignore(HexgateConfigReconciler.NAME);
      o.register(installer);
    }
    return o;
  }

  private LeaderElectionConfiguration leaderElection() {
    return new LeaderElectionConfiguration(
        config.leaseName(),
        config.leaseNamespace(),
        config.leaseDuration(),
        config.renewDeadline(),
        config.retryPeriod(),
        config.identity(),
        // Runs before JOSDK starts event processing, so identities are loaded before the first allocation.
        new LeaderCallbacks(this::startLeadingWithSyncedInformers, this::stopLeading, id -> {}),
        // never JOSDK's own exit: stopping (SIGTERM's shutdown hook) ends leading too, and System.exit inside a
        // shutdown hook blocks for good, so the pod would only end at SIGKILL; stopLeading() exits instead
        false);
  }

  private void startLeading() {
    allocator.load();
    // reconciles run from now on: count them against what the informers hold
    feed.track();
    leader.set(true);
    LOG.info("leading: allocating identities and writing CiliumEndpoints");
  }

  // With leader election JOSDK starts every informer and waits for its sync before electing.
  private void startLeadingWithSyncedInformers() {
    startLeading();
    feed.begin();
  }

  private void stopLeading() {
    leader.set(false);
    feed.reset();
    if (config.exitOnLostLeadership() && !stopping) {
      LOG.error("lost the Lease {}: exiting, so that this replica never writes alongside the new leader", config.leaseName());
      // on a thread of its own: this one holds the elector's lock, which the shutdown hook's stop() takes
      new Thread(() -> System.exit(1), "hexgate-lost-leadership").start();
    }
  }

  private boolean servesAgents() {
    return !config.leaderElection() || leader.get();
  }

  /** Tells {@code listener} after every engine change; add listeners before {@link #start()}. */
  public void addListener(DesiredStateListener listener) {
    writer.addListener(listener);
  }

  /** Tells {@code listener} what agents report, after the status tracker; add it before {@link #start()}. */
  public void addReportListener(AgentReportListener listener) {
    agentListeners.add(listener);
  }

  /** Hands {@code listener} the flow batches agents send, after the status tracker counted them. */
  public void addFlowListener(FlowBatchListener listener) {
    agentListeners.add(listener);
  }

  /**
   * Starts serving metrics, the agents' endpoint, the reconcilers (returning once every informer has
   * synced), the identity collector, the status writer and the Hubble relay.
   *
   * @throws UncheckedIOException when the metrics, agent or relay port cannot be listened on
   * @throws IllegalStateException when Cilium runs on the cluster (see {@link CiliumPresence})
   */
  public void start() {
    Optional<OwnerReference> installedBy = operator == null ? Optional.empty() : OperatorDeployment.owner(client, namespace());
    LOG.info(
        "starting against {} (cluster {}, leader election {})",
        client.getMasterUrl(),
        config.clusterName(),
        config.leaderElection() ? "on, Lease " + config.leaseName() : "off");
    if (config.metricsPort() != OperatorConfig.NO_METRICS) {
      ports.serveMetrics(config.metricsPort(), metrics::scrape, this::servesAgents);
    }
    if (config.agents() instanceof AgentEndpoint.InProcess p) {
      ports.serveInProcess(p.name(), agentService);
    }
    if (operator == null) {
      leader.set(true); // the caller feeds the engine: it holds everything there is
      hub.fed();
    } else {
      CiliumPresence.refuseBesideCilium(client);
      if (config.leaderElection()) {
        installedBy.ifPresent(d -> OperatorDeployment.createLease(client,
            config.leaseNamespace() != null ? config.leaseNamespace() : namespace(), config.leaseName(), d));
      } else {
        startLeading();
      }
      operator.start(); // returns once every informer has synced
      if (!config.leaderElection()) {
        feed.begin();
      }
      long every = config.identityGcInterval().toMillis();
      gc.scheduleWithFixedDelay(this::collectIdentities, every, every, TimeUnit.MILLISECONDS);
      // objects deleted before their first reconcile leave the feed's wait list here
      gc.scheduleWithFixedDelay(feed::check, 500, 500, TimeUnit.MILLISECONDS);
    }
    statusWriter.start();
    if (config.agents() instanceof AgentEndpoint.Tls tls) {
      String ns = namespace();
      ports.serveTls(
          AgentServer.start(
              client, ns, tls.caSecret(), tls.port(), tls.dnsNames(ns), agentService, config.clock(),
              tls.certificateLifetime(), installedBy.orElse(null)));
    }
    ports.serveRelay(config.relay(), peers); // after the agents' CA, which issues its client certificate
  }

  private String namespace() {
    return client.getNamespace() == null ? "default" : client.getNamespace();
  }

  private void collectIdentities() {
    if (!leader.get()) {
      return;
    }
    try {
      allocator.collect();
    } catch (RuntimeException e) {
      if (gc.isShutdown()) {
        return; // interrupted by stop()
      }
      LOG.warn("identity GC pass failed; next pass in {}", config.identityGcInterval(), e);
    }
  }

  public void stop() {
    stopping = true;
    ports.close();
    sender.shutdownNow();
    gc.shutdownNow();
    statusWriter.close();
    if (operator != null) {
      operator.stop();
    }
    writer.close();
    leader.set(false);
    feed.reset();
  }

  @Override
  public void close() {
    stop();
  }

  public boolean isLeader() {
    return leader.get();
  }

  /** Whether this replica leads and its engine holds every object its informers held when it began. */
  public FeedReadiness feed() {
    return feed;
  }

  public EngineWriter engine() {
    return writer;
  }

  /** The Prometheus metrics, served on {@link OperatorConfig#metricsPort()}. */
  public OperatorMetrics metrics() {
    return metrics;
  }

  /** The ports this replica listens on (metrics, agents, relay), once started. */
  public OperatorPorts ports() {
    return ports;
  }

  /** The cluster's ClusterIP Services and their ready backends, as the agents receive them. */
  public ServiceTable services() {
    return services;
  }

  /** The Nodes' addresses, given the host and remote-node identities in the agents' IP caches. */
  public NodeAddresses nodeAddresses() {
    return nodeAddresses;
  }

  /** What each node's agent says about its kernel, fed by the status tracker from Hellos and ACKs. */
  public NodeEnforcement nodeEnforcement() {
    return kernels;
  }

  public PolicyValidity validity() {
    return validity;
  }

  /** Each node's desired state, as rendered for its agent. */
  public NodeStateHub nodes() {
    return hub;
  }

  /** What every CNP/CCNP's status should say, from the engine and the agents' reports. */
  public PolicyStatusTracker policyStatus() {
    return tracker;
  }

  public PolicyStatusWriter statusWriter() {
    return statusWriter;
  }

  /** The agents' gRPC service, whatever {@link OperatorConfig#agents()} serves it on. */
  public NodeAgentService agentService() {
    return agentService;
  }

  public OperatorConfig config() {
    return config;
  }
}
