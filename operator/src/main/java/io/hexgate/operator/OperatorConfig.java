package io.hexgate.operator;

import java.time.Duration;
import java.util.Objects;

/**
 * Everything the operator is configured with, declared once. The kubeconfig, context and in-cluster
 * settings are the fabric8 client's own (KUBECONFIG, ~/.kube/config, the service account).
 *
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
 */
public record OperatorConfig(
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
    boolean exitOnLostLeadership) {

  public static final String DEFAULT_CLUSTER_NAME = "default";
  public static final Duration DEFAULT_GC_GRACE = Duration.ofMinutes(15);
  public static final Duration DEFAULT_GC_INTERVAL = Duration.ofMinutes(15);
  public static final String DEFAULT_LEASE_NAME = "hexgate-operator";

  public OperatorConfig {
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
  }

  /** The defaults: Cilium's GC timings, a 15 s lease, leader election on. */
  public static OperatorConfig defaults() {
    return new OperatorConfig(
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
        true);
  }

  public OperatorConfig withClusterName(String v) {
    return new OperatorConfig(v, identityGcGrace, identityGcInterval, leaderElection, leaseName, leaseNamespace,
        leaseDuration, renewDeadline, retryPeriod, identity, exitOnLostLeadership);
  }

  public OperatorConfig withIdentityGc(Duration grace, Duration interval) {
    return new OperatorConfig(clusterName, grace, interval, leaderElection, leaseName, leaseNamespace,
        leaseDuration, renewDeadline, retryPeriod, identity, exitOnLostLeadership);
  }

  public OperatorConfig withoutLeaderElection() {
    return new OperatorConfig(clusterName, identityGcGrace, identityGcInterval, false, leaseName, leaseNamespace,
        leaseDuration, renewDeadline, retryPeriod, identity, exitOnLostLeadership);
  }

  public OperatorConfig withLease(
      String namespace, Duration duration, Duration renew, Duration retry, String identity, boolean exitOnLost) {
    return new OperatorConfig(clusterName, identityGcGrace, identityGcInterval, true, leaseName, namespace,
        duration, renew, retry, identity, exitOnLost);
  }

  private static void positive(String key, Duration d, boolean zeroOk) {
    Objects.requireNonNull(d, key);
    if (d.isNegative() || (!zeroOk && d.isZero())) {
      throw new IllegalArgumentException(key + " must be positive, got " + d);
    }
  }
}
