package io.hexgate.cli;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.hexgate.contract.metrics.MetricsServer;
import io.hexgate.contract.thread.DaemonThreads;
import io.hexgate.operator.OperatorMain;
import io.hexgate.operator.OperatorConfig;
import io.hexgate.operator.install.AgentInstall;
import io.hexgate.operator.AgentEndpoint;
import io.hexgate.operator.node.NodeAgentService;
import io.hexgate.operator.relay.RelayConfig;
import io.hexgate.operator.relay.RelayServer;
import io.hexgate.operator.tls.CaSecretStore;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs the operator against the cluster the fabric8 client finds (kubeconfig, or in-cluster). */
@Command(
    name = "operator",
    mixinStandardHelpOptions = true,
    description = "Run the Hexgate operator: identities, CiliumEndpoints and policies on the Kubernetes API.")
public final class OperatorCommand implements Callable<Integer> {
  @Option(names = "--kubeconfig", paramLabel = "FILE", description = "Kubeconfig file (default: $KUBECONFIG, ~/.kube/config, then in-cluster).")
  Path kubeconfig;

  @Option(names = "--context", paramLabel = "NAME", description = "Kubeconfig context (default: the current one).")
  String context;

  @Option(names = "--cluster-name", defaultValue = OperatorConfig.DEFAULT_CLUSTER_NAME, description = "Cluster name in identity labels (default: ${DEFAULT-VALUE}).")
  String clusterName;

  @Option(names = "--identity-gc-grace", defaultValue = "15m", converter = DurationConverter.class, description = "How long an unused identity stays marked before deletion (default: ${DEFAULT-VALUE}).")
  Duration identityGcGrace;

  @Option(names = "--identity-gc-interval", defaultValue = "15m", converter = DurationConverter.class, description = "How often unused identities are collected (default: ${DEFAULT-VALUE}).")
  Duration identityGcInterval;

  @Option(names = "--leader-election", negatable = true, defaultValue = "true", fallbackValue = "true", description = "Elect one writing replica through a Lease (default: ${DEFAULT-VALUE}).")
  boolean leaderElection;

  @Option(names = "--lease-name", defaultValue = OperatorConfig.DEFAULT_LEASE_NAME, description = "Lease name (default: ${DEFAULT-VALUE}).")
  String leaseName;

  @Option(names = "--lease-namespace", description = "Lease namespace (default: the client's namespace).")
  String leaseNamespace;

  @Option(names = "--lease-duration", defaultValue = "15s", converter = DurationConverter.class, description = "Lease duration (default: ${DEFAULT-VALUE}).")
  Duration leaseDuration;

  @Option(names = "--lease-renew-deadline", defaultValue = "10s", converter = DurationConverter.class, description = "Renew deadline (default: ${DEFAULT-VALUE}).")
  Duration renewDeadline;

  @Option(names = "--lease-retry-period", defaultValue = "2s", converter = DurationConverter.class, description = "Retry period (default: ${DEFAULT-VALUE}).")
  Duration retryPeriod;

  @Option(names = "--id", description = "This replica's name in the Lease (default: $HOSTNAME).")
  String id;

  @Option(names = "--agent-server", negatable = true, defaultValue = "true", fallbackValue = "true", description = "Serve node agents over mTLS (default: ${DEFAULT-VALUE}).")
  boolean agentServer;

