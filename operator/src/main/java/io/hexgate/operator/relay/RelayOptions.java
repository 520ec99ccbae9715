package io.hexgate.operator.relay;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * How the relay behaves; {@link #defaults} are Hubble Relay's where it has them.
 *
 * @param nodeName the relay's own name, in the node_status events it sends
 * @param version what ServerStatus answers as the relay's version
 * @param sortBufferSize flows held to be put in time order before the oldest is sent (Hubble: 100)
 * @param drainTimeout a held flow is sent after this long without a new one (Hubble: 1 s)
 * @param followDrainTimeout the same while following, shorter so that a new flow shows within a second
 * @param peerRecheck how often a following call looks for new peers (Hubble: 2 s)
 * @param connectTimeout how long a peer not connected yet may take before it counts as unavailable
 * @param errorWindow identical NODE_ERRORs within this window are sent as one naming every node (Hubble: 10 s)
 * @param callTimeout for the unary calls (ServerStatus, GetNamespaces) made to each peer
 */
public record RelayOptions(
    String nodeName,
    String version,
    Clock clock,
    int sortBufferSize,
    Duration drainTimeout,
    Duration followDrainTimeout,
    Duration peerRecheck,
    Duration connectTimeout,
    Duration errorWindow,
    Duration callTimeout) {

  public RelayOptions {
    Objects.requireNonNull(nodeName, "nodeName");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(clock, "clock");
    if (sortBufferSize < 1) {
      throw new IllegalArgumentException("sort buffer size must be positive, got " + sortBufferSize);
    }
  }

  public static RelayOptions defaults(String nodeName, String version) {
    return new RelayOptions(
        nodeName,
        version,
        Clock.systemUTC(),
        100,
        Duration.ofSeconds(1),
        Duration.ofMillis(200),
        Duration.ofSeconds(2),
        Duration.ofSeconds(2),
        Duration.ofSeconds(10),
        Duration.ofSeconds(5));
  }

  /** These options with peers rechecked every {@code every} while following (tests). */
  public RelayOptions withPeerRecheck(Duration every) {
    return new RelayOptions(
        nodeName, version, clock, sortBufferSize, drainTimeout, followDrainTimeout, every, connectTimeout, errorWindow,
        callTimeout);
  }
}
