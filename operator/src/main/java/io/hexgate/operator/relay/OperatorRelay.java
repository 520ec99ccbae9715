package io.hexgate.operator.relay;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.hexgate.observer.peer.PeerDirectory;
import io.hexgate.observer.peer.PeerService;
import io.hexgate.observer.peer.PeerWatcher;
import io.hexgate.operator.tls.IssuedCertificate;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's Hubble relay, put together: the operator serves {@code peer.Peer} from its
 * {@link PeerDirectory} on an in-process channel, the relay finds agents as a client of it
 * ({@link PeerWatcher}), and {@link HubbleRelay} answers on the relay port ({@link RelayServer}).
 */
public final class OperatorRelay implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OperatorRelay.class);
  /** The common name of the client certificate the relay presents to agents. */
  public static final String CLIENT_NAME = "hubble-relay";
  /** The relay's name in the node_status events it sends. */
  public static final String NODE_NAME = "hexgate-relay";
  /** {@code hexgate-<version>}, the version the jar's manifest names ("dev" when it names none). */
  public static final String VERSION =
      "hexgate-" + Optional.ofNullable(OperatorRelay.class.getPackage().getImplementationVersion()).orElse("dev");

  private final Server peerServer;
  private final ManagedChannel peerChannel;
  private final PeerWatcher watcher;
  private final HubbleRelay relay;
  private final RelayServer server;

  private OperatorRelay(Server peerServer, ManagedChannel peerChannel, PeerWatcher watcher, HubbleRelay relay, RelayServer server) {
    this.peerServer = peerServer;
    this.peerChannel = peerChannel;
    this.watcher = watcher;
    this.relay = relay;
    this.server = server;
  }

  /**
   * Starts the relay {@code config} describes over {@code peers}.
   *
   * @param clientCertificate the relay's client certificate from the operator's CA, for agents reached
   *     over mutual TLS when {@code config} names no dialer; null when the operator has no CA
   * @throws UncheckedIOException when the relay port cannot be listened on
   */
  public static OperatorRelay start(
      RelayConfig config, PeerDirectory peers, Supplier<IssuedCertificate> clientCertificate, RelayOptions options) {
    String name = "hexgate-peers-" + UUID.randomUUID();
    Server peerServer;
    try {
      peerServer = InProcessServerBuilder.forName(name).addService(new PeerService(peers)).build().start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serve the peer service in process", e);
    }
    ManagedChannel peerChannel = InProcessChannelBuilder.forName(name).build();
    PeerWatcher watcher = new PeerWatcher(peerChannel).start();
    HubbleRelay relay = new HubbleRelay(watcher, dialer(config, clientCertificate), options);
    try {
      RelayServer server =
          RelayServer.start(
              config.bindAddress(), config.port(), relay, options.version(),
              () -> watcher.connected() && relay.anyPeerConnected());
      LOG.info("Hubble relay on port {} (plaintext), agents' Hubble ports over {}", server.port(),
          config.dialer() != null ? "the given dialer" : clientCertificate != null ? "mutual TLS" : "plaintext");
      return new OperatorRelay(peerServer, peerChannel, watcher, relay, server);
    } catch (RuntimeException e) {
      new OperatorRelay(peerServer, peerChannel, watcher, relay, null).close();
      throw e;
    }
  }

  private static AgentDialer dialer(RelayConfig config, Supplier<IssuedCertificate> clientCertificate) {
    if (config.dialer() != null) {
      return config.dialer();
    }
    return clientCertificate != null ? new TlsAgentDialer(clientCertificate.get()) : AgentDialer.plaintext();
  }

  /** The relay's port. */
  public int port() {
    return server.port();
  }

  public HubbleRelay relay() {
    return relay;
  }

  @Override
  public void close() {
    if (server != null) {
      server.close();
    }
    relay.close();
    watcher.close();
    peerChannel.shutdownNow();
    peerServer.shutdownNow();
  }
}
