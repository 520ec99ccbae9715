package io.hexgate.cli;

import io.grpc.ManagedChannel;
import io.hexgate.contract.metrics.MetricsServer;
import io.hexgate.datapath.NodeAgent;
import io.hexgate.datapath.agent.AgentCredentials;
import io.hexgate.datapath.agent.Backoff;
import io.hexgate.datapath.agent.CertificateBootstrap;
import io.hexgate.datapath.agent.CertificateRotation;
import io.hexgate.datapath.enforce.ConntrackOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs the node agent: the operator's desired state for one node, enforced by the eBPF datapath. */
@Command(
    name = "agent",
    mixinStandardHelpOptions = true,
    description = {
      "Run the Hexgate node agent for one node: applies the operator's desired state to the eBPF datapath",
      "(tc programs and maps pinned under /sys/fs/bpf/hexgate/<node>), sends flows to the operator and",
      "serves metrics. Where eBPF is unavailable it runs the Java datapath, which enforces nothing."
    })
public final class AgentCommand implements Callable<Integer> {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(AgentCommand.class);
  private static final Backoff BOOTSTRAP_BACKOFF = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30));

  @Option(names = "--node", required = true, description = "Name of the node (its certificate names it).")
  String node;

  @Option(names = "--operator", required = true, paramLabel = "HOST:PORT", description = "The operator's agent port.")
  String operator;

  @Option(names = "--cert-dir", defaultValue = "/etc/hexgate/agent", description = "Directory holding tls.crt, tls.key and ca.crt, from `hexgate agent-cert`; the agent renews tls.crt and tls.key there before they expire, so it must be writable (default: ${DEFAULT-VALUE}).")
  Path certDir;

  @Option(names = "--bootstrap-token-file", paramLabel = "FILE", description = "The agent pod's projected ServiceAccount token (audience hexgate): when --cert-dir holds no usable certificate, the agent asks the operator for one with it, verifying the operator with --ca-file.")
  Path bootstrapTokenFile;

  @Option(names = "--ca-file", paramLabel = "FILE", description = "With --bootstrap-token-file: the CA the operator's certificate must chain to (the ConfigMap hexgate-ca's ca.crt).")
  Path caFile;

  @Option(names = "--authority", description = "Name the operator's certificate must carry (default: the host of --operator, or hexgate-operator when it is an IP address).")
  String authority;

  @Option(names = "--netns", paramLabel = "NAME", description = "The node's network namespace (lab nodes); default: the agent's own.")
  String netns;

  @Option(names = "--pin-dir", description = "Where maps and programs are pinned (default: /sys/fs/bpf/hexgate/<node>).")
  Path pinDir;

  @Option(names = "--uplink", defaultValue = "eth0", split = ",", description = "The node's uplink interfaces, comma-separated (default: ${DEFAULT-VALUE}).")
  List<String> uplinks;

  @Option(names = "--metrics-port", defaultValue = "" + MetricsServer.AGENT_PORT, description = "Port of /metrics (in the node's namespace with --netns); 0 turns it off (default: ${DEFAULT-VALUE}).")
  int metricsPort;

  @Option(names = "--datapath", defaultValue = "auto", description = "auto (eBPF where possible, else Java with a warning), bpf, or java (default: ${DEFAULT-VALUE}).")
  String datapath;

  @Option(names = "--ct-entries", defaultValue = "0", paramLabel = "N", description = "Size of the conntrack map; 0 for 262144. A pinned map of another size is not reused (default: ${DEFAULT-VALUE}).")
  int ctEntries;

  @Option(names = "--ct-quota", defaultValue = "0", paramLabel = "N", description = "Connections one pod may have tracked at once; 0 for a sixteenth of the map (default: ${DEFAULT-VALUE}).")
  int ctQuota;

  @picocli.CommandLine.Mixin
  HubbleAgentOptions hubble = new HubbleAgentOptions();

  @Option(names = "--ct-gc-interval", defaultValue = "30", paramLabel = "SECONDS", description = "How often expired and no longer allowed connections are deleted (default: ${DEFAULT-VALUE}).")
  int ctGcSeconds;

  /**
   * Until the certificate directory holds a usable certificate, asks the operator for one, retrying with
   * backoff: the operator may not be up yet, and a refusal (logged with its reason) may be a pod the API
   * server does not show yet.
   */
  private void bootstrap(String auth) throws InterruptedException {
    Clock clock = Clock.systemUTC();
    for (int failures = 0; !CertificateBootstrap.usable(certDir, node, caFile, clock); failures++) {
      try {
        var cert = CertificateBootstrap.run(certDir, node, operator, auth, caFile, bootstrapTokenFile, clock);
        LOG.info("bootstrapped the certificate of node {} ({}), valid until {}", node, cert.getSerialNumber().toString(16),
            cert.getNotAfter().toInstant());
        return;
      } catch (RuntimeException e) {
        Duration delay = BOOTSTRAP_BACKOFF.delay(failures);
        LOG.warn("cannot bootstrap the certificate of node {} from {}: {}; again in {}", node, operator, e.getMessage(), delay);
        Thread.sleep(delay.toMillis());
      }
    }
  }

  @Override
  public Integer call() throws Exception {
    NodeAgent.Mode mode;
    try {
      mode = NodeAgent.Mode.valueOf(datapath.toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      System.err.println("hexgate agent: --datapath must be auto, bpf or java, not '" + datapath + "'");
      return 2;
    }
    if (!operator.matches(".+:\\d+")) {
      System.err.println("hexgate agent: --operator must be HOST:PORT, not '" + operator + "'");
      return 2;
    }
    String host = operator.substring(0, operator.lastIndexOf(':'));
    String auth = authority != null ? authority : host.matches("[0-9.]+|\\[?[0-9a-fA-F:]+]?") ? "hexgate-operator" : null;
    if (bootstrapTokenFile != null) {
      if (caFile == null) {
        System.err.println("hexgate agent: --bootstrap-token-file needs --ca-file");
        return 2;
      }
      bootstrap(auth);
    }
    for (String f : List.of(AgentCredentials.CERT_FILE, AgentCredentials.KEY_FILE, AgentCredentials.CA_FILE)) {
      if (!Files.isReadable(certDir.resolve(f))) {
        System.err.println("hexgate agent: no readable " + certDir.resolve(f) + "; issue the node's certificate with "
            + "`hexgate agent-cert --node " + node + " --out " + certDir + "`");
        return 2;
      }
    }
    ConntrackOptions conntrack;
    try {
      conntrack = new ConntrackOptions(ctEntries, ctQuota, null, java.time.Duration.ofSeconds(ctGcSeconds));
    } catch (IllegalArgumentException e) {
      System.err.println("hexgate agent: " + e.getMessage());
      return 2;
    }
    CertificateRotation rotation;
    try {
      rotation = CertificateRotation.load(certDir, node, Clock.systemUTC());
    } catch (RuntimeException e) {
      System.err.println("hexgate agent: " + e.getMessage());
      return 2;
    }
    if (!Files.isWritable(certDir)) {
      System.err.println("hexgate agent: warning: " + certDir + " is not writable, so the certificate cannot be renewed"
          + " before it expires (" + rotation.certificate().getNotAfter().toInstant() + ")");
    }
    io.hexgate.datapath.observe.ObserveOptions observe;
    try {
      observe = hubble.toOptions(rotation);
    } catch (IllegalArgumentException e) {
      System.err.println("hexgate agent: " + e.getMessage());
      return 2;
    }
    ManagedChannel channel = AgentCredentials.channel(operator, rotation, auth);
    NodeAgent agent;
    try {
      agent = NodeAgent.start(new NodeAgent.Config(node, netns, pinDir, uplinks, metricsPort, mode, conntrack, observe), channel,
          rotation);
    } catch (RuntimeException e) {
      channel.shutdownNow();
      System.err.println("hexgate agent: " + e.getMessage());
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  agent.close();
                  channel.shutdownNow();
                  stopped.countDown();
                },
                "hexgate-agent-shutdown"));
    stopped.await();
    return 0;
  }
}
