package io.hexgate.operator.tls;

import io.grpc.Grpc;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptors;
import io.grpc.TlsServerCredentials;
import io.hexgate.operator.node.NodeAgentService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import javax.net.ssl.X509KeyManager;

/**
 * The agent port's TLS: the operator's certificate, and client certificates checked against the CA when
 * presented. They are optional at the TLS layer only so that an agent without one can call Bootstrap;
 * {@link AgentCertificateInterceptor} refuses every other call without one.
 */
public final class AgentTls {
  private AgentTls() {}

  /**
   * Mutual TLS: the server presents {@code server}; a client certificate must be one the server's CA
   * issued (use with {@link AgentCertificateInterceptor} to learn its node).
   */
  public static ServerCredentials serverCredentials(IssuedCertificate server) {
    try {
      return TlsServerCredentials.newBuilder()
          .keyManager(IssuedCertificate.stream(server.certificatePem()), IssuedCertificate.stream(server.keyPem()))
          .trustManager(IssuedCertificate.stream(server.caPem()))
          .clientAuth(TlsServerCredentials.ClientAuth.OPTIONAL)
          .build();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the operator's certificate", e);
    }
  }

  /**
   * Mutual TLS presenting whatever certificate {@code keyManager} holds at each handshake (so it can be
   * renewed while serving); client certificates must chain to {@code ca}.
   */
  public static ServerCredentials serverCredentials(X509KeyManager keyManager, X509Certificate ca) {
    try {
      return TlsServerCredentials.newBuilder()
          .keyManager(keyManager)
          .trustManager(IssuedCertificate.stream(Pem.certificate(ca)))
          .clientAuth(TlsServerCredentials.ClientAuth.OPTIONAL)
          .build();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the CA certificate", e);
    }
  }

  /**
   * The agent port: {@code service} behind mutual TLS with {@code server}'s certificate, each call's
   * node taken from its client certificate. Not started.
   */
  public static Server server(int port, IssuedCertificate server, NodeAgentService service) {
    return server(port, serverCredentials(server), service, serial -> false);
  }

  /**
   * The agent port with a renewable serving certificate and a deny list: calls whose client certificate's
   * serial is {@code revoked} are refused (UNAUTHENTICATED). Not started.
   */
  public static Server server(
      int port, X509KeyManager keyManager, X509Certificate ca, NodeAgentService service, Predicate<BigInteger> revoked) {
    return server(port, serverCredentials(keyManager, ca), service, revoked);
  }

  private static Server server(
      int port, ServerCredentials credentials, NodeAgentService service, Predicate<BigInteger> revoked) {
    return Grpc.newServerBuilderForPort(port, credentials)
        // an agent whose node died silently must not stay "connected": ping, and drop it after no answer
        .keepAliveTime(30, TimeUnit.SECONDS)
        .keepAliveTimeout(10, TimeUnit.SECONDS)
        .permitKeepAliveTime(10, TimeUnit.SECONDS)
        .addService(ServerInterceptors.intercept(service, new AgentCertificateInterceptor(revoked)))
        .build();
  }
}
