package io.hexgate.operator.node;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.TlsChannelCredentials;
import io.hexgate.operator.tls.AgentTls;
import io.hexgate.operator.tls.CertificateAuthority;
import io.hexgate.operator.tls.IssuedCertificate;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * An operator's agent port on localhost behind the real mutual TLS ({@link AgentTls}), and channels for
 * in-process agents holding client certificates from the same CA, as the agents of a real node would.
 */
public final class TlsAgentPort implements AutoCloseable {
  /** One CA for every port of a test, as replicas sharing the CA Secret have. */
  public static final CertificateAuthority CA = CertificateAuthority.create("hexgate-ca", Clock.systemUTC());

  private final Server server;
  private final List<ManagedChannel> channels = new ArrayList<>();

  public TlsAgentPort(NodeAgentService service) {
    IssuedCertificate cert = CA.issueServer("hexgate-operator", List.of("localhost"), List.of("127.0.0.1"));
    try {
      server = AgentTls.server(0, cert, service).start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public int port() {
    return server.getPort();
  }

  /** A channel to this port presenting {@code node}'s agent certificate. */
  public synchronized ManagedChannel channelFor(String node) {
    ManagedChannel ch = channel(port(), node);
    channels.add(ch);
    return ch;
  }

  /** A channel to any agent port on localhost presenting {@code node}'s agent certificate; the caller closes it. */
  public static ManagedChannel channel(int port, String node) {
    IssuedCertificate client = CA.issueAgent(node);
    try {
      ChannelCredentials creds =
          TlsChannelCredentials.newBuilder()
              .trustManager(pem(client.caPem()))
              .keyManager(pem(client.certificatePem()), pem(client.keyPem()))
              .build();
      return Grpc.newChannelBuilderForAddress("localhost", port, creds).build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static InputStream pem(String text) {
    return new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII));
  }

  /** Stops serving at once, as a dying replica does; its agents see their streams fail. */
  @Override
  public synchronized void close() {
    channels.forEach(ManagedChannel::shutdownNow);
    server.shutdownNow();
  }
}
