package io.hexgate.operator.tls;

import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Server credentials for the agent port: the operator's certificate, and client certificates required. */
public final class AgentTls {
  private AgentTls() {}

  /**
   * Mutual TLS: the server presents {@code server}; every client must present a certificate the
   * server's CA issued (use with {@link AgentCertificateInterceptor} to learn its node).
   */
  public static ServerCredentials serverCredentials(IssuedCertificate server) {
    try {
      return TlsServerCredentials.newBuilder()
          .keyManager(IssuedCertificate.stream(server.certificatePem()), IssuedCertificate.stream(server.keyPem()))
          .trustManager(IssuedCertificate.stream(server.caPem()))
          .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
          .build();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the operator's certificate", e);
    }
  }
}
