package io.hexgate.datapath.agent;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The agent's mutual-TLS identity, read from a directory holding {@code tls.crt}, {@code tls.key} (PKCS#8)
 * and {@code ca.crt}, as the operator writes them (or as a Kubernetes TLS Secret mounts them).
 */
public final class AgentCredentials {
  public static final String CERT_FILE = "tls.crt";
  public static final String KEY_FILE = "tls.key";
  public static final String CA_FILE = "ca.crt";

  private AgentCredentials() {}

  public static ChannelCredentials fromDirectory(Path dir) {
    try {
      return TlsChannelCredentials.newBuilder()
          .keyManager(dir.resolve(CERT_FILE).toFile(), dir.resolve(KEY_FILE).toFile())
          .trustManager(dir.resolve(CA_FILE).toFile())
          .build();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the agent's certificate files in " + dir, e);
    }
  }

  /**
   * Credentials presenting whatever certificate {@code rotation} holds at each handshake, so a renewed
   * certificate is used from the next connection on; the operator must chain to the directory's CA.
   */
  public static ChannelCredentials renewable(CertificateRotation rotation) {
    try {
      return TlsChannelCredentials.newBuilder()
          .keyManager(rotation.keyManager())
          .trustManager(rotation.directory().resolve(CA_FILE).toFile())
          .build();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the CA certificate in " + rotation.directory(), e);
    }
  }

  /**
   * A channel to the operator at {@code target} (host:port), verifying that the operator's certificate
   * names {@code authority} (e.g. {@code hexgate-operator.hexgate.svc}) when it is not null.
   */
  public static ManagedChannel channel(String target, Path certDir, String authority) {
    return channel(target, fromDirectory(certDir), authority);
  }

  /**
   * As {@link #channel(String, Path, String)}, presenting {@code rotation}'s certificate: each renewal
   * gives the channel new TLS credentials, so its next connection presents the new certificate.
   */
  public static ManagedChannel channel(String target, CertificateRotation rotation, String authority) {
    RenewingChannel channel = new RenewingChannel(() -> channel(target, renewable(rotation), authority));
    rotation.onRenewed(channel::renew);
    return channel;
  }

  private static ManagedChannel channel(String target, ChannelCredentials credentials, String authority) {
    // keepalive: notice a dead operator (or a half-open connection) without waiting for TCP timeouts
    var builder =
        Grpc.newChannelBuilder(target, credentials)
            .keepAliveTime(30, TimeUnit.SECONDS)
            .keepAliveTimeout(10, TimeUnit.SECONDS);
    if (authority != null) {
      builder.overrideAuthority(authority);
    }
    return builder.build();
  }
}
