package io.hexgate.lab.cni;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.hexgate.datapath.netns.NetNs;
import io.hexgate.datapath.netns.NodeNetwork;
import io.hexgate.datapath.netns.PodNetwork;
import io.hexgate.lab.controllers.Events;
import io.hexgate.lab.controllers.Keys;
import io.hexgate.lab.controllers.ReconcileLoop;
import io.hexgate.lab.container.ContainerHost;
import io.hexgate.lab.container.ContainerPod;
import io.hexgate.lab.dns.ClusterDns;
import io.hexgate.lab.workload.DeathstarApi;
import io.hexgate.lab.workload.DnsWorkload;
import io.hexgate.lab.workload.Workload;
import io.hexgate.lab.workload.WorkloadKind;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The part of a kubelet and its CNI plugin the lab needs, for one node and with that node's credentials:
 * for each pod the scheduler bound to the node it makes the pod's network namespace, veth pair, address and
 * routes through {@link NodeNetwork#addPod}, writes its resolv.conf, starts the workloads that stand in for
 * its containers inside the namespace, and reports the pod {@code Running} and {@code Ready} with its IP.
 * When the pod is deleted it stops the workloads, deletes the namespace (which frees the address) and
 * finishes the deletion, as a kubelet does once its containers are gone.
 */
public final class LabCni implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LabCni.class);
  private static final java.time.Duration DATAPATH_POLL = java.time.Duration.ofMillis(200);

  private final KubernetesClient client;
  private final NodeNetwork node;
  private final SharedIndexInformer<Pod> pods;
  private final ClusterDns dns;
  private final Supplier<String> nameserver;
  private final Events events;
  private final Clock clock;
  private final ReconcileLoop loop;
  private final Map<String, PodSandbox> sandboxes = new ConcurrentHashMap<>();
  /** Pods whose setup waits for the node's agent, told so by an event once. */
  private final java.util.Set<String> waitingForAgent = ConcurrentHashMap.newKeySet();
  private final Predicate<PodNetwork> datapathReady;
  private final HostSideFilter hostSideFilter;
  private final ContainerHost containerHost;

  /**
   * Whether the node's datapath has taken the pod in (its agent applied the pod's endpoint): a pod is
   * Ready only then, as Cilium's CNI returns only once the endpoint is programmed, so that nothing reaches
   * a pod, or leaves it, before its policy and service translation are in place.
   */
  @FunctionalInterface
  public interface DatapathGate extends Predicate<PodNetwork> {}

  /**
   * What the node's datapath needs on a new pod's host-side interface before it comes up (as a real CNI
   * plugin asks the agent): on an eBPF node the agent's pinned not_ready filter, so that the pod has no
   * moment without a filter; setting the pod up fails when it cannot be had.
   */
  @FunctionalInterface
  public interface HostSideFilter {
    HostSideFilter NONE = node -> NodeNetwork.HostSideSetup.NONE;

    NodeNetwork.HostSideSetup forNode(NodeNetwork node);

    /** Whether the node has what {@link #forNode} attaches (its agent's pinned programs): pods wait until it has. */
    default boolean available(NodeNetwork node) {
      return true;
    }
  }

  /**
   * @param nodeClient the node's own credentials ({@code system:node:<name>}): it may see only the pods
   *     bound to it, and write only their status
   * @param pods the pods the node sees (the real API server's Node authorizer lets it watch only those
   *     bound to it, with the {@code spec.nodeName} field selector); started by the caller after this
   *     constructor, so that the first list arrives as additions. Pods bound elsewhere are ignored.
   * @param containerHost runs the pods whose images it has as containers (null: none do)
   */
  public LabCni(
      KubernetesClient nodeClient,
      SharedIndexInformer<Pod> pods,
      NodeNetwork node,
      ClusterDns dns,
      Supplier<String> nameserver,
      Clock clock,
      DatapathGate datapathReady,
      HostSideFilter hostSideFilter,
      ContainerHost containerHost) {
    this.containerHost = containerHost;
    this.datapathReady = datapathReady;
    this.hostSideFilter = hostSideFilter;
    this.client = nodeClient;
    this.node = node;
    this.dns = dns;
    this.nameserver = nameserver;
    this.events = new Events(nodeClient, "kubelet", clock);
    this.clock = clock;
    this.loop = new ReconcileLoop("cni-" + node.name(), this::reconcile);
    this.pods = pods;
    pods.addEventHandler(
        new ResourceEventHandler<>() {
          @Override
          public void onAdd(Pod p) {
            loop.enqueue(Keys.of(p));
          }

          @Override
          public void onUpdate(Pod o, Pod n) {
            loop.enqueue(Keys.of(n));
          }

          @Override
          public void onDelete(Pod p, boolean unknown) {
            loop.enqueue(Keys.of(p));
          }
        });
  }

  public boolean idle() {
    return loop.idle();
  }

  /** The pods this CNI has set up, by {@code namespace/name}, with their addresses. */
  public Map<String, PodNetwork> pods() {
    Map<String, PodNetwork> out = new HashMap<>();
    sandboxes.forEach((k, s) -> {
      if (s.network() != null) {
        out.put(k, s.network());
      }
    });
    return out;
  }

  void reconcile(String key) {
    Pod pod = pods.getStore().getByKey(key);
    if (pod != null && !node.name().equals(pod.getSpec().getNodeName())) {
      pod = null; // not this node's
    }
    PodSandbox existing = sandboxes.get(key);
    boolean deleting = pod != null && pod.getMetadata().getDeletionTimestamp() != null;
    if (pod == null || deleting || existing != null && !existing.uid().equals(pod.getMetadata().getUid())) {
      waitingForAgent.remove(key);
      if (existing != null) {
        tearDown(existing);
      }
      if (deleting) {
        finishDeletion(pod);
      }
      if (pod == null || deleting) {
        return;
      }
      existing = null;
    }
    if (existing == null) {
      if (!Boolean.TRUE.equals(pod.getSpec().getHostNetwork()) && !hostSideFilter.available(node)) {
        // as Cilium's CNI plugin waits for its agent: the pod is set up once the agent's filter is there,
        // not after a back-off that has grown while the agent was starting
        if (waitingForAgent.add(key)) {
          events.warning(pod, "FailedCreatePodSandBox", "Failed to create pod sandbox: the node's agent has not loaded its datapath yet");
        }
        loop.enqueueAfter(key, DATAPATH_POLL);
        return;
      }
      waitingForAgent.remove(key);
      try {
        existing = setUp(pod, node);
      } catch (RuntimeException e) {
        // retried by the loop; the event says why the pod waits, as a kubelet's does
        events.warning(pod, "FailedCreatePodSandBox", "Failed to create pod sandbox: " + e.getMessage());
        throw e;
      }
      sandboxes.put(key, existing);
    }
    writeStatus(pod, existing);
  }

  /** The pod's containers are gone: the deletion the API server was waiting for can finish. */
  private void finishDeletion(Pod pod) {
    try {
      client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName()).withGracePeriod(0).delete();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) {
        throw e;
      }
    }
  }

  private PodSandbox setUp(Pod pod, NodeNetwork node) {
    String ns = pod.getMetadata().getNamespace();
    String name = pod.getMetadata().getName();
    if (containerHost != null && containerHost.runs(pod)) {
      return setUpContainers(pod, node);
    }
    PodNetwork net = node.addPod(ns, name, hostSideFilter.forNode(node));
    List<Workload> workloads = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    try {
      ResolvConf.write(net.netns(), ns, dns.zone(), nameserver.get());
      for (Container c : pod.getSpec().getContainers()) {
        WorkloadKind kind = WorkloadKind.forImage(c.getImage());
        try {
          Workload w = start(kind, net, name);
          if (w != null) {
            workloads.add(w);
          } else if (kind == WorkloadKind.UNSUPPORTED) {
            problems.add(c.getName());
            events.warning(pod, "ImageNotSupported", "Container " + c.getName() + ": the lab cannot run image \"" + c.getImage()
                + "\"; the pod has a network namespace with no process in it (the lab runs quay.io/cilium/starwars, quay.io/cilium/json-mock and coredns)");
          }
        } catch (Exception e) {
          problems.add(c.getName());
          events.warning(pod, "Failed", "Container " + c.getName() + ": cannot start " + kind + ": " + e.getMessage());
        }
      }
    } catch (RuntimeException e) {
      workloads.forEach(Workload::close);
      node.removePod(ns, name);
      ResolvConf.delete(net.netns());
      throw e;
    }
    log.info("pod {}/{}: {} on {}", ns, name, net.ip(), node.name());
    return new PodSandbox(Keys.of(pod), pod.getMetadata().getUid(), net, workloads, problems);
  }

  /**
   * A pod whose images are in the lab's image store: its containers in its own network namespace, or in the
   * node's for {@code hostNetwork} (with the machine's resolv.conf, as a kubelet's {@code ClusterFirst}
   * falls back to for host-network pods).
   */
  private PodSandbox setUpContainers(Pod pod, NodeNetwork node) {
    String ns = pod.getMetadata().getNamespace();
    String name = pod.getMetadata().getName();
    boolean host = Boolean.TRUE.equals(pod.getSpec().getHostNetwork());
    PodNetwork net = host ? null : node.addPod(ns, name, hostSideFilter.forNode(node));
    List<String> problems = new ArrayList<>();
    ContainerPod containers = null;
    try {
      java.nio.file.Path resolv = java.nio.file.Path.of("/etc/resolv.conf");
      if (net != null) {
        ResolvConf.write(net.netns(), ns, dns.zone(), nameserver.get());
        resolv = ResolvConf.ETC_NETNS.resolve(net.netns()).resolve("resolv.conf");
      }
      String key = Keys.of(pod);
      containers = containerHost.start(pod, net == null ? node.netns() : net.netns(), net == null ? node.nodeIp() : net.ip(), node.nodeIp(),
          host ? node.name() : name, resolv, () -> loop.enqueue(key));
    } catch (Exception e) {
      problems.addAll(pod.getSpec().getContainers().stream().map(Container::getName).toList());
      events.warning(pod, "Failed", "Error: " + e.getMessage());
      log.warn("pod {}/{}: cannot start its containers: {}", ns, name, e.toString());
    }
    log.info("pod {}/{}: containers on {} ({})", ns, name, node.name(), net == null ? "host network" : net.ip());
    return new PodSandbox(Keys.of(pod), pod.getMetadata().getUid(), node, net, List.of(), problems, containers);
  }

  private Workload start(WorkloadKind kind, PodNetwork net, String podName) throws Exception {
    return switch (kind) {
      case DEATHSTAR -> {
        DeathstarApi api = NetNs.call(net.netns(), () -> DeathstarApi.bind(new InetSocketAddress(DeathstarApi.PORT), podName));
        api.start();
        yield api;
      }
      case DNS -> NetNs.call(net.netns(), () -> DnsWorkload.bind(dns));
      case IDLE, UNSUPPORTED -> null;
    };
  }

  private void writeStatus(Pod pod, PodSandbox sandbox) {
    Pod current = new io.fabric8.kubernetes.api.model.PodBuilder(pod).build();
    PodStatus old = current.getStatus();
    ContainerPod cp = sandbox.containers();
    boolean runs = sandbox.problems().isEmpty() && (cp == null || "Running".equals(cp.phase()));
    boolean ready = runs && (cp == null || cp.ready()) && (sandbox.network() == null || datapathReady.test(sandbox.network()));
    String phase = cp != null && sandbox.problems().isEmpty() ? cp.phase() : runs ? "Running" : "Pending";
    List<ContainerStatus> containerStates = cp == null ? null : cp.statuses();
    if (old != null && sandbox.ip().equals(old.getPodIP()) && phase.equals(old.getPhase())
        && io.hexgate.lab.controllers.PodConditions.ready(current) == ready
        && (containerStates == null || sameContainers(containerStates, old.getContainerStatuses()))) {
      if (runs && !ready) {
        loop.enqueueAfter(Keys.of(pod), DATAPATH_POLL);
      }
      return; // written already
    }
    String now = Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
    List<ContainerStatus> containers = new ArrayList<>();
    for (Container c : cp != null ? List.<Container>of() : current.getSpec().getContainers()) {
      boolean broken = sandbox.problems().contains(c.getName());
      ContainerStatusBuilder b =
          new ContainerStatusBuilder()
              .withName(c.getName())
              .withImage(c.getImage())
              .withImageID(broken ? "" : "hexgate-lab://" + WorkloadKind.forImage(c.getImage()).name().toLowerCase(java.util.Locale.ROOT))
              .withContainerID(broken ? null : "hexgate-lab://" + sandbox.network().netns() + "/" + c.getName())
              .withReady(!broken)
              .withStarted(!broken)
              .withRestartCount(0);
      if (broken) {
        b.withNewState().withNewWaiting().withReason("ImageNotSupported")
            .withMessage("the lab cannot run image " + c.getImage()).endWaiting().endState();
      } else {
        b.withNewState().withNewRunning(now).endState();
      }
      containers.add(b.build());
    }
    if (containerStates != null) {
      containers = containerStates;
    }
    String nodeIp = sandbox.node().nodeIp();
    current.setStatus(
        new PodStatusBuilder()
            .withPhase(phase)
            .withPodIP(sandbox.ip())
            .addNewPodIP(sandbox.ip())
            .withHostIP(nodeIp)
            .addNewHostIP(nodeIp)
            .withStartTime(now)
            // the API server set the class at creation from the requests and limits, and never lets it change
            .withQosClass(old != null && old.getQosClass() != null ? old.getQosClass() : "BestEffort")
            .withConditions(
                condition("PodReadyToStartContainers", true, now, null),
                condition("Initialized", true, now, null),
                condition("Ready", ready, now, ready ? null : runs ? "DatapathNotReady" : "ContainersNotReady"),
                condition("ContainersReady", runs, now, runs ? null : "ContainersNotReady"),
                condition("PodScheduled", true, now, null))
            .withContainerStatuses(containers)
            .build());
    current.getMetadata().setResourceVersion(null);
    client.pods().resource(current).updateStatus();
    if (runs && !ready) {
      loop.enqueueAfter(Keys.of(pod), DATAPATH_POLL);
    }
    if (ready && cp != null) {
      events.normal(current, "Started", "Started " + cp.describe() + " in " + sandbox.netns());
    } else if (ready) {
      events.normal(current, "Started", "Started " + sandbox.workloads().stream().map(Workload::describe).reduce((a, b) -> a + ", " + b)
          .orElse("an idle pod (commands run through hexgate lab exec)") + " in " + sandbox.network().netns());
    }
  }

  /** Whether what the API has of the containers is what they are now (restarts, exits, start and readiness are news). */
  private static boolean sameContainers(List<ContainerStatus> now, List<ContainerStatus> written) {
    if (written == null || written.size() != now.size()) {
      return false;
    }
    for (int i = 0; i < now.size(); i++) {
      ContainerStatus a = now.get(i);
      ContainerStatus b = written.get(i);
      if (!java.util.Objects.equals(a.getReady(), b.getReady()) || !java.util.Objects.equals(a.getStarted(), b.getStarted())
          || !java.util.Objects.equals(a.getRestartCount(), b.getRestartCount())
          || !java.util.Objects.equals(a.getState(), b.getState())) {
        return false;
      }
    }
    return true;
  }

  private static PodCondition condition(String type, boolean status, String now, String reason) {
    return new PodConditionBuilder().withType(type).withStatus(status ? "True" : "False").withLastTransitionTime(now).withReason(reason).build();
  }

  private void tearDown(PodSandbox s) {
    sandboxes.remove(s.key(), s);
    s.stop();
    if (s.network() != null) {
      s.network().node().removePod(s.network().namespace(), s.network().name());
      ResolvConf.delete(s.network().netns());
      log.info("pod {}: released {} and its network namespace", s.key(), s.network().ip());
    }
  }

  /** Stops every workload and removes every pod namespace this CNI made. */
  @Override
  public void close() {
    loop.close();
    for (PodSandbox s : List.copyOf(sandboxes.values())) {
      try {
        tearDown(s);
      } catch (RuntimeException e) {
        log.warn("pod {}: cleanup failed: {}", s.key(), e.getMessage());
      }
    }
  }
}
