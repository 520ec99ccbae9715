package io.hexgate.operator;

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
import io.hexgate.operator.identity.SecurityLabels;
import io.hexgate.operator.metrics.OperatorMetrics;
import io.hexgate.operator.node.DesiredStateListener;
import io.hexgate.operator.node.NodeEnforcement;
import io.hexgate.operator.node.NodeStateHub;
import io.hexgate.operator.policy.PolicyEngine;
import io.hexgate.operator.policy.PolicyValidity;
import io.hexgate.operator.node.NodeAddresses;
import io.hexgate.operator.node.NodeReconciler;
import io.hexgate.operator.service.EndpointSliceReconciler;
import io.hexgate.operator.service.ServiceReconciler;
import io.hexgate.operator.service.ServiceTable;
import io.hexgate.operator.status.PolicyStatusTracker;
import io.hexgate.operator.status.PolicyStatusWriter;
import java.time.Duration;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import java.time.Clock;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wiring only: the policy engine behind its single writer, the CRD identity allocator, the reconcilers that
 * feed them, leader election and the identity garbage collector. See DESIGN.md beside this file for how
 * events flow. The caller owns the client and closes it after {@link #stop()}.
 */
public final class HexgateOperator implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HexgateOperator.class);

  private final OperatorConfig config;
  private final KubernetesClient client;
  private final CrdIdentityAllocator allocator;
  private final EngineWriter writer;
  private final PolicyValidity validity = new PolicyValidity();
  private final ServiceTable services = new ServiceTable();
  private final NodeAddresses nodeAddresses = new NodeAddresses();
  private final OperatorMetrics metrics = new OperatorMetrics();
  private final FeedReadiness feed = new FeedReadiness(metrics.reconciles());
  private final Operator operator;
  private final ScheduledExecutorService gc;
  private final AtomicBoolean leader = new AtomicBoolean();
  private final Clock clock;
  private final NodeEnforcement kernels = new NodeEnforcement();
  private PolicyStatusWriter statusWriter;

  public HexgateOperator(OperatorConfig config, KubernetesClient client, Clock clock) {
    this.config = config;
    this.client = client;
    this.clock = clock;
    this.allocator = new CrdIdentityAllocator(client, clock, config.identityGcGrace());
    this.writer = new EngineWriter(new PolicyEngine(new SecurityLabels(config.clusterName()), allocator));
    this.operator =
        new Operator(
            o -> {
              o.withKubernetesClient(client)
                  .withCloseClientOnStop(false)
                  .checkingCRDAndValidateLocalModel(false)
                  .withMetrics(feed);
              if (config.leaderElection()) {
                o.withLeaderElectionConfiguration(leaderElection());
              }
            });
    writer.addListener(metrics);
    metrics.watch(validity);
    PolicyFeed policies = new PolicyFeed(writer, validity);
    operator.register(new NamespaceReconciler(writer));
    operator.register(new PodReconciler(writer, client, kernels));
    operator.register(new CiliumNetworkPolicyReconciler(policies));
    operator.register(new ClusterwideNetworkPolicyReconciler(policies));
    operator.register(new NetworkPolicyReconciler(policies));
    operator.register(new ServiceReconciler(services));
    operator.register(new EndpointSliceReconciler(services));
    operator.register(new NodeReconciler(nodeAddresses));
    this.gc =
        Executors.newSingleThreadScheduledExecutor(
            DaemonThreads.factory("hexgate-identity-gc"));
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
        config.exitOnLostLeadership());
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
  }

  /** Tells {@code listener} after every engine change; add listeners before {@link #start()}. */
  public void addListener(DesiredStateListener listener) {
    writer.addListener(listener);
  }

  /**
   * Renders node desired state into {@code hub} and writes CNP/CCNP status from what the agents report:
   * the returned tracker is the {@code AgentReportListener} and {@code FlowBatchListener} to give the
   * {@code NodeAgentService}. Only the leader writes, at most once per policy per {@code interval}. Call
   * before {@link #start()}.
   *
   * @param nodeLimit nodes listed in {@code status.nodes} before only failing ones are
   */
  public PolicyStatusTracker trackPolicyStatus(NodeStateHub hub, int nodeLimit, Duration interval) {
    if (statusWriter != null) {
      throw new IllegalStateException("policy status is tracked already");
    }
    PolicyStatusTracker tracker = new PolicyStatusTracker(hub, validity, clock, nodeLimit, kernels);
    // a node state rendered before the engine holds every object would leave out what exists
    hub.holdUntilFed();
    feed.onFed(hub::fed);
    feed.onUnfed(hub::holdUntilFed);
    writer.addListener(hub);
    hub.addListener(tracker); // reads the revisions the hub publishes for each change
    services.addListener(hub::services);
    nodeAddresses.addListener(hub::nodeAddresses);
    hub.nodeAddresses(nodeAddresses.all());
    statusWriter = new PolicyStatusWriter(client, tracker, clock, interval, leader::get);
    return tracker;
  }

  /** The status writer, or null when {@link #trackPolicyStatus} was not called. */
  public PolicyStatusWriter statusWriter() {
    return statusWriter;
  }

  public void start() {
    LOG.info(
        "starting against {} (cluster {}, leader election {})",
        client.getMasterUrl(),
        config.clusterName(),
        config.leaderElection() ? "on, Lease " + config.leaseName() : "off");
    if (!config.leaderElection()) {
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
    if (statusWriter != null) {
      statusWriter.start();
    }
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
    gc.shutdownNow();
    if (statusWriter != null) {
      statusWriter.close();
    }
    operator.stop();
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

  /** The Prometheus metrics; serve them with {@code MetricsServer}. */
  public OperatorMetrics metrics() {
    return metrics;
  }

  /** The cluster's ClusterIP Services and their ready backends, as the agents receive them. */
  public ServiceTable services() {
    return services;
  }

  /** What each node's agent says about its kernel, fed by the tracker {@link #trackPolicyStatus} returns. */
  public NodeEnforcement nodeEnforcement() {
    return kernels;
  }

  public PolicyValidity validity() {
    return validity;
  }

  public CrdIdentityAllocator identities() {
    return allocator;
  }

  public OperatorConfig config() {
    return config;
  }
}
