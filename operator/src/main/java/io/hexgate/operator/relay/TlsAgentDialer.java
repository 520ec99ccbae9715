package io.hexgate.operator.relay;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.TlsChannelCredentials;
import io.hexgate.observer.peer.PeerInfo;
import io.hexgate.operator.tls.IssuedCertificate;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Mutual TLS to agents: their certificates must chain to the operator's CA and name the peer's TLS server
 * name ({@code <node>.<cluster>.hubble-grpc.cilium.io}); the relay presents {@code client}, a client
 * certificate from the same CA. A peer announced without a TLS name is dialed in plaintext.
 */
public final class TlsAgentDialer implements AgentDialer {
  private final ChannelCredentials credentials;

  public TlsAgentDialer(IssuedCertificate client) {
    try {
      credentials =
          TlsChannelCredentials.newBuilder()
              .keyManager(stream(client.certificatePem()), stream(client.keyPem()))
              .trustManager(stream(client.caPem()))
              .build();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the relay's client certificate", e);
    }
  }

  @Override
  public ManagedChannel dial(PeerInfo peer) {
    if (!peer.tls()) {
      return AgentDialer.plaintext().dial(peer);
    }
    ManagedChannelBuilder<?> b = Grpc.newChannelBuilder(peer.target(), credentials);
    // verified against the peer's server name, not the address dialed
    return b.overrideAuthority(peer.tlsServerName()).build();
  }

  private static InputStream stream(String pem) {
    return new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII));
  }
}
