package io.hexgate.observer.peer;

import io.hexgate.contract.hubble.peer.ChangeNotification;
import java.util.List;
import java.util.function.Consumer;

/** Who the peers are now, and changes as they happen. */
public interface PeerDirectory {
  /** The current peers, by name. */
  List<PeerInfo> peers();

  /**
   * Tells {@code listener} PEER_ADDED for every current peer, then each change (PEER_ADDED, PEER_UPDATED when
   * an address or TLS name changed, PEER_DELETED; a rename is DELETED of the old name and ADDED of the new)
   * in order, until the returned handle is closed. The listener must return quickly.
   */
  AutoCloseable watch(Consumer<ChangeNotification> listener);
}
