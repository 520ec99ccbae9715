package io.hexgate.observer.peer;

import io.hexgate.contract.hubble.peer.ChangeNotification;
import io.hexgate.contract.hubble.peer.ChangeNotificationType;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link PeerDirectory} kept by its owner: each change to the table is told to every watcher as the
 * notification Hubble sends for it. Thread-safe; watchers hear changes in the order they were made, on the
 * thread that made them.
 */
public final class PeerTable implements PeerDirectory {
  private static final Logger LOG = LoggerFactory.getLogger(PeerTable.class);

  private final Map<String, PeerInfo> byName = new TreeMap<>();
  private final List<Consumer<ChangeNotification>> watchers = new CopyOnWriteArrayList<>();

  @Override
  public synchronized List<PeerInfo> peers() {
    return List.copyOf(byName.values());
  }

  @Override
  public synchronized AutoCloseable watch(Consumer<ChangeNotification> listener) {
    byName.values().forEach(p -> listener.accept(p.notification(ChangeNotificationType.PEER_ADDED)));
    // wrapped, so that closing removes this registration even when the same listener watches twice
    Consumer<ChangeNotification> registration = listener::accept;
    watchers.add(registration);
    return () -> watchers.remove(registration);
  }

  /** Adds the peer (PEER_ADDED), or changes its address or TLS name (PEER_UPDATED); no change tells nothing. */
  public synchronized void put(PeerInfo peer) {
    PeerInfo old = byName.put(peer.name(), peer);
    if (old == null) {
      tell(peer.notification(ChangeNotificationType.PEER_ADDED));
    } else if (!old.equals(peer)) {
      tell(peer.notification(ChangeNotificationType.PEER_UPDATED));
    }
  }

  /** Removes the peer named {@code name} (PEER_DELETED), if there is one. */
  public synchronized void remove(String name) {
    PeerInfo old = byName.remove(name);
    if (old != null) {
      tell(old.notification(ChangeNotificationType.PEER_DELETED));
    }
  }

  /** The peer {@code oldName} is now {@code peer}: PEER_DELETED of the old name, then PEER_ADDED of the new. */
  public synchronized void rename(String oldName, PeerInfo peer) {
    if (oldName.equals(peer.name())) {
      put(peer);
      return;
    }
    remove(oldName);
    put(peer);
  }

  /** Makes the table what {@code peers} are, telling the differences. */
  public synchronized void replaceAll(List<PeerInfo> peers) {
    Map<String, PeerInfo> next = new TreeMap<>();
    peers.forEach(p -> next.put(p.name(), p));
    List.copyOf(byName.keySet()).stream().filter(n -> !next.containsKey(n)).forEach(this::remove);
    next.values().forEach(this::put);
  }

  /** Applies a notification another peer service sent. */
  public synchronized void apply(ChangeNotification n) {
    switch (n.getType()) {
      case PEER_ADDED, PEER_UPDATED -> put(PeerInfo.of(n));
      case PEER_DELETED -> remove(n.getName());
      default -> LOG.debug("ignoring peer notification of type {} for {}", n.getType(), n.getName());
    }
  }

  private void tell(ChangeNotification n) {
    for (Consumer<ChangeNotification> w : watchers) {
      try {
        w.accept(n);
      } catch (RuntimeException e) {
        LOG.warn("a peer watcher failed on {} {}", n.getType(), n.getName(), e);
      }
    }
  }
}
