package io.hexgate.operator.relay;

import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.hexgate.contract.hubble.peer.ChangeNotification;
import io.hexgate.observer.peer.PeerDirectory;
import io.hexgate.observer.peer.PeerInfo;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One channel per peer the directory names, dialed when the peer appears, dialed again when its address
 * or TLS name changes, shut down when it leaves. Channels start connecting at once, so that a request
 * finds them ready. Thread-safe.
 */
final class AgentChannels implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AgentChannels.class);

  /** A peer and its channel; no channel when it could not be dialed. */
  record Agent(PeerInfo peer, ManagedChannel channel) {
    String name() {
      return peer.name();
    }
  }

  private final AgentDialer dialer;
  private final Map<String, Agent> byName = new TreeMap<>();
  private final AutoCloseable watch;
  private boolean closed;

  AgentChannels(PeerDirectory peers, AgentDialer dialer) {
    this.dialer = dialer;
    this.watch = peers.watch(this::changed);
  }

  private synchronized void changed(ChangeNotification n) {
    if (closed) {
      return;
    }
    PeerInfo peer = PeerInfo.of(n);
    Agent old =
        switch (n.getType()) {
          case PEER_ADDED, PEER_UPDATED -> byName.put(peer.name(), new Agent(peer, dial(peer)));
          case PEER_DELETED -> byName.remove(peer.name());
          default -> null;
        };
    if (old != null && old.channel() != null) {
      old.channel().shutdown(); // calls under way finish or fail on their own
    }
  }

  private ManagedChannel dial(PeerInfo peer) {
    try {
      ManagedChannel ch = dialer.dial(peer);
      connect(ch);
      return ch;
    } catch (RuntimeException e) {
      LOG.warn("cannot dial the Hubble server of {} at {}", peer.name(), peer.target(), e);
      return null;
    }
  }

  /** The peers now, by name. */
  synchronized List<Agent> agents() {
    return List.copyOf(byName.values());
  }

  /**
   * Whether some peer's channel is connected, or idle after having been (channels go idle when unused; this
   * reconnects them), or cannot say (a channel without states).
   */
  synchronized boolean anyConnected() {
    return byName.values().stream()
        .filter(a -> a.channel() != null)
        .map(a -> state(a.channel(), true))
        .anyMatch(s -> s == ConnectivityState.READY || s == ConnectivityState.IDLE);
  }

  /**
   * Completes with whether {@code agent} is connected within {@code timeout}: at once when it is, or when
   * its last attempt failed (as Hubble Relay counts a peer in TRANSIENT_FAILURE unavailable; the next attempt
   * is made at once rather than after the channel's backoff, so that an agent back up is found by the next
   * request), otherwise as soon as the attempt under way succeeds or fails.
   */
  static CompletableFuture<Boolean> reachable(Agent agent, Duration timeout) {
    ManagedChannel ch = agent.channel();
    if (ch == null) {
      return CompletableFuture.completedFuture(false);
    }
    ConnectivityState now = state(ch, true);
    switch (now) {
      case READY:
        return CompletableFuture.completedFuture(true);
      case TRANSIENT_FAILURE:
        ch.resetConnectBackoff();
        return CompletableFuture.completedFuture(false);
      case SHUTDOWN:
        return CompletableFuture.completedFuture(false);
      default:
        CompletableFuture<Boolean> result = new CompletableFuture<>();
        await(ch, now, result);
        return result.completeOnTimeout(false, timeout.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  // IDLE and CONNECTING lead to READY (true), or to TRANSIENT_FAILURE or SHUTDOWN (false)
  private static void await(ManagedChannel ch, ConnectivityState from, CompletableFuture<Boolean> result) {
    ch.notifyWhenStateChanged(
        from,
        () -> {
          ConnectivityState s = ch.getState(false);
          switch (s) {
            case READY -> result.complete(true);
            case TRANSIENT_FAILURE, SHUTDOWN -> result.complete(false);
            default -> {
              if (!result.isDone()) {
                await(ch, s, result);
              }
            }
          }
        });
  }

  private static void connect(ManagedChannel ch) {
    state(ch, true);
  }

  // channels that do not track connectivity (some test or custom ones) count as connected
  private static ConnectivityState state(ManagedChannel ch, boolean connect) {
    try {
      return ch.getState(connect);
    } catch (UnsupportedOperationException e) {
      return ConnectivityState.READY;
    }
  }

  @Override
  public void close() {
    try {
      watch.close();
    } catch (Exception e) {
      LOG.debug("closing the peer watch failed", e);
    }
    synchronized (this) {
      closed = true;
      byName.values().stream().filter(a -> a.channel() != null).forEach(a -> a.channel().shutdownNow());
      byName.clear();
    }
  }
}
