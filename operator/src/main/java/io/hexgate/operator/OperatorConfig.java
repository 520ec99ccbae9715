package io.hexgate.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.hexgate.operator.install.AgentInstall;
import io.hexgate.operator.relay.RelayConfig;
import io.hexgate.operator.tls.CaSecretStore;
import io.hexgate.operator.tls.CertificateAuthority;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Everything the operator is configured with, declared once; {@link HexgateOperator#create} builds the
 * operator from it. The kubeconfig, context and in-cluster settings are the fabric8 client's own
 * (KUBECONFIG, ~/.kube/config, the service account); the caller owns the client and closes it after the
 * operator.
 *
 * @param client the Kubernetes API the operator reads and writes; required by {@link HexgateOperator#create}
 * @param clock for identity GC marks, certificates and status timestamps
 * @param clusterName the {@code io.cilium.k8s.policy.cluster} label every pod identity carries
 * @param identityGcGrace how long an unused identity stays marked before it is deleted
 * @param identityGcInterval how often the identity garbage collector runs
 * @param leaderElection whether replicas elect a leader through a Lease (off: this replica writes)
 * @param leaseName the coordination Lease's name
 * @param leaseNamespace its namespace; null for the client's namespace
 * @param leaseDuration how long a leader's lease lasts without renewal
 * @param renewDeadline how long the leader keeps trying to renew before it gives up
 * @param retryPeriod how often candidates try to acquire or renew
 * @param identity this replica's name in the Lease; null for HOSTNAME or a random one
 * @param exitOnLostLeadership end the process when leadership is lost (production), so that a former
 *     leader never writes alongside the new one
 * @param watchApi whether reconcilers feed the engine from the API; off, the caller feeds it through
 *     {@link HexgateOperator#engine()}, identities are numbered in memory and only policy status is
 *     written to the API (the operator benchmark)
 * @param agents where node agents reach the operator
 * @param statusNodeLimit nodes listed in a policy's {@code status.nodes} before only failing ones are
 * @param statusInterval how often policy status is written, at most once per policy
 * @param metricsPort the port serving /metrics and /readyz (0 picks a free one), or {@link #NO_METRICS}
 * @param agentInstall what the operator deploys node agents with from the cluster's HexgateConfig; null
 *     when it deploys none (agents run elsewhere, e.g. in the lab's process)
 * @param relay the Hubble relay this replica serves (port 4245 by default); null for none
 */
public record OperatorConfig(
    KubernetesClient client,
    Clock clock,
    String clusterName,
    Duration identityGcGrace,
    Duration identityGcInterval,
    boolean leaderElection,
    String leaseName,
    String leaseNamespace,
    Duration leaseDuration,
    Duration renewDeadline,
    Duration retryPeriod,
    String identity,
    boolean exitOnLostLeadership,
    boolean watchApi,
    AgentEndpoint agents,
    int statusNodeLimit,
    Duration statusInterval,
    int metricsPort,
    AgentInstall agentInstall,
    RelayConfig relay) {

  public static final String DEFAULT_CLUSTER_NAME = "default";
  public static final Duration DEFAULT_GC_GRACE = Duration.ofMinutes(15);
  public static final Duration DEFAULT_GC_INTERVAL = Duration.ofMinutes(15);
  public static final String DEFAULT_LEASE_NAME = "hexgate-operator";
  public static final int DEFAULT_AGENT_PORT = 4250;
  public static final int DEFAULT_STATUS_NODE_LIMIT = 100;
  public static final int DEFAULT_METRICS_PORT = 9963;
  public static final int NO_METRICS = -1;

  public OperatorConfig {
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(clusterName, "cluster-name");
    positive("identity-gc-grace", identityGcGrace, true);
    positive("identity-gc-interval", identityGcInterval, false);
    if (leaderElection) {
      Objects.requireNonNull(leaseName, "lease-name");
      positive("lease-duration", leaseDuration, false);
      positive("lease-renew-deadline", renewDeadline, false);
      positive("lease-retry-period", retryPeriod, false);
      if (renewDeadline.compareTo(leaseDuration) >= 0) {
        throw new IllegalArgumentException("lease-renew-deadline must be shorter than lease-duration");
      }
    }
    Objects.requireNonNull(agents, "agents");
    if (statusNodeLimit < 0) {
      throw new IllegalArgumentException("status-node-limit must not be negative, got " + statusNodeLimit);
    }
    positive("status-interval", statusInterval, false);
    if (metricsPort != NO_METRICS && (metricsPort < 0 || metricsPort > 65535)) {
      throw new IllegalArgumentException("metrics-port must be between 0 and 65535, got " + metricsPort);
    }
  }

  /**
   * What {@code hexgate operator} runs with: Cilium's GC timings, a 15 s lease, leader election on, agents
   * over mutual TLS on port 4250, status written at most every second, metrics on 9963, the Hubble relay
   * on 4245. No client yet.
   */
  public static OperatorConfig defaults() {
    return new OperatorConfig(
        null,
        Clock.systemUTC(),
        DEFAULT_CLUSTER_NAME,
        DEFAULT_GC_GRACE,
        DEFAULT_GC_INTERVAL,
        true,
        DEFAULT_LEASE_NAME,
        null,
        Duration.ofSeconds(15),
        Duration.ofSeconds(10),
        Duration.ofSeconds(2),
        null,
        true,
        true,
        new AgentEndpoint.Tls(DEFAULT_AGENT_PORT, CaSecretStore.DEFAULT_NAME, List.of(), CertificateAuthority.LEAF_VALIDITY),
        DEFAULT_STATUS_NODE_LIMIT,
        Duration.ofSeconds(1),
        DEFAULT_METRICS_PORT,
        null,
        RelayConfig.defaults());
  }

  /** The defaults to change, starting with the client. */
  public static Builder builder(KubernetesClient client) {
    return defaults().toBuilder().client(client);
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  private static void positive(String key, Duration d, boolean zeroOk) {
    Objects.requireNonNull(d, key);
    if (d.isNegative() || (!zeroOk && d.isZero())) {
      throw new IllegalArgumentException(key + " must be positive, got " + d);
    }
  }

  /** Changes some values of a config; {@link #build()} checks them all together. */
  public static final class Builder {
    private KubernetesClient client;
    private Clock clock;
    private String clusterName;
    private Duration identityGcGrace;
    private Duration identityGcInterval;
    private boolean leaderElection;
    private String leaseName;
    private String leaseNamespace;
    private Duration leaseDuration;
    private Duration renewDeadline;
    private Duration retryPeriod;
    private String identity;
    private boolean exitOnLostLeadership;
    private boolean watchApi;
    private AgentEndpoint agents;
    private int statusNodeLimit;
    private Duration statusInterval;
    private int metricsPort;
    private AgentInstall agentInstall;
    private RelayConfig relay;

    private Builder(OperatorConfig c) {
      client = c.client;
      clock = c.clock;
      clusterName = c.clusterName;
      identityGcGrace = c.identityGcGrace;
      identityGcInterval = c.identityGcInterval;
      leaderElection = c.leaderElection;
      leaseName = c.leaseName;
      leaseNamespace = c.leaseNamespace;
      leaseDuration = c.leaseDuration;
      renewDeadline = c.renewDeadline;
      retryPeriod = c.retryPeriod;
      identity = c.identity;
      exitOnLostLeadership = c.exitOnLostLeadership;
      watchApi = c.watchApi;
      agents = c.agents;
      statusNodeLimit = c.statusNodeLimit;
      statusInterval = c.statusInterval;
      metricsPort = c.metricsPort;
      agentInstall = c.agentInstall;
      relay = c.relay;
    }

    public Builder client(KubernetesClient v) {
      client = v;
      return this;
    }

    public Builder clock(Clock v) {
      clock = v;
      return this;
    }

    public Builder clusterName(String v) {
      clusterName = v;
      return this;
    }

    public Builder identityGc(Duration grace, Duration interval) {
      identityGcGrace = grace;
      identityGcInterval = interval;
      return this;
    }

    /** This replica writes without electing a leader. */
    public Builder withoutLeaderElection() {
      leaderElection = false;
      return this;
    }

    /** Elect a leader through the Lease {@link #leaseName(String)} in {@code namespace} (null: the client's). */
    public Builder lease(
        String namespace, Duration duration, Duration renew, Duration retry, String replica, boolean exitOnLost) {
      leaderElection = true;
      leaseNamespace = namespace;
      leaseDuration = duration;
      renewDeadline = renew;
      retryPeriod = retry;
      identity = replica;
      exitOnLostLeadership = exitOnLost;
      return this;
    }

    public Builder leaderElection(boolean v) {
      leaderElection = v;
      return this;
    }

    public Builder leaseName(String v) {
      leaseName = v;
      return this;
    }

    /** The caller feeds the engine; see {@link OperatorConfig#watchApi()}. */
    public Builder withoutWatchingApi() {
      watchApi = false;
      return this;
    }

    public Builder agents(AgentEndpoint v) {
      agents = v;
      return this;
    }

    public Builder status(int nodeLimit, Duration interval) {
      statusNodeLimit = nodeLimit;
      statusInterval = interval;
      return this;
    }

    public Builder metricsPort(int v) {
      metricsPort = v;
      return this;
    }

    public Builder withoutMetrics() {
      metricsPort = NO_METRICS;
      return this;
    }

    /** Deploy the node agents a HexgateConfig describes, with this image and address; null deploys none. */
    public Builder installAgents(AgentInstall v) {
      agentInstall = v;
      return this;
    }

    /** Serve the Hubble relay as {@code v} says; null serves none. */
    public Builder relay(RelayConfig v) {
      relay = v;
      return this;
    }

    public Builder withoutRelay() {
      return relay(null);
    }

    public OperatorConfig build() {
      return new OperatorConfig(
          client, clock, clusterName, identityGcGrace, identityGcInterval, leaderElection, leaseName,
          leaseNamespace, leaseDuration, renewDeadline, retryPeriod, identity, exitOnLostLeadership, watchApi,
          agents, statusNodeLimit, statusInterval, metricsPort, agentInstall, relay);
    }
  }
}
