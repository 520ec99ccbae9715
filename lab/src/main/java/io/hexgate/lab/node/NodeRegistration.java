package io.hexgate.lab.node;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.hexgate.contract.thread.DaemonThreads;
import io.hexgate.datapath.netns.NodeNetwork;
import io.hexgate.operator.kube.KubernetesErrors;
import java.time.Clock;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a kubelet does for its node object, done with the node's own credentials: registers the Node (Ready,
 * its capacity, addresses and pod CIDR), then renews its Lease in {@code kube-node-lease} every
 * {@value #RENEW_SECONDS} seconds, which the node lifecycle controller counts as the node's heartbeat, and
 * posts its status again every minute.
 */
public final class NodeRegistration implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeRegistration.class);
  static final int RENEW_SECONDS = 10;
  static final int LEASE_SECONDS = 40;

  private final KubernetesClient client;
  private final NodeNetwork node;
  private final String kubeletVersion;
  private final Clock clock;
  private final ScheduledExecutorService timer;
  private int beats;

  private NodeRegistration(KubernetesClient client, NodeNetwork node, String kubeletVersion, Clock clock) {
    this.client = client;
    this.node = node;
    this.kubeletVersion = kubeletVersion;
    this.clock = clock;
    this.timer = Executors.newSingleThreadScheduledExecutor(DaemonThreads.factory("hexgate-lab-node-" + node.name()));
  }

  /** Registers {@code node} and starts its heartbeats. */
  public static NodeRegistration register(KubernetesClient nodeClient, NodeNetwork node, String kubeletVersion, Clock clock) {
    NodeRegistration r = new NodeRegistration(nodeClient, node, kubeletVersion, clock);
    Node n = r.desired();
    nodeClient.nodes().resource(n).create();
    r.postStatus(n); // status is a subresource: create drops it
    r.renewLease();
    r.timer.scheduleWithFixedDelay(r::beat, RENEW_SECONDS, RENEW_SECONDS, TimeUnit.SECONDS);
    return r;
  }

  private Node desired() {
    String now = Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
    Map<String, Quantity> capacity = Map.of("cpu", new Quantity("2"), "memory", new Quantity("4Gi"), "pods", new Quantity("110"),
        "ephemeral-storage", new Quantity("10Gi"));
    return new NodeBuilder()
        .withNewMetadata()
        .withName(node.name())
        .addToLabels("kubernetes.io/hostname", node.name())
        .addToLabels("kubernetes.io/os", "linux")
        .addToLabels("kubernetes.io/arch", arch())
        .endMetadata()
        .withNewSpec().withPodCIDR(node.podCidr()).withPodCIDRs(node.podCidr()).endSpec()
        .withNewStatus()
        .withCapacity(capacity)
        .withAllocatable(capacity)
        .addNewAddress().withType("InternalIP").withAddress(node.nodeIp()).endAddress()
        .addNewAddress().withType("Hostname").withAddress(node.name()).endAddress()
        .addNewCondition().withType("Ready").withStatus("True").withReason("KubeletReady")
        .withMessage("hexgate lab node (network namespace " + node.netns() + ")").withLastHeartbeatTime(now).withLastTransitionTime(now).endCondition()
        .addNewCondition().withType("MemoryPressure").withStatus("False").withReason("KubeletHasSufficientMemory")
        .withLastHeartbeatTime(now).withLastTransitionTime(now).endCondition()
        .addNewCondition().withType("DiskPressure").withStatus("False").withReason("KubeletHasNoDiskPressure")
        .withLastHeartbeatTime(now).withLastTransitionTime(now).endCondition()
        .addNewCondition().withType("PIDPressure").withStatus("False").withReason("KubeletHasSufficientPID")
        .withLastHeartbeatTime(now).withLastTransitionTime(now).endCondition()
        .withNewNodeInfo()
        .withKubeletVersion(kubeletVersion)
        .withOperatingSystem("linux")
        .withArchitecture(arch())
        .withKernelVersion(System.getProperty("os.version"))
        .withOsImage("hexgate lab node (network namespace " + node.netns() + ")")
        .withContainerRuntimeVersion("hexgate-lab://built-in-workloads")
        .withMachineID("").withSystemUUID("").withBootID("")
        .endNodeInfo()
        .endStatus()
        .build();
  }

  private void beat() {
    try {
      renewLease();
      if (++beats % 6 == 0) {
        postStatus(desired());
      }
    } catch (KubernetesClientException e) {
      log.warn("node {}: heartbeat failed (the API server may be down; retrying in {} s): {}", node.name(), RENEW_SECONDS, KubernetesErrors.describe(e));
    }
  }

  /**
   * A strategic merge patch of the status alone (conditions merge by type), as a kubelet sends: the node
   * may not touch the taints the control plane manages, and the node lifecycle controller writes too.
   */
  private void postStatus(Node desired) {
    Node status = new NodeBuilder().withNewMetadata().withName(node.name()).endMetadata().withStatus(desired.getStatus()).build();
    client.nodes().withName(node.name()).subresource("status").patch(PatchContext.of(PatchType.STRATEGIC_MERGE), status);
  }

  private void renewLease() {
    ZonedDateTime now = ZonedDateTime.now(clock);
    Lease current = client.leases().inNamespace("kube-node-lease").withName(node.name()).get();
    if (current == null) {
      client.leases().inNamespace("kube-node-lease").resource(
          new LeaseBuilder().withNewMetadata().withName(node.name()).withNamespace("kube-node-lease").endMetadata()
              .withNewSpec().withHolderIdentity(node.name()).withLeaseDurationSeconds(LEASE_SECONDS).withRenewTime(now)
              .endSpec().build()).create();
    } else {
      current.getSpec().setRenewTime(now);
      client.leases().inNamespace("kube-node-lease").resource(current).update();
    }
  }

  private static String arch() {
    String a = System.getProperty("os.arch");
    return "x86_64".equals(a) ? "amd64" : "aarch64".equals(a) ? "arm64" : a;
  }

  /** Stops the heartbeats; the node then goes NotReady after the grace period, as a stopped kubelet's does. */
  @Override
  public void close() {
    timer.shutdownNow();
  }
}
