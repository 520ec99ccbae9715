package io.hexgate.operator;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.inprocess.InProcessServerBuilder;
import io.hexgate.contract.metrics.MetricsServer;
import io.hexgate.observer.peer.PeerDirectory;
import io.hexgate.operator.relay.OperatorRelay;
import io.hexgate.operator.relay.RelayConfig;
import io.hexgate.operator.relay.RelayOptions;
import io.hexgate.operator.tls.AgentServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.cert.X509Certificate;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * What one operator replica listens on: metrics and readiness, the agents' endpoint (in process, or
 * mutual TLS with the CA that also signs the agents' certificates) and the Hubble relay. Each is opened
 * at most once and closed by {@link #close()}.
 */
public final class OperatorPorts implements AutoCloseable {
  private MetricsServer metrics;
  private Server inProcess;
  private volatile AgentServer agents; // read by the agents' installer for the CA it publishes
  private OperatorRelay relay;

  /** @throws UncheckedIOException when the port cannot be listened on */
  void serveMetrics(int port, Supplier<String> scrape, BooleanSupplier ready) {
    try {
      metrics = MetricsServer.start(port, "hexgate-metrics", scrape, ready);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serve metrics on port " + port, e);
    }
  }

  void serveInProcess(String name, BindableService service) {
    try {
      inProcess = InProcessServerBuilder.forName(name).addService(service).directExecutor().build().start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serve agents in process as " + name, e);
    }
  }

  void serveTls(AgentServer server) {
    agents = server;
  }

  /**
   * The relay {@code config} describes (none when null) over {@code peers}, reaching agents with a client
   * certificate from the agents' CA if there is one.
   *
   * @throws UncheckedIOException when the relay port cannot be listened on
   */
  void serveRelay(RelayConfig config, PeerDirectory peers) {
    if (config == null) {
      return;
    }
    AgentServer tls = agents;
    relay = OperatorRelay.start(config, peers, tls == null ? null : () -> tls.issueClient(OperatorRelay.CLIENT_NAME),
        RelayOptions.defaults(OperatorRelay.NODE_NAME, OperatorRelay.VERSION));
  }

  /** The Hubble relay's port, once started; -1 without one. */
  public int relayPort() {
    return relay == null ? -1 : relay.port();
  }

  /** The port metrics are served on, once started; -1 without metrics. */
  public int metricsPort() {
    return metrics == null ? -1 : metrics.port();
  }

  /** The port agents connect to over mutual TLS, once started; -1 for other endpoints. */
  public int agentPort() {
    AgentServer s = agents;
    return s == null ? -1 : s.port();
  }

  /** The agents' CA, once the TLS endpoint is up (it loads or creates the CA Secret). */
  Optional<X509Certificate> caCertificate() {
    AgentServer s = agents;
    return s == null ? Optional.empty() : Optional.of(s.caCertificate());
  }

  @Override
  public void close() {
    if (relay != null) {
      relay.close();
    }
    if (agents != null) {
      agents.close();
    }
    if (inProcess != null) {
      inProcess.shutdownNow();
    }
    if (metrics != null) {
      metrics.close();
    }
  }
}
