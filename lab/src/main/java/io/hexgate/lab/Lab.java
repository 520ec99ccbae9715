package io.hexgate.lab;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.hexgate.contract.metrics.MetricsServer;
import io.hexgate.contract.net.Ipv4;
import io.hexgate.contract.v1.EndpointKey;
import io.hexgate.contract.v1.EndpointState;
import io.hexgate.datapath.NodeAgent;
import io.hexgate.datapath.enforce.NotReadyFilter;
import io.hexgate.datapath.netns.PodNetwork;
import io.hexgate.datapath.netns.ClusterNetwork;
import io.hexgate.datapath.netns.NetNs;
import io.hexgate.datapath.netns.NodeNetwork;
import io.hexgate.datapath.observe.ObserveOptions;
import io.hexgate.observer.buffer.FlowRing;
import io.hexgate.observer.server.HubbleServices;
import io.hexgate.operator.relay.RelayConfig;
import io.hexgate.lab.api.LabApiServer;
import io.hexgate.lab.cni.LabCni;
import io.hexgate.lab.cni.ResolvConf;
import io.hexgate.lab.container.ApiServerRelay;
import io.hexgate.lab.container.ContainerHost;
import io.hexgate.lab.container.ImageArchives;
import io.hexgate.lab.container.NodeFilesystem;
import io.hexgate.lab.container.Runc;
import io.hexgate.lab.controllers.ClusterInformers;
import io.hexgate.lab.controlplane.ControlPlane;
import io.hexgate.lab.controlplane.EmbeddedControlPlane;
import io.hexgate.lab.controlplane.RealControlPlane;
import io.hexgate.lab.node.NodeRegistration;
import io.hexgate.lab.olm.Olm;
import io.hexgate.lab.olm.OlmBinaries;
import io.hexgate.lab.dns.ClusterDns;
import io.hexgate.lab.dns.DnsMessage;
import io.hexgate.lab.observe.NamespaceDialer;
import io.hexgate.lab.workload.DnsWorkload;
import io.hexgate.operator.AgentEndpoint;
import io.hexgate.operator.HexgateOperator;
import io.hexgate.operator.OperatorConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole lab in one process: the control plane (real, or the embedded fallback) with the CRDs, node
 * namespaces joined by a bridge, for each node what its kubelet and CNI do, cluster DNS (a {@code coredns}
 * Deployment in {@code kube-system} behind the {@code kube-dns} Service at 10.96.0.10), the operator, and
 * one node agent per node inside its namespace; or, with {@link LabOptions.Hexgate#FROM_IMAGES}, no operator and
 * no agent until someone installs Hexgate from its images, as into a fresh cluster.
 * {@link #close()} takes everything down again, and {@link LabCleanup} removes what a crashed lab left.
 */
public final class Lab implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Lab.class);
  public static final String DNS_NAMESPACE = "kube-system";
  public static final String DNS_IMAGE = "registry.k8s.io/coredns/coredns:v1.11.3";
  /** The in-process gRPC name node agents of this lab connect to (see {@link #agentChannelName()}). */
  private static final String AGENT_CHANNEL_PREFIX = "hexgate-lab-operator-";
  /** Each agent serves metrics inside its node's namespace, on the port a real agent uses on its host. */
  public static final int AGENT_METRICS_PORT = MetricsServer.AGENT_PORT;
  /** The relay of the lab's operator listens on this machine only: the lab's agents serve plaintext. */
  public static final String RELAY_ADDRESS = "127.0.0.1";
  /** Each agent serves Hubble on 4244 and Hubble's metrics on 9965 inside its node's namespace. */
  public static final String AGENT_HUBBLE_METRICS =
      "dns drop tcp flow port-distribution icmp policy httpV2:exemplars=true;labelsContext=source_namespace,source_pod,destination_namespace,destination_pod";
  private static final ObserveOptions AGENT_OBSERVE = new ObserveOptions(HubbleServices.AGENT_PORT, FlowRing.DEFAULT_CAPACITY, null,
      AGENT_HUBBLE_METRICS, HubbleServices.METRICS_PORT, null);
  /**
   * The identity collector's timing in the lab: an identity no pod uses goes after ten seconds, not
   * Cilium's 15 minutes, so that what a deleted namespace leaves is seen going while one watches.
   */
  static final Duration IDENTITY_GC_GRACE = Duration.ofSeconds(10);
  static final Duration IDENTITY_GC_INTERVAL = Duration.ofSeconds(5);
  /** Under the state directory: the real control plane's data, certificates, kubeconfigs and logs. */
  public static final String CONTROL_PLANE_DIR = "control-plane";
  /** Under the state directory: unpacked images, and per node its containers, pods' volumes and container logs. */
  public static final String CONTAINERS_DIR = "containers";
  private ImageArchives images;

  private final LabOptions options;
  private final Clock clock = Clock.systemUTC();
  private final List<AutoCloseable> closing = new ArrayList<>(); // in reverse order of start
  private ControlPlane controlPlane;
  private KubernetesClient client;
  private ClusterNetwork network;
  private HexgateOperator operator;
  private ClusterInformers informers;
  private volatile int relayPort;
  private Olm olm;
  private volatile String dnsPodIp;
  private volatile boolean agents;
  private volatile boolean aborted;
  private final Map<String, NodeAgent> agentsByNode = new java.util.concurrent.ConcurrentHashMap<>();

  private Lab(LabOptions options) {
    this.options = options;
  }

  /** A lab not started yet; {@link #start(PrintStream)} starts it. */
  public static Lab create(LabOptions options) {
    return new Lab(options);
  }

  /**
   * Starts a lab and waits until its DNS answers. Fails (after undoing what it made) when this process
   * cannot make network namespaces, naming the reason.
   */
  public static Lab start(LabOptions options, PrintStream progress) throws Exception {
    Lab lab = new Lab(options);
    lab.start(progress);
    return lab;
  }

  /** Starts this lab; on failure or {@link #abort()} undoes what it made and throws. */
  public void start(PrintStream progress) throws Exception {
    Optional<String> why = NetNs.unavailable();
    if (why.isPresent()) {
      throw new IllegalStateException("the lab needs network namespaces: " + why.get());
    }
    try {
      startAll(progress);
    } catch (Exception | Error e) {
      close();
      throw e;
    }
  }

  /** Makes a {@link #start} in progress stop at its next step (a signal arrived while starting). */
  public void abort() {
    aborted = true;
  }

  private void step(PrintStream progress, String what) {
    if (aborted) {
      throw new IllegalStateException("the lab was stopped while starting");
    }
    progress.println(what);
  }

  private void startAll(PrintStream progress) throws Exception {
    LabCleanup.Removed leftovers = LabCleanup.clean(options.prefix());
    if (!leftovers.nothing()) {
      progress.println("cleaned up after an earlier lab: " + leftovers);
    }
    // Hexgate installed from its images brings its own CRDs, account and RBAC, as on a fresh cluster
    List<Path> crds = installed() ? List.of() : LabApiServer.crdFiles(options.crdDir());
    if (options.controlPlane() != null) {
      controlPlane = RealControlPlane.start(options.controlPlane(), options.stateDir().resolve(CONTROL_PLANE_DIR), crds,
          installed() ? null : options.bundleDir(), progress);
    } else {
      step(progress, "starting the embedded API server with the CRDs of " + options.crdDir());
      controlPlane = EmbeddedControlPlane.start(crds);
    }
    closing.add(controlPlane);
    client = controlPlane.admin();

    step(progress, "making " + options.nodes() + " node network namespaces joined by the bridge " + options.prefix() + "br0");
    network = ClusterNetwork.create(options.prefix());
    closing.add(() -> {
      ClusterNetwork.cleanup(options.prefix());
      ResolvConf.deleteAll(options.prefix());
    });
    String kubeletVersion = controlPlane instanceof RealControlPlane real ? real.release() : "v0.0.0-hexgate-embedded";
    for (int i = 1; i <= options.nodes(); i++) {
      NodeNetwork node = network.addNode(LabOptions.nodeName(i), i);
      NodeRegistration registration = NodeRegistration.register(controlPlane.node(node.name()), node, kubeletVersion, clock);
      closing.add(registration);
    }

    informers = new ClusterInformers(client);
    if (controlPlane instanceof EmbeddedControlPlane embedded) {
      Ipv4.Cidr range = Ipv4.Cidr.parse(LabOptions.SERVICE_RANGE);
      embedded.addControllers(informers, () -> network.nodes().stream().map(NodeNetwork::name).toList(), LabOptions.SERVICE_RANGE,
          Set.of(Ipv4.format(range.host(1)), LabOptions.DNS_IP), clock);
    }
    ClusterDns dns = new ClusterDns(LabOptions.ZONE, informers.services().getStore(), informers.endpointSlices().getStore());
    closing.add(informers);
    List<SharedIndexInformer<Pod>> nodePods = new ArrayList<>();
    for (NodeNetwork node : network.nodes()) {
      KubernetesClient nodeClient = controlPlane.node(node.name());
      // the Node authorizer lets a node watch only its own pods, through this selector; the embedded
      // API server has no authorizer (and its watches ignore field selectors): the shared informer serves
      SharedIndexInformer<Pod> pods = controlPlane.embedded() ? informers.pods()
          : nodeClient.pods().inAnyNamespace().withField("spec.nodeName", node.name()).runnableInformer(0);
      LabCni cni = new LabCni(nodeClient, pods, node, dns, this::nameserver, clock, this::inDatapath, podFilters(), containerHost(node, nodeClient, progress));
      closing.add(cni); // closed before the network: workloads stop before their namespaces go
      if (pods != informers.pods()) {
        nodePods.add(pods);
        closing.add(pods::close);
      }
    }
    informers.start();
    if (controlPlane instanceof EmbeddedControlPlane embedded) {
      embedded.startControllers();
    }
    for (SharedIndexInformer<Pod> pods : nodePods) {
      pods.start().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    // the DNS pod is scheduled and its namespace made while the operator and the agents start
    createDns();
    if (installed()) {
      progress.println("Hexgate is not running: install it from the images in " + options.imageDir()
          + " (kubectl apply -f deploy/hexgate.yaml, helm install or OLM, then a HexgateConfig); until an agent"
          + " runs on a node, its pods (cluster DNS too) wait for the agent's not_ready filter");
      startOlm(progress);
      return;
    }
    step(progress, "starting the operator" + (controlPlane.embedded() ? "" : " as its ServiceAccount, with the RBAC of " + options.bundleDir()));
    // the relay reaches the agents' Hubble servers from inside a node namespace; closed after the operator
    NamespaceDialer dialer = new NamespaceDialer(network.nodes().get(0).netns());
    closing.add(dialer);
    // agents run in this process and name their node themselves: there is no one else to trust; nor do
    // they hold certificates, so the relay dials them in plaintext and serves this machine only
    operator = HexgateOperator.create(
        OperatorConfig.builder(controlPlane.operator())
            .clock(clock)
            .withoutLeaderElection()
            .identityGc(IDENTITY_GC_GRACE, IDENTITY_GC_INTERVAL)
            .agents(new AgentEndpoint.InProcess(agentChannelName()))
            .withoutMetrics()
            .relay(new RelayConfig(relayPortToUse(), RELAY_ADDRESS, dialer, false))
            .build());
    operator.start();
    closing.add(operator);
    relayPort = operator.ports().relayPort();
    progress.println("the relay serves every node's flows on " + relayAddress() + " (hubble observe --server " + relayAddress() + ")");

    startAgents(progress);
    step(progress, "waiting for cluster DNS (kube-system/coredns behind kube-dns " + LabOptions.DNS_IP + ")");
    awaitDns();
    startOlm(progress);
    if (!agents) {
      progress.println("the node agents do not enforce in the kernel here, so ClusterIPs do not route (no kube-proxy:"
          + " the datapath translates them); pods resolve names through the DNS pod's own address");
    }
  }

  private void startOlm(PrintStream progress) throws Exception {
    if (options.olm() != null && controlPlane instanceof RealControlPlane real) {
      step(progress, "starting OLM against the control plane");
      olm = Olm.start(new OlmBinaries(options.olm()), real, progress);
      closing.add(olm);
    }
  }

  /**
   * The node's container runtime, when the lab has an image store and runc and umoci are here (else the
   * images of the store are unsupported images like any other), with its relay to the API server.
   */
  private ContainerHost containerHost(NodeNetwork node, KubernetesClient nodeClient, PrintStream progress) throws Exception {
    if (options.imageDir() == null) {
      return null;
    }
    Optional<String> why = Runc.unavailable();
    if (why.isPresent()) {
      if (installed()) {
        throw new IllegalStateException("Hexgate from its images needs containers: " + why.get());
      }
      if (node.index() == 1) {
        progress.println("pods of the images in " + options.imageDir() + " cannot run as containers: " + why.get());
      }
      return null;
    }
    if (images == null) {
      step(progress, "running pods of the images in " + options.imageDir() + " as runc containers");
      images = new ImageArchives(options.imageDir(), options.stateDir().resolve(CONTAINERS_DIR).resolve("images"));
    }
    ApiServerRelay relay = ApiServerRelay.start(node.netns(), controlPlane.url());
    closing.add(relay);
    String ca = controlPlane instanceof RealControlPlane real ? real.caPem() : null;
    Path dir = options.stateDir().resolve(CONTAINERS_DIR).resolve(node.name());
    return new ContainerHost(images, dir, options.prefix(), nodeClient, ca, ApiServerRelay.serviceEnv(), new NodeFilesystem(dir.resolve("root")));
  }

  /** One node agent per node, in this process, inside the node's namespace, talking to the operator in-process. */
  private void startAgents(PrintStream progress) throws IOException {
    ManagedChannel channel = InProcessChannelBuilder.forName(agentChannelName()).build();
    closing.add(channel::shutdownNow);
    boolean kernel = true;
    for (NodeNetwork node : network.nodes()) {
      step(progress, "starting the node agent of " + node.name());
      NodeAgent agent =
          NodeAgent.start(
              new NodeAgent.Config(node.name(), node.netns(), node.pinDir(), List.of(node.uplink()), AGENT_METRICS_PORT, NodeAgent.Mode.AUTO)
                  .withObserve(AGENT_OBSERVE),
              channel);
      closing.add(agent);
      agentsByNode.put(node.name(), agent);
      kernel &= agent.datapath().enforcesInKernel();
      progress.println("node agent " + node.name() + ": " + agent.datapath().describe());
    }
    agents = kernel;
  }

  private LabCni.HostSideFilter podFilters() {
    return new LabCni.HostSideFilter() {
      @Override
      public NodeNetwork.HostSideSetup forNode(NodeNetwork node) {
        return podFilter(node);
      }

      @Override
      public boolean available(NodeNetwork node) {
        return podFilterPinned(node);
      }
    };
  }

  /** Whether the node's agent has pinned the not_ready programs {@link #podFilter} attaches (true where none are needed). */
  private boolean podFilterPinned(NodeNetwork node) {
    return notReadyPins(node).map(NotReadyFilter::pinned).orElse(true);
  }

  /**
   * A new pod interface on an eBPF node gets the agent's pinned not_ready filter before it comes up (the
   * pod's setup fails, closed, when the node has none); a node on the Java datapath enforces nothing, as
   * its banner says, and gets nothing.
   */
  private NodeNetwork.HostSideSetup podFilter(NodeNetwork node) {
    return notReadyPins(node)
        .<NodeNetwork.HostSideSetup>map(pins -> ifname -> NotReadyFilter.attachPinned(pins, NetNs.ifIndex(ifname)))
        .orElse(NodeNetwork.HostSideSetup.NONE);
  }

  /** Where the node's agent pins its not_ready programs; empty for a node on the Java datapath, which gets none. */
  private Optional<Path> notReadyPins(NodeNetwork node) {
    if (installed()) {
      return Optional.of(LabOptions.installedAgentPinDir(node.name()));
    }
    NodeAgent agent = agentsByNode.get(node.name());
    if (agent != null && !agent.datapath().enforcesInKernel()) {
      return Optional.empty();
    }
    return Optional.of(node.pinDir());
  }

  /** Whether the agent of the pod's node has applied the pod's endpoint (true where no agent runs). */
  private boolean inDatapath(PodNetwork pod) {
    if (installed()) {
      return filterLifted(pod);
    }
    NodeAgent agent = agentsByNode.get(pod.node().name());
    if (agent == null) {
      return true;
    }
    EndpointState e =
        agent.client().state().endpoints().get(EndpointKey.newBuilder().setNamespace(pod.namespace()).setName(pod.name()).build());
    return e != null && e.getIp().equals(pod.ip());
  }

  /**
   * Whether the agent, in a process the lab does not see into, has put the pod's endpoint filters in
   * place of not_ready: it attaches them only once the endpoint is written to its maps.
   */
  private static boolean filterLifted(PodNetwork pod) {
    try {
      return NetNs.call(pod.node().netns(), () -> {
        int ifindex = NetNs.ifIndex(pod.hostSide());
        return ifindex != 0 && NotReadyFilter.lifted(ifindex);
      });
    } catch (Exception e) {
      log.debug("pod {}/{}: cannot read its interface's filters: {}", pod.namespace(), pod.name(), e.toString());
      return false;
    }
  }

  /** Whether Hexgate is installed into this lab from its images rather than run by the lab. */
  private boolean installed() {
    return options.hexgate() == LabOptions.Hexgate.FROM_IMAGES;
  }

  /**
   * Hubble's relay port when it is free on this machine, so that {@code hubble observe} finds the lab
   * without {@code --server}; else any free one, which {@link #relayAddress()} names.
   */
  private static int relayPortToUse() {
    try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
      probe.setReuseAddress(true);
      probe.bind(new InetSocketAddress(RELAY_ADDRESS, HubbleServices.RELAY_PORT));
      return HubbleServices.RELAY_PORT;
    } catch (IOException e) {
      return 0;
    }
  }

  /** {@code host:port} of the relay serving every node's flows ({@code hubble observe --server}); null without one. */
  public String relayAddress() {
    return relayPort == 0 ? null : RELAY_ADDRESS + ":" + relayPort;
  }

  /** The in-process gRPC server name of this lab's operator, for node agents started in this process. */
  public String agentChannelName() {
    return AGENT_CHANNEL_PREFIX + options.prefix();
  }

  /** What pods' resolv.conf names: the kube-dns ClusterIP when agents translate it, else the DNS pod. */
  private String nameserver() {
    String direct = dnsPodIp;
    return agents || installed() || direct == null ? LabOptions.DNS_IP : direct;
  }

  /** The kube-dns Service and the coredns Deployment; {@link #awaitDns} waits until the pod answers. */
  private void createDns() {
    Map<String, String> labels = Map.of("k8s-app", "kube-dns");
    client.resource(
            new ServiceBuilder()
                .withNewMetadata().withName("kube-dns").withNamespace(DNS_NAMESPACE)
                .addToLabels("k8s-app", "kube-dns").addToLabels("kubernetes.io/name", "CoreDNS").endMetadata()
                .withNewSpec()
                .withClusterIP(LabOptions.DNS_IP)
                .withSelector(labels)
                .addNewPort().withName("dns").withPort(DnsWorkload.PORT).withProtocol("UDP").endPort()
                .endSpec()
                .build())
        .create();
    client.resource(
            new DeploymentBuilder()
                .withNewMetadata().withName("coredns").withNamespace(DNS_NAMESPACE).addToLabels(labels).endMetadata()
                .withNewSpec()
                .withReplicas(1)
                .withNewSelector().withMatchLabels(labels).endSelector()
                .withNewTemplate()
                .withNewMetadata().withLabels(labels).endMetadata()
                .withNewSpec()
                .addNewContainer().withName("coredns").withImage(DNS_IMAGE)
                .addNewPort().withName("dns").withContainerPort(DnsWorkload.PORT).withProtocol("UDP").endPort()
                .endContainer()
                .endSpec()
                .endTemplate()
                .endSpec()
                .build())
        .create();
  }

  private void awaitDns() throws Exception {
    Map<String, String> labels = Map.of("k8s-app", "kube-dns");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      Pod dnsPod = client.pods().inNamespace(DNS_NAMESPACE).withLabels(labels).list().getItems().stream()
          .filter(p -> p.getStatus() != null && "Running".equals(p.getStatus().getPhase()) && p.getStatus().getPodIP() != null)
          .findFirst().orElse(null);
      if (dnsPod != null && answers(options.prefix(), dnsPod)) {
        dnsPodIp = dnsPod.getStatus().getPodIP();
        return;
      }
      if (aborted) {
        throw new IllegalStateException("the lab was stopped while starting");
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("cluster DNS did not come up within 60 s (pod " + (dnsPod == null ? "not running" : dnsPod.getMetadata().getName()) + ")");
      }
      Thread.sleep(200);
    }
  }

  /** Whether the DNS pod answers for {@code kube-dns.kube-system.svc}, asked from inside its namespace. */
  private static boolean answers(String prefix, Pod dnsPod) throws Exception {
    String netns = NodeNetwork.podNetns(prefix, dnsPod.getMetadata().getNamespace(), dnsPod.getMetadata().getName());
    return NetNs.call(netns, () -> {
      try (DatagramSocket s = new DatagramSocket()) {
        s.setSoTimeout(1000);
        byte[] q = DnsMessage.query(1, "kube-dns." + DNS_NAMESPACE + ".svc." + LabOptions.ZONE, DnsMessage.TYPE_A);
        s.send(new DatagramPacket(q, q.length, new InetSocketAddress(dnsPod.getStatus().getPodIP(), DnsWorkload.PORT)));
        byte[] buf = new byte[512];
        DatagramPacket reply = new DatagramPacket(buf, buf.length);
        s.receive(reply);
        return DnsMessage.parseResponse(buf, reply.getLength()).addresses().contains(LabOptions.DNS_IP);
      } catch (SocketTimeoutException e) {
        return false;
      }
    });
  }

  public LabOptions options() {
    return options;
  }

  public ControlPlane controlPlane() {
    return controlPlane;
  }

  public KubernetesClient client() {
    return client;
  }

  /** OLM running against this lab's control plane, when it was started with it ({@link LabOptions#olm()}). */
  public Optional<Olm> olm() {
    return Optional.ofNullable(olm);
  }

  public ClusterNetwork network() {
    return network;
  }

  public boolean agentsRunning() {
    return agents;
  }

  /** Writes the kubeconfig for this lab's API server. */
  public void writeKubeconfig() throws IOException {
    controlPlane.writeKubeconfig(options.kubeconfig());
  }

  /** Stops everything in the reverse order of start and removes every namespace, link and pin. */
  @Override
  public synchronized void close() {
    for (int i = closing.size() - 1; i >= 0; i--) {
      try {
        closing.get(i).close();
      } catch (Exception e) {
        log.warn("lab shutdown: {}", e.toString());
      }
    }
    closing.clear();
    try {
      LabCleanup.clean(options.prefix());
    } catch (RuntimeException e) {
      log.warn("lab shutdown: final cleanup failed: {}", e.toString());
    }
  }
}