  @Option(names = "--agent-port", defaultValue = "4250", description = "Port for node agents; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int agentPort;

  @Option(names = "--agent-dns-name", paramLabel = "NAME", description = "DNS name agents use for the operator, in its server certificate; repeatable (default: hexgate-operator, hexgate-operator.<namespace>.svc, localhost).")
  List<String> agentDnsNames;

  @Option(names = "--cert-lifetime", defaultValue = "8760h", converter = DurationConverter.class, description = "Lifetime of the certificates the operator issues: its serving certificate and agents' renewals, each renewed after two thirds of it (default: ${DEFAULT-VALUE}).")
  Duration certLifetime;

  @Option(names = "--ca-secret", defaultValue = CaSecretStore.DEFAULT_NAME, description = "Secret holding the agents' CA, in the client's namespace; created if absent (default: ${DEFAULT-VALUE}).")
  String caSecret;

  @Option(names = "--install-agents", negatable = true, defaultValue = "true", fallbackValue = "true", description = "Deploy the node agents the cluster's HexgateConfig describes (a DaemonSet in the operator's namespace, image from $RELATED_IMAGE_AGENT unless it names one, agents told to reach the operator at $POD_IP and --agent-port); needs --agent-server (default: ${DEFAULT-VALUE}).")
  boolean installAgents;

  @Option(names = "--status-node-limit", defaultValue = "100", description = "Nodes listed in a policy's status.nodes; beyond it only failing nodes are (default: ${DEFAULT-VALUE}).")
  int statusNodeLimit;

  @Option(names = "--status-interval", defaultValue = "1s", converter = DurationConverter.class, description = "How often policy status is written, at most once per policy (default: ${DEFAULT-VALUE}).")
  Duration statusInterval;

  @Option(names = "--metrics-port", defaultValue = "" + MetricsServer.OPERATOR_PORT, description = "Port serving Prometheus metrics on /metrics; 0 turns them off (default: ${DEFAULT-VALUE}).")
  int metricsPort;

  @Option(names = "--relay-port", paramLabel = "PORT", defaultValue = "" + io.hexgate.observer.server.HubbleServices.RELAY_PORT, description = "Port of the Hubble relay (plaintext gRPC, as Hubble Relay's): the flows of every agent, for the hubble CLI (hubble observe --server HOST:PORT) and hexgate observe; the relay reaches agents on their port 4244 with mutual TLS. 0 turns it off (default: ${DEFAULT-VALUE}).")
  int relayPort;

  @Option(names = "--relay-bind-address", paramLabel = "ADDRESS", description = "Address the Hubble relay listens on, e.g. 127.0.0.1 to reach it only through kubectl port-forward (default: every address).")
  String relayBindAddress;

  /**
   * The operator's configuration from the options, without the client (which {@link #call()} makes); fails
   * naming the option when a value is invalid.
   */
  OperatorConfig config() {
    OperatorConfig.Builder b =
        OperatorConfig.defaults().toBuilder()
            .clusterName(clusterName)
            .identityGc(identityGcGrace, identityGcInterval)
            .leaseName(leaseName)
            .lease(leaseNamespace, leaseDuration, renewDeadline, retryPeriod, id, true)
            .leaderElection(leaderElection)
            .status(statusNodeLimit, statusInterval)
            .metricsPort(metricsPort == 0 ? OperatorConfig.NO_METRICS : metricsPort)
            .relay(relayPort == 0 ? null : new RelayConfig(relayPort, relayBindAddress, null, true));
    if (agentServer) {
      b.agents(new AgentEndpoint.Tls(agentPort, caSecret, agentDnsNames == null ? List.of() : agentDnsNames, certLifetime));
      if (installAgents) {
        b.installAgents(AgentInstall.fromEnvironment(System::getenv, agentPort));
      }
    } else {
      // --no-agent-server: no port, nothing serves the agents' service
      b.agents(new AgentEndpoint.ServedByCaller(NodeAgentService.Authentication.REQUIRE_CERTIFICATE));
    }
    return b.build();
  }

  @Override
  public Integer call() throws InterruptedException {
    OperatorConfig config;
    try {
      config = config();
    } catch (IllegalArgumentException | NullPointerException e) {
      System.err.println("hexgate operator: " + e.getMessage());
      return 2;
    }
    Config kube = kubeconfig != null ? Config.fromKubeconfig(context, kubeconfig.toFile()) : Config.autoConfigure(context);
    KubernetesClient client = new KubernetesClientBuilder().withConfig(kube).build();
    try {
      OperatorMain.runUntilShutdown(config.toBuilder().client(client).build());
    } catch (UncheckedIOException e) {
      System.err.println("hexgate operator: " + e.getMessage() + ": " + e.getCause().getMessage());
      return 1;
    }
    return 0;
  }
}
