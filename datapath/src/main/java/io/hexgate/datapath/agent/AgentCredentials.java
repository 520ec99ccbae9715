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
   * A channel to the operator at {@code target} (host:port), verifying that the operator's certificate
   * names {@code authority} (e.g. {@code hexgate-operator.hexgate.svc}) when it is not null.
   */
  public static ManagedChannel channel(String target, Path certDir, String authority) {
    // keepalive: notice a dead operator (or a half-open connection) without waiting for TCP timeouts
    var builder =
        Grpc.newChannelBuilder(target, fromDirectory(certDir))
            .keepAliveTime(30, TimeUnit.SECONDS)
            .keepAliveTimeout(10, TimeUnit.SECONDS);
    if (authority != null) {
      builder.overrideAuthority(authority);
    }
    return builder.build();
  }
}
