package io.hexgate.operator.relay;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.hexgate.observer.peer.PeerInfo;

/**
 * How the relay reaches an agent's Hubble port: mutual TLS with the operator's CA in a cluster
 * ({@link TlsAgentDialer}); the lab supplies one that opens its sockets inside a node's network namespace.
 * The relay shuts down each channel it dialed when the peer leaves or changes.
 */
@FunctionalInterface
public interface AgentDialer {
  /**
   * A channel to {@code peer} ({@link PeerInfo#target()}); it need not be connected yet.
   *
   * @throws RuntimeException when no channel can be made (the peer is then reported unavailable)
   */
  ManagedChannel dial(PeerInfo peer);

  /** Plaintext to {@link PeerInfo#target()}: agents that serve Hubble without TLS. */
  static AgentDialer plaintext() {
    return peer -> Grpc.newChannelBuilder(peer.target(), InsecureChannelCredentials.create()).build();
  }
}
