package io.hexgate.operator.install;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import io.hexgate.observer.server.HubbleServices;
import io.hexgate.operator.install.api.AgentSpec;
import io.hexgate.operator.install.api.ConntrackSpec;
import io.hexgate.operator.install.api.HexgateConfigSpec;
import io.hexgate.operator.install.api.HubbleSpec;
import io.hexgate.operator.install.api.MetricsSpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The objects a {@code HexgateConfig} stands for, as the operator wants them: the agents' DaemonSet, their
 * ServiceAccount (no token mounted, no role bound), their settings ConfigMap, the CA's public certificate
 * as a ConfigMap, the metrics Service and Hubble's Services (Cilium's names: {@value #HUBBLE_PEER_SERVICE} in
 * front of the agents' Observer and Peer, {@value #HUBBLE_METRICS_SERVICE} for Prometheus). Pure functions of
 * the spec and the operator's {@link AgentInstall}.
 */
public final class AgentObjects {
  public static final String AGENT = "hexgate-agent";
  public static final String AGENT_CONFIG = "hexgate-agent-config";
  public static final String CA_CONFIG_MAP = "hexgate-ca";
  public static final String METRICS_SERVICE = "hexgate-agent-metrics";
  public static final String CA_KEY = "ca.crt";
  public static final String HUBBLE_PEER_SERVICE = "hubble-peer";
  public static final String HUBBLE_METRICS_SERVICE = "hubble-metrics";
  /** The container ports' names, Cilium's. */
  public static final String HUBBLE_PORT_NAME = "peer-service";
  public static final String HUBBLE_METRICS_PORT_NAME = "hubble-metrics";
  static final String HUBBLE_EXPORT_VOLUME = "hubble-export";
  /** The settings ConfigMap's keys, each given to the agent as an environment variable. */
  public static final String OPERATOR_KEY = "operator-address";
  public static final String LOG_LEVEL_KEY = "log-level";

  /** The projected token's audience: a token for the API server is not accepted, nor this one by it. */
  public static final String TOKEN_AUDIENCE = "hexgate";
  public static final long TOKEN_SECONDS = 3600;
  public static final String TOKEN_DIR = "/var/run/secrets/hexgate";
  public static final String TOKEN_FILE = TOKEN_DIR + "/token";
  public static final String CA_DIR = "/etc/hexgate/ca";
  public static final String CA_FILE = CA_DIR + "/" + CA_KEY;
  public static final String CERT_DIR = "/var/lib/hexgate/certs";
  public static final String BPF_DIR = "/sys/fs/bpf";
  /** Where the agent finds the host's network sysctls (the agent's ProxyRouting.HOST_PROC_SYS_NET). */
  static final String HOST_PROC_SYS_NET = "/host/proc/sys/net";
  /** Pod template annotations whose change rolls the agents: the settings and the CA they trust. */
  public static final String CONFIG_HASH = "hexgate.io/config-sha256";
  public static final String CA_HASH = "hexgate.io/ca-sha256";

  static final String DEFAULT_LOG_LEVEL = "info";

  private AgentObjects() {}

  /** The labels on every object here; the first two select the agent pods. */
  public static Map<String, String> labels() {
    Map<String, String> l = new LinkedHashMap<>(selector());
    l.put("app.kubernetes.io/part-of", "hexgate");
    return l;
  }

  public static Map<String, String> selector() {
    Map<String, String> l = new LinkedHashMap<>();
    l.put("app.kubernetes.io/name", "hexgate");
    l.put("app.kubernetes.io/component", "agent");
    return l;
  }

  private static ObjectMeta meta(String name, String namespace) {
    return new ObjectMetaBuilder().withName(name).withNamespace(namespace).withLabels(labels()).build();
  }

  public static ServiceAccount serviceAccount(String namespace) {
    // no token mounted: the agent's only credential is the projected token with the hexgate audience
    return new ServiceAccountBuilder().withMetadata(meta(AGENT, namespace)).withAutomountServiceAccountToken(false).build();
  }

  /** What the agents read from {@value #AGENT_CONFIG}, key by key. */
  public static Map<String, String> settings(HexgateConfigSpec spec, AgentInstall install, String namespace) {
    AgentSpec agent = spec.agent();
    Map<String, String> data = new TreeMap<>();
    data.put(OPERATOR_KEY, install.operatorAddress(agent, namespace));
    data.put(LOG_LEVEL_KEY, agent.logLevel == null ? DEFAULT_LOG_LEVEL : agent.logLevel);
    return data;
  }

  public static ConfigMap agentConfig(HexgateConfigSpec spec, AgentInstall install, String namespace) {
    return new ConfigMapBuilder().withMetadata(meta(AGENT_CONFIG, namespace)).withData(settings(spec, install, namespace)).build();
  }

  public static ConfigMap caConfigMap(String caPem, String namespace) {
    return new ConfigMapBuilder().withMetadata(meta(CA_CONFIG_MAP, namespace)).withData(Map.of(CA_KEY, caPem)).build();
  }

  public static Service metricsService(HexgateConfigSpec spec, String namespace) {
    return headless(METRICS_SERVICE, "metrics", spec.metrics().port(), namespace);
  }

  /** Headless, like Cilium's: Prometheus scrapes every agent's Hubble metrics. */
  public static Service hubbleMetricsService(HexgateConfigSpec spec, String namespace) {
    return headless(HUBBLE_METRICS_SERVICE, HUBBLE_METRICS_PORT_NAME, spec.hubble().metrics().port(), namespace);
  }

  private static Service headless(String name, String portName, int port, String namespace) {
    return new ServiceBuilder()
        .withMetadata(meta(name, namespace))
        .withNewSpec()
        .withClusterIP("None") // headless: Prometheus scrapes each agent, not one of them
        .withSelector(selector())
        .addNewPort()
        .withName(portName)
        .withProtocol("TCP")
        .withPort(port)
        .withNewTargetPort(port)
        .endPort()
        .endSpec()
        .build();
  }

  /**
   * Cilium's {@value #HUBBLE_PEER_SERVICE}: port 443 to the agents' 4244, answered by the agent of the
   * client's own node (internal traffic policy Local), whose Peer service names every node's Observer.
   */
  public static Service hubblePeerService(String namespace) {
    return new ServiceBuilder()
        .withMetadata(meta(HUBBLE_PEER_SERVICE, namespace))
        .withNewSpec()
        .withSelector(selector())
        .withInternalTrafficPolicy("Local")
        .addNewPort()
        .withName(HUBBLE_PORT_NAME)
        .withProtocol("TCP")
        .withPort(443)
        .withNewTargetPort(HubbleServices.AGENT_PORT)
        .endPort()
        .endSpec()
        .build();
  }

  /** The agents' command line after {@code agent}; the environment variables are the container's. */
  public static List<String> args(HexgateConfigSpec spec) {
    AgentSpec agent = spec.agent();
    List<String> args = new ArrayList<>(List.of(
        "agent",
        "--node", "$(NODE_NAME)",
        "--operator", "$(HEXGATE_OPERATOR)",
        "--bootstrap-token-file", TOKEN_FILE,
        "--ca-file", CA_FILE,
        "--cert-dir", CERT_DIR,
        "--metrics-port", String.valueOf(spec.metrics().enabled() ? spec.metrics().port() : 0)));
    ConntrackSpec ct = agent.conntrack();
    if (ct.entries != null) {
      args.addAll(List.of("--ct-entries", ct.entries.toString()));
    }
    if (ct.quota != null) {
      args.addAll(List.of("--ct-quota", ct.quota.toString()));
    }
    if (ct.gcIntervalSeconds != null) {
      args.addAll(List.of("--ct-gc-interval", ct.gcIntervalSeconds.toString()));
    }
    if (agent.uplinks != null && !agent.uplinks.isEmpty()) {
      args.addAll(List.of("--uplink", String.join(",", agent.uplinks)));
    }
    args.addAll(HubbleAgentArgs.args(spec.hubble()));
    return args;
  }

  /**
   * The agents' DaemonSet. Its pod template carries hashes of the settings and the CA, so a change of
   * either (a new operator address, another CA) rolls the agents like a change of the spec does.
   */
  public static DaemonSet daemonSet(
      HexgateConfigSpec spec, AgentInstall install, String image, String caPem, String namespace) {
    AgentSpec agent = spec.agent();
    MetricsSpec metrics = spec.metrics();
    HubbleSpec hubble = spec.hubble();
    List<Toleration> tolerations =
        agent.tolerations != null ? agent.tolerations : List.of(new TolerationBuilder().withOperator("Exists").build());
    var container =
        new ContainerBuilder()
            .withName("agent")
            .withImage(image)
            .withImagePullPolicy(agent.imagePullPolicy)
            .withArgs(args(spec))
            .withEnv(
                new EnvVarBuilder().withName("NODE_NAME").withNewValueFrom().withNewFieldRef().withFieldPath("spec.nodeName").endFieldRef().endValueFrom().build(),
                configEnv("HEXGATE_OPERATOR", OPERATOR_KEY),
                configEnv("HEXGATE_LOG_LEVEL", LOG_LEVEL_KEY))
            .withResources(agent.resources)
            .withNewSecurityContext()
            .withRunAsUser(0L) // the added capabilities are effective for root only
            .withRunAsNonRoot(false)
            .withPrivileged(false)
            .withAllowPrivilegeEscalation(false)
            .withReadOnlyRootFilesystem(true)
            .withNewCapabilities()
            .withAdd("BPF", "NET_ADMIN", "SYS_ADMIN", "PERFMON")
            .withDrop("ALL")
            .endCapabilities()
            .endSecurityContext()
            .withVolumeMounts(volumeMounts(hubble));
    if (metrics.enabled()) {
      container
          .addNewPort().withName("metrics").withContainerPort(metrics.port()).withProtocol("TCP").endPort()
          .withNewReadinessProbe()
          .withNewHttpGet().withPath("/metrics").withNewPort(metrics.port()).endHttpGet()
          .withPeriodSeconds(10)
          .withFailureThreshold(3)
          .endReadinessProbe()
          // as Cilium's agent has: probed every 2 s while it starts (bootstrap, BPF load, first revision; up to
          // 5 minutes), so that a new agent, and a rollout's next node, is Ready within 2 s of serving, not 10
          .withNewStartupProbe()
          .withNewHttpGet().withPath("/metrics").withNewPort(metrics.port()).endHttpGet()
          .withPeriodSeconds(2)
          .withFailureThreshold(150)
          .endStartupProbe();
    }
    if (hubble.enabled()) {
      container.addNewPort().withName(HUBBLE_PORT_NAME).withContainerPort(HubbleServices.AGENT_PORT).withProtocol("TCP").endPort();
    }
    if (HubbleAgentArgs.metricsOn(hubble)) {
      container.addNewPort().withName(HUBBLE_METRICS_PORT_NAME).withContainerPort(hubble.metrics().port()).withProtocol("TCP").endPort();
    }
    Map<String, String> annotations = new TreeMap<>();
    annotations.put(CONFIG_HASH, sha256(settings(spec, install, namespace).toString()));
    annotations.put(CA_HASH, sha256(caPem));
    return new DaemonSetBuilder()
        .withMetadata(meta(AGENT, namespace))
        .withNewSpec()
        .withNewSelector().withMatchLabels(selector()).endSelector()
        .withNewUpdateStrategy()
        .withType("RollingUpdate")
        .withNewRollingUpdate().withMaxUnavailable(agent.updateStrategy().maxUnavailable()).endRollingUpdate()
        .endUpdateStrategy()
        .withNewTemplate()
        .withNewMetadata().withLabels(labels()).withAnnotations(annotations).endMetadata()
        .withNewSpec()
        .withServiceAccountName(AGENT)
        .withAutomountServiceAccountToken(false)
        .withHostNetwork(true)
        .withHostPID(false)
        .withDnsPolicy("ClusterFirstWithHostNet")
        .withPriorityClassName("system-node-critical")
        .withTerminationGracePeriodSeconds(30L)
        .withTolerations(tolerations)
        .withNodeSelector(agent.nodeSelector)
        .withContainers(container.build())
        .withVolumes(volumes(hubble))
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }

  private static List<VolumeMount> volumeMounts(HubbleSpec hubble) {
    List<VolumeMount> mounts = new ArrayList<>(List.of(
        // HostToContainer: pins made on the host (by a previous agent) are seen; Bidirectional
        // would need a privileged container, and the agent pins through the host's bpffs anyway
        new VolumeMountBuilder().withName("bpffs").withMountPath(BPF_DIR).withMountPropagation("HostToContainer").build(),
        new VolumeMountBuilder().withName("token").withMountPath(TOKEN_DIR).withReadOnly(true).build(),
        new VolumeMountBuilder().withName("ca").withMountPath(CA_DIR).withReadOnly(true).build(),
        new VolumeMountBuilder().withName("certs").withMountPath(CERT_DIR).build(),
        new VolumeMountBuilder().withName("tmp").withMountPath("/tmp").build(),
        // the L7 proxy's sysctls (rp_filter, tcp_early_demux): the container's own /proc/sys is read-only
        new VolumeMountBuilder().withName("host-proc-sys-net").withMountPath(HOST_PROC_SYS_NET).build()));
    // the root filesystem is read-only; the file is for the node's log shippers, so it lives on the node
    HubbleAgentArgs.exportDirectory(hubble).ifPresent(dir ->
        mounts.add(new VolumeMountBuilder().withName(HUBBLE_EXPORT_VOLUME).withMountPath(dir).build()));
    return mounts;
  }

  private static List<Volume> volumes(HubbleSpec hubble) {
    List<Volume> volumes = new ArrayList<>(List.of(
        new VolumeBuilder().withName("bpffs").withNewHostPath().withPath(BPF_DIR).withType("DirectoryOrCreate").endHostPath().build(),
        new VolumeBuilder()
            .withName("token")
            .withNewProjected()
            .addNewSource()
            .withNewServiceAccountToken().withAudience(TOKEN_AUDIENCE).withExpirationSeconds(TOKEN_SECONDS).withPath("token").endServiceAccountToken()
            .endSource()
            .endProjected()
            .build(),
        new VolumeBuilder().withName("ca").withNewConfigMap().withName(CA_CONFIG_MAP).endConfigMap().build(),
        new VolumeBuilder().withName("certs").withNewEmptyDir().endEmptyDir().build(),
        new VolumeBuilder().withName("tmp").withNewEmptyDir().endEmptyDir().build(),
        new VolumeBuilder().withName("host-proc-sys-net").withNewHostPath().withPath("/proc/sys/net")
            .withType("Directory").endHostPath().build()));
    HubbleAgentArgs.exportDirectory(hubble).ifPresent(dir -> volumes.add(new VolumeBuilder()
        .withName(HUBBLE_EXPORT_VOLUME).withNewHostPath().withPath(dir).withType("DirectoryOrCreate").endHostPath().build()));
    return volumes;
  }

  private static io.fabric8.kubernetes.api.model.EnvVar configEnv(String name, String key) {
    return new EnvVarBuilder()
        .withName(name)
        .withNewValueFrom()
        .withNewConfigMapKeyRef().withName(AGENT_CONFIG).withKey(key).endConfigMapKeyRef()
        .endValueFrom()
        .build();
  }

  static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("no SHA-256", e);
    }
  }
}
